// SPDX-License-Identifier: MIT
/*
 * xfer.c - get and put: copy files and trees between the export and the
 * local file system.
 *
 * A file is copied with the library's pipelined v9p_get_fd2() and
 * v9p_put_fd_sync(), whose progress callback draws the bar, under a temporary
 * name in the destination directory (".NAME.vio9p.PID.N"); only a
 * complete copy is renamed to its final name (put: after a Tfsync), and a
 * failed or interrupted one is removed, locally for get and on the server
 * for put.  Directories are created (or merged into) directly
 * and get their mode and times after their contents, so that -p works
 * on read-only directories too.  Errors name the source when reading
 * failed and the destination when writing failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
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

/* ---- modes and times ------------------------------------------------------ */

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

/* ---- interruption -------------------------------------------------------- */

/*
 * SIGINT, SIGTERM and SIGHUP (those not ignored when the command started)
 * are taken by a thread of their own, in sigwait(): it removes the
 * temporary file a copy is writing, if any, locally (get) or on the server
 * (put, through the same session: the library is thread-safe), then dies
 * of the signal.  The copying thread holds @lock from before it creates a
 * temporary until it is registered, and around the rename that makes it
 * final, so the signal thread sees each temporary either not yet there or
 * registered.  A second signal during the clean-up kills at once.
 */
static struct {
	pthread_mutex_t lock;
	sigset_t set;		/* the signals the thread waits for */
	int dfd;		/* get: the temporary is @name at @dfd */
	struct v9p_fid *dir;	/* put: it is @name in @dir on the server */
	const char *name;	/* NULL: no temporary */
} cleanup = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *signal_thread(void *arg)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int sig;

	(void)arg;
	if (sigwait(&cleanup.set, &sig) != 0)
		return NULL;
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&cleanup.set, s) == 1)
			sigaction(s, &dfl, NULL);
	pthread_sigmask(SIG_UNBLOCK, &cleanup.set, NULL);
	pthread_mutex_lock(&cleanup.lock);
	if (cleanup.name && cleanup.dir)
		remove_at(cleanup.dir, cleanup.name, false);
	else if (cleanup.name)
		unlinkat(cleanup.dfd, cleanup.name, 0);
	raise(sig);
	_exit(128 + sig); /* not reached */
}

/* Start the signal thread (once).  Exits on failure. */
static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	static bool started;
	pthread_t th;

	if (started)
		return;
	started = true;
	sigemptyset(&cleanup.set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;

		/* Ignored at the start (nohup, a background job): stays so. */
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			sigaddset(&cleanup.set, sigs[i]);
	}
	errno = pthread_sigmask(SIG_BLOCK, &cleanup.set, NULL);
	if (errno || (errno = pthread_create(&th, NULL, signal_thread, NULL)))
		xerr("signals");
	pthread_detach(th);
}

/* Register the temporary @name at @dfd (get) or in @dir (put), or none
 * (@name NULL), and drop the lock taken before it was created. */
static void temp_set(int dfd, struct v9p_fid *dir, const char *name)
{
	cleanup.dfd = dfd;
	cleanup.dir = dir;
	cleanup.name = name;
	pthread_mutex_unlock(&cleanup.lock);
}

static void temp_lock(void)
{
	pthread_mutex_lock(&cleanup.lock);
}

/* ---- get ------------------------------------------------------------------ */

/*
 * Local files are made relative to the descriptor of the directory they
 * go in (@dfd), by a name without '/' below the destination the user
 * named (at the top, @dfd is AT_FDCWD and the name that path): a
 * directory is entered with O_NOFOLLOW, a temporary is created with
 * O_EXCL, and renameat() replaces a name, never what it points to.  So
 * nothing is written outside the destination, also not through a
 * symbolic link that the server had get -r make earlier in the run.
 */

/* Temporary name beside @name (which may hold a path at the top);
 * malloc'd. */
static char *local_temp(const char *name)
{
	char *dir = path_dir(name), *base = path_base(name);
	char *tmp = temp_name(base), *p = path_join(dir, tmp);

	free(dir);
	free(base);
	free(tmp);
	return p;
}

