// SPDX-License-Identifier: MIT
/*
 * trans_dev.c - the vio9p device transport: one write(2) sends one whole
 * request and one read(2) returns one whole reply.  The read buffer is the
 * session's msize, so EOVERFLOW means the device handed us a reply larger
 * than negotiated: a protocol error.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "trans.h"

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

static ssize_t dev_recv(struct v9p_transport *t, void *buf, size_t cap)
{
	for (;;) {
		ssize_t n = read(t->fd, buf, cap);

		if (n > 0)
			return n;
		if (n == 0) {
			errno = ECONNABORTED;
			return -1;
		}
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
