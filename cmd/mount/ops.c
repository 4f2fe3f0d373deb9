// SPDX-License-Identifier: MIT
/*
 * ops.c - the FUSE operations of `vio9p mount`, each on the
 * library's session: see the design at the top of mount.c for how they
 * map to 9P2000.L, the fids they hold, threads and a dying channel.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "mount.h"

#include <fuse_lowlevel.h> /* fuse_add_direntry_plus(): an entry's size */

static struct mnt *mnt_of_ctx(void)
{
	return fuse_get_context()->private_data;
}

/*
 * An open file or directory: fi->fh.  @append: the server opened it with
 * O_APPEND, so that it puts each Twrite at the end of the file whatever
 * its offset, in the order the writes reach it.
 */
struct ofile {
	struct v9p_fid *fid;
	bool append;
	uint32_t flags;		/* as sent in Tlopen */
	struct v9p_fid *root;	/* the opener's root, when the fid may be
				 * kept at release (fidcache_keep_open()) */
};

/* The open fid of @fi. */
static struct v9p_fid *fh_fid(const struct fuse_file_info *fi)
{
	return ((const struct ofile *)(uintptr_t)fi->fh)->fid;
}

/* Make open fid @f the file handle of @fi, opened with @flags (as sent in
 * Tlopen or Tlcreate).  0, or -ENOMEM with @f still the caller's. */
static int fh_set(struct fuse_file_info *fi, struct v9p_fid *f,
		  uint32_t flags, struct v9p_fid *root)
{
	struct ofile *of = malloc(sizeof(*of));

	if (!of)
		return -ENOMEM;
	of->fid = f;
	of->append = flags & O_APPEND;
	of->flags = flags;
	of->root = root;
	fi->fh = (uintptr_t)of;
	return 0;
}

/* The first call to see the channel dead says so and stops the loop. */
static void channel_died(struct mnt *m)
{
	if (!atomic_exchange(&m->dead, true)) {
		xwarnx("mount %s: channel died", m->c->addr);
		fuse_exit(m->fuse);
	}
}

/*
 * After ECONNABORTED: whether the channel died (the library's meaning),
 * or the server answered a request with that errno, when a clone of the
 * root still works.
 */
static bool channel_dead(struct mnt *m)
{
	struct v9p_fid *f;

	if (atomic_load(&m->dead))
		return true;
	f = v9p_walk(m->c->root, NULL);
	if (f) {
		v9p_clunk(f);
		return false;
	}
	return errno == ECONNABORTED;
}

/* errno of a failed library call as a FUSE reply: -errno, or -EIO for a
 * dead channel and for values the kernel would refuse. */
static int fail(struct mnt *m, int e)
{
	if (e == ECONNABORTED && channel_dead(m)) {
		channel_died(m);
		return -EIO;
	}
	if (e <= 0 || e >= 512)
		return -EIO;
	return -e;
}

/* -errno of the last failed call. */
static int err_now(struct mnt *m)
{
	return fail(m, errno);
}

/*
 * Send Tclunk of @f, which the caller is done with, and go on without its
 * reply: no one waits for a Tclunk's answer (v9p_clunk()'s result was
 * never looked at), so the round trip need not hold up the operation.
 * Clunks sent earlier whose replies came are collected here; when
 * CLUNKS_MAX are out, the oldest is waited for.  Keeps errno.
 */
void clunk_later(struct mnt *m, struct v9p_fid *f)
{
	int e = errno;
	struct v9p_op *op = v9p_clunk_start(f); /* @f is the op's now */

	if (!op) {
		errno = e;
		return; /* a dead channel: @f is freed */
	}
	pthread_mutex_lock(&m->clunks_lock);
	for (size_t i = 0; i < m->nclunks;) {
		if (v9p_op_done(m->clunks[i]) == 1) {
			v9p_op_wait(m->clunks[i], NULL, 0);
			m->clunks[i] = m->clunks[--m->nclunks];
		} else {
			i++;
		}
	}
	if (m->nclunks == CLUNKS_MAX) {
		v9p_op_wait(m->clunks[0], NULL, 0);
		m->clunks[0] = m->clunks[--m->nclunks];
	}
	m->clunks[m->nclunks++] = op;
	pthread_mutex_unlock(&m->clunks_lock);
	errno = e;
}

void clunks_collect(struct mnt *m)
{
	pthread_mutex_lock(&m->clunks_lock);
	while (m->nclunks)
		v9p_op_wait(m->clunks[--m->nclunks], NULL, 0);
	pthread_mutex_unlock(&m->clunks_lock);
}

/* Clunk @f keeping errno (for error paths). */
static void drop(struct v9p_fid *f)
{
	clunk_later(mnt_of_ctx(), f);
}

/*
 * The root fid the calling user's requests start from: c->root, or with
 * m->per_user one attached as the caller (n_uname = uid, uname empty, as
 * v9fs's access=user sends it) at the user's first request.  NULL with
 * errno when the server refuses the attach.
 */
static struct v9p_fid *root_of(struct mnt *m)
{
	uid_t uid = fuse_get_context()->uid;
	struct v9p_fid *root = NULL;

	if (!m->per_user || uid == m->owner)
		return m->c->root;
	pthread_mutex_lock(&m->users_lock);
	for (size_t i = 0; i < m->nusers && !root; i++)
		if (m->users[i].uid == uid)
			root = m->users[i].root;
	if (!root && m->nusers == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 8;
		struct user_root *u = realloc(m->users, cap * sizeof(*u));

		if (!u) {
			errno = ENOMEM;
			goto out;
		}
		m->users = u;
		m->cap = cap;
	}
	if (!root) {
		root = v9p_attach(m->c->s, "", (uint32_t)uid, m->c->aname);
		if (root)
			m->users[m->nusers++] =
				(struct user_root){ .uid = uid, .root = root };
	}
out:
	pthread_mutex_unlock(&m->users_lock);
	return root;
}

