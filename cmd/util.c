// SPDX-License-Identifier: MIT
/*
 * util.c - diagnostics, the bounded number parser, path and mode strings,
 * and server helpers shared by the verbs (walk, remove and rename with a
 * fallback for servers that lack Tunlinkat/Trenameat, reading a directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

static void vdiag(bool with_errno, const char *fmt, va_list ap)
{
	int e = errno;

	fflush(stdout);
	fputs("vio9p: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
	errno = e;
}

void xwarn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(true, fmt, ap);
	va_end(ap);
}

void xwarnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(false, fmt, ap);
	va_end(ap);
}

void xerr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(true, fmt, ap);
	va_end(ap);
	exit(1);
}

void xerrx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(false, fmt, ap);
	va_end(ap);
	exit(1);
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	      const char **errstr)
{
	unsigned long long v;
	char *end;

	*errstr = "invalid";
	if (!s || *s < '0' || *s > '9') /* no sign, no space */
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return -1;
	if (errno == ERANGE || v > max) {
		*errstr = "too large";
		return -1;
	}
	if (v < min) {
		*errstr = "too small";
		return -1;
	}
	*errstr = NULL;
	*out = v;
	return 0;
}

static void *xnull(void *p)
{
	if (!p)
		xerr("out of memory");
	return p;
}

/* Length of @path without trailing slashes. */
static size_t trimmed_len(const char *path)
{
	size_t n = strlen(path);

	while (n > 0 && path[n - 1] == '/')
		n--;
	return n;
}

char *path_base(const char *path)
{
	size_t end = trimmed_len(path), start = end;

	while (start > 0 && path[start - 1] != '/')
		start--;
	if (end - start == 1 && path[start] == '.')
		return xnull(strdup(""));
	return xnull(strndup(path + start, end - start));
}

char *path_dir(const char *path)
{
	size_t end = trimmed_len(path);

	while (end > 0 && path[end - 1] != '/')
		end--;
	return xnull(strndup(path, end));
}

char *path_join(const char *a, const char *b)
{
	size_t n = trimmed_len(a);
	const char *sep = n ? "/" : (*a == '/' ? "/" : "");
	char *p;

	while (*b == '/')
		b++;
	if (!*b)
		return n ? xnull(strndup(a, n)) : xnull(strdup(sep));
	if (asprintf(&p, "%.*s%s%s", (int)n, a, sep, b) < 0)
		xerr("out of memory");
	return p;
}

bool path_is_root(const char *path)
{
	for (const char *p = path; *p; p++) {
		if (*p == '/')
			continue;
		if (*p == '.' && (p[1] == '/' || p[1] == '\0'))
			continue;
		return false;
	}
	return true;
}

void mode_string(uint32_t mode, char buf[11])
{
	static const char rwx[] = "rwxrwxrwx";
	char t;

	switch (mode & S_IFMT) {
	case S_IFDIR: t = 'd'; break;
	case S_IFLNK: t = 'l'; break;
	case S_IFCHR: t = 'c'; break;
	case S_IFBLK: t = 'b'; break;
	case S_IFIFO: t = 'p'; break;
	case S_IFSOCK: t = 's'; break;
	default: t = '-'; break;
	}
	buf[0] = t;
	for (int i = 0; i < 9; i++)
		buf[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	if (mode & S_ISUID)
		buf[3] = (mode & S_IXUSR) ? 's' : 'S';
	if (mode & S_ISGID)
		buf[6] = (mode & S_IXGRP) ? 's' : 'S';
	if (mode & S_ISVTX)
		buf[9] = (mode & S_IXOTH) ? 't' : 'T';
	buf[10] = '\0';
}

const char *type_name(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "regular file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symbolic link";
	case S_IFCHR: return "character device";
	case S_IFBLK: return "block device";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	}
	return "unknown";
}

