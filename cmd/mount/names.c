// SPDX-License-Identifier: MIT
/*
 * names.c - `vio9p mount`'s operations on names: mkdir, mknod,
 * symlink, link, unlink, rmdir and rename, and the group of a new file,
 * for ops.c's table (ops.h)
 */
#include <errno.h>
#include <stdio.h> /* RENAME_NOREPLACE */
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "ops.h"

/* ---- names ------------------------------------------------------------- */

/*
 * The group of a file the caller creates in directory @dir: @dir's own
 * when it is set-group-ID (*@sgid set then), else the caller's, as v9fs
 * chooses it (a server such as QEMU's sets the group it is given, so the
 * set-group-ID rule is the client's to apply).  Costs a Tgetattr of @dir.
 */
uint32_t new_gid(struct v9p_fid *dir, const char *path, bool *sgid)
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

/* The end of a create in folder @dir, which @rc says how it went. */
static int made_in(struct mnt *m, struct v9p_fid *dir, const char *path,
		   int rc)
{
	clunk_later(m, dir);
	if (rc < 0)
		parent_changed(m, path);
	return rc;
}

int m_mkdir(const char *path, mode_t mode)
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
	return made_in(m, dir, path, rc);
}

/* FIFOs, sockets, devices (and regular files, for mknod(2)): Tmknod. */
int m_mknod(const char *path, mode_t mode, dev_t rdev)
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
	return made_in(m, dir, path, rc);
}

int m_symlink(const char *target, const char *path)
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
	return made_in(m, dir, path, rc);
}

int m_link(const char *from, const char *to)
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

int m_unlink(const char *path)
{
	return remove_path(path, false);
}

int m_rmdir(const char *path)
{
	return remove_path(path, true);
}

int m_rename(const char *from, const char *to, unsigned int flags)
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