/*
 * Whether a name of @path is longer than NAME_MAX.  The kernel lets FUSE
 * names up to 1024 bytes through, and a server may take them or fail them
 * with another errno (ENOENT...): v9fs's servers, and POSIX, say
 * ENAMETOOLONG.
 */
static bool name_too_long(const char *path)
{
	while (*path) {
		size_t n = strcspn(path, "/");

		if (n > NAME_MAX)
			return true;
		path += n;
		path += strspn(path, "/");
	}
	return false;
}

/* A fid for @path (libfuse's absolute path) from the caller's root, or
 * NULL with errno. */
static struct v9p_fid *walk(struct mnt *m, const char *path)
{
	struct v9p_fid *root;

	if (name_too_long(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	root = root_of(m);
	return root ? v9p_walk(root, path) : NULL;
}

/*
 * A fid for @path that the caller sends only Tgetattr or Tsetattr on: one
 * the fid cache keeps (*@ref set; fidcache.c) or one walked now from the
 * caller's root (*@root).  NULL with errno.
 */
static struct v9p_fid *hold(struct mnt *m, const char *path,
			    struct v9p_fid **root, struct fc_ent **ref)
{
	struct v9p_fid *f;

	*ref = NULL;
	if (name_too_long(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	*root = root_of(m);
	if (!*root)
		return NULL;
	f = fidcache_get(m, *root, path, ref);
	return f ? f : v9p_walk(*root, path);
}

/*
 * Done with @f from hold(): a kept one goes back, one walked now is kept
 * when the server took it (@ok), else clunked.  Keeps errno.
 */
static void unhold(struct mnt *m, const char *path, struct v9p_fid *root,
		   struct v9p_fid *f, struct fc_ent *ref, bool ok)
{
	int e = errno;

	if (ref)
		fidcache_put(m, ref);
	else if (ok)
		fidcache_add(m, root, path, f);
	else
		clunk_later(m, f);
	errno = e;
}

/*
 * Whether a call on a kept fid (@ref) that failed should be tried again on
 * a fresh walk: the server no longer knows the file by it (ENOENT: it was
 * renamed or removed by another client).  Drops the entry then.
 */
static bool hold_stale(struct mnt *m, struct fc_ent *ref, int tries)
{
	if (!ref || errno != ENOENT || tries)
		return false;
	fidcache_stale(m, ref);
	return true;
}

/*
 * Split @path into a fid for its parent directory (*@dir) and its last
 * name (*@name, pointing into @path).  0 or -errno.
 */
static int walk_parent(struct mnt *m, const char *path, struct v9p_fid **dir,
		       const char **name)
{
	const char *slash = strrchr(path, '/');
	char *parent;

	if (!slash || !slash[1])
		return -EINVAL; /* libfuse never asks this of the root */
	if (strlen(slash + 1) > NAME_MAX)
		return -ENAMETOOLONG;
	parent = strndup(path, (size_t)(slash - path));
	if (!parent)
		return -ENOMEM;
	*dir = walk(m, parent);
	free(parent);
	if (!*dir)
		return err_now(m);
	*name = slash + 1;
	return 0;
}

/* Clamp a server's unsigned 64-bit value into a signed field. */
static int64_t clamp_s64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

static struct timespec ts_of(uint64_t sec, uint64_t nsec)
{
	struct timespec ts = {
		.tv_sec = (time_t)clamp_s64(sec),
		.tv_nsec = (long)(nsec % 1000000000u),
	};

	return ts;
}

static void attr_to_stat(const struct v9p_attr *a, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = (ino_t)a->qid.path;
	st->st_mode = (mode_t)a->mode;
	st->st_nlink = (nlink_t)a->nlink;
	st->st_uid = (uid_t)a->uid;
	st->st_gid = (gid_t)a->gid;
	st->st_rdev = (dev_t)a->rdev;
	st->st_size = (off_t)clamp_s64(a->size);
	st->st_blksize = (blksize_t)(a->blksize && a->blksize <= (1u << 30) ?
				     a->blksize : 4096);
	st->st_blocks = (blkcnt_t)clamp_s64(a->blocks);
	st->st_atim = ts_of(a->atime_sec, a->atime_nsec);
	st->st_mtim = ts_of(a->mtime_sec, a->mtime_nsec);
	st->st_ctim = ts_of(a->ctime_sec, a->ctime_nsec);
}

/* ---- hard links --------------------------------------------------------- */

/*
 * Remember that @path names inode @ino of @nlink links (from a getattr or
 * readdirplus): a file of more than one link is remembered, in a ring of
 * LINKS_MAX paths, and one of one link (or a directory) forgotten.
 */
static void links_seen(struct mnt *m, const char *path, uint64_t ino,
		       uint64_t nlink, uint32_t mode)
{
	bool many = nlink > 1 && !S_ISDIR(mode);
	size_t i;

	pthread_mutex_lock(&m->links_lock);
	for (i = 0; i < m->nlinks; i++)
		if (!strcmp(m->links[i].path, path))
			break;
	if (i < m->nlinks) {
		m->links[i].ino = ino;
		if (!many) {
			free(m->links[i].path);
			m->links[i].path = NULL;
			m->links[i] = m->links[--m->nlinks];
		}
	} else if (many) {
		char *dup = strdup(path);

		if (dup) {
			if (m->nlinks < LINKS_MAX) {
				i = m->nlinks++;
			} else {
				i = m->links_next;
				m->links_next = (i + 1) % LINKS_MAX;
				free(m->links[i].path);
			}
			m->links[i] = (struct linked){ .ino = ino, .path = dup };
		}
	}
	pthread_mutex_unlock(&m->links_lock);
}

/* The inode last seen at @path, if it has other links; else 0. */
static uint64_t links_ino(struct mnt *m, const char *path)
{
	uint64_t ino = 0;

	pthread_mutex_lock(&m->links_lock);
	for (size_t i = 0; i < m->nlinks && !ino; i++)
		if (!strcmp(m->links[i].path, path))
			ino = m->links[i].ino;
	pthread_mutex_unlock(&m->links_lock);
	return ino;
}

/*
 * The link count and ctime of inode @ino changed (a link made or removed
 * through another name): drop the kernel's cached attributes of every
 * name remembered for it, but @except (the name the kernel changed
 * itself), so that stat(2) asks again, as v9fs would.
 */
static void links_changed(struct mnt *m, uint64_t ino, const char *except)
{
	char *paths[LINKS_MAX];
	size_t n = 0;

	if (!ino)
		return;
	pthread_mutex_lock(&m->links_lock);
	for (size_t i = 0; i < m->nlinks; i++)
		if (m->links[i].ino == ino &&
		    (!except || strcmp(m->links[i].path, except)))
			paths[n++] = strdup(m->links[i].path);
	pthread_mutex_unlock(&m->links_lock);
	for (size_t i = 0; i < n; i++) {
		if (paths[i])
			fuse_invalidate_path(m->fuse, paths[i]);
		free(paths[i]);
	}
}

/*
 * The mode and group of the directories getattr saw last (m->dirs), for
 * new_gid(): a file made in a directory whose attributes the kernel holds
 * valid (for m->fid_ttl_ns, its timeouts) takes its group from those, as
 * the kernel would check access against them, without a Tgetattr.
 * Emptied, with the fid cache, by rmdir and rename.
 */
static void dirs_seen(struct mnt *m, const char *path, const struct v9p_attr *a)
{
	size_t i, n = strlen(path);

	if (!m->fid_ttl_ns || !S_ISDIR(a->mode) || n >= sizeof(m->dirs[0].path))
		return;
	pthread_mutex_lock(&m->dirs_lock);
	for (i = 0; i < DIRS_MAX; i++)
		if (!strcmp(m->dirs[i].path, path))
			break;
	if (i == DIRS_MAX) {
		i = m->dirs_next;
		m->dirs_next = (i + 1) % DIRS_MAX;
	}
	memcpy(m->dirs[i].path, path, n + 1);
	m->dirs[i].mode = a->mode;
	m->dirs[i].gid = a->gid;
	m->dirs[i].at = mono_ns();
	pthread_mutex_unlock(&m->dirs_lock);
}

/* The mode and group dirs_seen() kept for the parent directory of
 * @path, if still valid. */
static bool dirs_known(struct mnt *m, const char *path, uint32_t *mode,
		       uint32_t *gid)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	bool found = false;

	if (!m->fid_ttl_ns)
		return false;
	if (n == 0) {
		path = "/";
		n = 1;
	}
	pthread_mutex_lock(&m->dirs_lock);
	for (size_t i = 0; i < DIRS_MAX && !found; i++) {
		if (strncmp(m->dirs[i].path, path, n) || m->dirs[i].path[n] ||
		    mono_ns() - m->dirs[i].at > m->fid_ttl_ns)
			continue;
		*mode = m->dirs[i].mode;
		*gid = m->dirs[i].gid;
		found = true;
	}
	pthread_mutex_unlock(&m->dirs_lock);
	return found;
}

static void dirs_forget(struct mnt *m)
{
	pthread_mutex_lock(&m->dirs_lock);
	for (size_t i = 0; i < DIRS_MAX; i++)
		m->dirs[i].path[0] = '\0';
	pthread_mutex_unlock(&m->dirs_lock);
}

/* ---- metadata --------------------------------------------------------- */

/*
 * libfuse asks the kernel for readdirplus (adaptive: FUSE_CAP_READDIRPLUS
 * and _AUTO by default).  Its attributes spare the kernel a lookup of
 * each entry only while the entry is valid: with -o entry_timeout=0 they
 * would be fetched for nothing, and plain readdir packs more entries in
 * each reply, so readdirplus is turned off then.
 */
static void *m_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct mnt *m = mnt_of_ctx();
	double ttl = cfg->attr_timeout < cfg->entry_timeout ?
			     cfg->attr_timeout : cfg->entry_timeout;

	/* Fids are kept as long as the kernel keeps names (fidcache.c). */
	if (ttl > 3600)
		ttl = 3600;
	m->fid_ttl_ns = ttl > 0 ? (uint64_t)(ttl * 1e9) : 0;
	m->open_ttl_ns = m->fid_ttl_ns < OPEN_TTL_NS ? m->fid_ttl_ns :
						       OPEN_TTL_NS;
	cfg->use_ino = 1;
	if (cfg->entry_timeout <= 0)
		conn->want &= ~(unsigned int)FUSE_CAP_READDIRPLUS;
	return m;
}

/*
 * The attributes setattr() fetched just after its Tsetattr, on the same
 * fid: libfuse answers every FUSE_SETATTR with the file's attributes,
 * which it gets by calling getattr at once, in the same thread.  That
 * call takes them from here instead of walking the path again.  They are
 * taken at most once, by a getattr of the same path for the same process
 * and user within FRESH_NS, and otherwise fetched as usual.
 */
#define FRESH_NS 20000000 /* 20 ms */
static _Thread_local struct {
	bool valid;
	pid_t pid;
	uid_t uid;
	uint64_t at;
	struct v9p_attr a;
	char path[PATH_MAX];
} fresh;

/* Keep @a, just fetched for @path, for the getattr that follows. */
static void fresh_keep(const char *path, const struct v9p_attr *a)
{
	const struct fuse_context *ctx = fuse_get_context();
	size_t n = strlen(path);

	fresh.valid = false;
	if (n >= sizeof(fresh.path))
		return;
	memcpy(fresh.path, path, n + 1);
	fresh.a = *a;
	fresh.pid = ctx->pid;
	fresh.uid = ctx->uid;
	fresh.at = mono_ns();
	fresh.valid = true;
}

/* The attributes fresh_keep() kept for @path, into @a, once. */
static bool fresh_take(const char *path, struct v9p_attr *a)
{
	const struct fuse_context *ctx = fuse_get_context();

	if (!fresh.valid)
		return false;
	fresh.valid = false;
	if (!path || strcmp(path, fresh.path) || ctx->pid != fresh.pid ||
	    ctx->uid != fresh.uid || mono_ns() - fresh.at > FRESH_NS)
		return false;
	*a = fresh.a;
	return true;
}

/*
 * Tgetattr on the open fid of @fi, else (no @fi, or a server that lost
 * the fid's file to a rename: diod looks fids up by a path it keeps) on a
 * fid walked to @path.
 */
static int m_getattr(const char *path, struct stat *st,
		     struct fuse_file_info *fi)
{
	struct mnt *m = mnt_of_ctx();
	struct v9p_attr a;
	struct v9p_fid *f;
	int rc;

	if (fresh_take(path, &a)) {
		attr_to_stat(&a, st);
		links_seen(m, path, a.qid.path, a.nlink, a.mode);
		dirs_seen(m, path, &a);
		return 0;
	}
	if (fi && v9p_getattr(fh_fid(fi), V9P_GETATTR_BASIC, &a) == 0) {
		attr_to_stat(&a, st);
		if (path) {
			links_seen(m, path, a.qid.path, a.nlink, a.mode);
			dirs_seen(m, path, &a);
		}
		return 0;
	}
	if (fi && (errno != ENOENT || !path))
		return err_now(m);
	for (int tries = 0;; tries++) {
		struct v9p_fid *root;
		struct fc_ent *ref;
		bool ok;

		f = hold(m, path, &root, &ref);
		if (!f)
			return err_now(m);
		ok = v9p_getattr(f, V9P_GETATTR_BASIC, &a) == 0;
		if (!ok && hold_stale(m, ref, tries)) {
			unhold(m, path, root, f, ref, false);
			continue;
		}
		rc = ok ? 0 : err_now(m);
		unhold(m, path, root, f, ref, ok);
		break;
	}
	if (rc == 0) {
		attr_to_stat(&a, st);
		links_seen(m, path, a.qid.path, a.nlink, a.mode);
		dirs_seen(m, path, &a);
	}
	return rc;
}

/*
 * Tsetattr @sa on the open fid of @fi, or on @path as m_getattr(), then
 * Tgetattr on the same fid for the getattr libfuse calls next
 * (fresh_keep()).  The file's other names (links_changed()) see the new
 * mode, owner, size or times at once.
 */
static int setattr(const char *path, struct fuse_file_info *fi,
		   const struct v9p_setattr *sa)
{
	struct mnt *m = mnt_of_ctx();
	struct v9p_attr a;
	struct v9p_fid *f;
	int rc;

	if (fi && v9p_setattr(fh_fid(fi), sa) == 0) {
		rc = 0;
		if (path && v9p_getattr(fh_fid(fi), V9P_GETATTR_BASIC, &a) == 0)
			fresh_keep(path, &a);
		goto out;
	}
	if (fi && (errno != ENOENT || !path))
		return err_now(m);
	for (int tries = 0;; tries++) {
		struct v9p_fid *root;
		struct fc_ent *ref;
		bool ok;

		f = hold(m, path, &root, &ref);
		if (!f)
			return err_now(m);
		ok = v9p_setattr(f, sa) == 0;
		if (!ok && hold_stale(m, ref, tries)) {
			unhold(m, path, root, f, ref, false);
			continue;
		}
		rc = ok ? 0 : err_now(m);
		if (ok && v9p_getattr(f, V9P_GETATTR_BASIC, &a) == 0)
			fresh_keep(path, &a);
		unhold(m, path, root, f, ref, ok);
		break;
	}
out:
	if (rc == 0 && path)
		links_changed(m, links_ino(m, path), path);
	return rc;
}

static int m_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct v9p_setattr sa = { .valid = V9P_SETATTR_MODE,
				  .mode = mode & 07777 };

	return setattr(path, fi, &sa);
}

static int m_chown(const char *path, uid_t uid, gid_t gid,
		   struct fuse_file_info *fi)
{
	struct v9p_setattr sa = { .uid = uid, .gid = gid };

