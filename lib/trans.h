/* SPDX-License-Identifier: MIT */
/*
 * trans.h - moving whole 9P messages over a channel.
 *
 * A transport sends one complete message and receives one complete
 * message into a buffer of @cap bytes (the session's msize).  recv
 * rejects a message larger than @cap before reading its body (EPROTO),
 * so nothing is ever allocated from a size[4] read off the wire.
 * Both calls poll(2) when an O_NONBLOCK fd would block and retry on EINTR.
 */
#ifndef V9P_TRANS_H
#define V9P_TRANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "v9p.h"

struct v9p_transport;

struct v9p_trans_ops {
	/* 0, or -1 with errno. */
	int (*send)(struct v9p_transport *t, const void *msg, size_t len);
	/* Length of the message, or -1 with errno (ECONNABORTED at EOF,
	 * EPROTO for a message that cannot fit in @cap). */
	ssize_t (*recv)(struct v9p_transport *t, void *buf, size_t cap);
	/*
	 * Optional (NULL: the caller reads the data itself).  Send the
	 * message whose first @hdr bytes are in @msg and whose other @count
	 * bytes are @fd's at @off, without copying them through this
	 * process where it can.  @msg has room for all of it.  @count when
	 * sent; fewer when @fd ended before @off + @count: then nothing was
	 * sent and the bytes @fd had are in @msg after the header; -1 with
	 * errno (*@fd_failed set when reading @fd failed: nothing was sent).
	 */
	ssize_t (*send_from)(struct v9p_transport *t, uint8_t *msg,
			     size_t hdr, int fd, uint64_t off, size_t count,
			     bool *fd_failed);
};

struct v9p_transport {
	const struct v9p_trans_ops *ops;
	int fd;
	uint32_t window; /* default requests in flight */
	uint32_t msize;	 /* default msize */
	uint32_t max_window; /* most requests in flight; 0: no limit */
	uint32_t max_msize;  /* largest msize; 0: no limit */
	int pipe[2];	     /* send_from's pipe (-1: none yet) */
	bool no_splice;	     /* the device refused a splice: never again */
};

extern const struct v9p_trans_ops v9p__dev_ops;

/*
 * Ask a vio9p device for its limits (VIO9P_IOC_LIMITS) and store them in
 * @t as defaults and ceilings.  A driver without the ioctl (ENOTTY, e.g.
 * the illumos-compatible one) leaves V9P_DEV_MSIZE / V9P_DEV_WINDOW.
 * 0, or -1 with the ioctl's errno.
 */
int v9p__dev_limits(struct v9p_transport *t);

/* Fill @t for @fd of @kind; EINVAL for an unknown kind. */
int v9p__trans_init(struct v9p_transport *t, int fd, enum v9p_trans_kind kind);

/* Close what @t holds besides its fd (send_from's pipe). */
void v9p__trans_release(struct v9p_transport *t);

/* Open @addr (see v9p_connect()); returns the fd and its kind, or -1. */
int v9p__trans_open(const char *addr, enum v9p_trans_kind *kind);

/* Wait for @events on @fd after EAGAIN; 0 or -1 with errno. */
int v9p__trans_wait(int fd, short events);

#endif