static int get_file(struct xfer *x, struct v9p_fid *f,
		    const struct v9p_attr *a, const char *src, int dfd,
		    const char *name, const char *dst)
{
	struct progress p = { .on = x->bar, .name = src, .total = a->size };
	struct v9p_copy cp = { .progress = progress, .arg = &p };
	char *tmp = local_temp(name);
	struct timespec ts[2];
	enum side who = SRC;
	int fd = -1;

	if (v9p_lopen(f, O_RDONLY) < 0)
		goto out_fail;
	who = DST;
	temp_lock();
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	temp_set(dfd, NULL, fd < 0 ? NULL : tmp);
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
	temp_lock();
	if (renameat(dfd, tmp, dfd, name) < 0) {
		pthread_mutex_unlock(&cleanup.lock);
		goto out_unlink;
	}
	temp_set(-1, NULL, NULL);
	free(tmp);
	return 0;

out_unlink:
	progress_end(&p);
	{
		int e = errno;

		if (fd >= 0)
			close(fd);
		temp_lock();
		unlinkat(dfd, tmp, 0);
		temp_set(-1, NULL, NULL);
		errno = e;
	}
out_fail:
	free(tmp);
	return fail("get", who, src, dst);
}

static int get_link(struct xfer *x, struct v9p_fid *f,
		    const struct v9p_attr *a, const char *src, int dfd,
		    const char *name, const char *dst)
{
	char *target = v9p_readlink(f), *tmp;
	struct timespec ts[2];
	int rc;

	if (!target)
		return fail("get", SRC, src, dst);
	tmp = local_temp(name);
	attr_times(a, ts);
	temp_lock();
	rc = symlinkat(target, dfd, tmp);
	temp_set(dfd, NULL, rc < 0 ? NULL : tmp);
	if (rc == 0 && x->preserve)
		rc = utimensat(dfd, tmp, ts, AT_SYMLINK_NOFOLLOW);
	temp_lock();
	if (rc == 0)
		rc = renameat(dfd, tmp, dfd, name);
	if (rc < 0) {
		int e = errno;

		unlinkat(dfd, tmp, 0);
		errno = e;
	}
	temp_set(-1, NULL, NULL);
	free(target);
	free(tmp);
	return rc < 0 ? fail("get", DST, src, dst) : 0;
}

static int get_any(struct xfer *x, const char *src, int dfd,
		   const char *name, const char *dst, bool top);

/* Make (or merge into) directory @name at @dfd, fill it, then give it
 * its mode and times.  Only at the top may @name be a symbolic link (to a
 * directory): the user named it. */
static int get_dir(struct xfer *x, struct v9p_fid *d,
		   const struct v9p_attr *a, const char *src, int dfd,
		   const char *name, const char *dst, bool top)
{
	bool made = mkdirat(dfd, name, 0700) == 0, bad;
	struct timespec ts[2];
	char **names;
	ssize_t n;
	int sub, rval = 0;

	if (!made && errno != EEXIST)
		return fail("get", DST, src, dst);
	sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		     (top ? 0 : O_NOFOLLOW));
	if (sub < 0) {
		if (errno == ELOOP)
			errno = ENOTDIR; /* a symbolic link */
		return fail("get", DST, src, dst);
	}
	n = read_names(x->c, d, src, &names, &bad);
	if (n < 0) {
		close(sub);
		return fail("get", SRC, src, dst);
	}
	rval = bad;
	for (ssize_t i = 0; i < n; i++) {
		char *s = path_join(src, names[i]);
		char *t = path_join(dst, names[i]);

		rval |= get_any(x, s, sub, names[i], t, false);
		free(s);
		free(t);
	}
	free_names(names, (size_t)n);
	attr_times(a, ts);
	if (((made || x->preserve) && fchmod(sub, local_mode(x, a->mode)) < 0) ||
	    (x->preserve && futimens(sub, ts) < 0))
		rval |= fail("get", DST, src, dst);
	close(sub);
	return rval;
}

/*
 * Follow the symbolic link @f (attributes @a) at @path to the file it
 * names, as the kernel would with the export as the root (path_resolve()),
 * through at most 40 links: *@f and *@a are replaced.  0, or -1 with
 * errno (ELOOP, or the walk's: ENOENT for a dangling link).
 */
