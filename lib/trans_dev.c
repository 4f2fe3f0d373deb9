// SPDX-License-Identifier: MIT
/*
 * trans_dev.c - the vio9p device transport: one write(2) sends one whole
 * request and one read(2) returns one whole reply.  The read buffer is the
 * session's msize, so EOVERFLOW means the device handed us a reply larger
 * than negotiated: a protocol error.
 *
 * A read of 0 bytes is a reply the driver emptied (the device answered a
 * flushed request with nothing): the library reads on.  Only a hung-up
 * descriptor (POLLHUP; a socketpair standing in for the device in tests)
 * ends the channel there.
 *
 * The driver tells its limits with VIO9P_IOC_LIMITS: the largest message
 * (the msize ceiling) and its request slots (the window).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tags.h"
#include "trans.h"
#include "vio9p.h"

/* Smallest msize a device may report and still be useful. */
#define DEV_MIN_MSIZE 512

int v9p__dev_limits(struct v9p_transport *t)
{
	struct vio9p_limits lim = { 0 };

	t->msize = t->max_msize = V9P_DEV_MSIZE;
	t->window = t->max_window = V9P_DEV_WINDOW;
	if (ioctl(t->fd, VIO9P_IOC_LIMITS, &lim) < 0) {
		/* No such ioctl (illumos-compatible driver, or not a
		 * device at all, as in tests): keep the defaults. */
		if (errno == ENOTTY || errno == EINVAL)
			return 0;
		return -1;
	}
	if (lim.msize >= DEV_MIN_MSIZE)
		t->msize = t->max_msize = lim.msize;
	if (lim.requests > 0)
		t->window = t->max_window = lim.requests < V9P_TAGS_MAX ?
						    lim.requests :
						    V9P_TAGS_MAX;
	return 0;
}

int v9p__trans_wait(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int n = poll(&p, 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (p.revents & POLLNVAL) {
			errno = EBADF;
			return -1;
		}
		/* POLLERR/POLLHUP: let the next read/write report it. */
		return 0;
	}
}

static int dev_send(struct v9p_transport *t, const void *msg, size_t len)
{
	for (;;) {
		ssize_t n = write(t->fd, msg, len);

		if (n == (ssize_t)len)
			return 0;
		if (n >= 0) {
			errno = EIO; /* the device takes whole messages only */
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && v9p__trans_wait(t->fd, POLLOUT) == 0)
			continue;
		return -1;
	}
}

/* Whether @fd, which just read 0 bytes, is hung up (POLLHUP) rather than
 * live with an empty reply. */
static bool dev_hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (poll(&p, 1, 0) < 0)
		if (errno != EINTR)
			return true;
	return (p.revents & POLLHUP) != 0;
}

static ssize_t dev_recv(struct v9p_transport *t, void *buf, size_t cap)
{
	for (;;) {
		ssize_t n = read(t->fd, buf, cap);

		if (n > 0)
			return n;
		if (n == 0 && dev_hung_up(t->fd)) {
			errno = ECONNABORTED;
			return -1;
		}
		if (n == 0)
			continue; /* a reply dropped after a Tflush */
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && v9p__trans_wait(t->fd, POLLIN) == 0)
			continue;
		if (errno == EOVERFLOW)
			errno = EPROTO;
		return -1;
	}
}

const struct v9p_trans_ops v9p__dev_ops = {
	.send = dev_send,
	.recv = dev_recv,
};
