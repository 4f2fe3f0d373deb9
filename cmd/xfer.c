// SPDX-License-Identifier: MIT
/*
 * xfer.c - get and put: copy files and trees between the export and the
 * local file system.
 *
 * A file is copied with up to v9p_window() Treads or Twrites in flight,
 * completed oldest first, under a temporary name in the destination
 * directory (".NAME.vio9p.PID.N"); only a complete copy is renamed to
 * its final name, and a failed one is removed, locally for get and on
 * the server for put.  Directories are created (or merged into) directly
 * and get their mode and times after their contents, so that -p works
 * on read-only directories too.  Errors name the source when reading
 * failed and the destination when writing failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

struct xfer {
	struct vctx *c;
	bool recurse, preserve;
	bool bar;	/* stderr is a terminal: draw progress */
};

/* ---- progress ------------------------------------------------------------ */

struct progress {
	bool on;
	const char *name;
	uint64_t total, done;
	struct timespec last;
};

static void human(uint64_t n, char *buf, size_t len)
{
	static const char units[] = "BKMGTP";
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f%c" : "%.0f%c", v, units[u]);
}

/* Redraw at most ten times a second, and always when @done reaches the
 * total; @end erases the line. */
static void progress(struct progress *p, uint64_t add, bool end)
{
	struct timespec now;
	char a[16], b[16], bar[21];
	unsigned int pct;

	if (!p->on)
		return;
	p->done += add;
	if (end) {
		fputs("\r\033[K", stderr);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - p->last.tv_sec) * 1000000000L +
		    (now.tv_nsec - p->last.tv_nsec) < 100000000L &&
	    p->done < p->total)
		return;
	p->last = now;
	pct = p->total ? (unsigned int)(p->done * 100 / p->total) : 100;
	if (pct > 100)
		pct = 100;
	memset(bar, '#', pct / 5);
	memset(bar + pct / 5, ' ', 20 - pct / 5);
	bar[20] = '\0';
	human(p->done, a, sizeof(a));
	human(p->total, b, sizeof(b));
	fprintf(stderr, "\r%-24.24s [%s] %3u%% %s/%s", p->name, bar, pct, a, b);
}

/* ---- pipelined copies -------------------------------------------------- */

