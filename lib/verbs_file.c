// SPDX-License-Identifier: MIT
/*
 * verbs_file.c - open, create, read, write, fsync, locks, readlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"

/* Run @r, a Tlopen or Tlcreate on @f, and keep the opened file's qid and
 * iounit in @f.  0 or -1. */
static int open_rpc(struct v9p_fid *f, struct v9p_req *r)
{
	struct v9p_reply rep;

	if (v9p__rpc_take(r, &rep) < 0)
		return -1;
	f->qid = rep.u.open.qid;
	f->iounit = rep.u.open.iounit;
	return 0;
}

/*
 * The host's open(2) flags as 9P2000.L values (Linux's P9_DOTL_*), one by
 * one: they are the same numbers only on some architectures.  O_SYNC is
 * O_DSYNC plus a bit of its own, so the two are mapped separately.  0 and
 * *@out, or -1 (EINVAL) for a flag 9P2000.L has no value for (O_PATH,
 * O_TMPFILE...): it is not passed on under another meaning.
 */
static int dotl_flags(uint32_t flags, uint32_t *out)
{
	static const struct {
		uint32_t host, dotl;
	} map[] = {
		{ O_CREAT, 00000100 },
		{ O_EXCL, 00000200 },
		{ O_NOCTTY, 00000400 },
		{ O_TRUNC, 00001000 },
		{ O_APPEND, 00002000 },
		{ O_NONBLOCK, 00004000 },
		{ O_DSYNC, 00010000 },
		{ O_ASYNC, 00020000 },
		{ O_DIRECT, 00040000 },
		{ O_LARGEFILE, 00100000 },
		{ O_DIRECTORY, 00200000 },
		{ O_NOFOLLOW, 00400000 },
		{ O_NOATIME, 01000000 },
		{ O_CLOEXEC, 02000000 },
		{ O_SYNC & ~O_DSYNC, 04000000 },
	};
	uint32_t rest = flags & ~(uint32_t)O_ACCMODE;

	/* O_RDONLY 0, O_WRONLY 1, O_RDWR 2 (and 3) are the same in both. */
	*out = flags & (uint32_t)O_ACCMODE;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].host && (rest & map[i].host) == map[i].host) {
			*out |= map[i].dotl;
			rest &= ~map[i].host;
		}
	}
	if (rest) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

V9P_API int v9p_lopen(struct v9p_fid *f, uint32_t flags)
{
	struct v9p_req *r;
	uint32_t dotl;

	if (dotl_flags(flags, &dotl) < 0)
		return -1;
	r = v9p__req_fid(f, V9P_TLOPEN);
	if (!r)
		return -1;
	v9p__put_u32(&r->b, dotl);
	return open_rpc(f, r);
}

V9P_API int v9p_lcreate(struct v9p_fid *dir, const char *name, uint32_t flags,
			uint32_t mode, uint32_t gid)
{
	struct v9p_req *r;
	uint32_t dotl;

	if (dotl_flags(flags, &dotl) < 0)
		return -1;
	r = v9p__req_fid(dir, V9P_TLCREATE);
	if (!r)
		return -1;
	v9p__put_str(&r->b, name);
	v9p__put_u32(&r->b, dotl);
	v9p__put_u32(&r->b, mode);
	v9p__put_u32(&r->b, gid);
	return open_rpc(dir, r);
}

/*
 * Read into @rbuf, or write from @wbuf, @n bytes at @off in Treads or
 * Twrites of at most v9p__io_max() bytes, one at a time; a short reply
 * (end of file, or a server out of room) ends the loop.  Writes send at
 * least one Twrite, even of 0 bytes.  Bytes done or -1.
 */