void time_string(uint64_t sec, const uint64_t *nsec, char *buf, size_t n)
{
	time_t t = (time_t)sec;
	struct tm tm;
	size_t len;

	if (!localtime_r(&t, &tm)) {
		snprintf(buf, n, "%llu", (unsigned long long)sec);
		return;
	}
	if (!nsec) {
		strftime(buf, n, "%Y-%m-%d %H:%M", &tm);
		return;
	}
	len = strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + len, n - len, ".%09llu",
		 (unsigned long long)(*nsec % 1000000000u));
	len = strlen(buf);
	strftime(buf + len, n - len, " %z", &tm);
}

struct v9p_fid *walk_path(struct vctx *c, const char *path)
{
	return v9p_walk(c->root, path);
}

int stat_path(struct vctx *c, const char *path, struct v9p_attr *a)
{
	struct v9p_fid *f = walk_path(c, path);
	int rc;

	if (!f)
		return -1;
	rc = v9p_getattr(f, V9P_GETATTR_BASIC, a);
	if (rc < 0) {
		int e = errno;

		v9p_clunk(f);
		errno = e;
		return -1;
	}
	return v9p_clunk(f);
}

/* Set once the server has answered EOPNOTSUPP, to skip the probe; atomic
 * because vio9p mount calls these from several threads. */
static atomic_bool no_unlinkat, no_renameat;

int remove_at(struct v9p_fid *dir, const char *name, bool isdir)
{
	struct v9p_fid *f;

	if (!no_unlinkat) {
		if (v9p_unlinkat(dir, name, isdir ? V9P_AT_REMOVEDIR : 0) == 0)
			return 0;
		if (errno != EOPNOTSUPP)
			return -1;
		no_unlinkat = true;
	}
	f = v9p_walk(dir, name);
	if (!f)
		return -1;
	return v9p_remove(f); /* frees f */
}

int rename_at(struct v9p_fid *olddir, const char *oldname,
	      struct v9p_fid *newdir, const char *newname)
{
	struct v9p_fid *f;
	int rc, e;