/* Bytes per Tread/Twrite on @f: msize less the header, or the iounit. */
static uint32_t chunk_of(struct vctx *c, struct v9p_fid *f)
{
	uint32_t chunk = v9p_msize(c->s) - V9P_IOHDRSZ;
	uint32_t iounit = v9p_fid_iounit(f);

	return iounit && iounit < chunk ? iounit : chunk;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = read(fd, p + done, n - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/* Which side failed, for the diagnostic. */
enum side { SRC, DST };

/* Wait for the ops left in the ring after an error, keeping errno. */
static void drain(struct v9p_op **ring, uint32_t win, uint32_t head,
		  uint32_t n, void *buf, size_t len)
{
	int e = errno;

	for (uint32_t i = 0; i < n; i++)
		(void)v9p_op_wait(ring[(head + i) % win], buf, len);
	errno = e;
}

/*
 * Copy the open server file @f to @fd, keeping the window full of Treads.
 * A short Rread marks the end of the file.  0, or -1 with errno and *@who
 * telling which side failed.
 */
static int copy_from(struct vctx *c, struct v9p_fid *f, int fd,
		     struct progress *p, enum side *who)
{
	uint32_t win = v9p_window(c->s), chunk = chunk_of(c, f);
	uint32_t head = 0, n = 0;
	struct v9p_op **ring = calloc(win, sizeof(*ring));
	uint8_t *buf = malloc(chunk);
	uint64_t next = 0;
	bool eof = false;

	if (!ring || !buf)
		xerr("out of memory");
	*who = SRC;
	for (;;) {
		ssize_t got;

		while (!eof && n < win) {
			struct v9p_op *op = v9p_read_start(f, next, chunk);

			if (!op)
				goto fail;
			ring[(head + n++) % win] = op;
			next += chunk;
		}
		if (n == 0)
			break;
		got = v9p_op_wait(ring[head], buf, chunk);
		head = (head + 1) % win;
		n--;
		if (got < 0)
			goto fail;
		if (write_all(fd, buf, (size_t)got) < 0) {
			*who = DST;
			goto fail;
		}
		progress(p, (uint64_t)got, false);
		if ((uint32_t)got < chunk && !eof) {
			eof = true; /* later reads are past the end */
			drain(ring, win, head, n, buf, chunk);
			n = 0;
		}
	}
	free(ring);
	free(buf);
	return 0;

fail:
	drain(ring, win, head, n, buf, chunk);
	free(ring);
	free(buf);
	return -1;
}

/*
 * Copy @fd to the open server file @f, keeping the window full of
 * Twrites; each slot keeps its data so that the rest of a short Rwrite
 * can be sent again, which gives the server's real error (ENOSPC...).
 * As copy_from().
 */
static int copy_to(struct vctx *c, int fd, struct v9p_fid *f,
		   struct progress *p, enum side *who)
{
	uint32_t win = v9p_window(c->s), chunk = chunk_of(c, f);
	uint32_t head = 0, n = 0;
	struct v9p_op **ring = calloc(win, sizeof(*ring));
	uint32_t *sizes = calloc(win, sizeof(*sizes));
	uint64_t *offs = calloc(win, sizeof(*offs));
	uint8_t *bufs = malloc((size_t)win * chunk);
	uint64_t next = 0;
	bool eof = false;
	int rc = -1;

	if (!ring || !sizes || !offs || !bufs)
		xerr("out of memory");
	for (;;) {
		ssize_t got;

		while (!eof && n < win) {
			uint32_t slot = (head + n) % win;
			uint8_t *buf = bufs + (size_t)slot * chunk;
			ssize_t len = read_full(fd, buf, chunk);

			if (len < 0) {
				*who = SRC;
				goto out;
			}
			if (len == 0) {
				eof = true;
				break;
			}
			*who = DST;
			ring[slot] = v9p_write_start(f, next, buf, (uint32_t)len);
			if (!ring[slot])
				goto out;
			sizes[slot] = (uint32_t)len;
			offs[slot] = next;
			n++;
			next += (uint64_t)len;
			if ((uint32_t)len < chunk)
				eof = true;
		}
		if (n == 0)
			break;
		*who = DST;
		got = v9p_op_wait(ring[head], NULL, 0);
		if (got >= 0 && (uint32_t)got < sizes[head]) {
			size_t rest = sizes[head] - (size_t)got;
			ssize_t w = v9p_pwrite(f, bufs + (size_t)head * chunk + got,
					       rest, offs[head] + (uint64_t)got);

			if (w >= 0 && (size_t)w != rest)
				errno = ENOSPC; /* short again, and no reason */
			got = w >= 0 && (size_t)w == rest ? (ssize_t)sizes[head] : -1;
		}
		head = (head + 1) % win;
		n--;
		if (got < 0)
			goto out;
		progress(p, (uint64_t)got, false);
	}
	rc = 0;
out:
	drain(ring, win, head, n, NULL, 0);
	free(ring);
	free(sizes);
	free(offs);
	free(bufs);
	return rc;
}

/* Report a failure of @src -> @dst on @who's side; returns 1. */
static int fail(const char *verb, enum side who, const char *src,
		const char *dst)
{
	xwarn("%s %s", verb, who == SRC ? src : dst);
	return 1;
}

/* ---- get ----------------------------------------------------------------- */

/* Local file mode for a copy of @mode: all of it with -p, else the
 * permissions less the umask, as cp(1). */
static mode_t local_mode(struct xfer *x, uint32_t mode)
{
	if (x->preserve)
		return (mode_t)(mode & 07777u);
	return (mode_t)(mode & 0777u & ~(uint32_t)x->c->umask);
}

static void attr_times(const struct v9p_attr *a, struct timespec ts[2])
{
	ts[0].tv_sec = (time_t)a->atime_sec;
	ts[0].tv_nsec = (long)a->atime_nsec;
	ts[1].tv_sec = (time_t)a->mtime_sec;
	ts[1].tv_nsec = (long)a->mtime_nsec;
}

/* Local temporary path beside @dst; malloc'd. */
static char *local_temp(const char *dst)
{
	char *dir = path_dir(dst), *base = path_base(dst);
	char *tmp = temp_name(base), *p = path_join(*dir ? dir : ".", tmp);

	free(dir);
	free(base);
	free(tmp);
	return p;
}

static int get_file(struct xfer *x, struct v9p_fid *f,
		    const struct v9p_attr *a, const char *src, const char *dst)
{
	struct progress p = { .on = x->bar, .name = src, .total = a->size };
	char *tmp = local_temp(dst);
	struct timespec ts[2];
	enum side who = SRC;
	int fd = -1;

	if (v9p_lopen(f, O_RDONLY) < 0)
		goto out_fail;
	who = DST;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out_fail;
	if (copy_from(x->c, f, fd, &p, &who) < 0)
		goto out_unlink;
	progress(&p, 0, true);
	who = DST;
	attr_times(a, ts);
	if (fchmod(fd, local_mode(x, a->mode)) < 0 ||
	    (x->preserve && futimens(fd, ts) < 0))
		goto out_unlink;
	if (close(fd) < 0) {
		fd = -1;
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, dst) < 0)
		goto out_unlink;
	free(tmp);
	return 0;

out_unlink:
	progress(&p, 0, true);
	{
		int e = errno;

		if (fd >= 0)
			close(fd);
		unlink(tmp);
		errno = e;
	}
out_fail:
	free(tmp);
	return fail("get", who, src, dst);
}

static int get_link(struct xfer *x, struct v9p_fid *f,
		    const struct v9p_attr *a, const char *src, const char *dst)
{
	char *target = v9p_readlink(f), *tmp;
	struct timespec ts[2];

	if (!target)
		return fail("get", SRC, src, dst);
	tmp = local_temp(dst);
	attr_times(a, ts);
	if (symlink(target, tmp) < 0 ||
	    (x->preserve &&
	     utimensat(AT_FDCWD, tmp, ts, AT_SYMLINK_NOFOLLOW) < 0) ||
	    rename(tmp, dst) < 0) {
		int e = errno;

		unlink(tmp);
		errno = e;
		free(target);
		free(tmp);
		return fail("get", DST, src, dst);
	}
	free(target);
	free(tmp);
	return 0;
}

static int get_any(struct xfer *x, const char *src, const char *dst);

static int get_dir(struct xfer *x, struct v9p_fid *d,
		   const struct v9p_attr *a, const char *src, const char *dst)
{
	bool made = mkdir(dst, 0700) == 0;
	struct timespec ts[2];
	struct stat st;
	char **names;
	ssize_t n;
	int rval = 0;

	if (!made && (errno != EEXIST || stat(dst, &st) < 0 ||
		      !S_ISDIR(st.st_mode))) {
		if (errno == EEXIST)
			errno = ENOTDIR;
		return fail("get", DST, src, dst);
	}
	n = read_names(x->c, d, &names);
	if (n < 0)
		return fail("get", SRC, src, dst);
	for (ssize_t i = 0; i < n; i++) {
		char *s = path_join(src, names[i]);
		char *t = path_join(dst, names[i]);

		rval |= get_any(x, s, t);
		free(s);
		free(t);
	}
	free_names(names, (size_t)n);
	attr_times(a, ts);
	if (((made || x->preserve) && chmod(dst, local_mode(x, a->mode)) < 0) ||
	    (x->preserve && utimensat(AT_FDCWD, dst, ts, 0) < 0))
		rval |= fail("get", DST, src, dst);
	return rval;
}

static int get_any(struct xfer *x, const char *src, const char *dst)
{
	struct v9p_fid *f = walk_path(x->c, src);
	struct v9p_attr a;
	int rval;

	if (!f || v9p_getattr(f, V9P_GETATTR_BASIC, &a) < 0) {
		rval = fail("get", SRC, src, dst);
	} else if (S_ISREG(a.mode) || (S_ISLNK(a.mode) && !x->recurse)) {
		rval = get_file(x, f, &a, src, dst);
	} else if (S_ISDIR(a.mode) && x->recurse) {
		rval = get_dir(x, f, &a, src, dst);
	} else if (S_ISDIR(a.mode)) {
		errno = EISDIR;
		rval = fail("get", SRC, src, dst);
	} else if (S_ISLNK(a.mode)) {
		rval = get_link(x, f, &a, src, dst);
	} else {
		xwarnx("get %s: not a regular file, skipped", src);
		rval = 1;
	}
	if (f)
		v9p_clunk(f);
	return rval;
}

static int parse_xfer(struct xfer *x, struct vctx *c, int argc, char **argv)
{
	int ch;

	x->c = c;
	x->bar = isatty(STDERR_FILENO);
	while ((ch = getopt(argc, argv, "+pr")) != -1) {
		switch (ch) {
		case 'p': x->preserve = true; break;
		case 'r': x->recurse = true; break;
		default: return -1;
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return -1;
	return 0;
}

int cmd_get(struct vctx *c, int argc, char **argv)
{
	struct xfer x = { 0 };
	const char *src, *dst;
	struct stat st;
	char *target;
	int rval;

	if (parse_xfer(&x, c, argc, argv) < 0)
		return usage_verb(c->verb);
	src = argv[optind];
	dst = argc - optind == 2 ? argv[optind + 1] : ".";
	/* Into an existing directory under the source's name, as cp(1);
	 * the root's contents go into it directly. */
	if (stat(dst, &st) == 0 && S_ISDIR(st.st_mode) && !path_is_root(src)) {
		char *base = path_base(src);

		target = path_join(dst, base);
		free(base);
	} else {
		target = strdup(dst);
	}
	rval = get_any(&x, src, target);
	free(target);
	return rval;
}

/* ---- put ----------------------------------------------------------------- */

/* Tsetattr for a copy of @st: the mode (all of it with -p, else less the
 * umask) and with -p the times. */
static int put_attr(struct xfer *x, struct v9p_fid *f, const struct stat *st,
		    bool mode)
{
	struct v9p_setattr sa = { 0 };

	if (mode) {
		sa.valid |= V9P_SETATTR_MODE;
		sa.mode = (uint32_t)local_mode(x, st->st_mode);
	}
	if (x->preserve) {
		sa.valid |= V9P_SETATTR_ATIME | V9P_SETATTR_ATIME_SET |
			    V9P_SETATTR_MTIME | V9P_SETATTR_MTIME_SET;
		sa.atime_sec = (uint64_t)st->st_atim.tv_sec;
		sa.atime_nsec = (uint64_t)st->st_atim.tv_nsec;
		sa.mtime_sec = (uint64_t)st->st_mtim.tv_sec;
		sa.mtime_nsec = (uint64_t)st->st_mtim.tv_nsec;
	}
	return sa.valid ? v9p_setattr(f, &sa) : 0;
}

static int put_file(struct xfer *x, const char *src, const struct stat *st,
		    struct v9p_fid *dir, const char *name, const char *dst)
{
	struct progress p = { .on = x->bar, .name = src, .total = 0 };
	struct v9p_fid *f = NULL;
	char *tmp = temp_name(name);
	enum side who = SRC;
	int fd, e;

	p.total = (uint64_t)st->st_size;
	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out_fail;
	who = DST;
	f = v9p_walk(dir, NULL);
	if (!f || v9p_lcreate(f, tmp, O_WRONLY | O_CREAT | O_EXCL, 0600,
			      x->c->gid) < 0)
		goto out_fail;
	if (copy_to(x->c, fd, f, &p, &who) < 0)
		goto out_remove;
	progress(&p, 0, true);
	who = DST;
	if (put_attr(x, f, st, true) < 0 ||
	    rename_at(dir, tmp, dir, name) < 0)
		goto out_remove;
	close(fd);
	free(tmp);
	return v9p_clunk(f) < 0 ? fail("put", DST, src, dst) : 0;

out_remove:
	progress(&p, 0, true);
	e = errno;
	v9p_clunk(f);
	f = NULL;
	remove_at(dir, tmp, false);
	errno = e;
out_fail:
	e = errno;
	if (f)
		v9p_clunk(f);
	if (fd >= 0)
		close(fd);
	free(tmp);
	errno = e;
	return fail("put", who, src, dst);
}

static int put_link(struct xfer *x, const char *src, struct v9p_fid *dir,
		    const char *name, const char *dst)
{
	char target[4096], *tmp;
	ssize_t n = readlink(src, target, sizeof(target) - 1);

	if (n < 0)
		return fail("put", SRC, src, dst);
	target[n] = '\0';
	tmp = temp_name(name);
	if (v9p_symlink(dir, tmp, target, x->c->gid, NULL) < 0) {
		free(tmp);
		return fail("put", DST, src, dst);
	}
	if (rename_at(dir, tmp, dir, name) < 0) {
		int e = errno;

		remove_at(dir, tmp, false);
		free(tmp);
		errno = e;
		return fail("put", DST, src, dst);
	}
	free(tmp);
	return 0;
}

static int put_any(struct xfer *x, const char *src, struct v9p_fid *dir,
		   const char *name, const char *dst);

/* Copy the entries of local directory @src into the server directory @d. */
static int put_dir(struct xfer *x, const char *src, struct v9p_fid *d,
		   const char *dst)
{
	struct dirent **ents;
	int n = scandir(src, &ents, NULL, alphasort), rval = 0;

	if (n < 0)
		return fail("put", SRC, src, dst);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (strcmp(name, ".") && strcmp(name, "..")) {
			char *s = path_join(src, name);
			char *t = path_join(dst, name);

			rval |= put_any(x, s, d, name, t);
			free(s);
			free(t);
		}
		free(ents[i]);
	}
	free(ents);
	return rval;
}

/* Make (or reuse) directory @name in @dir for a copy of @src, fill it,
 * then give it its mode and times. */
static int put_tree(struct xfer *x, const char *src, const struct stat *st,
		    struct v9p_fid *dir, const char *name, const char *dst)
{
	uint32_t mode = (uint32_t)local_mode(x, st->st_mode) | 0700;
	bool made = v9p_mkdir(dir, name, mode, x->c->gid, NULL) == 0;
	struct v9p_fid *d;
	int rval;

	if (!made && errno != EEXIST)
		return fail("put", DST, src, dst);
	d = v9p_walk(dir, name);
	if (!d)
		return fail("put", DST, src, dst);
	if (!(v9p_fid_qid(d)->type & 0x80)) {
		v9p_clunk(d);
		errno = ENOTDIR;
		return fail("put", DST, src, dst);
	}
	rval = put_dir(x, src, d, dst);
	if ((made || x->preserve) && put_attr(x, d, st, true) < 0)
		rval |= fail("put", DST, src, dst);
	v9p_clunk(d);
	return rval;
}

static int put_any(struct xfer *x, const char *src, struct v9p_fid *dir,
		   const char *name, const char *dst)
{
	struct stat st;

	/* Recursive copies keep symbolic links; otherwise follow them. */
	if ((x->recurse ? lstat(src, &st) : stat(src, &st)) < 0)
		return fail("put", SRC, src, dst);
	if (S_ISREG(st.st_mode))
		return put_file(x, src, &st, dir, name, dst);
	if (S_ISDIR(st.st_mode) && x->recurse)
		return put_tree(x, src, &st, dir, name, dst);
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return fail("put", SRC, src, dst);
	}
	if (S_ISLNK(st.st_mode))
		return put_link(x, src, dir, name, dst);
	xwarnx("put %s: not a regular file, skipped", src);
	return 1;
}

int cmd_put(struct vctx *c, int argc, char **argv)
{
	struct xfer x = { 0 };
	const char *src, *dst;
	char *base, *dirpath, *name, *shown;
	struct v9p_fid *dir;
	struct v9p_attr a;
	int rval;

	if (parse_xfer(&x, c, argc, argv) < 0)
		return usage_verb(c->verb);
	src = argv[optind];
	dst = argc - optind == 2 ? argv[optind + 1] : "/";
	base = path_base(src);
	/* Into an existing directory under the source's name, as cp(1). */
	if (stat_path(c, dst, &a) == 0 && S_ISDIR(a.mode)) {
		dirpath = strdup(dst);
		name = strdup(base);
	} else {
		dirpath = path_dir(dst);
		name = path_base(dst);
	}
	shown = path_join(dirpath, name);
	dir = walk_path(c, dirpath);
	if (!dir) {
		rval = fail("put", DST, src, dst);
	} else if (!*name) {
		/* "put -r . /": the contents go into the directory itself. */
		struct stat st;

		if (stat(src, &st) < 0)
			rval = fail("put", SRC, src, dst);
		else if (!S_ISDIR(st.st_mode) || !x.recurse)
			errno = S_ISDIR(st.st_mode) ? EISDIR : EEXIST,
			rval = fail("put", SRC, src, dst);
		else
			rval = put_dir(&x, src, dir, shown);
	} else {
		rval = put_any(&x, src, dir, name, shown);
	}
	if (dir)
		v9p_clunk(dir);
	free(base);
	free(dirpath);
	free(name);
	free(shown);
	return rval;
}