	if (uid != (uid_t)-1)
		sa.valid |= V9P_SETATTR_UID;
	if (gid != (gid_t)-1)
		sa.valid |= V9P_SETATTR_GID;
	return sa.valid ? setattr(path, fi, &sa) : 0;
}

static int m_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct v9p_setattr sa = { .valid = V9P_SETATTR_SIZE };

	if (size < 0)
		return -EINVAL;
	sa.size = (uint64_t)size;
	return setattr(path, fi, &sa);
}

/* One time of utimensat(2) into @sa: @bit is V9P_SETATTR_ATIME or _MTIME,
 * @setbit its _SET partner. */
static void set_time(struct v9p_setattr *sa, const struct timespec *ts,
		     uint32_t bit, uint32_t setbit, uint64_t *sec,
		     uint64_t *nsec)
{
	if (ts->tv_nsec == UTIME_OMIT)
		return;
	sa->valid |= bit;
	if (ts->tv_nsec == UTIME_NOW)
		return; /* without _SET the server uses its own clock */
	sa->valid |= setbit;
	*sec = (uint64_t)ts->tv_sec;
	*nsec = (uint64_t)ts->tv_nsec;
}

static int m_utimens(const char *path, const struct timespec tv[2],
		     struct fuse_file_info *fi)
{
	struct v9p_setattr sa = { 0 };
	struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };

	if (!tv)
		tv = now;
	set_time(&sa, &tv[0], V9P_SETATTR_ATIME, V9P_SETATTR_ATIME_SET,
		 &sa.atime_sec, &sa.atime_nsec);
	set_time(&sa, &tv[1], V9P_SETATTR_MTIME, V9P_SETATTR_MTIME_SET,
		 &sa.mtime_sec, &sa.mtime_nsec);
	return sa.valid ? setattr(path, fi, &sa) : 0;
}

