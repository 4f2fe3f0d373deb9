/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's side of stallfs (tests/stall/stallfs.c), which the runner
 * mounts at "stall" in TAG_MAIN's share: QEMU's reads of stall/stall hang
 * on the host while the file system holds them, so a test can keep
 * requests on the device for as long as it wants.  Writing stall/hold
 * makes the reads that come after it wait; writing stall/release lets
 * them all go; stall/stalled reads as the number waiting on the host.
 * Every suite that holds reads writes "hold" first, so that none depends
 * on what an earlier suite left.  Include after chan.h.
 */
#ifndef VIO9P_TEST_STALL_H
#define VIO9P_TEST_STALL_H

#include <stdlib.h>

#include "chan.h"

/* fids: 0 the root (chan_session), then the folder and its four files. */
enum { FID_DIR = 1, FID_STALL, FID_RELEASE, FID_HOLD, FID_STALLED };

/* Walk @fid to @name as @newfid, one element. */
static inline void stall_walk1(METADATA, int fd, uint32_t fid,
			       uint32_t newfid, const char *name)
{
	struct p9msg req, rep;

	p9_twalk1(&req, 2, fid, newfid, name);
	ASSERT_EQ(0, chan_rpc(_metadata, fd, &req, &rep))
		TH_LOG("walk to stall/%s failed", name);
	ASSERT_EQ(1, p9_get16(_metadata, &rep, P9_HDR));
}

static inline void stall_lopen(METADATA, int fd, uint32_t fid,
			       uint32_t flags)
{
	struct p9msg req, rep;

	p9_tlopen(&req, 3, fid, flags);
	ASSERT_EQ(0, chan_rpc(_metadata, fd, &req, &rep));
}

/*
 * On a channel with a session (chan_session), walk to stallfs and open
 * its files as the FID_* above.  0, or -1 when the share has no "stall"
 * (a runner without STALLFS): the caller skips, saying so.
 */
static inline int stall_open(METADATA, int fd)
{
	struct p9msg req, rep;

	p9_twalk1(&req, 2, 0, FID_DIR, "stall");
	if (chan_rpc(_metadata, fd, &req, &rep))
		return -1;
	stall_walk1(_metadata, fd, FID_DIR, FID_STALL, "stall");
	stall_walk1(_metadata, fd, FID_DIR, FID_RELEASE, "release");
	stall_walk1(_metadata, fd, FID_DIR, FID_HOLD, "hold");
	stall_walk1(_metadata, fd, FID_DIR, FID_STALLED, "stalled");
	stall_lopen(_metadata, fd, FID_STALL, O_RDONLY);
	stall_lopen(_metadata, fd, FID_RELEASE, O_WRONLY);
	stall_lopen(_metadata, fd, FID_HOLD, O_WRONLY);
	stall_lopen(_metadata, fd, FID_STALLED, O_RDONLY);
	return 0;
}

/*
 * Write "go" to @fid (FID_HOLD or FID_RELEASE) with @tag; the reply must
 * be that Rwrite, of 2 bytes.
 */
static inline void stall_write(METADATA, int fd, uint32_t fid, uint16_t tag)
{
	struct p9msg req, rep;

	p9_twrite(&req, tag, fid, 0, "go", 2);
	ASSERT_EQ(0, chan_rpc(_metadata, fd, &req, &rep));
	ASSERT_EQ(2, p9_get32(_metadata, &rep, P9_HDR));
}

/* How many reads of stall/stall stallfs holds on the host right now. */
static inline unsigned int stall_waiting(METADATA, int fd)
{
	struct p9msg req, rep;
	char text[16] = "";
	uint32_t count;

	p9_tread(&req, 4, FID_STALLED, 0, sizeof(text) - 1);
	ASSERT_EQ(0, chan_rpc(_metadata, fd, &req, &rep));
	count = p9_get32(_metadata, &rep, P9_HDR);
	ASSERT_LT(count, sizeof(text));
	memcpy(text, rep.buf + P9_HDR + 4, count);
	return (unsigned int)strtoul(text, NULL, 10);
}

/*
 * Wait up to @ms for stallfs to hold @want reads: a request the driver has
 * put on the device reaches stallfs only once QEMU's worker thread runs
 * it, which on a loaded host can take seconds.  Returns the last count.
 */
static inline unsigned int stall_waiting_for(METADATA, int fd,
					     unsigned int want,
					     unsigned int ms)
{
	unsigned int v = stall_waiting(_metadata, fd);

	for (unsigned int t = 0; v != want && t < ms; t += 50) {
		msleep(50);
		v = stall_waiting(_metadata, fd);
	}
	return v;
}

/* Clunk the fids stall_open() made. */
static inline void stall_clunk(METADATA, int fd)
{
	struct p9msg req, rep;

	for (uint32_t fid = FID_DIR; fid <= FID_STALLED; fid++) {
		p9_tclunk(&req, 7, fid);
		ASSERT_EQ(0, chan_rpc(_metadata, fd, &req, &rep));
	}
}

#endif /* VIO9P_TEST_STALL_H */
