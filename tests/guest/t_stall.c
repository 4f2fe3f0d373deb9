// SPDX-License-Identifier: GPL-2.0
/*
 * A device that stops answering.  The runner mounts stallfs (tests/stall)
 * at "stall" in TAG_MAIN's share: QEMU's reads of stall/stall hang on the
 * host until stall/release is written, so the device holds those requests
 * as a device with a hung backend would.  Then blocked calls stay
 * interruptible, sysfs shows the stale requests, and the next open gets a
 * whole working channel although the device still holds every slot the
 * last one used; once the device answers, the stale replies are dropped
 * and the slots trimmed back at once.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "rig.h"
#include "stall.h"

/* Tags of the reads the device holds, from each of two files. */
#define TAG_A	100
#define TAG_B	300

/* Send @n reads of stall/stall, tags @tag0 on, without sleeping. */
static void send_stalled_reads(METADATA, int fd, unsigned int n, uint16_t tag0)
{
	struct p9msg req;

	for (unsigned int i = 0; i < n; i++) {
		p9_tread(&req, tag0 + i, FID_STALL, 0, 4096);
		ASSERT_EQ(write(fd, req.buf, req.len), (ssize_t)req.len);
	}
	p9_tread(&req, tag0 + n, FID_STALL, 0, 4096);
	ASSERT_ERRNO(write(fd, req.buf, req.len), EAGAIN);
}

/* Wait up to @ms for sysfs counter @name to reach @want. */
static uint64_t stat_wait(METADATA, const char *name, uint64_t want,
			  unsigned int ms)
{
	uint64_t v = chan_stat(_metadata, TAG_MAIN, name);

	for (unsigned int t = 0; v != want && t < ms; t += 50) {
		msleep(50);
		v = chan_stat(_metadata, TAG_MAIN, name);
	}
	return v;
}

/*
 * The suite's tests, in order; each sets up what it needs itself.  The
 * teardown ends what a test that failed part way left running.
 */
FIXTURE(stall) {};
static FIXTURE_SETUP(stall) {}
static FIXTURE_TEARDOWN(stall)
{
	end_test_children();
}

TEST_F_TIMEOUT(stall, a_device_that_stops_answering_wedges_no_later_open, 120)
{
	uint64_t stale0 = chan_stat(_metadata, TAG_MAIN, "stale");
	struct vio9p_limits lim;
	struct p9msg req, rep;
	struct pollfd pfd;
	unsigned int n;
	pid_t pid;
	int fd;

	fd = chan_open(_metadata, TAG_MAIN, 0);
	chan_session(_metadata, fd);
	if (stall_open(_metadata, fd))
		SKIP(return, "no stallfs at \"stall\" in the share (tests/run-guest mounts it)");
	/* Whatever an earlier suite left, reads of stall/stall wait now. */
	stall_write(_metadata, fd, FID_HOLD, 5);
	ASSERT_EQ(stall_waiting(_metadata, fd), 0);
	chan_limits(_metadata, fd, &lim);
	n = lim.requests;
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "stale_in_flight"), 0);

	/* Every slot on the device, which does not answer. */
	ASSERT_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	send_stalled_reads(_metadata, fd, n, TAG_A);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "in_flight"), n);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "slots_in_use"), n);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	ASSERT_EQ(poll(&pfd, 1, 300), 0);
	/* Blocked reads and writes are interrupted by a signal. */
	ASSERT_OK(fcntl(fd, F_SETFL, 0));
	pid = interrupt_when_asleep(_metadata);
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EINTR);
	waitpid(pid, NULL, 0);
	p9_tgetattr(&req, 99, 0);
	pid = interrupt_when_asleep(_metadata);
	ASSERT_ERRNO(write(fd, req.buf, req.len), EINTR);
	waitpid(pid, NULL, 0);
	close(fd);
	/* The closed file's requests are still on the device: stale. */
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "in_flight"), n);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "stale_in_flight"), n);

	/*
	 * The next open gets every slot of its own at once: n requests in
	 * flight beside the n stale ones.  Its session is the server's old
	 * one (no Tversion), so the fids above still work.
	 */
	fd = chan_open(_metadata, TAG_MAIN, O_NONBLOCK);
	for (unsigned int i = 0; i < n; i++) {
		p9_tgetattr(&req, 200 + i, 0);
		ASSERT_EQ(write(fd, req.buf, req.len), (ssize_t)req.len);
	}
	ASSERT_OK(fcntl(fd, F_SETFL, 0));
	for (unsigned int i = 0; i < n; i++) {
		chan_recv(_metadata, fd, &rep);
		ASSERT_EQ(p9_type(&rep), P9_TGETATTR + 1);
		ASSERT_GE(p9_tag(&rep), 200);
		ASSERT_LT(p9_tag(&rep), 200 + n);
	}
	/* The host really holds the first file's reads. */
	ASSERT_EQ(stall_waiting_for(_metadata, fd, n, 20000), n);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "stale_in_flight"), n);
	/* This file's slots on the device too, then close. */
	ASSERT_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	send_stalled_reads(_metadata, fd, n, TAG_B);
	close(fd);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "stale_in_flight"), 2 * n);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "slots"), 2 * n);

	/*
	 * A third open works as well; once the host answers, every stale
	 * reply is dropped, none reaches this file, and the slots come back.
	 */
	fd = chan_open(_metadata, TAG_MAIN, 0);
	stall_write(_metadata, fd, FID_RELEASE, 5);
	ASSERT_EQ(stat_wait(_metadata, "stale_in_flight", 0, 20000), 0);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "in_flight"), 0);
	/* The slots grown for them are freed as they come back, not at the
	 * next open: this file holds none now. */
	ASSERT_EQ(stat_wait(_metadata, "slots", n, 5000), n);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "stale"), stale0 + 2 * n);
	ASSERT_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EAGAIN);
	ASSERT_OK(fcntl(fd, F_SETFL, 0));
	ASSERT_EQ(stall_waiting(_metadata, fd), 0);
	/* stall/stall answers now. */
	p9_tread(&req, 6, FID_STALL, 0, 4096);
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	ASSERT_EQ(p9_get32(_metadata, &rep, P9_HDR), 4096);
	ASSERT_EQ(rep.buf[P9_HDR + 4], 's');
	stall_clunk(_metadata, fd);
	close(fd);

	/* Nothing more to give back at the next open. */
	fd = chan_open(_metadata, TAG_MAIN, 0);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "slots"), n);
	chan_session(_metadata, fd);
	close(fd);
}

TEST_HARNESS_MAIN
