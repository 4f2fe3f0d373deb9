// SPDX-License-Identifier: MIT
/*
 * async.c - requests the caller does not wait for at once, and the
 * pipelined whole-file copies built on them.
 *
 * v9p_get_fd2()/v9p_put_fd2() keep a ring of up to v9p_window() ops in
 * flight and complete them oldest first; replies may arrive in any order,
 * the rpc engine parks each one with its request until it is collected.
 * After each completed op they report the bytes copied so far to the
 * caller's progress callback.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rpc.h"

struct v9p_op {
	struct v9p_req *r;
	struct v9p_fid *f; /* walk: the new fid; clunk: the fid clunked */
};

/*
 * Send @r (NULL if building it failed, errno set) and wrap it in an op
 * holding @f.  On failure @r is freed and so is @f, unless NULL: the new
 * fid of a walk that never left, or the fid of a clunk (freed always).
 */
static struct v9p_op *op_start(struct v9p_req *r, struct v9p_fid *f)
{
	struct v9p_op *op = r ? malloc(sizeof(*op)) : NULL;

	if (r && !op)
		errno = ENOMEM;
	if (!op || v9p__req_send(r) < 0) {
		v9p__req_fail(r);
		free(op);
		if (f)
			v9p__fid_put(f, -1);
		return NULL;
	}
	op->r = r;
	op->f = f;
	return op;
}

/* Type of request @op carries, 0 for no op. */
static uint8_t op_type(const struct v9p_op *op)
{
	return op ? op->r->want.ttype : 0;
}

/* Free @op and give its request, and its fid in *@f; NULL (EINVAL),
 * leaving @op alone, unless @op is an op of type @ttype. */
static struct v9p_req *op_take(struct v9p_op *op, uint8_t ttype,
			       struct v9p_fid **f)
{
	struct v9p_req *r;

	if (op_type(op) != ttype) {
		errno = EINVAL;
		return NULL;
	}
	r = op->r;
	*f = op->f;
	free(op);
	return r;
}

/* Free finished @r keeping errno; returns @rc. */
static int req_end(struct v9p_req *r, int rc)
{
	int e = errno;

	v9p__req_free(r);
	errno = e;
	return rc;
}

/* The new fid @f of the finished Twalk @r, or NULL with errno (a walk
 * that stopped part way is ENOENT: the server made no fid); @f is freed
 * then.  Frees @r. */
static struct v9p_fid *walk_end(struct v9p_req *r, struct v9p_fid *f)
{
	struct v9p_reply rep;
	int got = v9p__req_reply(r, &rep);

	if (got == 0 && v9p__walk_got(&rep, &f->qid) < r->want.nwname) {
		errno = ENOENT;
		got = -1;
	}
	req_end(r, 0);
	if (got < 0)
		return v9p__fid_put(f, -1), NULL;
	return f;
}

/* Result of the finished Tclunk @r; frees @r and @f (the server forgets a
 * fid it answered a Tclunk of, also with Rlerror). */
static int clunk_end(struct v9p_req *r, struct v9p_fid *f)
{
	struct v9p_reply rep;

	return v9p__fid_put(f, req_end(r, v9p__req_reply(r, &rep)));
}

V9P_API struct v9p_op *v9p_read_start(struct v9p_fid *f, uint64_t off,
				      uint32_t count)
{
	if (v9p__fid_check(f) < 0)
		return NULL;
	if (count > v9p__io_max(f))
		count = v9p__io_max(f);
	return op_start(v9p__req_io(f, V9P_TREAD, off, count, NULL), NULL);
}

V9P_API struct v9p_op *v9p_write_start(struct v9p_fid *f, uint64_t off,
				       const void *buf, uint32_t count)
{
	if (v9p__fid_check(f) < 0)
		return NULL;
	if (count > v9p__io_max(f)) {
		errno = EMSGSIZE;
		return NULL;
	}
	return op_start(v9p__req_io(f, V9P_TWRITE, off, count, buf), NULL);
}

