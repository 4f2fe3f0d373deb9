/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough 9P2000.L for the driver's guest tests: build requests byte
 * by byte, so that the tests control every byte the driver sees, and read
 * fields out of replies.  The client library in lib/ is for programs.
 */
#ifndef VIO9P_TEST_P9_H
#define VIO9P_TEST_P9_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <vio9p.h>

#define P9_NOTAG	0xffff
#define P9_NOFID	0xffffffffu
#define P9_HDR		7

enum {
	P9_RLERROR = 7,
	P9_TSTATFS = 8,
	P9_TLOPEN = 12,
	P9_TLCREATE = 14,
	P9_TGETATTR = 24,
	P9_TREADDIR = 40,
	P9_TVERSION = 100,
	P9_TATTACH = 104,
	P9_TFLUSH = 108,
	P9_TWALK = 110,
	P9_TREAD = 116,
	P9_TWRITE = 118,
	P9_TCLUNK = 120,
};

struct p9msg {
	uint8_t buf[VIO9P_MAX_MSG_SIZE + 64];
	size_t len;
};

/* Building: p9_begin, then the fields, then p9_end (fills in size[4]). */
void p9_begin(struct p9msg *m, uint8_t type, uint16_t tag);
void p9_u8(struct p9msg *m, uint8_t v);
void p9_u16(struct p9msg *m, uint16_t v);
void p9_u32(struct p9msg *m, uint32_t v);
void p9_u64(struct p9msg *m, uint64_t v);
void p9_str(struct p9msg *m, const char *s);
void p9_bytes(struct p9msg *m, const void *p, size_t n);
void p9_end(struct p9msg *m);

void p9_tversion(struct p9msg *m, uint16_t tag, uint32_t msize,
		 const char *version);
void p9_tattach(struct p9msg *m, uint16_t tag, uint32_t fid);
void p9_twalk1(struct p9msg *m, uint16_t tag, uint32_t fid, uint32_t newfid,
	       const char *name);
void p9_tlopen(struct p9msg *m, uint16_t tag, uint32_t fid, uint32_t flags);
void p9_tlcreate(struct p9msg *m, uint16_t tag, uint32_t fid,
		 const char *name, uint32_t flags, uint32_t mode);
void p9_tread(struct p9msg *m, uint16_t tag, uint32_t fid, uint64_t off,
	      uint32_t count);
void p9_twrite(struct p9msg *m, uint16_t tag, uint32_t fid, uint64_t off,
	       const void *data, uint32_t count);
void p9_tclunk(struct p9msg *m, uint16_t tag, uint32_t fid);
void p9_tflush(struct p9msg *m, uint16_t tag, uint16_t oldtag);
void p9_tgetattr(struct p9msg *m, uint16_t tag, uint32_t fid);
void p9_treaddir(struct p9msg *m, uint16_t tag, uint32_t fid, uint64_t off,
		 uint32_t count);

/* Tag and type of a message of at least P9_HDR bytes. */
static inline uint8_t p9_type(const struct p9msg *m) { return m->buf[4]; }
static inline uint16_t p9_tag(const struct p9msg *m)
{
	return m->buf[5] | m->buf[6] << 8;
}

/*
 * The /dev/9p node of the channel with mount tag @tag, in @path; 0, or -1
 * when there is none.  The helpers that check replies and fail the test
 * are in chan.h.
 */
int chan_path(const char *tag, char *path, size_t size);

#endif /* VIO9P_TEST_P9_H */
