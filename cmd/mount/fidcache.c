// SPDX-License-Identifier: MIT
/*
 * fidcache.c - fids of recently walked paths, kept for a while so that a
 * getattr, setattr or readlink by path, or the parent of a mkdir, unlink
 * or rename, needs no Twalk first.
 *
 * WHAT IS KEPT
 *	A path walked for an operation that leaves its fid as it was
 *	(Tgetattr, Tsetattr, Treadlink; the parent of Tmkdir, Tmknod,
 *	Tsymlink, Tlink, Tunlinkat, Trenameat) goes into a table of
 *	FIDCACHE_MAX entries, keyed by the root fid it was walked from (so
 *	per user) and the path, with the time of the walk.  A fid that is
 *	opened (Tlopen, Tlcreate) is never one from here: open, opendir and
 *	create walk their own.
 *
 *	Regular files opened without O_TRUNC keep their open fid for a
 *	while after the last close (fidcache_keep_open(), from release):
 *	an open of the same path with the same flags by the same user within
 *	m->open_ttl_ns takes it back (fidcache_take_open()) and sends
 *	nothing, where it would send Twalk and Tlopen.  Such a fid is the
 *	opener's alone: it leaves the table while open.  Reads and writes go
 *	to the server as ever (no data is kept), so the only difference is
 *	which file a name means during that time: the one opened before,
 *	should another client replace it under that name meanwhile.
 *
 * HOW LONG
 *	An entry serves for m->fid_ttl_ns after its walk: the shorter of the
 *	kernel's entry and attribute timeouts (1 s by default), the time for
 *	which the kernel itself would trust a name without asking; an open
 *	fid for m->open_ttl_ns after its close (at most OPEN_TTL_NS).  With
 *	either timeout 0 (the like-for-like mount against v9fs's cache=none)
 *	no open fid is kept, and a path fid serves only the same process
 *	within LINGER_NS of its walk: the kernel follows each LOOKUP of a
 *	stat(2) or open(2) with a GETATTR or an OPEN of the same name at
 *	once, and these take the fid the LOOKUP walked, as v9fs's calls take
 *	the fid of the dentry its lookup made, where they would walk again.
 *	The next system call of another process walks anew.
 *
 *	An open (m_open()) takes the path fid its own process walked in the
 *	LINGER_NS before (fidcache_take()), out of the table, and sends
 *	Tlopen on it, which the server checks; a fid opened never goes back
 *	to the path table.  Every unlink, rmdir and rename through the mount
 *	empties the table, since a kept fid may name what they moved or
 *	removed, and so does a chmod or chown (a Tsetattr of the mode, owner
 *	or group): a kept open fid would let its user open the file again
 *	without the Tlopen in which the server checks access, and a kept
 *	path fid skips the Twalk that checks search permission on the
 *	folders above.  A fid walked or opened before such a flush, and
 *	handed to the table after it, is clunked instead (fc_gen).  A kept fid still names the file it was walked to when
 *	another client renames or removes it meanwhile, as a v9fs dentry's
 *	fid does; a server that answers ENOENT for it has the entry dropped
 *	and the path walked again (fidcache_stale()).
 *
 * LOCKING AND LIFE
 *	m->fc_lock guards the table.  fidcache_get() hands out an entry's fid
 *	with a reference; fidcache_put() gives it back.  An entry dropped
 *	while referenced is unhooked from the table at once and its fid
 *	clunked (clunk_later()) at the last fidcache_put().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mount.h"

struct fc_ent {
	struct v9p_fid *root;	/* the user's root the path was walked from */
	struct v9p_fid *fid;
	char *path;
	uint64_t at;		/* CLOCK_MONOTONIC ns of the walk */
	unsigned int refs;	/* fidcache_get()s not yet put */
	bool gone;		/* out of the table: clunk at the last put */
	bool open;		/* opened with @flags, for fidcache_take_open() */
	uint32_t flags;
	pid_t pid;		/* the process the walk was for */
};

/* How long a path fid serves after its walk. */
static uint64_t walk_ttl(const struct mnt *m)
{
	return m->fid_ttl_ns ? m->fid_ttl_ns : LINGER_NS;
}