static int m_readlink(const char *path, char *buf, size_t size)
{
	struct mnt *m = mnt_of_ctx();
	struct v9p_fid *f = walk(m, path);
	char *target;
	size_t n;

	if (!f)
		return err_now(m);
	target = v9p_readlink(f);
	if (!target) {
		drop(f);
		return err_now(m);
	}
	clunk_later(m, f);
	if (size == 0) {
		free(target);
		return -EINVAL;
	}
	n = strlen(target);
	if (n >= size)
		n = size - 1; /* libfuse's contract: truncate */
	memcpy(buf, target, n);
	buf[n] = '\0';
	free(target);
	return 0;
}

static int m_statfs(const char *path, struct statvfs *out)
{
	struct mnt *m = mnt_of_ctx();
	struct v9p_statfs st;

	(void)path;
	if (v9p_statfs(m->c->root, &st) < 0)
		return err_now(m);
	memset(out, 0, sizeof(*out));
	out->f_bsize = st.bsize ? st.bsize : 4096;
	out->f_frsize = out->f_bsize;
	out->f_blocks = st.blocks;
	out->f_bfree = st.bfree;
	out->f_bavail = st.bavail;
	out->f_files = st.files;
	out->f_ffree = st.ffree;
	out->f_favail = st.ffree;
	out->f_fsid = (unsigned long)st.fsid;
	out->f_namemax = st.namelen ? st.namelen : V9P_NAME_MAX;
	return 0;
}

