// SPDX-License-Identifier: MIT
/*
 * parse.c - the single checker of 9P2000.L replies.
 *
 * Every reply the library acts on passes through v9p__parse().  Like
 * plan9port's _fsrpc(), it checks the frame (size[4] equals the bytes
 * received, tag, type T+1 or Rlerror) and then that the body decodes to
 * exactly size[4] bytes with counts no larger than what was asked.  A reply
 * that fails any check is EPROTO; the data it carried is never used.
 */
#include <errno.h>
#include <string.h>

#include "parse.h"

static int proto_error(void)
{
	errno = EPROTO;
	return -1;
}

uint16_t v9p__peek_tag(const uint8_t *msg)
{
	return (uint16_t)(msg[5] | msg[6] << 8);
}

static void get_attr(struct v9p_buf *b, struct v9p_attr *a)
{
	a->valid = v9p__get_u64(b);
	v9p__get_qid(b, &a->qid);
	a->mode = v9p__get_u32(b);
	a->uid = v9p__get_u32(b);
	a->gid = v9p__get_u32(b);
	a->nlink = v9p__get_u64(b);
	a->rdev = v9p__get_u64(b);
	a->size = v9p__get_u64(b);
	a->blksize = v9p__get_u64(b);
	a->blocks = v9p__get_u64(b);
	a->atime_sec = v9p__get_u64(b);
	a->atime_nsec = v9p__get_u64(b);
	a->mtime_sec = v9p__get_u64(b);
	a->mtime_nsec = v9p__get_u64(b);
	a->ctime_sec = v9p__get_u64(b);
	a->ctime_nsec = v9p__get_u64(b);
	a->btime_sec = v9p__get_u64(b);
	a->btime_nsec = v9p__get_u64(b);
	a->gen = v9p__get_u64(b);
	a->data_version = v9p__get_u64(b);
}

static void get_statfs(struct v9p_buf *b, struct v9p_statfs *f)
{
	f->type = v9p__get_u32(b);
	f->bsize = v9p__get_u32(b);
	f->blocks = v9p__get_u64(b);
	f->bfree = v9p__get_u64(b);
	f->bavail = v9p__get_u64(b);
	f->files = v9p__get_u64(b);
	f->ffree = v9p__get_u64(b);
	f->fsid = v9p__get_u64(b);
	f->namelen = v9p__get_u32(b);
}

/* Decode the body of a reply of type want->ttype + 1; 0 or -1 (EPROTO). */
static int get_body(struct v9p_buf *b, const struct v9p_expect *want,
		    struct v9p_reply *r)
{
	switch (want->ttype) {
	case V9P_TVERSION:
		r->u.version.msize = v9p__get_u32(b);
		r->u.version.version = v9p__get_str(b);
		break;
	case V9P_TATTACH:
	case V9P_TMKDIR:
	case V9P_TSYMLINK:
	case V9P_TMKNOD:
		v9p__get_qid(b, &r->u.qid);
		break;
	case V9P_TLOPEN:
	case V9P_TLCREATE:
		v9p__get_qid(b, &r->u.open.qid);
		r->u.open.iounit = v9p__get_u32(b);
		break;
	case V9P_TWALK:
		r->u.walk.nwqid = v9p__get_u16(b);
		if (r->u.walk.nwqid > want->nwname ||
		    r->u.walk.nwqid > V9P_MAXWELEM)
			return proto_error();
		for (unsigned int i = 0; i < r->u.walk.nwqid; i++)
			v9p__get_qid(b, &r->u.walk.wqid[i]);
		break;
	case V9P_TREAD:
	case V9P_TREADDIR:
		r->u.io.count = v9p__get_u32(b);
		if (r->u.io.count > want->count)
			return proto_error();
		r->u.io.data = v9p__get_bytes(b, r->u.io.count);
		break;
	case V9P_TWRITE:
		r->u.io.count = v9p__get_u32(b);
		r->u.io.data = NULL;
		if (r->u.io.count > want->count)
			return proto_error();
		break;
	case V9P_TGETATTR:
		get_attr(b, &r->u.attr);
		break;
	case V9P_TSTATFS:
		get_statfs(b, &r->u.statfs);
		break;
	case V9P_TREADLINK:
		r->u.target = v9p__get_str(b);
		break;
	case V9P_TLOCK:
		r->u.lock_status = v9p__get_u8(b);
		break;
	case V9P_TGETLOCK:
		r->u.getlock.type = v9p__get_u8(b);
		r->u.getlock.start = v9p__get_u64(b);
		r->u.getlock.length = v9p__get_u64(b);
		r->u.getlock.proc_id = v9p__get_u32(b);
		r->u.getlock.client_id = v9p__get_str(b);
		break;
	case V9P_TSETATTR:
	case V9P_TRENAME:
	case V9P_TFSYNC:
	case V9P_TLINK:
	case V9P_TRENAMEAT:
	case V9P_TUNLINKAT:
	case V9P_TFLUSH:
	case V9P_TCLUNK:
	case V9P_TREMOVE:
		break; /* empty body */
	default:
		return proto_error();
	}
	return 0;
}

int v9p__parse(const uint8_t *msg, size_t len, const struct v9p_expect *want,
	       struct v9p_reply *out)
{
	struct v9p_buf b;
	uint32_t size;

	memset(out, 0, sizeof(*out));
	if (len < V9P_HDRSZ)
		return proto_error();
	/* The buffer is const to us; the marshaller only reads it here. */
	v9p__buf_init(&b, (uint8_t *)(uintptr_t)msg, len);
	size = v9p__get_u32(&b);
	out->type = v9p__get_u8(&b);
	out->tag = v9p__get_u16(&b);
	if (size != len || out->tag != want->tag)
		return proto_error();
	if (out->type == V9P_RLERROR) {
		uint32_t ecode = v9p__get_u32(&b);

		if (b.bad || b.pos != len)
			return proto_error();
		errno = ecode ? (int)ecode : EIO;
		if (ecode > 4095)
			errno = EIO;
		return -1;
	}
	if (out->type != want->ttype + 1)
		return proto_error();
	if (get_body(&b, want, out) < 0 || b.bad || b.pos != len)
		return proto_error();
	return 0;
}
