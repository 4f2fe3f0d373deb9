// SPDX-License-Identifier: MIT
/*
 * files.c - verbs on names in the export: ls, stat, cat, mkdir, rm, mv
 * and ln.  Each operand that fails is reported ("vio9p: rm a: ...") and
 * the verb goes on with the next one, returning 1 at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

#define QTDIR 0x80
#define QTSYMLINK 0x02

/* Clunk @f keeping errno. */
static void drop(struct v9p_fid *f)
{
	int e = errno;

	v9p_clunk(f);
	errno = e;
}

/* ---- ls ------------------------------------------------------------------ */

struct ls_state {
	bool l, R;
	bool printed; /* something is on stdout: headers need a blank line */
};

/* Print @name (the display form) as ls does, with attributes for -l. */
static void ls_print(struct ls_state *ls, struct v9p_fid *f,
		     const struct v9p_attr *a, const char *name)
{
	char mode[11], when[64], *target = NULL;

	ls->printed = true;
	if (!ls->l) {
		printf("%s\n", name);
		return;
	}
	mode_string(a->mode, mode);
	time_string(a->mtime_sec, NULL, when, sizeof(when));
	if (S_ISLNK(a->mode))
		target = v9p_readlink(f);
	printf("%s %llu %u %u %llu %s %s%s%s\n", mode,
	       (unsigned long long)a->nlink, a->uid, a->gid,
	       (unsigned long long)a->size, when, name, target ? " -> " : "",
	       target ? target : "");
	free(target);
}

/*
 * ls -l and -R need the attributes of every entry: they are fetched in
 * batches of ATTR_BATCH names (attrs_fetch(), util.c), printed, and the
 * batch's fids clunked (attrs_release()).
 */
static int ls_dir(struct vctx *c, struct ls_state *ls, const char *path,
		  const char *shown, bool header)
{
	struct v9p_fid *d = walk_path(c, path);
	char **names = NULL, **subdirs;
	struct name_attr *e;
	size_t nsub = 0;
	ssize_t n;
	bool bad;
	int rval = 0;

	if (!d || (n = read_names(c, d, shown, &names, &bad)) < 0) {
		xwarn("ls %s", shown);
		if (d)
			drop(d);
		return 1;
	}
	rval = bad;
	if (header)
		printf("%s%s:\n", ls->printed ? "\n" : "", shown);
	ls->printed = true;
	subdirs = calloc((size_t)n + 1, sizeof(*subdirs));
	e = calloc(ATTR_BATCH, sizeof(*e));
	if (!subdirs || !e)
		xerr("out of memory");
	for (size_t at = 0; at < (size_t)n; at += ATTR_BATCH) {
		size_t k = (size_t)n - at < ATTR_BATCH ? (size_t)n - at : ATTR_BATCH;

		for (size_t i = 0; i < k; i++)
			e[i].name = names[at + i];
		if (ls->l || ls->R)
			attrs_fetch(d, e, k);
		for (size_t i = 0; i < k; i++) {
			if (e[i].err) {
				char *p = path_join(shown, e[i].name);

				errno = e[i].err;
				xwarn("ls %s", p);
				free(p);
				rval = 1;
				continue;
			}
			if (ls->R && S_ISDIR(e[i].a.mode))
				subdirs[nsub++] = names[at + i];
			ls_print(ls, e[i].f, &e[i].a, e[i].name);
		}
		attrs_release(e, k);
	}
	free(e);
	v9p_clunk(d);
	for (size_t i = 0; i < nsub; i++) {
		char *p = path_join(path, subdirs[i]);
		char *s = path_join(shown, subdirs[i]);

		rval |= ls_dir(c, ls, p, s, true);
		free(p);
		free(s);
	}
	free(subdirs);
	free_names(names, (size_t)n);
	return rval;
}