/* ---- names ------------------------------------------------------------- */

/*
 * The group of a file the caller creates in directory @dir: @dir's own
 * when it is set-group-ID (*@sgid set then), else the caller's, as v9fs
 * chooses it (a server such as QEMU's sets the group it is given, so the
 * set-group-ID rule is the client's to apply).  Costs a Tgetattr of @dir.
 */
static uint32_t new_gid(struct v9p_fid *dir, const char *path, bool *sgid)
{
	struct mnt *m = mnt_of_ctx();
	struct v9p_attr a;

	if (dirs_known(m, path, &a.mode, &a.gid))
		*sgid = a.mode & S_ISGID;
	else
		*sgid = v9p_getattr(dir, V9P_GETATTR_MODE | V9P_GETATTR_GID,
				    &a) == 0 && (a.mode & S_ISGID);
	return *sgid ? a.gid : fuse_get_context()->gid;
}

/*
 * A Tmkdir, Tmknod or Tsymlink in the parent folder of @path failed, yet
 * the server may have changed that folder: QEMU 7.2 makes the node, fails
 * to set its owner or mode (ENXIO for a FIFO, socket or device) and
 * removes it, which gives the folder a new mtime and ctime.  The kernel
 * drops a folder's cached attributes after a create that worked only, so
 * they are dropped here: stat(2) asks the server again, as v9fs, which
 * caches no attributes, would.
 */
static void parent_changed(struct mnt *m, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *parent;

	if (!slash)
		return;
	parent = slash == path ? strdup("/") :
				 strndup(path, (size_t)(slash - path));
	if (!parent)
		return;
	fuse_invalidate_path(m->fuse, parent);
	free(parent);
}

static int m_mkdir(const char *path, mode_t mode)
{
	struct mnt *m = mnt_of_ctx();
	struct v9p_fid *dir;
	const char *name;
	uint32_t gid;
	bool sgid;
	int rc = walk_parent(m, path, &dir, &name);

	if (rc < 0)
		return rc;
	gid = new_gid(dir, path, &sgid);
	/* A folder made in a set-group-ID one is set-group-ID too. */
	rc = v9p_mkdir(dir, name, (mode & 07777) | (sgid ? S_ISGID : 0), gid,
		       NULL) < 0 ? err_now(m) : 0;
	clunk_later(m, dir);
	if (rc < 0)
		parent_changed(m, path);
	return rc;
}

