/* SPDX-License-Identifier: MIT */
/*
 * tags.h - pool of 9P tags with a hard limit.
 *
 * Tags 0..limit-1 come from a bitmap; a caller waits (on its session's
 * condition variable) while all are taken, so the limit is also the most
 * requests in flight.  NOTAG
 * (0xffff) is never handed out: Tversion uses it directly.  The caller
 * holds its session lock around every call.
 */
#ifndef V9P_TAGS_H
#define V9P_TAGS_H

#include <stdint.h>

/* Hard ceiling on any pool: tags below NOTAG. */
#define V9P_TAGS_MAX 1024

struct v9p_tagpool {
	uint64_t *bits;
	uint32_t limit;
	uint32_t used;
};

/* 0, or -1 with errno EINVAL (limit 0 or above V9P_TAGS_MAX) / ENOMEM. */
int v9p__tags_init(struct v9p_tagpool *p, uint32_t limit);
void v9p__tags_destroy(struct v9p_tagpool *p);
/* Take the lowest free tag: 0, or -1 with errno EAGAIN when all are
 * taken (the caller waits and retries). */
int v9p__tag_tryget(struct v9p_tagpool *p, uint16_t *tag);
/* Give back @tag, which must be taken. */
void v9p__tag_put(struct v9p_tagpool *p, uint16_t tag);

#endif
