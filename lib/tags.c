// SPDX-License-Identifier: MIT
/*
 * tags.c - bitmap tag pool.  All functions run with the session lock
 * held.
 */
#include <errno.h>
#include <stdlib.h>

#include "tags.h"

int v9p__tags_init(struct v9p_tagpool *p, uint32_t limit)
{
	if (limit == 0 || limit > V9P_TAGS_MAX) {
		errno = EINVAL;
		return -1;
	}
	p->bits = calloc((limit + 63) / 64, sizeof(*p->bits));
	if (!p->bits)
		return -1;
	p->limit = limit;
	p->used = 0;
	return 0;
}

void v9p__tags_destroy(struct v9p_tagpool *p)
{
	free(p->bits);
	p->bits = NULL;
}

int v9p__tag_tryget(struct v9p_tagpool *p, uint16_t *tag)
{
	if (p->used >= p->limit) {
		errno = EAGAIN;
		return -1;
	}
	for (uint32_t w = 0; w < (p->limit + 63) / 64; w++) {
		uint64_t free_bits = ~p->bits[w];

		if (!free_bits)
			continue;
		uint32_t t = w * 64 + (uint32_t)__builtin_ctzll(free_bits);

		if (t >= p->limit)
			break;
		p->bits[w] |= 1ull << (t % 64);
		p->used++;
		*tag = (uint16_t)t;
		return 0;
	}
	errno = EAGAIN;
	return -1;
}

void v9p__tag_put(struct v9p_tagpool *p, uint16_t tag)
{
	if (tag >= p->limit || !(p->bits[tag / 64] & (1ull << (tag % 64))))
		abort(); /* double free of a tag is a library bug */
	p->bits[tag / 64] &= ~(1ull << (tag % 64));
	p->used--;
}