/* FIFOs, sockets, devices (and regular files, for mknod(2)): Tmknod. */
static int m_mknod(const char *path, mode_t mode, dev_t rdev)
{
	bool sgid;
	struct mnt *m = mnt_of_ctx();
	struct v9p_fid *dir;
	const char *name;
	int rc = walk_parent(m, path, &dir, &name);

	if (rc < 0)
		return rc;
	rc = v9p_mknod(dir, name, (uint32_t)(mode & (S_IFMT | 07777)),
		       major(rdev), minor(rdev), new_gid(dir, path, &sgid),
		       NULL) < 0 ? err_now(m) : 0;
	clunk_later(m, dir);
	if (rc < 0)
		parent_changed(m, path);
	return rc;
}

static int m_symlink(const char *target, const char *path)
{
	bool sgid;
	struct mnt *m = mnt_of_ctx();
	struct v9p_fid *dir;
	const char *name;
	int rc = walk_parent(m, path, &dir, &name);

	if (rc < 0)
		return rc;
	rc = v9p_symlink(dir, name, target, new_gid(dir, path, &sgid), NULL) < 0 ?
		     err_now(m) : 0;
	clunk_later(m, dir);
	if (rc < 0)
		parent_changed(m, path);
	return rc;
}

static int m_link(const char *from, const char *to)
{
	struct mnt *m = mnt_of_ctx();
	struct v9p_fid *f = walk(m, from), *dir;
	const char *name;
	int rc;

	if (!f)
		return err_now(m);
	rc = walk_parent(m, to, &dir, &name);
	if (rc < 0) {
		clunk_later(m, f);
		return rc;
	}
	rc = v9p_link(dir, f, name) < 0 ? err_now(m) : 0;
	if (rc == 0) {
		/* @from, and its other names, show one more link now. */
		fuse_invalidate_path(m->fuse, from);
		links_changed(m, v9p_fid_qid(f)->path, from);
	}
	clunk_later(m, dir);
	clunk_later(m, f);
	return rc;
}

/* unlink and rmdir: the kernel has checked the file's type already. */
static int remove_path(const char *path, bool isdir)
{
	struct mnt *m = mnt_of_ctx();
	struct v9p_fid *dir;
	const char *name;
	uint64_t ino = isdir ? 0 : links_ino(m, path);
	int rc = walk_parent(m, path, &dir, &name);

	if (rc < 0)
		return rc;
	rc = remove_at(dir, name, isdir) < 0 ? err_now(m) : 0;
	clunk_later(m, dir);
	fidcache_flush(m); /* kept fids may name what went */
	dirs_forget(m);
	if (rc == 0)
		links_changed(m, ino, path); /* its other names: one link less */
	return rc;
}

static int m_unlink(const char *path)
{
	return remove_path(path, false);
}

static int m_rmdir(const char *path)
{
	return remove_path(path, true);
}

static int m_rename(const char *from, const char *to, unsigned int flags)
{
	struct mnt *m = mnt_of_ctx();
	struct v9p_fid *odir, *ndir, *there;
	const char *oname, *nname;
	uint64_t replaced;
	int rc;

	if (flags & ~(unsigned int)RENAME_NOREPLACE)
		return -EINVAL;
	replaced = links_ino(m, to);
	rc = walk_parent(m, from, &odir, &oname);
	if (rc < 0)
		return rc;
	rc = walk_parent(m, to, &ndir, &nname);
	if (rc < 0) {
		clunk_later(m, odir);
		return rc;
	}
	if (flags & RENAME_NOREPLACE) {
		there = v9p_walk(ndir, nname);
		if (there) {
			clunk_later(m, there);
			rc = -EEXIST;
		} else if (errno != ENOENT) {
			rc = err_now(m);
		}
	}
	if (rc == 0)
		rc = rename_at(odir, oname, ndir, nname) < 0 ? err_now(m) : 0;
	fidcache_flush(m); /* kept fids may name what moved */
	dirs_forget(m);
	clunk_later(m, ndir);
	clunk_later(m, odir);
	if (rc == 0)
		links_changed(m, replaced, to); /* a file it replaced */
	return rc;
}

/* ---- open files ----------------------------------------------------------- */

/*
 * The open(2) flags that go to the server.  O_CREAT and O_EXCL reach
 * create() only; O_DIRECT (alignment), O_NOATIME (owner only), O_NOCTTY,
 * O_NONBLOCK and O_CLOEXEC mean nothing or harm there.
 */
static uint32_t open_flags(int flags)
{
	return (uint32_t)(flags & (O_ACCMODE | O_APPEND | O_TRUNC | O_SYNC |
				   O_DSYNC));
}

/*
 * Twalk and Tlopen, or, without O_TRUNC, an open fid of the same path and
 * flags kept since its close (fidcache.c), which sends nothing.
 */
static int m_open(const char *path, struct fuse_file_info *fi)
{
	struct mnt *m = mnt_of_ctx();
	uint32_t flags = open_flags(fi->flags);
	struct v9p_fid *root = NULL, *f = NULL;
	int rc;

	if (!(flags & O_TRUNC) && m->open_ttl_ns && !name_too_long(path)) {
		root = root_of(m);
		if (root)
			f = fidcache_take_open(m, root, path, flags);
	}
	if (!f) {
		f = walk(m, path);
		if (!f)
			return err_now(m);
		if (v9p_lopen(f, flags) < 0) {
			drop(f);
			return err_now(m);
		}
	}
	rc = fh_set(fi, f, flags, root);
	if (rc < 0)
		clunk_later(m, f);
	return rc;
}