static ssize_t io_loop(struct v9p_fid *f, void *rbuf, const void *wbuf,
		       size_t n, uint64_t off)
{
	uint8_t *rp = rbuf;
	const uint8_t *wp = wbuf;
	size_t done = 0;

	if (v9p__fid_check(f) < 0)
		return -1;
	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	do {
		uint32_t want = n - done < v9p__io_max(f) ?
					(uint32_t)(n - done) : v9p__io_max(f);
		struct v9p_reply rep;
		struct v9p_req *r = rp ?
			v9p__req_io(f, V9P_TREAD, off + done, want, NULL) :
			v9p__req_io(f, V9P_TWRITE, off + done, want, wp + done);

		if (!r)
			return -1;
		if (v9p__rpc(r, &rep) < 0)
			return v9p__req_fail(r);
		if (rp)
			memcpy(rp + done, rep.u.io.data, rep.u.io.count);
		done += rep.u.io.count;
		v9p__req_free(r);
		if (rep.u.io.count < want)
			break;
	} while (done < n);
	return (ssize_t)done;
}

V9P_API ssize_t v9p_pread(struct v9p_fid *f, void *buf, size_t n,
			  uint64_t off)
{
	if (n == 0)
		return v9p__fid_check(f); /* no Tread for nothing */
	return io_loop(f, buf, NULL, n, off);
}

V9P_API ssize_t v9p_pwrite(struct v9p_fid *f, const void *buf, size_t n,
			   uint64_t off)
{
	return io_loop(f, NULL, buf, n, off);
}

V9P_API int v9p_fsync(struct v9p_fid *f, int datasync)
{
	struct v9p_req *r = v9p__req_fid(f, V9P_TFSYNC);

	if (!r)
		return -1;
	v9p__put_u32(&r->b, datasync ? 1 : 0);
	return v9p__rpc_free(r);
}

/* New Tlock (with @fl's flags) or Tgetlock on @f carrying @fl. */
static struct v9p_req *lock_req(struct v9p_fid *f, uint8_t ttype,
				const struct v9p_flock *fl)
{
	struct v9p_req *r = v9p__req_fid(f, ttype);

	if (!r)
		return NULL;
	v9p__put_u8(&r->b, fl->type);
	if (ttype == V9P_TLOCK)
		v9p__put_u32(&r->b, fl->flags);
	v9p__put_u64(&r->b, fl->start);
	v9p__put_u64(&r->b, fl->length);
	v9p__put_u32(&r->b, fl->proc_id);
	v9p__put_strn(&r->b, fl->client_id,
		      strnlen(fl->client_id, sizeof(fl->client_id)));
	return r;
}

V9P_API int v9p_lock(struct v9p_fid *f, const struct v9p_flock *fl,
		     uint8_t *status)
{
	struct v9p_reply rep;
	struct v9p_req *r = lock_req(f, V9P_TLOCK, fl);

	if (!r || v9p__rpc_take(r, &rep) < 0)
		return -1;
	*status = rep.u.lock_status;
	return 0;
}

V9P_API int v9p_getlock(struct v9p_fid *f, struct v9p_flock *fl)
{
	struct v9p_reply rep;
	struct v9p_req *r = lock_req(f, V9P_TGETLOCK, fl);

	if (!r)
		return -1;
	if (v9p__rpc(r, &rep) < 0)
		return v9p__req_fail(r);
	if (v9p__str_copy(fl->client_id, sizeof(fl->client_id),
			  rep.u.getlock.client_id) < 0) {
		errno = EPROTO;
		return v9p__req_fail(r);
	}
	fl->type = rep.u.getlock.type;
	fl->start = rep.u.getlock.start;
	fl->length = rep.u.getlock.length;
	fl->proc_id = rep.u.getlock.proc_id;
	v9p__req_free(r);
	return 0;
}

V9P_API char *v9p_readlink(struct v9p_fid *f)
{
	struct v9p_reply rep;
	struct v9p_req *r = v9p__req_fid(f, V9P_TREADLINK);
	char *t;

	if (!r)
		return NULL;
	if (v9p__rpc(r, &rep) < 0) {
		v9p__req_fail(r);
		return NULL;
	}
	t = malloc((size_t)rep.u.target.len + 1);
	if (!t) {
		errno = ENOMEM;
	} else if (v9p__str_copy(t, (size_t)rep.u.target.len + 1,
				 rep.u.target) < 0) {
		free(t);
		t = NULL;
		errno = EPROTO; /* a NUL inside the target */
	}
	v9p__req_fail(r);
	return t;
}