V9P_API struct v9p_op *v9p_walk_start(struct v9p_fid *from, const char *path)
{
	struct v9p_req *r = NULL;
	struct v9p_fid *f = NULL;
	struct v9p_op *op = NULL;
	const char **names;
	char *copy;
	ssize_t n;
	int e;

	if (v9p__fid_check(from) < 0)
		return NULL;
	n = v9p__path_split(path, &copy, &names);
	if (n > V9P_MAXWELEM)
		errno = E2BIG;
	else if (n >= 0)
		f = v9p__fid_new(from->s);
	if (f) {
		f->qid = from->qid;
		r = v9p__req_walk(from->s, from->fid, f->fid, (size_t)n, names);
		op = op_start(r, f);
	}
	e = errno;
	free(names);
	free(copy);
	errno = e;
	return op;
}

V9P_API struct v9p_op *v9p_getattr_start(struct v9p_fid *f, uint64_t mask)
{
	return op_start(v9p__req_getattr(f, mask), NULL);
}

V9P_API struct v9p_op *v9p_clunk_start(struct v9p_fid *f)
{
	return op_start(v9p__req_fid(f, V9P_TCLUNK), f);
}

V9P_API ssize_t v9p_op_wait(struct v9p_op *op, void *buf, size_t len)
{
	struct v9p_reply rep;
	uint8_t t = op_type(op);
	struct v9p_fid *f;
	struct v9p_req *r;
	ssize_t n;

	if (t != V9P_TREAD && t != V9P_TWRITE)
		t = V9P_TCLUNK; /* the one other kind; op_take() checks */
	r = op_take(op, t, &f);
	if (!r)
		return -1;
	if (t == V9P_TCLUNK)
		return clunk_end(r, f);
	if (v9p__req_reply(r, &rep) < 0)
		return v9p__req_fail(r);
	n = rep.u.io.count;
	if (t == V9P_TREAD) {
		if ((size_t)n > len) {
			errno = EOVERFLOW;
			return v9p__req_fail(r);
		}
		memcpy(buf, rep.u.io.data, (size_t)n);
	}
	v9p__req_free(r);
	return n;
}

V9P_API struct v9p_fid *v9p_op_wait_fid(struct v9p_op *op)
{
	struct v9p_fid *f;
	struct v9p_req *r = op_take(op, V9P_TWALK, &f);

	return r ? walk_end(r, f) : NULL;
}

V9P_API int v9p_op_wait_attr(struct v9p_op *op, struct v9p_attr *out)
{
	struct v9p_reply rep;
	struct v9p_fid *f;
	struct v9p_req *r = op_take(op, V9P_TGETATTR, &f);
	int rc;

	if (!r)
		return -1;
	rc = v9p__req_reply(r, &rep);
	if (rc == 0)
		*out = rep.u.attr;
	return req_end(r, rc);
}

V9P_API int v9p_op_done(struct v9p_op *op)
{
	if (!op) {
		errno = EINVAL;
		return -1;
	}
	return v9p__req_poll(op->r) ? 1 : 0;
}

V9P_API int v9p_op_flush(struct v9p_op *op)
{
	struct v9p_req *r;
	struct v9p_fid *f;
	int rc, e;

	if (!op) {
		errno = EINVAL;
		return -1;
	}
	r = op->r;
	f = op->f;
	free(op);
	rc = v9p__req_flush(r); /* @r is finished from here on */
	e = errno;
	switch (r->want.ttype) {
	case V9P_TWALK:
		/* A walk that happened made the fid on the server. */
		f = walk_end(r, f);
		if (f)
			v9p_clunk(f);
		break;
	case V9P_TCLUNK:
		if (rc == 0) {
			/* Flushed: the fid is still open on the server. */
			v9p__req_free(r);
			v9p_clunk(f);
		} else {
			clunk_end(r, f);
		}
		break;
	default:
		v9p__req_free(r);
	}
	errno = e;
	return rc;
}

