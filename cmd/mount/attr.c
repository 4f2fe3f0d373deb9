// SPDX-License-Identifier: MIT
/*
 * attr.c - `vio9p mount`'s attributes: getattr, setattr (chmod,
 * chown, truncate, utimens), readlink and statfs, the stat of a 9P
 * attribute, the paths of multiply linked files (links_*()) and the
 * modes and groups of folders getattr saw (dirs_*()), for ops.c's
 * table (ops.h)
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops.h"

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

void attr_to_stat(const struct v9p_attr *a, struct stat *st)
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
void links_seen(struct mnt *m, const char *path, uint64_t ino,
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
uint64_t links_ino(struct mnt *m, const char *path)
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
void links_changed(struct mnt *m, uint64_t ino, const char *except)
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
bool dirs_known(struct mnt *m, const char *path, uint32_t *mode,
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

void dirs_forget(struct mnt *m)
{
	pthread_mutex_lock(&m->dirs_lock);
	for (size_t i = 0; i < DIRS_MAX; i++)
		m->dirs[i].path[0] = '\0';
	pthread_mutex_unlock(&m->dirs_lock);
}

/* ---- metadata --------------------------------------------------------- */


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

/* on_held() step of m_getattr(): @arg is the struct v9p_attr to fill. */
static int getattr_held(struct v9p_fid *f, void *arg)
{
	return v9p_getattr(f, V9P_GETATTR_BASIC, arg);
}

/*
 * Tgetattr on the open fid of @fi, else (no @fi, or a server that lost
 * the fid's file to a rename: diod looks fids up by a path it keeps) on a
 * fid walked to @path.
 */
int m_getattr(const char *path, struct stat *st,
		     struct fuse_file_info *fi)
{
	struct mnt *m = mnt_of_ctx();
	struct v9p_attr a;
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
	rc = on_held(m, path, getattr_held, &a);
	if (rc == 0) {
		attr_to_stat(&a, st);
		links_seen(m, path, a.qid.path, a.nlink, a.mode);
		dirs_seen(m, path, &a);
	}
	return rc;
}

/* What setattr() hands its on_held() step. */
struct setattr_arg {
	const char *path;
	const struct v9p_setattr *sa;
};

/* on_held() step of setattr(): Tsetattr, then Tgetattr for fresh_keep(). */
static int setattr_held(struct v9p_fid *f, void *arg)
{
	const struct setattr_arg *sa = arg;
	struct v9p_attr a;

	if (v9p_setattr(f, sa->sa) < 0)
		return -1;
	if (v9p_getattr(f, V9P_GETATTR_BASIC, &a) == 0)
		fresh_keep(sa->path, &a);
	return 0;
}

/*
 * Tsetattr @sa on the open fid of @fi, or on @path as m_getattr(), then
 * Tgetattr on the same fid for the getattr libfuse calls next
 * (fresh_keep()).  The file's other names (links_changed()) see the new
 * mode, owner, size or times at once.  A new mode, owner or group may
 * take access away: the fid cache is emptied then (its open fids would
 * skip the server's check in Tlopen, its path fids the search
 * permission of a Twalk), and so are the modes and groups of folders.
 */
static int setattr(const char *path, struct fuse_file_info *fi,
		   const struct v9p_setattr *sa)
{
	struct mnt *m = mnt_of_ctx();
	struct setattr_arg arg = { .path = path, .sa = sa };
	struct v9p_attr a;
	int rc;

	if (fi && v9p_setattr(fh_fid(fi), sa) == 0) {
		rc = 0;
		if (path && v9p_getattr(fh_fid(fi), V9P_GETATTR_BASIC, &a) == 0)
			fresh_keep(path, &a);
		goto out;
	}
	if (fi && (errno != ENOENT || !path))
		return err_now(m);
	rc = on_held(m, path, setattr_held, &arg);
out:
	if (rc == 0 && (sa->valid & (V9P_SETATTR_MODE | V9P_SETATTR_UID |
				     V9P_SETATTR_GID))) {
		fidcache_flush(m);
		dirs_forget(m);
	}
	if (rc == 0 && path)
		links_changed(m, links_ino(m, path), path);
	return rc;
}

int m_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct v9p_setattr sa = { .valid = V9P_SETATTR_MODE,
				  .mode = mode & 07777 };

	return setattr(path, fi, &sa);
}

int m_chown(const char *path, uid_t uid, gid_t gid,
		   struct fuse_file_info *fi)
{
	struct v9p_setattr sa = { .uid = uid, .gid = gid };

	if (uid != (uid_t)-1)
		sa.valid |= V9P_SETATTR_UID;
	if (gid != (gid_t)-1)
		sa.valid |= V9P_SETATTR_GID;
	return sa.valid ? setattr(path, fi, &sa) : 0;
}

int m_truncate(const char *path, off_t size, struct fuse_file_info *fi)
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

int m_utimens(const char *path, const struct timespec tv[2],
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

int m_readlink(const char *path, char *buf, size_t size)
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

int m_statfs(const char *path, struct statvfs *out)
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
