/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - private declarations of the vio9p(1) command.
 *
 * main.c parses the global options, picks the channel and runs one verb
 * from its table; files.c holds the verbs on server names (ls, stat, cat,
 * mkdir, rm, mv, ln), xfer.c the copies (get, put), mount/ the FUSE
 * file system (mount), relay/ the relay daemon, util.c diagnostics,
 * number parsing and server path helpers.
 *
 * Paths on the server are relative to the attached root; a leading '/'
 * is allowed and means the same.  Every verb returns its exit status: 0,
 * or 1 when anything failed (after warning and going on).
 */
#ifndef VIO9P_CMD_H
#define VIO9P_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "v9p.h"

/* What a verb works on; filled by main.c before the verb runs. */
struct vctx {
	const char *verb;	  /* for diagnostics: "vio9p: <verb> <path>: ..." */
	const char *addr;	  /* the channel: a device path or unix:/tcp: */
	bool is_dev;		  /* addr is a vio9p device */
	struct v9p_session *s;	  /* NULL for verbs that need no session */
	struct v9p_fid *root;	  /* attached root of the export */
	const char *aname;	  /* the export attached (-A), "" for the default */
	uint32_t gid;		  /* gid for new server files */
	mode_t umask;		  /* the process umask, applied to new files */
	uint32_t msize;		  /* -m, or 0 */
};

struct verb {
	const char *name;
	int (*fn)(struct vctx *c, int argc, char **argv);
	const char *usage;	  /* arguments after the verb name */
	bool session;		  /* needs a 9P session */
};

/* ---- util.c ----------------------------------------------------------- */

/* err(3)-style diagnostics that always say "vio9p:" whatever argv[0]. */
void xwarn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void xwarnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void xerr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void xerrx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Bounded number parser: 0 and *@out, or -1 with @errstr "invalid", "too
 * small" or "too large" (as strtonum(3)). */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	      const char **errstr);

/* Last name of @path (no slashes, may be "" for the root), malloc'd. */
char *path_base(const char *path);
/* @path without its last name, malloc'd ("" for the root). */
char *path_dir(const char *path);
/* "@a/@b" with exactly one slash between, malloc'd. */
char *path_join(const char *a, const char *b);
/* True when @path names the root ("", "/", "//", "/."...). */
bool path_is_root(const char *path);

/* ls-style mode string, e.g. "drwxr-xr-x", into @buf (11 bytes). */
void mode_string(uint32_t mode, char buf[11]);
/* Name of the file type of @mode: "regular file", "directory", ... */
const char *type_name(uint32_t mode);
/* "YYYY-MM-DD HH:MM" (or with seconds and nanoseconds when @nsec is not
 * NULL) in local time, into @buf. */
void time_string(uint64_t sec, const uint64_t *nsec, char *buf, size_t n);

/* Walk from the root to @path; NULL with errno. */
struct v9p_fid *walk_path(struct vctx *c, const char *path);
/* Getattr of @path (no fid kept). */
int stat_path(struct vctx *c, const char *path, struct v9p_attr *a);
/* Remove @name in directory @dir: Tunlinkat, or Twalk+Tremove on servers
 * without it.  @isdir asks for a directory (AT_REMOVEDIR). */
int remove_at(struct v9p_fid *dir, const char *name, bool isdir);
/* Rename @oldname in @olddir to @newname in @newdir: Trenameat, or
 * Twalk+Trename on servers without it. */
int rename_at(struct v9p_fid *olddir, const char *oldname,
	      struct v9p_fid *newdir, const char *newname);
/*
 * Read every entry name of the directory @dir (not opened yet; "." and
 * ".." left out), sorted.  Names from the server are not trusted: an empty
 * one, one with a '/', and a second "." or ".." are left out too, each
 * with a warning naming it ("vio9p: <verb> @shown: bad name from the
 * server: ...") and *@bad set.  Returns the count and *@names (free with
 * free_names()), or -1 with errno (EPROTO when an Rreaddir's last offset
 * is the one asked: the listing would never end).
 */
ssize_t read_names(struct vctx *c, struct v9p_fid *dir, const char *shown,
		   char ***names, bool *bad);
/* @target, a symbolic link's, resolved from the directory @dir (both
 * relative to the export's root) to a path without ".", ".." or empty
 * names; absolute targets start at the root and ".." stops there.
 * Malloc'd. */
char *path_resolve(const char *dir, const char *target);
void free_names(char **names, size_t n);
/*
 * The attributes of many names in one directory: a Twalk, a Tgetattr and a
 * Tclunk each, sent in steps with every request of a step in flight at
 * once: attrs_fetch() sends all the walks and collects them, then all the
 * getattrs; attrs_release() sends all the clunks.  A batch larger than
 * v9p_window() is fine: a start waits for a free slot, reading replies
 * meanwhile, so the channel stays full.  Callers use batches of
 * ATTR_BATCH names.
 */
#define ATTR_BATCH 64

struct name_attr {
	const char *name;	/* in: a name in the directory */
	struct v9p_op *op;	/* the request in flight */
	struct v9p_fid *f;	/* out: the name's fid (NULL when the walk
				 * failed), until attrs_release() */
	struct v9p_attr a;	/* out: the attributes, when err is 0 */
	int err;		/* out: errno of the walk or getattr that
				 * failed, else 0 */
};

/* Walk from @dir to each of the @n names of @e and get its attributes. */
void attrs_fetch(struct v9p_fid *dir, struct name_attr *e, size_t n);
/* Clunk the fids attrs_fetch() left in the @n entries of @e. */
void attrs_release(struct name_attr *e, size_t n);
/* A name for a temporary file beside @name: ".@name.vio9p.PID.N". */
char *temp_name(const char *name);

/* ---- verbs -------------------------------------------------------------- */

int cmd_list(struct vctx *c, int argc, char **argv);
int cmd_tag(struct vctx *c, int argc, char **argv);
int cmd_df(struct vctx *c, int argc, char **argv);
int cmd_ls(struct vctx *c, int argc, char **argv);
int cmd_stat(struct vctx *c, int argc, char **argv);
int cmd_cat(struct vctx *c, int argc, char **argv);
int cmd_mkdir(struct vctx *c, int argc, char **argv);
int cmd_rm(struct vctx *c, int argc, char **argv);
int cmd_mv(struct vctx *c, int argc, char **argv);
int cmd_ln(struct vctx *c, int argc, char **argv);
int cmd_get(struct vctx *c, int argc, char **argv);
int cmd_put(struct vctx *c, int argc, char **argv);
int cmd_mount(struct vctx *c, int argc, char **argv);
int cmd_relay(struct vctx *c, int argc, char **argv);

/* Print the usage of verb @name to stderr and return 1 (for a bad option). */
int usage_verb(const char *name);

#endif