/* ---- pipelined copies ---------------------------------------------------- */

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

/* One op in flight and the bytes it asked for. */
struct slot {
	struct v9p_op *op;
	uint32_t len;
};

/*
 * A copy in progress: a ring of up to @win ops, the oldest at @head.
 * Each op starts at the offset where the one before it ends, and ops
 * complete oldest first, so the oldest one starts at @done.
 */
struct pipe {
	struct v9p_fid *f;
	struct v9p_copy *c;	/* may be NULL */
	struct slot *ring;
	uint8_t *bufs;		/* get: one chunk; put: one per slot */
	uint32_t win, chunk;	/* most ops in flight; bytes per op */
	uint32_t head, n;	/* oldest op, ops in flight */
	uint64_t next;		/* offset of the next op */
	uint64_t done;		/* bytes copied */
	struct v9p_op *size_op;	/* get: the Tgetattr asking the file's size */
	uint64_t size;		/* get: its answer (0: none) */
};

static int pipe_init(struct pipe *p, struct v9p_fid *f, struct v9p_copy *c,
		     bool buf_per_slot)
{
	memset(p, 0, sizeof(*p));
	if (c)
		c->fd_error = 0;
	if (v9p__fid_check(f) < 0)
		return -1;
	p->f = f;
	p->c = c;
	p->win = f->s->window;
	p->chunk = v9p__io_max(f);
	p->ring = calloc(p->win, sizeof(*p->ring));
	p->bufs = malloc((size_t)(buf_per_slot ? p->win : 1) * p->chunk);
	if (!p->ring || !p->bufs) {
		free(p->ring);
		free(p->bufs);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* Index of the first free slot. */
static uint32_t pipe_tail(const struct pipe *p)
{
	return (p->head + p->n) % p->win;
}

/* Data buffer of slot @i (put: one per slot). */
static uint8_t *slot_buf(const struct pipe *p, uint32_t i)
{
	return p->bufs + (size_t)i * p->chunk;
}

/* Put @op (NULL if it failed to start) for @len bytes in the first free
 * slot.  0 or -1. */
static int pipe_push(struct pipe *p, struct v9p_op *op, uint32_t len)
{
	struct slot *sl = &p->ring[pipe_tail(p)];

	if (!op)
		return -1;
	sl->op = op;
	sl->len = len;
	p->n++;
	p->next += len;
	return 0;
}

/* Wait for the oldest op (a read lands in bufs[0]) and take it off the
 * ring; its count or -1. */
static ssize_t pipe_pop(struct pipe *p)
{
	struct v9p_op *op = p->ring[p->head].op;

	p->head = (p->head + 1) % p->win;
	p->n--;
	return v9p_op_wait(op, p->bufs, p->chunk);
}

/* Count @got more bytes copied and tell the caller. */
static void pipe_advance(struct pipe *p, size_t got)
{
	p->done += got;
	if (got && p->c && p->c->progress)
		p->c->progress(p->done, p->c->arg);
}

/* Wait for and discard every op in the ring, keeping errno. */
static void pipe_drain(struct pipe *p)
{
	int e = errno;

	while (p->n)
		(void)pipe_pop(p);
	errno = e;
}

/*
 * The file's size as the server tells it, in reply to the Tgetattr that
 * v9p_get_fd2() sends with its first reads (waited for once, then kept);
 * 0 when the server did not say, so that a short Rread is the end.
 */
static uint64_t pipe_size(struct pipe *p)
{
	struct v9p_attr a;
	int e = errno;

	if (p->size_op) {
		if (v9p_op_wait_attr(p->size_op, &a) == 0 &&
		    (a.valid & V9P_GETATTR_SIZE))
			p->size = a.size;
		p->size_op = NULL;
		errno = e;
	}
	return p->size;
}

/* Finish: drain after an error, free, and return the bytes or -1. */
static int64_t pipe_end(struct pipe *p, int rc)
{
	if (rc < 0)
		pipe_drain(p);
	(void)pipe_size(p);
	free(p->ring);
	free(p->bufs);
	return rc < 0 ? -1 : (int64_t)p->done;
}

/* pipe_end() for a failed read(2) or write(2) on the caller's fd. */
static int64_t pipe_fd_fail(struct pipe *p)
{
	if (p->c)
		p->c->fd_error = 1;
	return pipe_end(p, -1);
}

V9P_API int64_t v9p_get_fd2(struct v9p_fid *f, int fd, struct v9p_copy *c)
{
	struct pipe p;
	bool eof = false;

	if (pipe_init(&p, f, c, false) < 0)
		return -1;
	/* In flight with the first reads: no round trip of its own. */
	p.size_op = v9p_getattr_start(f, V9P_GETATTR_SIZE);
	for (;;) {
		ssize_t got;

		while (!eof && p.n < p.win)
			if (pipe_push(&p, v9p_read_start(f, p.next, p.chunk),
				      p.chunk) < 0)
				return pipe_end(&p, -1);
		if (p.n == 0)
			break;
		got = pipe_pop(&p);
		if (got < 0)
			return pipe_end(&p, -1);
		if (write_all(fd, p.bufs, (size_t)got) < 0)
			return pipe_fd_fail(&p);
		pipe_advance(&p, (size_t)got);
		if ((uint32_t)got == p.chunk || eof)
			continue;
		/* A short read: the reads after it are past a gap. */
		pipe_drain(&p);
		if (got == 0 || p.done >= pipe_size(&p))
			eof = true; /* the end of the file */
		else
			p.next = p.done; /* read on from here */
	}
	return pipe_end(&p, 0);
}

/*
 * The oldest Twrite, in slot @i, wrote only @got bytes: send the rest
 * again, so that a server out of room answers with its error rather than
 * another short count.  The slot's length, or -1.
 */
static ssize_t write_rest(struct pipe *p, uint32_t i, size_t got)
{
	size_t rest = p->ring[i].len - got;
	ssize_t w = v9p_pwrite(p->f, slot_buf(p, i) + got, rest, p->done + got);

	if (w < 0)
		return -1;
	if ((size_t)w != rest) {
		errno = ENOSPC; /* short again, and no reason */
		return -1;
	}
	return p->ring[i].len;
}

V9P_API int64_t v9p_put_fd2(struct v9p_fid *f, int fd, struct v9p_copy *c)
{
	struct pipe p;
	bool eof = false;

	if (pipe_init(&p, f, c, true) < 0)
		return -1;
	for (;;) {
		uint32_t i;
		ssize_t got;

		while (!eof && p.n < p.win) {
			uint8_t *buf = slot_buf(&p, pipe_tail(&p));
			ssize_t len = read_full(fd, buf, p.chunk);

			if (len < 0)
				return pipe_fd_fail(&p);
			if (len == 0) {
				eof = true;
				break;
			}
			if (pipe_push(&p, v9p_write_start(f, p.next, buf,
							  (uint32_t)len),
				      (uint32_t)len) < 0)
				return pipe_end(&p, -1);
			eof = (uint32_t)len < p.chunk;
		}
		if (p.n == 0)
			break;
		i = p.head;
		got = pipe_pop(&p);
		if (got >= 0 && (uint32_t)got < p.ring[i].len)
			got = write_rest(&p, i, (size_t)got);
		if (got < 0)
			return pipe_end(&p, -1);
		pipe_advance(&p, (size_t)got);
	}
	return pipe_end(&p, 0);
}

V9P_API int64_t v9p_get_fd(struct v9p_fid *f, int fd)
{
	return v9p_get_fd2(f, fd, NULL);
}

V9P_API int64_t v9p_put_fd(struct v9p_fid *f, int fd)
{
	return v9p_put_fd2(f, fd, NULL);
}