int cmd_ls(struct vctx *c, int argc, char **argv)
{
	struct ls_state ls = { 0 };
	char *root[] = { "/" };
	char **ops, **dirs;
	int ch, nops, ndirs = 0, rval = 0;

	while ((ch = getopt(argc, argv, "+lR")) != -1) {
		switch (ch) {
		case 'l': ls.l = true; break;
		case 'R': ls.R = true; break;
		default: return usage_verb(c->verb);
		}
	}
	ops = argv + optind;
	nops = argc - optind;
	if (nops == 0) {
		ops = root;
		nops = 1;
	}
	dirs = calloc((size_t)nops, sizeof(*dirs));
	if (!dirs)
		xerr("out of memory");
	/* Files first, in operand order, then each directory. */
	for (int i = 0; i < nops; i++) {
		struct v9p_fid *f = walk_path(c, ops[i]);
		struct v9p_attr a;

		if (!f || v9p_getattr(f, V9P_GETATTR_BASIC, &a) < 0) {
			xwarn("ls %s", ops[i]);
			if (f)
				drop(f);
			rval = 1;
			continue;
		}
		if (S_ISDIR(a.mode))
			dirs[ndirs++] = ops[i];
		else
			ls_print(&ls, f, &a, ops[i]);
		v9p_clunk(f);
	}
	for (int i = 0; i < ndirs; i++)
		rval |= ls_dir(c, &ls, dirs[i], dirs[i], nops > 1 || ls.R);
	free(dirs);
	return rval;
}

/* ---- stat ---------------------------------------------------------------- */

static int stat_one(struct vctx *c, const char *path)
{
	struct v9p_fid *f = walk_path(c, path);
	char mode[11], t[3][80], *target = NULL;
	struct v9p_attr a;

	/* Read a link before its attributes: reading it sets its atime. */
	if (f && (v9p_fid_qid(f)->type & QTSYMLINK))
		target = v9p_readlink(f);
	if (!f || v9p_getattr(f, V9P_GETATTR_BASIC, &a) < 0) {
		xwarn("stat %s", path);
		if (f)
			drop(f);
		free(target);
		return 1;
	}
	v9p_clunk(f);
	mode_string(a.mode, mode);
	time_string(a.atime_sec, &a.atime_nsec, t[0], sizeof(t[0]));
	time_string(a.mtime_sec, &a.mtime_nsec, t[1], sizeof(t[1]));
	time_string(a.ctime_sec, &a.ctime_nsec, t[2], sizeof(t[2]));
	printf("file: %s%s%s\n", path, target ? " -> " : "",
	       target ? target : "");
	printf("type: %s\nsize: %llu\nmode: %04o (%s)\n", type_name(a.mode),
	       (unsigned long long)a.size, a.mode & 07777u, mode);
	printf("uid: %u\ngid: %u\nlinks: %llu\ninode: %llu\n", a.uid, a.gid,
	       (unsigned long long)a.nlink, (unsigned long long)a.qid.path);
	printf("access: %s\nmodify: %s\nchange: %s\n", t[0], t[1], t[2]);
	free(target);
	return 0;
}

int cmd_stat(struct vctx *c, int argc, char **argv)
{
	int rval = 0;

	if (getopt(argc, argv, "+") != -1 || optind >= argc)
		return usage_verb(c->verb);
	for (int i = optind; i < argc; i++)
		rval |= stat_one(c, argv[i]);
	return rval;
}

/* ---- cat ----------------------------------------------------------------- */

static int cat_one(struct vctx *c, const char *path)
{
	struct v9p_fid *f = walk_path(c, path);

	if (f && (v9p_fid_qid(f)->type & QTDIR))
		errno = EISDIR;
	else if (f && v9p_lopen(f, O_RDONLY) == 0 &&
		 v9p_get_fd(f, STDOUT_FILENO) >= 0)
		return v9p_clunk(f) < 0 ? (xwarn("cat %s", path), 1) : 0;
	xwarn("cat %s", path);
	if (f)
		drop(f);
	return 1;
}

