// SPDX-License-Identifier: MIT
/*
 * xfer.c - get and put: copy files and trees between the export and the
 * local file system.
 *
 * A file is copied with the library's pipelined v9p_get_fd2() and
 * v9p_put_fd2(), whose progress callback draws the bar, under a temporary
 * name in the destination directory (".NAME.vio9p.PID.N"); only a
 * complete copy is renamed to its final name, and a failed one is removed, locally for get and on
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

/* v9p_copy progress callback: @done of the file's bytes are copied.
 * Redraws at most ten times a second, and always at the total. */
static void progress(uint64_t done, void *arg)
{
	struct progress *p = arg;
	struct timespec now;
	char a[16], b[16], bar[21];
	unsigned int pct;

	if (!p->on)
		return;
	p->done = done;
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

/* Erase the progress line. */
static void progress_end(const struct progress *p)
{
	if (p->on)
		fputs("\r\033[K", stderr);
}

/* Which side failed, for the diagnostic. */
enum side { SRC, DST };

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
	struct v9p_copy cp = { .progress = progress, .arg = &p };
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
	if (v9p_get_fd2(f, fd, &cp) < 0) {
		who = cp.fd_error ? DST : SRC;
		goto out_unlink;
	}
	progress_end(&p);
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
	progress_end(&p);
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
	struct v9p_copy cp = { .progress = progress, .arg = &p };
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
	if (v9p_put_fd2(f, fd, &cp) < 0) {
		who = cp.fd_error ? SRC : DST;
		goto out_remove;
	}
	progress_end(&p);
	if (put_attr(x, f, st, true) < 0 ||
	    rename_at(dir, tmp, dir, name) < 0)
		goto out_remove;
	close(fd);
	free(tmp);
	return v9p_clunk(f) < 0 ? fail("put", DST, src, dst) : 0;

out_remove:
	progress_end(&p);
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