static int m_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	bool sgid;
	struct mnt *m = mnt_of_ctx();
	struct v9p_fid *dir;
	const char *name;
	uint32_t flags = open_flags(fi->flags) | (uint32_t)(fi->flags & O_EXCL);
	int rc = walk_parent(m, path, &dir, &name);

	if (rc < 0)
		return rc;
	if (v9p_lcreate(dir, name, flags | O_CREAT, mode & 07777,
			new_gid(dir, path, &sgid)) < 0) {
		drop(dir);
		return err_now(m);
	}
	rc = fh_set(fi, dir, flags, NULL); /* Tlcreate made it the open file */
	if (rc < 0)
		clunk_later(m, dir);
	return rc;
}

static int m_opendir(const char *path, struct fuse_file_info *fi)
{
	struct mnt *m = mnt_of_ctx();
	struct v9p_fid *f = walk(m, path);
	int rc;

	if (!f)
		return err_now(m);
	if (v9p_lopen(f, O_RDONLY | O_DIRECTORY) < 0) {
		drop(f);
		return err_now(m);
	}
	rc = fh_set(fi, f, O_RDONLY, NULL);
	if (rc < 0)
		clunk_later(m, f);
	return rc;
}

static int m_release(const char *path, struct fuse_file_info *fi)
{
	struct mnt *m = mnt_of_ctx();
	struct ofile *of = (struct ofile *)(uintptr_t)fi->fh;

	if (of->root && path)
		fidcache_keep_open(m, of->root, path, of->flags, of->fid);
	else
		clunk_later(m, of->fid);
	free(of);
	return 0;
}

static int m_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	struct mnt *m = mnt_of_ctx();

	(void)path;
	return v9p_fsync(fh_fid(fi), datasync) < 0 ? err_now(m) : 0;
}

/* Data bytes per Tread/Twrite on @f. */
static uint32_t chunk_of(const struct mnt *m, const struct v9p_fid *f)
{
	uint32_t iou = v9p_fid_iounit(f);

	return iou && iou < m->chunk_max ? iou : m->chunk_max;
}

/*
 * Read into @rbuf, or write from @wbuf, @n bytes at @off with up to @win
 * requests in flight (at most m->window), each for the next chunk; they
 * are collected oldest first.  A short reply ends the transfer there (end of
 * file, or a full server) and the requests after it are collected and
 * ignored.  Returns the bytes done from @off without a gap, or -errno.
 * A read that fails part way fails as a whole: the kernel takes a short
 * read for the end of the file.
 */
static int pipelined(struct mnt *m, struct v9p_fid *f, uint32_t win,
		     char *rbuf, const char *wbuf, size_t n, uint64_t off)
{
	uint32_t chunk = chunk_of(m, f);
	struct v9p_op *ring[64];
	size_t sent = 0, done = 0, head = 0, inflight = 0;
	bool stop = false;
	int e = 0;

	if (win > m->window)
		win = m->window;
	if (win > sizeof(ring) / sizeof(ring[0]))
		win = sizeof(ring) / sizeof(ring[0]);
	if (n > INT_MAX)
		n = INT_MAX;
	for (;;) {
		size_t want;
		ssize_t got;

		while (!stop && sent < n && inflight < win) {
			uint32_t len = n - sent < chunk ? (uint32_t)(n - sent) :
							  chunk;
			struct v9p_op *op = rbuf ?
				v9p_read_start(f, off + sent, len) :
				v9p_write_start(f, off + sent, wbuf + sent, len);

			if (!op) {
				e = errno;
				stop = true;
				break;
			}
			ring[(head + inflight++) % win] = op;
			sent += len;
		}
		if (!inflight)
			break;
		/* The oldest request starts at @done, unless we stopped. */
		want = n - done < chunk ? n - done : chunk;
		got = v9p_op_wait(ring[head], rbuf ? rbuf + done : NULL, want);
		head = (head + 1) % win;
		inflight--;
		if (stop)
			continue; /* collect and ignore */
		if (got < 0) {
			e = errno;
			stop = true;
			continue;
		}
		done += (size_t)got;
		if ((size_t)got < want)
			stop = true;
	}
	if (e && (done == 0 || rbuf))
		return fail(m, e);
	return (int)done;
}

static int m_read(const char *path, char *buf, size_t size, off_t off,
		  struct fuse_file_info *fi)
{
	struct mnt *m = mnt_of_ctx();

	(void)path;
	if (off < 0)
		return -EINVAL;
	return pipelined(m, fh_fid(fi), m->window, buf, NULL, size,
			 (uint64_t)off);
}

static int m_write(const char *path, const char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	struct mnt *m = mnt_of_ctx();
	const struct ofile *of = (const struct ofile *)(uintptr_t)fi->fh;

	(void)path;
	if (off < 0)
		return -EINVAL;
	/* Appends one Twrite at a time: in flight at once, they would land
	 * in the order the server's threads take them. */
	return pipelined(m, of->fid, of->append ? 1 : m->window, NULL, buf,
			 size, (uint64_t)off);
}

/* Bytes of @name's entry in a readdirplus reply (struct fuse_direntplus). */
static size_t plus_size(const char *name)
{
	return fuse_add_direntry_plus(NULL, NULL, 0, name, NULL, 0);
}

/* links_seen() for the entry @na of directory @dir, of more than one
 * link. */
