/* SPDX-License-Identifier: MIT */
/*
 * ops.h - private to the FUSE operations of `vio9p mount` (ops.c, attr.c,
 * names.c, file.c, readdir.c): the open file handle, the helpers they
 * share and the operations ops.c's table names.  Each is described where
 * it is defined.
 */
#ifndef VIO9P_CMD_MOUNT_OPS_H
#define VIO9P_CMD_MOUNT_OPS_H

#include <sys/stat.h>

#include "mount.h"

/*
 * An open file or directory: fi->fh.  @append: the server opened it with
 * O_APPEND, so that it puts each Twrite at the end of the file whatever
 * its offset, in the order the writes reach it.
 */
struct ofile {
	struct v9p_fid *fid;
	bool append;
	uint32_t flags;		/* as sent in Tlopen */
	struct v9p_fid *root;	/* the opener's root, when the fid may be
				 * kept at release (fidcache_keep_open()) */
	uint64_t gen;		/* fidcache_gen() before the open */
};

struct mnt *mnt_of_ctx(void);
struct v9p_fid *fh_fid(const struct fuse_file_info *fi);
int fh_set(struct fuse_file_info *fi, struct v9p_fid *f,
	   uint32_t flags, struct v9p_fid *root);
int fail(struct mnt *m, int e);
int err_now(struct mnt *m);
void drop(struct v9p_fid *f);
struct v9p_fid *root_of(struct mnt *m);
bool name_too_long(const char *path);
struct v9p_fid *walk(struct mnt *m, const char *path);
int on_held(struct mnt *m, const char *path,
	    int (*fn)(struct v9p_fid *f, void *arg), void *arg);
int walk_parent(struct mnt *m, const char *path, struct v9p_fid **dir,
		const char **name);
void attr_to_stat(const struct v9p_attr *a, struct stat *st);
void links_seen(struct mnt *m, const char *path, uint64_t ino,
		uint64_t nlink, uint32_t mode);
uint64_t links_ino(struct mnt *m, const char *path);
void links_changed(struct mnt *m, uint64_t ino, const char *except);
bool dirs_known(struct mnt *m, const char *path, uint32_t *mode,
		uint32_t *gid);
void dirs_forget(struct mnt *m);
int m_getattr(const char *path, struct stat *st,
	      struct fuse_file_info *fi);
int m_readlink(const char *path, char *buf, size_t size);
int m_chmod(const char *path, mode_t mode, struct fuse_file_info *fi);
int m_chown(const char *path, uid_t uid, gid_t gid,
	    struct fuse_file_info *fi);
int m_truncate(const char *path, off_t size, struct fuse_file_info *fi);
int m_statfs(const char *path, struct statvfs *out);
int m_utimens(const char *path, const struct timespec tv[2],
	      struct fuse_file_info *fi);
uint32_t new_gid(struct v9p_fid *dir, const char *path, bool *sgid);
int m_mknod(const char *path, mode_t mode, dev_t rdev);
int m_mkdir(const char *path, mode_t mode);
int m_unlink(const char *path);
int m_rmdir(const char *path);
int m_symlink(const char *target, const char *path);
int m_rename(const char *from, const char *to, unsigned int flags);
int m_link(const char *from, const char *to);
int m_open(const char *path, struct fuse_file_info *fi);
int m_read(const char *path, char *buf, size_t size, off_t off,
	   struct fuse_file_info *fi);
int m_write(const char *path, const char *buf, size_t size, off_t off,
	    struct fuse_file_info *fi);
int m_release(const char *path, struct fuse_file_info *fi);
int m_fsync(const char *path, int datasync, struct fuse_file_info *fi);
int m_opendir(const char *path, struct fuse_file_info *fi);
int m_create(const char *path, mode_t mode, struct fuse_file_info *fi);
int m_readdir(const char *path, void *out, fuse_fill_dir_t fill,
	      off_t off, struct fuse_file_info *fi,
	      enum fuse_readdir_flags flags);

#endif
