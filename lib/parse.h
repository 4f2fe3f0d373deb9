/* SPDX-License-Identifier: MIT */
/*
 * parse.h - decode and check one 9P2000.L reply.
 *
 * v9p__parse() is the one place that decides whether a reply is well
 * formed.  It never reads outside [msg, msg + len) and never allocates;
 * strings and data in the result point into @msg.
 */
#ifndef V9P_PARSE_H
#define V9P_PARSE_H

#include "marshal.h"

/* What the request asked for, so the reply can be checked against it. */
struct v9p_expect {
	uint8_t ttype;	 /* T-message type sent */
	uint16_t tag;	 /* tag it was sent with */
	uint32_t count;	 /* Tread/Treaddir/Twrite: count asked */
	uint16_t nwname; /* Twalk: names asked */
};

struct v9p_reply {
	uint8_t type;
	uint16_t tag;
	union {
		struct {
			uint32_t msize;
			struct v9p_str version;
		} version;
		struct v9p_qid qid; /* attach, mkdir, symlink, mknod */
		struct {
			struct v9p_qid qid;
			uint32_t iounit;
		} open; /* lopen, lcreate */
		struct {
			uint16_t nwqid;
			struct v9p_qid wqid[V9P_MAXWELEM];
		} walk;
		struct {
			uint32_t count;
			const uint8_t *data;
		} io; /* read, readdir (data) and write (count only) */
		struct v9p_attr attr;
		struct v9p_statfs statfs;
		struct v9p_str target; /* readlink */
		uint8_t lock_status;
		struct {
			uint8_t type;
			uint64_t start;
			uint64_t length;
			uint32_t proc_id;
			struct v9p_str client_id;
		} getlock;
	} u;
};

/*
 * v9p__parse() - check and decode the reply @msg of @len bytes.
 * Checks: len >= 7 and size[4] == len; tag == want->tag; type is
 * want->ttype + 1 or Rlerror; the body is complete and fills exactly
 * size[4] bytes; Rread/Rreaddir/Rwrite counts are at most want->count;
 * Rwalk has at most want->nwname qids; Rversion's version string is sane.
 * Returns 0, or -1 with errno: Rlerror's ecode (EIO for 0) or EPROTO.
 */
int v9p__parse(const uint8_t *msg, size_t len, const struct v9p_expect *want,
	       struct v9p_reply *out);

/* v9p__peek_tag() - tag of a message of at least 7 bytes. */
uint16_t v9p__peek_tag(const uint8_t *msg);

#endif
