// SPDX-License-Identifier: GPL-2.0
/*
 * A device that asks for a reset: QEMU sets NEEDS_RESET when it cannot
 * decode a request.  The channel then fails with EIO instead of waiting
 * forever, says so in sysfs, and the next open resets the device.  Only
 * the modern TAG_MAIN device: a legacy device cannot ask for a reset.
 */
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "chan.h"
#include "rig.h"

/* A Txattrwalk whose name claims more bytes than the message holds. */
static void p9_undecodable(struct p9msg *m, uint16_t tag)
{
	p9_begin(m, 30, tag);
	p9_u32(m, 0);
	p9_u32(m, 77);
	p9_u16(m, 1000);
	p9_bytes(m, "ab", 2);
	p9_end(m);
}

/*
 * The suite's tests, in order; each sets up what it needs itself.  The
 * teardown ends what a test that failed part way left running.
 */
FIXTURE(reset) {};
static FIXTURE_SETUP(reset) {}
static FIXTURE_TEARDOWN(reset)
{
	end_test_children();
}

TEST_F(reset, undecodable_request_fails_the_channel_with_eio)
{
	uint64_t resets = chan_stat(_metadata, TAG_MAIN, "resets");
	struct pollfd pfd;
	struct p9msg req, rep;
	int fd;

	fd = chan_open(_metadata, TAG_MAIN, 0);
	chan_session(_metadata, fd);
	ASSERT_EQ(chan_state(_metadata, TAG_MAIN), 'r');
	p9_undecodable(&req, 5);
	chan_send(_metadata, fd, &req);
	/* A blocked read wakes up with EIO, and so does every later one. */
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EIO);
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EIO);
	ASSERT_EQ(chan_state(_metadata, TAG_MAIN), 'n');
	p9_tversion(&req, P9_NOTAG, 8192, "9P2000.L");
	ASSERT_ERRNO(write(fd, req.buf, req.len), EIO);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	ASSERT_EQ(poll(&pfd, 1, 0), 1);
	ASSERT_EQ(pfd.revents, POLLERR);
	close(fd);

	/* The next open resets the device: a new session works. */
	fd = chan_open(_metadata, TAG_MAIN, 0);
	ASSERT_EQ(chan_state(_metadata, TAG_MAIN), 'r');
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "resets"), resets + 1);
	chan_session(_metadata, fd);
	p9_tgetattr(&req, 1, 0);
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	close(fd);
}

TEST_F(reset, replies_received_before_the_break_are_still_read)
{
	struct pollfd pfd;
	struct p9msg req, rep;
	int fd;

	fd = chan_open(_metadata, TAG_MAIN, 0);
	p9_tversion(&req, 1, 8192, "9P2000.L");
	chan_send(_metadata, fd, &req);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	ASSERT_EQ(poll(&pfd, 1, 10000), 1);
	p9_undecodable(&req, 2);
	chan_send(_metadata, fd, &req);
	/* Wait for the break, then read what came before it. */
	for (int i = 0; i < 100 && chan_state(_metadata, TAG_MAIN) != 'n'; i++)
		msleep(50);
	ASSERT_EQ(chan_state(_metadata, TAG_MAIN), 'n');
	chan_recv(_metadata, fd, &rep);
	ASSERT_EQ(p9_tag(&rep), 1);
	ASSERT_EQ(p9_type(&rep), P9_TVERSION + 1);
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EIO);
	close(fd);
}

TEST_F(reset, writer_blocked_on_full_pool_wakes_with_eio_and_slots_come_back)
{
	struct p9msg req;
	int fd, n;

	fd = chan_open(_metadata, TAG_MAIN, 0);
	chan_session(_metadata, fd);
	/* Leave one slot for the request that breaks the device. */
	n = (int)chan_fill(_metadata, fd, 100) - 1;
	ASSERT_GE(n, 0);
	close(fd);
	fd = chan_open(_metadata, TAG_MAIN, 0);
	for (int i = 0; i < 7; i++) {
		p9_tgetattr(&req, i, 0);
		chan_send(_metadata, fd, &req);
	}
	p9_undecodable(&req, 50);
	chan_send(_metadata, fd, &req);
	/* The pool is full: this write waits until the device breaks. */
	p9_tgetattr(&req, 51, 0);
	ASSERT_ERRNO(write(fd, req.buf, req.len), EIO);
	close(fd);
	fd = chan_open(_metadata, TAG_MAIN, 0);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "in_flight"), 0);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "slots_in_use"), 0);
	chan_session(_metadata, fd);
	close(fd);
}

TEST_HARNESS_MAIN
