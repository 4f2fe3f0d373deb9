// SPDX-License-Identifier: MIT
/*
 * async.c - requests the caller does not wait for at once, and the
 * pipelined whole-file copies built on them.
 *
 * v9p_get_fd()/v9p_put_fd() keep a ring of up to v9p_window() ops in
 * flight and complete them oldest first; replies may arrive in any order,
 * the rpc engine parks each one with its request until it is collected.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rpc.h"

struct v9p_op {
	struct v9p_req *r;
};

static struct v9p_op *op_start(struct v9p_req *r)
{
	struct v9p_op *op = malloc(sizeof(*op));

	if (!op) {
		errno = ENOMEM;
		v9p__req_fail(r);
		return NULL;
	}
	if (v9p__req_send(r) < 0) {
		v9p__req_fail(r);
		free(op);
		return NULL;
	}
	op->r = r;
	return op;
}

V9P_API struct v9p_op *v9p_read_start(struct v9p_fid *f, uint64_t off,
				      uint32_t count)
{
	struct v9p_req *r = v9p__req_fid(f, V9P_TREAD);

	if (!r)
		return NULL;
	if (count > v9p__io_max(f))
		count = v9p__io_max(f);
	v9p__put_u64(&r->b, off);
	v9p__put_u32(&r->b, count);
	r->want.count = count;
	return op_start(r);
}

V9P_API struct v9p_op *v9p_write_start(struct v9p_fid *f, uint64_t off,
				       const void *buf, uint32_t count)
{
	struct v9p_req *r = v9p__req_fid(f, V9P_TWRITE);

	if (!r)
		return NULL;
	if (count > v9p__io_max(f)) {
		errno = EMSGSIZE;
		v9p__req_fail(r);
		return NULL;
	}
	v9p__put_u64(&r->b, off);
	v9p__put_u32(&r->b, count);
	v9p__put_bytes(&r->b, buf, count);
	r->want.count = count;
	return op_start(r);
}

V9P_API ssize_t v9p_op_wait(struct v9p_op *op, void *buf, size_t len)
{
	struct v9p_reply rep;
	struct v9p_req *r = op->r;
	ssize_t n;

	free(op);
	if (v9p__req_reply(r, &rep) < 0)
		return v9p__req_fail(r);
	n = rep.u.io.count;
	if (r->want.ttype == V9P_TREAD) {
		if ((size_t)n > len) {
			errno = EOVERFLOW;
			return v9p__req_fail(r);
		}
		memcpy(buf, rep.u.io.data, (size_t)n);
	}
	v9p__req_free(r);
	return n;
}

V9P_API int v9p_op_done(struct v9p_op *op)
{
	return v9p__req_poll(op->r) ? 1 : 0;
}

V9P_API int v9p_op_flush(struct v9p_op *op)
{
	struct v9p_req *r = op->r;
	int rc;

	free(op);
	rc = v9p__req_flush(r);
	if (rc < 0)
		return v9p__req_fail(r);
	v9p__req_free(r);
	return rc;
}

/* Write all of @p to @fd. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Wait for and discard every op in the ring (after an error or EOF). */
static void drain(struct v9p_op **ring, uint32_t win, uint32_t head,
		  uint32_t n, uint8_t *buf, size_t len)
{
	int e = errno;

	for (uint32_t i = 0; i < n; i++)
		(void)v9p_op_wait(ring[(head + i) % win], buf, len);
	errno = e;
}

V9P_API int64_t v9p_get_fd(struct v9p_fid *f, int fd)
{
	uint32_t win, chunk, head = 0, n = 0;
	struct v9p_op **ring;
	uint64_t next = 0;
	int64_t total = 0;
	bool eof = false;
	uint8_t *buf;

	if (v9p__fid_check(f) < 0)
		return -1;
	win = f->s->window;
	chunk = v9p__io_max(f);
	ring = calloc(win, sizeof(*ring));
	buf = malloc(chunk);
	if (!ring || !buf) {
		free(ring);
		free(buf);
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		ssize_t got;

		while (!eof && n < win) {
			struct v9p_op *op = v9p_read_start(f, next, chunk);

			if (!op)
				goto out_err;
			ring[(head + n++) % win] = op;
			next += chunk;
		}
		if (n == 0)
			break;
		got = v9p_op_wait(ring[head], buf, chunk);
		head = (head + 1) % win;
		n--;
		if (got < 0)
			goto out_err;
		if (write_all(fd, buf, (size_t)got) < 0)
			goto out_err;
		total += got;
		if ((uint32_t)got < chunk && !eof) {
			/* End of file: later reads are past it. */
			eof = true;
			drain(ring, win, head, n, buf, chunk);
			n = 0;
		}
	}
	free(ring);
	free(buf);
	return total;

out_err:
	drain(ring, win, head, n, buf, chunk);
	free(ring);
	free(buf);
	return -1;
}

/* Read up to @n bytes from @fd, short only at EOF. */
static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = read(fd, p + done, n - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

V9P_API int64_t v9p_put_fd(struct v9p_fid *f, int fd)
{
	uint32_t win, chunk, head = 0, n = 0;
	uint32_t *sizes;
	struct v9p_op **ring;
	uint64_t next = 0;
	int64_t total = 0;
	bool eof = false;
	uint8_t *buf;

	if (v9p__fid_check(f) < 0)
		return -1;
	win = f->s->window;
	chunk = v9p__io_max(f);
	ring = calloc(win, sizeof(*ring));
	sizes = calloc(win, sizeof(*sizes));
	buf = malloc(chunk);
	if (!ring || !sizes || !buf) {
		errno = ENOMEM;
		goto out_free;
	}
	for (;;) {
		ssize_t got;

		while (!eof && n < win) {
			struct v9p_op *op;
			ssize_t len = read_full(fd, buf, chunk);

			if (len < 0)
				goto out_err;
			if (len == 0) {
				eof = true;
				break;
			}
			op = v9p_write_start(f, next, buf, (uint32_t)len);
			if (!op)
				goto out_err;
			sizes[(head + n) % win] = (uint32_t)len;
			ring[(head + n++) % win] = op;
			next += (uint64_t)len;
			if ((uint32_t)len < chunk)
				eof = true;
		}
		if (n == 0)
			break;
		got = v9p_op_wait(ring[head], NULL, 0);
		if (got >= 0 && (uint32_t)got != sizes[head]) {
			got = -1;
			errno = EIO; /* short write: the server is out of room */
		}
		head = (head + 1) % win;
		n--;
		if (got < 0)
			goto out_err;
		total += got;
	}
	free(ring);
	free(sizes);
	free(buf);
	return total;

out_err:
	drain(ring, win, head, n, NULL, 0);
out_free:
	free(ring);
	free(sizes);
	free(buf);
	return -1;
}
