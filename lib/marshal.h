/* SPDX-License-Identifier: MIT */
/*
 * marshal.h - put and get 9P wire types (little-endian) in a bounded buffer.
 *
 * A struct v9p_buf never reads or writes past @cap: a put that does not fit
 * or a get past the end sets @bad and does nothing (gets return 0/NULL),
 * so a caller can do a run of puts or gets and check @bad once.
 */
#ifndef V9P_MARSHAL_H
#define V9P_MARSHAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "v9p.h"

struct v9p_buf {
	uint8_t *data;
	size_t cap;
	size_t pos;
	bool bad;
};

/* A 9P string: @len bytes at @s, not NUL terminated. */
struct v9p_str {
	const char *s;
	uint16_t len;
};

/* 9P message types used by this library. */
enum {
	V9P_TLERROR = 6, V9P_RLERROR,
	V9P_TSTATFS = 8, V9P_RSTATFS,
	V9P_TLOPEN = 12, V9P_RLOPEN,
	V9P_TLCREATE = 14, V9P_RLCREATE,
	V9P_TSYMLINK = 16, V9P_RSYMLINK,
	V9P_TMKNOD = 18, V9P_RMKNOD,
	V9P_TRENAME = 20, V9P_RRENAME,
	V9P_TREADLINK = 22, V9P_RREADLINK,
	V9P_TGETATTR = 24, V9P_RGETATTR,
	V9P_TSETATTR = 26, V9P_RSETATTR,
	V9P_TREADDIR = 40, V9P_RREADDIR,
	V9P_TFSYNC = 50, V9P_RFSYNC,
	V9P_TLOCK = 52, V9P_RLOCK,
	V9P_TGETLOCK = 54, V9P_RGETLOCK,
	V9P_TLINK = 70, V9P_RLINK,
	V9P_TMKDIR = 72, V9P_RMKDIR,
	V9P_TRENAMEAT = 74, V9P_RRENAMEAT,
	V9P_TUNLINKAT = 76, V9P_RUNLINKAT,
	V9P_TVERSION = 100, V9P_RVERSION,
	V9P_TATTACH = 104, V9P_RATTACH,
	V9P_TFLUSH = 108, V9P_RFLUSH,
	V9P_TWALK = 110, V9P_RWALK,
	V9P_TREAD = 116, V9P_RREAD,
	V9P_TWRITE = 118, V9P_RWRITE,
	V9P_TCLUNK = 120, V9P_RCLUNK,
	V9P_TREMOVE = 122, V9P_RREMOVE,
};

/* size[4] type[1] tag[2] */
#define V9P_HDRSZ 7
/* qid: type[1] version[4] path[8] */
#define V9P_QIDSZ 13

void v9p__buf_init(struct v9p_buf *b, void *data, size_t cap);

void v9p__put_u8(struct v9p_buf *b, uint8_t v);
void v9p__put_u16(struct v9p_buf *b, uint16_t v);
void v9p__put_u32(struct v9p_buf *b, uint32_t v);
void v9p__put_u64(struct v9p_buf *b, uint64_t v);
/* NUL-terminated @s; longer than 65535 bytes sets @bad. */
void v9p__put_str(struct v9p_buf *b, const char *s);
void v9p__put_strn(struct v9p_buf *b, const char *s, size_t n);
void v9p__put_bytes(struct v9p_buf *b, const void *p, size_t n);
/* Reserve @n bytes for the caller to fill; NULL (and @bad) if they do not
 * fit. */
uint8_t *v9p__put_room(struct v9p_buf *b, size_t n);
void v9p__put_qid(struct v9p_buf *b, const struct v9p_qid *q);

uint8_t v9p__get_u8(struct v9p_buf *b);
uint16_t v9p__get_u16(struct v9p_buf *b);
uint32_t v9p__get_u32(struct v9p_buf *b);
uint64_t v9p__get_u64(struct v9p_buf *b);
/* Points into the buffer; {NULL, 0} and @bad if it runs past the end. */
struct v9p_str v9p__get_str(struct v9p_buf *b);
const uint8_t *v9p__get_bytes(struct v9p_buf *b, size_t n);
void v9p__get_qid(struct v9p_buf *b, struct v9p_qid *q);

/* Start a message: size[4] (filled by msg_end) type[1] tag[2]. */
void v9p__msg_begin(struct v9p_buf *b, uint8_t type, uint16_t tag);
/* Store size[4]; returns the length, or 0 with errno EMSGSIZE if @bad. */
size_t v9p__msg_end(struct v9p_buf *b);
/* Overwrite the tag of a built message. */
void v9p__msg_set_tag(uint8_t *msg, uint16_t tag);

/* Copy a 9P string into @dst (room @cap) NUL terminated; -1 if it is too
 * long or holds a NUL byte. */
int v9p__str_copy(char *dst, size_t cap, struct v9p_str s);

#endif
