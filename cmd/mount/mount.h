/* SPDX-License-Identifier: MIT */
/*
 * mount.h - private to `vio9p mount`: the state one mount shares with its
 * FUSE operations.  mount.c runs the verb (its top comment is the
 * design), ops.c and its siblings (ops.h) hold the operations.
 */
#ifndef VIO9P_CMD_MOUNT_H
#define VIO9P_CMD_MOUNT_H

#define FUSE_USE_VERSION 31

#include <fuse.h>
#include <pthread.h>
#include <stdatomic.h>

#include "cmd.h"

/* Most paths of multiply linked files remembered (struct mnt's links). */
#define LINKS_MAX 256

/* Most Tclunks sent and not yet collected (struct mnt's clunks). */
#define CLUNKS_MAX 16

/* Most fids the fid cache keeps (fidcache.c). */
#define FIDCACHE_MAX 64

/* Longest an open fid is kept after its close (fidcache.c). */
#define OPEN_TTL_NS 250000000u /* 250 ms */

/* How long a path fid serves its own process with the kernel's timeouts
 * 0, and an open takes the one its lookup walked (fidcache.c). */
#define LINGER_NS 10000000u /* 10 ms */

/* Directories whose mode and group are remembered (struct mnt's dirs). */
#define DIRS_MAX 16

struct fc_ent;

/* State of one mount: fuse's private_data. */
struct mnt {
	struct vctx *c;
	struct fuse *fuse;
	uint32_t chunk_max;	/* data bytes per Tread/Twrite: msize - 24 */
	uint32_t window;	/* most requests one call keeps in flight */
	atomic_bool dead;	/* the channel died; the loop is stopping */
	atomic_size_t rd_room;	/* bytes of entries the last readdirplus
				 * reply that came back full held, or 0 */
	/*
	 * With -o allow_other or allow_root, each user's requests go on a
	 * root fid attached as that user (as v9fs's access=user): c->root
	 * for the user running vio9p (@owner), users[] for the others,
	 * attached at their first request and kept for the mount's life.
	 */
	bool per_user;
	uid_t owner;
	pthread_mutex_t users_lock;	/* guards users, nusers, cap */
	struct user_root {
		uid_t uid;
		struct v9p_fid *root;
	} *users;
	size_t nusers, cap;
	/*
	 * Paths last seen (in getattr or readdirplus) naming a file of more
	 * than one link, by inode: libfuse gives each name an inode of its
	 * own in the kernel, whose cached attributes a link or unlink
	 * through another name leaves stale.  Those are invalidated then.
	 */
	pthread_mutex_t links_lock;	/* guards links, nlinks */
	struct linked {
		uint64_t ino;
		char *path;
	} links[LINKS_MAX];
	size_t nlinks, links_next;
	/*
	 * Tclunks of fids an operation is done with, sent without waiting
	 * for their replies (clunk_later()): collected when a later one is
	 * sent, the oldest waited for when CLUNKS_MAX are out, and all of
	 * them at the end (clunks_collect()).
	 */
	pthread_mutex_t clunks_lock;	/* guards clunks, nclunks */
	struct v9p_op *clunks[CLUNKS_MAX];
	size_t nclunks;
	/* The fid cache (fidcache.c): 0 fid_ttl_ns keeps path fids for
	 * their own process, LINGER_NS. */
	uint64_t fid_ttl_ns;		/* set by m_init() */
	uint64_t open_ttl_ns;		/* the same, for open fids */
	pthread_mutex_t fc_lock;	/* guards fc, its entries, fc_gen */
	struct fc_ent *fc[FIDCACHE_MAX];
	uint64_t fc_gen;		/* fidcache_flush()es so far */
	/* Modes and groups of directories getattr saw (attr.c, dirs_seen()). */
	pthread_mutex_t dirs_lock;	/* guards dirs, dirs_next */
	struct dir_seen {
		char path[256];		/* "" for a free slot */
		uint32_t mode, gid;
		uint64_t at;
	} dirs[DIRS_MAX];
	size_t dirs_next;
};

/* The operations, for fuse_new(). */
extern const struct fuse_operations mount_ops;

/* Wait for every Tclunk clunk_later() left out (at the end of the mount,
 * when no operation runs). */
void clunks_collect(struct mnt *m);

/* Send Tclunk of @f without waiting for the reply (ops.c); keeps errno. */
void clunk_later(struct mnt *m, struct v9p_fid *f);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t mono_ns(void);

/*
 * The fid cache (fidcache.c, whose top comment says what is kept and for
 * how long).  fidcache_get(): the fid kept for @path walked from @root,
 * with a reference in *@ref for fidcache_put(), or NULL.  fidcache_add():
 * keep @f, just walked to @path (or clunk it when nothing is kept).
 * fidcache_stale(): the server no longer knows @ref's file: drop it.
 * fidcache_flush(): drop every entry.  fidcache_gen(): the number of
 * flushes so far, taken before a fid is walked or opened: a fid handed
 * to fidcache_add() or fidcache_keep_open() with a @gen older than the
 * last flush is clunked, not kept (it may predate what the flush was
 * for: a chmod, a rename...).
 */
struct v9p_fid *fidcache_get(struct mnt *m, struct v9p_fid *root,
			     const char *path, struct fc_ent **ref);
void fidcache_put(struct mnt *m, struct fc_ent *ref);
void fidcache_add(struct mnt *m, struct v9p_fid *root, const char *path,
		  struct v9p_fid *f, uint64_t gen);
void fidcache_stale(struct mnt *m, struct fc_ent *ref);
/* fidcache_keep_open(): keep @f, opened with @flags, at its close.
 * fidcache_take_open(): such a fid for @path and @flags, out of the table
 * (the caller's), or NULL. */
void fidcache_keep_open(struct mnt *m, struct v9p_fid *root,
			const char *path, uint32_t flags, struct v9p_fid *f,
			uint64_t gen);
struct v9p_fid *fidcache_take_open(struct mnt *m, struct v9p_fid *root,
				   const char *path, uint32_t flags);
/* The path fid the calling process walked to @path within LINGER_NS, out
 * of the table (the caller's, to open), or NULL. */
struct v9p_fid *fidcache_take(struct mnt *m, struct v9p_fid *root,
			      const char *path);
void fidcache_flush(struct mnt *m);
uint64_t fidcache_gen(struct mnt *m);

#endif