static void plus_links(struct mnt *m, const char *dir,
		       const struct name_attr *na)
{
	char *p;

	if (asprintf(&p, "%s/%s", strcmp(dir, "/") ? dir : "", na->name) < 0)
		return;
	links_seen(m, p, na->a.qid.path, na->a.nlink, na->a.mode);
	free(p);
}

static bool is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

/* Up to ATTR_BATCH entries of one Rreaddir and, for readdirplus, their
 * attributes. */
struct rd_batch {
	struct v9p_dirent de[ATTR_BATCH];
	struct name_attr na[ATTR_BATCH];
	int slot[ATTR_BATCH];	/* de[i]'s index in na, or -1 */
};

/*
 * Treaddir on the open fid from the kernel's offset (the 9P entry
 * offset), each chunk's entries filled in order until fill() says the
 * buffer is full.  For readdirplus, each batch of entries has its
 * attributes fetched first (attrs_fetch()) and goes with them
 * (FUSE_FILL_DIR_PLUS); ".", ".." and an entry whose walk or getattr
 * failed (it went away meanwhile, EACCES...) go without, as for readdir.
 * Attributes fetched for entries that do not fit are wasted, so a batch
 * holds no more entries than could fit in the last reply that came back
 * full (m->rd_room: the bytes it held plus those of the entry refused,
 * less one), at least one, so that hardly any are fetched for nothing.
 * When they all fit, the kernel's buffer has grown: the estimate is
 * dropped for the rest of the call and batches grow from one entry,
 * doubling, to ATTR_BATCH.
 */
static int m_readdir(const char *path, void *out, fuse_fill_dir_t fill,
		     off_t off, struct fuse_file_info *fi,
		     enum fuse_readdir_flags flags)
{
	struct mnt *m = mnt_of_ctx();
	struct v9p_fid *dir = fh_fid(fi);
	uint32_t cap = m->chunk_max;
	uint64_t pos = (uint64_t)off;
	bool plus = flags & FUSE_READDIR_PLUS;
	size_t room = plus ? atomic_load(&m->rd_room) : 0;
	size_t planned = 0, filled = 0, limit = ATTR_BATCH;
	char *buf = malloc(cap);
	struct rd_batch *b = malloc(sizeof(*b));
	int rc = 0;

	if (!buf || !b) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		size_t at = 0;
		ssize_t len = v9p_readdir(dir, pos, buf, cap);

		if (len < 0) {
			rc = err_now(m);
			break;
		}
		if (len == 0)
			break;
		for (;;) {
			size_t k = 0, nna = 0;
			bool capped = false, full = false;
			int r;

			while (k < limit) {
				struct v9p_dirent *de = &b->de[k];
				size_t was = at;

				r = v9p_dirent_next(buf, (size_t)len, &at, de);
				if (r <= 0)
					break;
				if (de->offset == 0 || de->offset > INT64_MAX) {
					r = -1; /* 0 would restart the listing */
					errno = EPROTO;
					break;
				}
				if (plus && room) {
					size_t sz = plus_size(de->name);

					if (k && planned + sz > room) {
						at = was; /* the next batch's */
						capped = true;
						break;
					}
					planned += sz;
				}
				k++;
			}
			if (r < 0) {
				rc = err_now(m);
				goto out;
			}
			for (size_t i = 0; plus && i < k; i++) {
				b->slot[i] = is_dot(b->de[i].name) ? -1 : (int)nna;
				if (b->slot[i] >= 0)
					b->na[nna++].name = b->de[i].name;
			}
			if (nna)
				attrs_fetch(dir, b->na, nna);
			for (size_t i = 0; i < k && !full; i++) {
				const struct v9p_dirent *de = &b->de[i];
				const struct name_attr *na =
					plus && b->slot[i] >= 0 ?
						&b->na[b->slot[i]] : NULL;
				struct stat st = {
					.st_ino = (ino_t)de->qid.path,
					.st_mode = (mode_t)((de->type & 017) << 12)
				};
				enum fuse_fill_dir_flags ff = 0;

				if (na && !na->err) {
					attr_to_stat(&na->a, &st);
					ff = FUSE_FILL_DIR_PLUS;
					if (na->a.nlink > 1)
						plus_links(m, path, na);
				}
				if (fill(out, de->name, &st, (off_t)de->offset,
					 ff)) {
					full = true;
					filled += plus_size(de->name) - 1;
					break;
				}
				filled += plus_size(de->name);
				pos = de->offset;
			}
			if (nna)
				attrs_release(b->na, nna);
			if (full) {
				if (plus)
					atomic_store(&m->rd_room, filled);
				goto out;
			}
			if (capped) {
				room = 0; /* all fitted: the estimate was short */
				limit = 1;
			} else if (limit < ATTR_BATCH) {
				limit *= 2;
			}
			if (r == 0)
				break; /* the end of this chunk */
		}
	}
out:
	free(b);
	free(buf);
	return rc;
}

const struct fuse_operations mount_ops = {
	.init = m_init,
	.getattr = m_getattr,
	.readlink = m_readlink,
	.mknod = m_mknod,
	.mkdir = m_mkdir,
	.unlink = m_unlink,
	.rmdir = m_rmdir,
	.symlink = m_symlink,
	.rename = m_rename,
	.link = m_link,
	.chmod = m_chmod,
	.chown = m_chown,
	.truncate = m_truncate,
	.open = m_open,
	.read = m_read,
	.write = m_write,
	.statfs = m_statfs,
	.release = m_release,
	.fsync = m_fsync,
	.opendir = m_opendir,
	.readdir = m_readdir,
	.releasedir = m_release,
	.create = m_create,
	.utimens = m_utimens,
};