static int follow(struct xfer *x, const char *path, struct v9p_fid **f,
		  struct v9p_attr *a)
{
	char *cur = strdup(path);

	if (!cur)
		xerr("out of memory");
	for (int hops = 0; S_ISLNK(a->mode); hops++) {
		char *target = hops < 40 ? v9p_readlink(*f) : NULL;
		char *dir = path_dir(cur);
		int e;

		if (hops >= 40)
			errno = ELOOP;
		if (target) {
			free(cur);
			cur = path_resolve(dir, target);
		}
		free(dir);
		free(target);
		e = errno;
		v9p_clunk(*f);
		*f = target ? walk_path(x->c, cur) : NULL;
		if (!*f || v9p_getattr(*f, V9P_GETATTR_BASIC, a) < 0) {
			e = errno;
			if (*f)
				v9p_clunk(*f);
			*f = NULL;
			free(cur);
			errno = e;
			return -1;
		}
	}
	free(cur);
	return 0;
}

static int get_any(struct xfer *x, const char *src, int dfd,
		   const char *name, const char *dst, bool top)
{
	struct v9p_fid *f = walk_path(x->c, src);
	struct v9p_attr a;
	int rval;

	if (!f || v9p_getattr(f, V9P_GETATTR_BASIC, &a) < 0 ||
	    (S_ISLNK(a.mode) && !x->recurse && follow(x, src, &f, &a) < 0)) {
		rval = fail("get", SRC, src, dst);
	} else if (S_ISREG(a.mode)) {
		rval = get_file(x, f, &a, src, dfd, name, dst);
	} else if (S_ISDIR(a.mode) && x->recurse) {
		rval = get_dir(x, f, &a, src, dfd, name, dst, top);
	} else if (S_ISDIR(a.mode)) {
		errno = EISDIR;
		rval = fail("get", SRC, src, dst);
	} else if (S_ISLNK(a.mode)) {
		rval = get_link(x, f, &a, src, dfd, name, dst);
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
	catch_signals();
	rval = get_any(&x, src, AT_FDCWD, target, target, true);
	free(target);
	return rval;
}

/* ---- put ----------------------------------------------------------------- */

/* put has the server write the file back every so many bytes while the
 * copy goes on, so that the Tfsync before the rename waits for little. */
#define PUT_SYNC_EVERY (8u << 20)

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
	if (!f)
		goto out_fail;
	temp_lock();
	e = v9p_lcreate(f, tmp, O_WRONLY | O_CREAT | O_EXCL, 0600, x->c->gid);
	temp_set(-1, dir, e < 0 ? NULL : tmp);
	if (e < 0)
		goto out_fail;
	if (v9p_put_fd_sync(f, fd, &cp, PUT_SYNC_EVERY) < 0) {
		who = cp.fd_error ? SRC : DST;
		goto out_remove;
	}
	progress_end(&p);
	/* Durable before it is visible: no empty or partial file under
	 * the final name after a crash of the server's machine. */
	if (put_attr(x, f, st, true) < 0 || v9p_fsync(f, 0) < 0)
		goto out_remove;
	temp_lock();
	if (rename_at(dir, tmp, dir, name) < 0) {
		pthread_mutex_unlock(&cleanup.lock);
		goto out_remove;
	}
	temp_set(-1, NULL, NULL);
	close(fd);
	free(tmp);
	return v9p_clunk(f) < 0 ? fail("put", DST, src, dst) : 0;

out_remove:
	progress_end(&p);
	e = errno;
	v9p_clunk(f);
	f = NULL;
	temp_lock();
	remove_at(dir, tmp, false);
	temp_set(-1, NULL, NULL);
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
	temp_lock();
	if (v9p_symlink(dir, tmp, target, x->c->gid, NULL) < 0) {
		temp_set(-1, NULL, NULL);
		free(tmp);
		return fail("put", DST, src, dst);
	}
	if (rename_at(dir, tmp, dir, name) < 0) {
		int e = errno;

		remove_at(dir, tmp, false);
		temp_set(-1, NULL, NULL);
		free(tmp);
		errno = e;
		return fail("put", DST, src, dst);
	}
	temp_set(-1, NULL, NULL);
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
	catch_signals();
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
