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
 *
 * dev_send_from() sends a message whose data is in a file (a Twrite of
 * put) with splice(2): the header is written into a pipe of the
 * transport's, the file's pages are spliced in behind it, and the whole
 * request is spliced into the device, which takes one splice as one
 * request.  The data is then copied once, by the driver, instead of twice
 * (read(2) into our buffer, then write(2) out of it).  Whatever goes wrong
 * before the device has the request (a source that cannot be spliced, a
 * pipe too small, a file shorter than planned, a driver without
 * splice_write) drains the pipe into the caller's buffer and carries on
 * with pread(2) and write(2), so the pipe is empty between calls.
 */
#include <errno.h>
#include <fcntl.h>
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

void v9p__trans_release(struct v9p_transport *t)
{
	for (int i = 0; i < 2; i++) {
		if (t->pipe[i] >= 0)
			close(t->pipe[i]);
		t->pipe[i] = -1;
	}
}

/* Read exactly @len bytes of @fd into @buf (a pipe, or a file at @off when
 * @off >= 0); fewer only at its end.  The bytes read, or -1. */
static ssize_t read_full(int fd, uint8_t *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = off < 0 ? read(fd, buf + done, len - done) :
				      pread(fd, buf + done, len - done,
					    off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/*
 * A pipe that holds a request of @len bytes whose data starts anywhere in
 * a page (one page more) behind a header of its own page.  0, or -1 when
 * there is none (the kernel would not make one that large).
 */
static int pipe_for(struct v9p_transport *t, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t need = len + 3 * (size_t)page;
	int got;

	if (t->pipe[0] < 0 && pipe2(t->pipe, O_CLOEXEC) < 0) {
		t->pipe[0] = t->pipe[1] = -1;
		return -1;
	}
	got = fcntl(t->pipe[1], F_GETPIPE_SZ);
	if (got >= 0 && (size_t)got >= need)
		return 0;
	if (need > INT32_MAX || fcntl(t->pipe[1], F_SETPIPE_SZ, (int)need) < 0)
		return -1;
	return 0;
}

/* Move what the pipe holds, @len bytes, into @msg; then it is empty.  0, or
 * -1 (the pipe is closed then, and made afresh the next time). */
static int pipe_drain(struct v9p_transport *t, uint8_t *msg, size_t len)
{
	if (len == 0 || read_full(t->pipe[0], msg, len, -1) == (ssize_t)len)
		return 0;
	v9p__trans_release(t);
	errno = EIO;
	return -1;
}

/* Splice @count bytes of @fd at @off into the pipe.  The bytes moved (fewer
 * at the end of @fd, or when the pipe or @fd refuses more), or -1 with
 * errno when it moved none and @fd cannot be spliced. */
static ssize_t splice_in(struct v9p_transport *t, int fd, uint64_t off,
			 size_t count)
{
	loff_t o = (loff_t)off;
	size_t done = 0;

	while (done < count) {
		ssize_t n = splice(fd, &o, t->pipe[1], NULL, count - done,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && done == 0)
			return -1;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Splice the pipe's whole request, @len bytes, into the device.  0; 1 when
 * the driver cannot take a splice (nothing sent, the pipe as it was); -1. */
static int splice_out(struct v9p_transport *t, size_t len)
{
	for (;;) {
		ssize_t n = splice(t->pipe[0], NULL, t->fd, NULL, len,
				   SPLICE_F_NONBLOCK);

		if (n == (ssize_t)len)
			return 0;
		if (n >= 0) {
			/* One splice is one request: never part of one. */
			errno = EIO;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && v9p__trans_wait(t->fd, POLLOUT) == 0)
			continue;
		if (errno == EINVAL)
			return 1; /* no splice_write (an older driver) */
		return -1;
	}
}

static ssize_t dev_send_from(struct v9p_transport *t, uint8_t *msg,
			     size_t hdr, int fd, uint64_t off, size_t count,
			     bool *fd_failed)
{
	ssize_t got = 0;
	int rc;

	if (t->no_splice || count == 0 || pipe_for(t, hdr + count) < 0)
		goto copy;
	if (write(t->pipe[1], msg, hdr) != (ssize_t)hdr) {
		v9p__trans_release(t);
		goto copy;
	}
	got = splice_in(t, fd, off, count);
	if (got < 0)
		got = 0; /* @fd cannot be spliced: read it below */
	if ((size_t)got < count) {
		/* Short, or refused: take back what the pipe has. */
		if (pipe_drain(t, msg, hdr + (size_t)got) < 0)
			return -1;
		goto copy;
	}
	rc = splice_out(t, hdr + count);
	if (rc == 0)
		return (ssize_t)count;
	if (rc < 0) {
		v9p__trans_release(t); /* what it held is lost with the session */
		return -1;
	}
	t->no_splice = true;
	if (pipe_drain(t, msg, hdr + count) < 0)
		return -1;
	got = (ssize_t)count;
copy:
	if ((size_t)got < count) {
		ssize_t n = read_full(fd, msg + hdr + got, count - (size_t)got,
				      (off_t)(off + (uint64_t)got));

		if (n < 0) {
			*fd_failed = true;
			return -1;
		}
		got += n;
		if ((size_t)got < count)
			return got; /* @fd ended: nothing sent */
	}
	if (dev_send(t, msg, hdr + count) < 0)
		return -1;
	return (ssize_t)count;
}

const struct v9p_trans_ops v9p__dev_ops = {
	.send = dev_send,
	.recv = dev_recv,
	.send_from = dev_send_from,
};