	if (!no_renameat) {
		if (v9p_renameat(olddir, oldname, newdir, newname) == 0)
			return 0;
		if (errno != EOPNOTSUPP)
			return -1;
		no_renameat = true;
	}
	f = v9p_walk(olddir, oldname);
	if (!f)
		return -1;
	rc = v9p_rename(f, newdir, newname);
	e = errno;
	v9p_clunk(f);
	errno = e;
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Print @name for a diagnostic: in double quotes, with a quote, a
 * backslash and bytes that are not printable ASCII as \ooo, so that a
 * server's name cannot write control sequences to the terminal. */
static void quote_name(const char *name, char *buf, size_t n)
{
	size_t at = 0;

	buf[at++] = '"';
	for (const unsigned char *p = (const unsigned char *)name;
	     *p && at + 6 < n; p++) {
		if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
			at += (size_t)snprintf(buf + at, n - at, "\\%03o", *p);
		else
			buf[at++] = (char)*p;
	}
	buf[at++] = '"';
	buf[at] = '\0';
}

/*
 * Whether @name, from an Rreaddir, may name an entry: not empty, no '/',
 * and "." or ".." only once each (*@dots counts them: 1 and 2).
 */
static bool good_name(const char *name, unsigned int *dots)
{
	unsigned int bit = !strcmp(name, ".") ? 1 : !strcmp(name, "..") ? 2 : 0;

	if (!*name || strchr(name, '/') || (bit && (*dots & bit)))
		return false;
	*dots |= bit;
	return true;
}

ssize_t read_names(struct vctx *c, struct v9p_fid *dir, const char *shown,
		   char ***out, bool *bad)
{
	size_t cap = v9p_msize(c->s) - V9P_IOHDRSZ, n = 0, room = 0;
	struct v9p_fid *d = v9p_walk(dir, NULL);
	char **names = NULL;
	unsigned int dots = 0;
	uint64_t off = 0;
	void *buf = xnull(malloc(cap));
	int e;

	*bad = false;
	if (!d)
		goto fail;
	if (v9p_lopen(d, O_RDONLY | O_DIRECTORY) < 0)
		goto fail;
	for (;;) {
		struct v9p_dirent de;
		size_t pos = 0;
		uint64_t asked = off;
		ssize_t len = v9p_readdir(d, off, buf, cap);
		int r;

		if (len < 0)
			goto fail;
		if (len == 0)
			break;
		while ((r = v9p_dirent_next(buf, (size_t)len, &pos, &de)) > 0) {
			off = de.offset;
			if (!good_name(de.name, &dots)) {
				char q[4 * V9P_NAME_MAX + 8];

				quote_name(de.name, q, sizeof(q));
				xwarnx("%s %s: bad name from the server: %s",
				       c->verb, shown, q);
				*bad = true;
				continue;
			}
			if (!strcmp(de.name, ".") || !strcmp(de.name, ".."))
				continue;
			if (n == room) {
				room = room ? 2 * room : 32;
				names = xnull(reallocarray(names, room,
							   sizeof(*names)));
			}
			names[n++] = xnull(strdup(de.name));
		}
		if (r < 0)
			goto fail;
		/* The next Treaddir would ask the same again, forever. */
		if (off == asked) {
			errno = EPROTO;
			goto fail;
		}
	}
	v9p_clunk(d);
	free(buf);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	*out = names;
	return (ssize_t)n;

fail:
	e = errno;
	v9p_clunk(d);
	free(buf);
	free_names(names, n);
	errno = e;
	return -1;
}

char *path_resolve(const char *dir, const char *target)
{
	size_t len = strlen(dir) + strlen(target) + 2, at = 0;
	char *copy = xnull(malloc(len)), *out = xnull(malloc(len));
	char *save = NULL, *name;

	snprintf(copy, len, "%s/%s", *target == '/' ? "" : dir, target);
	out[0] = '\0';
	for (name = strtok_r(copy, "/", &save); name;
	     name = strtok_r(NULL, "/", &save)) {
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			/* Back to the last '/', not above the root. */
			while (at > 0 && out[--at] != '/')
				;
			out[at] = '\0';
			continue;
		}
		at += (size_t)snprintf(out + at, len - at, "%s%s",
				       at ? "/" : "", name);
	}
	free(copy);
	return out;
}

char *temp_name(const char *name)
{
	static unsigned int seq;
	char *p;

	/* Keep the result within NAME_MAX whatever the name's length. */
	if (asprintf(&p, ".%.200s.vio9p.%ld.%u", name, (long)getpid(),
		     seq++) < 0)
		xerr("out of memory");
	return p;
}

void attrs_fetch(struct v9p_fid *dir, struct name_attr *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		e[i].f = NULL;
		e[i].op = v9p_walk_start(dir, e[i].name);
		e[i].err = e[i].op ? 0 : errno;
	}
	for (size_t i = 0; i < n; i++) {
		if (!e[i].op)
			continue;
		e[i].f = v9p_op_wait_fid(e[i].op);
		if (!e[i].f)
			e[i].err = errno;
	}
	for (size_t i = 0; i < n; i++) {
		e[i].op = NULL;
		if (!e[i].f)
			continue;
		e[i].op = v9p_getattr_start(e[i].f, V9P_GETATTR_BASIC);
		if (!e[i].op)
			e[i].err = errno;
	}
	for (size_t i = 0; i < n; i++)
		if (e[i].op && v9p_op_wait_attr(e[i].op, &e[i].a) < 0)
			e[i].err = errno;
}

void attrs_release(struct name_attr *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		e[i].op = e[i].f ? v9p_clunk_start(e[i].f) : NULL;
	for (size_t i = 0; i < n; i++) {
		if (e[i].op)
			v9p_op_wait(e[i].op, NULL, 0);
		e[i].f = NULL;
	}
}