int cmd_cat(struct vctx *c, int argc, char **argv)
{
	int rval = 0;

	if (getopt(argc, argv, "+") != -1 || optind >= argc)
		return usage_verb(c->verb);
	fflush(stdout);
	for (int i = optind; i < argc; i++)
		rval |= cat_one(c, argv[i]);
	return rval;
}

/* ---- mkdir --------------------------------------------------------------- */

/* mkdir -p: walk each name, creating the missing ones. */
static int mkdir_parents(struct vctx *c, const char *path, uint32_t mode)
{
	char *copy = strdup(path), *save = NULL, *name;
	struct v9p_fid *cur = v9p_walk(c->root, NULL);
	int rc = 0;

	if (!copy)
		xerr("out of memory");
	for (name = strtok_r(copy, "/", &save); cur && name;
	     name = strtok_r(NULL, "/", &save)) {
		struct v9p_fid *next = v9p_walk(cur, name);

		if (!next && errno == ENOENT &&
		    v9p_mkdir(cur, name, mode, c->gid, NULL) == 0)
			next = v9p_walk(cur, name);
		if (next && !(v9p_fid_qid(next)->type & QTDIR)) {
			drop(next);
			next = NULL;
			errno = ENOTDIR;
		}
		drop(cur);
		cur = next;
	}
	if (!cur)
		rc = -1;
	else
		v9p_clunk(cur);
	free(copy);
	return rc;
}

static int mkdir_one(struct vctx *c, const char *path, uint32_t mode)
{
	char *dir = path_dir(path), *base = path_base(path);
	struct v9p_fid *d = NULL;
	int rc = -1;

	if (!*base)
		errno = EEXIST; /* the root */
	else if ((d = walk_path(c, dir)))
		rc = v9p_mkdir(d, base, mode, c->gid, NULL);
	if (d)
		drop(d);
	free(dir);
	free(base);
	return rc;
}

int cmd_mkdir(struct vctx *c, int argc, char **argv)
{
	uint32_t mode = 0777 & ~(uint32_t)c->umask;
	bool parents = false;
	int ch, rval = 0;

	while ((ch = getopt(argc, argv, "+p")) != -1) {
		if (ch != 'p')
			return usage_verb(c->verb);
		parents = true;
	}
	if (optind >= argc)
		return usage_verb(c->verb);
	for (int i = optind; i < argc; i++) {
		int rc = parents ? mkdir_parents(c, argv[i], mode) :
				   mkdir_one(c, argv[i], mode);

		if (rc < 0) {
			xwarn("mkdir %s", argv[i]);
			rval = 1;
		}
	}
	return rval;
}

/* ---- rm ------------------------------------------------------------------ */

/* Remove everything inside the directory @path (shown as @shown). */
static int rm_contents(struct vctx *c, const char *path)
{
	struct v9p_fid *d = walk_path(c, path);
	char **names;
	ssize_t n;
	bool bad;
	int rval;

	if (!d || (n = read_names(c, d, path, &names, &bad)) < 0) {
		xwarn("rm %s", path);
		if (d)
			drop(d);
		return 1;
	}
	rval = bad;
	for (ssize_t i = 0; i < n; i++) {
		char *p = path_join(path, names[i]);
		struct v9p_attr a;
		bool isdir;

		if (stat_path(c, p, &a) < 0) {
			xwarn("rm %s", p);
			rval = 1;
			free(p);
			continue;
		}
		isdir = S_ISDIR(a.mode);
		if (isdir)
			rval |= rm_contents(c, p);
		if (remove_at(d, names[i], isdir) < 0) {
			xwarn("rm %s", p);
			rval = 1;
		}
		free(p);
	}
	v9p_clunk(d);
	free_names(names, (size_t)n);
	return rval;
}

