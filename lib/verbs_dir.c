// SPDX-License-Identifier: MIT
/*
 * verbs_dir.c - readdir and the requests that change directory entries.
 */
#include <errno.h>
#include <string.h>

#include "rpc.h"

V9P_API ssize_t v9p_readdir(struct v9p_fid *dir, uint64_t off, void *buf,
			    size_t n)
{
	struct v9p_reply rep;
	struct v9p_req *r = v9p__req_fid(dir, V9P_TREADDIR);
	uint32_t count;

	if (!r)
		return -1;
	count = dir->s->msize - V9P_IOHDRSZ;
	if (n < count)
		count = (uint32_t)n;
	v9p__put_u64(&r->b, off);
	v9p__put_u32(&r->b, count);
	r->want.count = count;
	if (v9p__rpc(r, &rep) < 0)
		return v9p__req_fail(r);
	memcpy(buf, rep.u.io.data, rep.u.io.count);
	count = rep.u.io.count;
	v9p__req_free(r);
	return (ssize_t)count;
}

V9P_API int v9p_dirent_next(const void *buf, size_t len, size_t *pos,
			    struct v9p_dirent *de)
{
	struct v9p_buf b;
	struct v9p_str name;

	if (*pos >= len)
		return 0;
	v9p__buf_init(&b, (uint8_t *)(uintptr_t)buf, len);
	b.pos = *pos;
	v9p__get_qid(&b, &de->qid);
	de->offset = v9p__get_u64(&b);
	de->type = v9p__get_u8(&b);
	name = v9p__get_str(&b);
	if (b.bad || v9p__str_copy(de->name, sizeof(de->name), name) < 0) {
		errno = EPROTO;
		return -1;
	}
	*pos = b.pos;
	return 1;
}

/* Put gid[4], the last field of @r (Tmkdir, Tsymlink, Tmknod), run it and
 * store the new entry's qid in @qid unless NULL.  0 or -1. */
static int make_rpc(struct v9p_req *r, uint32_t gid, struct v9p_qid *qid)
{
	struct v9p_reply rep;

	v9p__put_u32(&r->b, gid);
	if (v9p__rpc_take(r, &rep) < 0)
		return -1;
	if (qid)
		*qid = rep.u.qid;
	return 0;
}

V9P_API int v9p_mkdir(struct v9p_fid *dir, const char *name, uint32_t mode,
		      uint32_t gid, struct v9p_qid *qid)
{
	struct v9p_req *r = v9p__req_fid(dir, V9P_TMKDIR);

	if (!r)
		return -1;
	v9p__put_str(&r->b, name);
	v9p__put_u32(&r->b, mode);
	return make_rpc(r, gid, qid);
}

V9P_API int v9p_symlink(struct v9p_fid *dir, const char *name,
			const char *target, uint32_t gid, struct v9p_qid *qid)
{
	struct v9p_req *r = v9p__req_fid(dir, V9P_TSYMLINK);

	if (!r)
		return -1;
	v9p__put_str(&r->b, name);
	v9p__put_str(&r->b, target);
	return make_rpc(r, gid, qid);
}

V9P_API int v9p_mknod(struct v9p_fid *dir, const char *name, uint32_t mode,
		      uint32_t major, uint32_t minor, uint32_t gid,
		      struct v9p_qid *qid)
{
	struct v9p_req *r = v9p__req_fid(dir, V9P_TMKNOD);

	if (!r)
		return -1;
	v9p__put_str(&r->b, name);
	v9p__put_u32(&r->b, mode);
	v9p__put_u32(&r->b, major);
	v9p__put_u32(&r->b, minor);
	return make_rpc(r, gid, qid);
}

/* Send @ttype (Tlink or Trename): fid[4] of @f, fid[4] of @other,
 * name[s].  0 or -1. */
static int fid_fid_name(struct v9p_fid *f, uint8_t ttype,
			const struct v9p_fid *other, const char *name)
{
	struct v9p_req *r;

	if (v9p__fid_check(other) < 0)
		return -1;
	r = v9p__req_fid(f, ttype);
	if (!r)
		return -1;
	v9p__put_u32(&r->b, other->fid);
	v9p__put_str(&r->b, name);
	return v9p__rpc_free(r);
}

V9P_API int v9p_link(struct v9p_fid *dir, struct v9p_fid *f, const char *name)
{
	return fid_fid_name(dir, V9P_TLINK, f, name);
}

V9P_API int v9p_rename(struct v9p_fid *f, struct v9p_fid *dir,
		       const char *name)
{
	return fid_fid_name(f, V9P_TRENAME, dir, name);
}

V9P_API int v9p_renameat(struct v9p_fid *olddir, const char *oldname,
			 struct v9p_fid *newdir, const char *newname)
{
	struct v9p_req *r;

	if (v9p__fid_check(newdir) < 0)
		return -1;
	r = v9p__req_fid(olddir, V9P_TRENAMEAT);
	if (!r)
		return -1;
	v9p__put_str(&r->b, oldname);
	v9p__put_u32(&r->b, newdir->fid);
	v9p__put_str(&r->b, newname);
	return v9p__rpc_free(r);
}

V9P_API int v9p_unlinkat(struct v9p_fid *dir, const char *name, uint32_t flags)
{
	struct v9p_req *r = v9p__req_fid(dir, V9P_TUNLINKAT);

	if (!r)
		return -1;
	v9p__put_str(&r->b, name);
	v9p__put_u32(&r->b, flags);
	return v9p__rpc_free(r);
}