static pid_t caller(void)
{
	return fuse_get_context()->pid;
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Free @e, whose fid is clunked; under fc_lock or at the end. */
static void ent_free(struct mnt *m, struct fc_ent *e)
{
	clunk_later(m, e->fid);
	free(e->path);
	free(e);
}

/* Take slot @i out of the table: freed now, or at its last put. */
static void slot_drop(struct mnt *m, size_t i)
{
	struct fc_ent *e = m->fc[i];

	m->fc[i] = NULL;
	if (e->refs)
		e->gone = true;
	else
		ent_free(m, e);
}

/* Empty slot @i, whose entry no one holds, and give its fid to the caller. */
static struct v9p_fid *slot_take(struct mnt *m, size_t i)
{
	struct fc_ent *e = m->fc[i];
	struct v9p_fid *f = e->fid;

	m->fc[i] = NULL;
	free(e->path);
	free(e);
	return f;
}

struct v9p_fid *fidcache_get(struct mnt *m, struct v9p_fid *root,
			     const char *path, struct fc_ent **ref)
{
	struct v9p_fid *f = NULL;
	uint64_t now;

	*ref = NULL;
	now = mono_ns();
	pthread_mutex_lock(&m->fc_lock);
	for (size_t i = 0; i < FIDCACHE_MAX; i++) {
		struct fc_ent *e = m->fc[i];

		if (!e || e->open || e->root != root || strcmp(e->path, path) ||
		    (!m->fid_ttl_ns && e->pid != caller()))
			continue;
		if (now - e->at > walk_ttl(m)) {
			slot_drop(m, i);
			break;
		}
		e->refs++;
		*ref = e;
		f = e->fid;
		break;
	}
	pthread_mutex_unlock(&m->fc_lock);
	return f;
}

void fidcache_put(struct mnt *m, struct fc_ent *ref)
{
	pthread_mutex_lock(&m->fc_lock);
	if (--ref->refs == 0 && ref->gone)
		ent_free(m, ref);
	pthread_mutex_unlock(&m->fc_lock);
}

void fidcache_stale(struct mnt *m, struct fc_ent *ref)
{
	pthread_mutex_lock(&m->fc_lock);
	for (size_t i = 0; i < FIDCACHE_MAX; i++)
		if (m->fc[i] == ref)
			slot_drop(m, i);
	pthread_mutex_unlock(&m->fc_lock);
}

/* Keep @f for @path, opened with @flags when @open, unless the table was
 * flushed since @gen. */
static void add(struct mnt *m, struct v9p_fid *root, const char *path,
		struct v9p_fid *f, bool open, uint32_t flags, uint64_t gen)
{
	struct fc_ent *e;
	size_t i, old = 0;
	bool have = false;

	if (open && !m->open_ttl_ns)
		goto clunk;
	e = malloc(sizeof(*e));
	if (!e)
		goto clunk;
	*e = (struct fc_ent){ .root = root, .fid = f, .path = strdup(path),
			      .at = mono_ns(), .open = open, .flags = flags,
			      .pid = caller() };
	if (!e->path) {
		free(e);
		goto clunk;
	}
	pthread_mutex_lock(&m->fc_lock);
	if (gen != m->fc_gen) {
		pthread_mutex_unlock(&m->fc_lock);
		free(e->path);
		free(e);
		goto clunk;
	}
	/* The same path again (two threads walked it): the newer one stays.
	 * Open fids of a path may be several (several opens closed). */
	for (i = 0; i < FIDCACHE_MAX && !open; i++) {
		if (m->fc[i] && !m->fc[i]->open && m->fc[i]->root == root &&
		    !strcmp(m->fc[i]->path, path)) {
			slot_drop(m, i);
			break;
		}
	}
	/* A free slot, else the oldest. */
	for (i = 0; i < FIDCACHE_MAX; i++) {
		if (!m->fc[i])
			break;
		if (!have || m->fc[i]->at < m->fc[old]->at) {
			old = i;
			have = true;
		}
	}
	if (i == FIDCACHE_MAX) {
		i = old;
		slot_drop(m, i);
	}
	m->fc[i] = e;
	pthread_mutex_unlock(&m->fc_lock);
	return;
clunk:
	clunk_later(m, f);
}

void fidcache_add(struct mnt *m, struct v9p_fid *root, const char *path,
		  struct v9p_fid *f, uint64_t gen)
{
	add(m, root, path, f, false, 0, gen);
}

void fidcache_keep_open(struct mnt *m, struct v9p_fid *root,
			const char *path, uint32_t flags, struct v9p_fid *f,
			uint64_t gen)
{
	add(m, root, path, f, true, flags, gen);
}

struct v9p_fid *fidcache_take_open(struct mnt *m, struct v9p_fid *root,
				   const char *path, uint32_t flags)
{
	struct v9p_fid *f = NULL;
	uint64_t now;

	if (!m->open_ttl_ns)
		return NULL;
	now = mono_ns();
	pthread_mutex_lock(&m->fc_lock);
	for (size_t i = 0; i < FIDCACHE_MAX && !f; i++) {
		struct fc_ent *e = m->fc[i];

		if (!e || !e->open || e->root != root || e->flags != flags ||
		    strcmp(e->path, path))
			continue;
		if (now - e->at > m->open_ttl_ns) {
			slot_drop(m, i);
			continue;
		}
		f = slot_take(m, i);
	}
	pthread_mutex_unlock(&m->fc_lock);
	return f;
}

struct v9p_fid *fidcache_take(struct mnt *m, struct v9p_fid *root,
			      const char *path)
{
	struct v9p_fid *f = NULL;
	uint64_t now = mono_ns();

	pthread_mutex_lock(&m->fc_lock);
	for (size_t i = 0; i < FIDCACHE_MAX && !f; i++) {
		struct fc_ent *e = m->fc[i];

		if (!e || e->open || e->refs || e->root != root ||
		    e->pid != caller() || now - e->at > LINGER_NS ||
		    strcmp(e->path, path))
			continue;
		f = slot_take(m, i);
	}
	pthread_mutex_unlock(&m->fc_lock);
	return f;
}

void fidcache_flush(struct mnt *m)
{
	pthread_mutex_lock(&m->fc_lock);
	m->fc_gen++;
	for (size_t i = 0; i < FIDCACHE_MAX; i++)
		if (m->fc[i])
			slot_drop(m, i);
	pthread_mutex_unlock(&m->fc_lock);
}

uint64_t fidcache_gen(struct mnt *m)
{
	uint64_t gen;

	pthread_mutex_lock(&m->fc_lock);
	gen = m->fc_gen;
	pthread_mutex_unlock(&m->fc_lock);
	return gen;
}
