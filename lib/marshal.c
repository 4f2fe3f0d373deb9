// SPDX-License-Identifier: MIT
/*
 * marshal.c - little-endian put/get of 9P wire types, bounds-checked.
 *
 * Every function checks the room left before touching memory; on a short
 * buffer it sets b->bad and leaves the buffer alone.  Nothing here
 * allocates.
 */
#include <errno.h>
#include <string.h>

#include "marshal.h"

void v9p__buf_init(struct v9p_buf *b, void *data, size_t cap)
{
	b->data = data;
	b->cap = cap;
	b->pos = 0;
	b->bad = false;
}

/* Reserve @n bytes at the current position, or NULL (and bad). */
static uint8_t *take(struct v9p_buf *b, size_t n)
{
	uint8_t *p;

	if (b->bad || n > b->cap - b->pos) {
		b->bad = true;
		return NULL;
	}
	p = b->data + b->pos;
	b->pos += n;
	return p;
}

static void le_store(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t le_load(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_le(struct v9p_buf *b, uint64_t v, size_t n)
{
	uint8_t *p = take(b, n);

	if (p)
		le_store(p, v, n);
}

static uint64_t get_le(struct v9p_buf *b, size_t n)
{
	const uint8_t *p = take(b, n);

	return p ? le_load(p, n) : 0;
}

void v9p__put_u8(struct v9p_buf *b, uint8_t v) { put_le(b, v, 1); }
void v9p__put_u16(struct v9p_buf *b, uint16_t v) { put_le(b, v, 2); }
void v9p__put_u32(struct v9p_buf *b, uint32_t v) { put_le(b, v, 4); }
void v9p__put_u64(struct v9p_buf *b, uint64_t v) { put_le(b, v, 8); }
uint8_t v9p__get_u8(struct v9p_buf *b) { return (uint8_t)get_le(b, 1); }
uint16_t v9p__get_u16(struct v9p_buf *b) { return (uint16_t)get_le(b, 2); }
uint32_t v9p__get_u32(struct v9p_buf *b) { return (uint32_t)get_le(b, 4); }
uint64_t v9p__get_u64(struct v9p_buf *b) { return get_le(b, 8); }

void v9p__put_bytes(struct v9p_buf *b, const void *p, size_t n)
{
	uint8_t *d = take(b, n);

	if (d && n)
		memcpy(d, p, n);
}

uint8_t *v9p__put_room(struct v9p_buf *b, size_t n)
{
	return take(b, n);
}

void v9p__put_strn(struct v9p_buf *b, const char *s, size_t n)
{
	if (n > UINT16_MAX) {
		b->bad = true;
		return;
	}
	if (n + 2 > b->cap - b->pos) {
		b->bad = true;
		return;
	}
	v9p__put_u16(b, (uint16_t)n);
	v9p__put_bytes(b, s, n);
}

void v9p__put_str(struct v9p_buf *b, const char *s)
{
	v9p__put_strn(b, s ? s : "", s ? strlen(s) : 0);
}

void v9p__put_qid(struct v9p_buf *b, const struct v9p_qid *q)
{
	v9p__put_u8(b, q->type);
	v9p__put_u32(b, q->version);
	v9p__put_u64(b, q->path);
}

const uint8_t *v9p__get_bytes(struct v9p_buf *b, size_t n)
{
	return take(b, n);
}

struct v9p_str v9p__get_str(struct v9p_buf *b)
{
	struct v9p_str r = { NULL, 0 };
	uint16_t n = v9p__get_u16(b);
	const uint8_t *p = take(b, n);

	if (p) {
		r.s = (const char *)p;
		r.len = n;
	}
	return r;
}

void v9p__get_qid(struct v9p_buf *b, struct v9p_qid *q)
{
	q->type = v9p__get_u8(b);
	q->version = v9p__get_u32(b);
	q->path = v9p__get_u64(b);
}

void v9p__msg_begin(struct v9p_buf *b, uint8_t type, uint16_t tag)
{
	v9p__put_u32(b, 0);
	v9p__put_u8(b, type);
	v9p__put_u16(b, tag);
}

size_t v9p__msg_end(struct v9p_buf *b)
{
	if (b->bad || b->pos < V9P_HDRSZ || b->pos > UINT32_MAX) {
		errno = EMSGSIZE;
		return 0;
	}
	le_store(b->data, b->pos, 4);
	return b->pos;
}

void v9p__msg_set_tag(uint8_t *msg, uint16_t tag)
{
	le_store(msg + 5, tag, 2);
}

int v9p__str_copy(char *dst, size_t cap, struct v9p_str s)
{
	if ((size_t)s.len >= cap || (s.len && memchr(s.s, '\0', s.len)))
		return -1;
	if (s.len)
		memcpy(dst, s.s, s.len);
	dst[s.len] = '\0';
	return 0;
}