/* Whether the last name of @path (trailing slashes aside) is "." or "..". */
static bool ends_in_dot(const char *path)
{
	size_t end = strlen(path), start;

	while (end > 0 && path[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	return (end - start == 1 && path[start] == '.') ||
	       (end - start == 2 && !strncmp(path + start, "..", 2));
}

static int rm_one(struct vctx *c, const char *path, bool recurse)
{
	char *dir, *base;
	struct v9p_fid *d;
	struct v9p_attr a;
	int rval = 0;

	/* "d/.." is d's parent, which the caller did not name (GNU rm). */
	if (ends_in_dot(path)) {
		xwarnx("rm: refusing to remove '.' or '..' directory: "
		       "skipping '%s'", path);
		return 1;
	}
	if (path_is_root(path)) {
		xwarnx("rm %s: refusing to remove the root", path);
		return 1;
	}
	if (stat_path(c, path, &a) < 0) {
		xwarn("rm %s", path);
		return 1;
	}
	if (S_ISDIR(a.mode) && !recurse) {
		errno = EISDIR;
		xwarn("rm %s", path);
		return 1;
	}
	if (S_ISDIR(a.mode))
		rval = rm_contents(c, path);
	dir = path_dir(path);
	base = path_base(path);
	d = walk_path(c, dir);
	if (!d || remove_at(d, base, S_ISDIR(a.mode)) < 0) {
		xwarn("rm %s", path);
		rval = 1;
	}
	if (d)
		v9p_clunk(d);
	free(dir);
	free(base);
	return rval;
}

int cmd_rm(struct vctx *c, int argc, char **argv)
{
	bool recurse = false;
	int ch, rval = 0;

	while ((ch = getopt(argc, argv, "+r")) != -1) {
		if (ch != 'r')
			return usage_verb(c->verb);
		recurse = true;
	}
	if (optind >= argc)
		return usage_verb(c->verb);
	for (int i = optind; i < argc; i++)
		rval |= rm_one(c, argv[i], recurse);
	return rval;
}

/* ---- mv, ln -------------------------------------------------------------- */

int cmd_mv(struct vctx *c, int argc, char **argv)
{
	const char *src, *dst;
	char *sdir, *sbase, *target, *ddir, *dbase;
	struct v9p_fid *sd = NULL, *dd = NULL;
	struct v9p_attr a;
	int rval = 1;

	if (getopt(argc, argv, "+") != -1 || argc - optind != 2)
		return usage_verb(c->verb);
	src = argv[optind];
	dst = argv[optind + 1];
	sdir = path_dir(src);
	sbase = path_base(src);
	/* Into an existing directory, keeping the name, as mv(1). */
	if (stat_path(c, dst, &a) == 0 && S_ISDIR(a.mode))
		target = path_join(dst, sbase);
	else
		target = strdup(dst);
	ddir = path_dir(target);
	dbase = path_base(target);
	if (!*sbase || !*dbase)
		errno = EBUSY; /* the root cannot move */
	else if (!(sd = walk_path(c, sdir)))
		;
	else if (!(dd = walk_path(c, ddir)))
		src = dst;
	else if (rename_at(sd, sbase, dd, dbase) == 0)
		rval = 0;
	if (rval)
		xwarn("mv %s", src);
	if (sd)
		drop(sd);
	if (dd)
		drop(dd);
	free(sdir);
	free(sbase);
	free(target);
	free(ddir);
	free(dbase);
	return rval;
}

int cmd_ln(struct vctx *c, int argc, char **argv)
{
	const char *target, *link;
	char *dir, *base;
	struct v9p_fid *d = NULL;
	bool sym = false;
	int ch, rval = 1;

	while ((ch = getopt(argc, argv, "+s")) != -1) {
		if (ch != 's')
			return usage_verb(c->verb);
		sym = true;
	}
	if (!sym || argc - optind != 2)
		return usage_verb(c->verb);
	target = argv[optind];
	link = argv[optind + 1];
	dir = path_dir(link);
	base = path_base(link);
	if (!*base)
		errno = EEXIST;
	else if ((d = walk_path(c, dir)) &&
		 v9p_symlink(d, base, target, c->gid, NULL) == 0)
		rval = 0;
	if (rval)
		xwarn("ln %s", link);
	if (d)
		drop(d);
	free(dir);
	free(base);
	return rval;
}
