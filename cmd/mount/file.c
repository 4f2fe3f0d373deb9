// SPDX-License-Identifier: MIT
/*
 * file.c - `vio9p mount`'s open files: open, create, opendir,
 * release, fsync, and read and write with requests in flight
 * (pipelined()), for ops.c's table (ops.h)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>

#include "ops.h"

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
 * A fid for @path opened with @flags, or NULL with errno: Tlopen on the
 * fid the caller's lookup walked just before (fidcache_take()), else
 * Twalk and Tlopen; a taken fid whose file the server no longer knows
 * (ENOENT: renamed or removed by another client) is walked again.
 */
static struct v9p_fid *open_path(struct mnt *m, const char *path,
				 uint32_t flags)
{
	struct v9p_fid *root = name_too_long(path) ? NULL : root_of(m);
	struct v9p_fid *f = root ? fidcache_take(m, root, path) : NULL;

	if (f) {
		if (v9p_lopen(f, flags) == 0)
			return f;
		clunk_later(m, f);
		if (errno != ENOENT)
			return NULL;
	}
	f = walk(m, path);
	if (f && v9p_lopen(f, flags) < 0) {
		clunk_later(m, f);
		return NULL;
	}
	return f;
}

/*
 * open_path(), or, without O_TRUNC, an open fid of the same path and
 * flags kept since its close (fidcache.c), which sends nothing.
 */
int m_open(const char *path, struct fuse_file_info *fi)
{
	struct mnt *m = mnt_of_ctx();
	uint32_t flags = open_flags(fi->flags);
	struct v9p_fid *root = NULL, *f = NULL;
	uint64_t gen = fidcache_gen(m);
	int rc;

	if (!(flags & O_TRUNC) && m->open_ttl_ns && !name_too_long(path)) {
		root = root_of(m);
		if (root)
			f = fidcache_take_open(m, root, path, flags);
	}
	if (!f) {
		f = open_path(m, path, flags);
		if (!f)
			return err_now(m);
	}
	rc = fh_set(fi, f, flags, root);
	if (rc < 0)
		clunk_later(m, f);
	else
		((struct ofile *)(uintptr_t)fi->fh)->gen = gen;
	return rc;
}

int m_create(const char *path, mode_t mode, struct fuse_file_info *fi)
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

int m_opendir(const char *path, struct fuse_file_info *fi)
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

int m_release(const char *path, struct fuse_file_info *fi)
{
	struct mnt *m = mnt_of_ctx();
	struct ofile *of = (struct ofile *)(uintptr_t)fi->fh;

	if (of->root && path)
		fidcache_keep_open(m, of->root, path, of->flags, of->fid,
				   of->gen);
	else
		clunk_later(m, of->fid);
	free(of);
	return 0;
}

int m_fsync(const char *path, int datasync, struct fuse_file_info *fi)
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

int m_read(const char *path, char *buf, size_t size, off_t off,
		  struct fuse_file_info *fi)
{
	struct mnt *m = mnt_of_ctx();

	(void)path;
	if (off < 0)
		return -EINVAL;
	return pipelined(m, fh_fid(fi), m->window, buf, NULL, size,
			 (uint64_t)off);
}

int m_write(const char *path, const char *buf, size_t size, off_t off,
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
