// SPDX-License-Identifier: MIT
/*
 * async.c - requests the caller does not wait for at once, and the
 * pipelined whole-file copies built on them.
 *
 * v9p_get_fd2()/v9p_put_fd2() keep a ring of up to v9p_window() requests
 * in flight and complete them oldest first; replies may arrive in any
 * order, the rpc engine parks each one with its request until it is
 * collected.  Once a reply's bytes are in place (get: written to the fd)
 * they report the bytes copied so far to the caller's progress callback.
 */
#include <errno.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
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

/*
 * The copies work on requests directly, without the ops above, so that
 * no byte is copied in userspace: get writes each Rread's data to @fd
 * from the reply buffer itself, and put reads @fd straight into each
 * Twrite's transmit buffer.  get writes the replies of up to @maxheld
 * Treads (consecutive, each whole) with one writev(2), and put reads the
 * data of all the Twrites it is about to send with one readv(2); the
 * window is refilled before the held replies are written, so the device
 * keeps @win requests while @fd is written.
 */

/* Most replies one writev(2) writes out. */
#define MAX_HELD (IOV_MAX < 64 ? IOV_MAX : 64)

/* Write all of @iov[0..@cnt) to @fd; @iov is used up. */
static int writev_all(int fd, struct iovec *iov, int cnt)
{
	while (cnt) {
		ssize_t w = writev(fd, iov, cnt);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		while (cnt && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Read into @iov[0..@cnt) from @fd, short only at EOF; @iov is used up.
 * The bytes read, or -1. */
static ssize_t readv_full(int fd, struct iovec *iov, int cnt)
{
	size_t done = 0;

	while (cnt) {
		ssize_t r = readv(fd, iov, cnt);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		done += (size_t)r;
		while (cnt && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return (ssize_t)done;
}

/*
 * A copy in progress: a ring of up to @win requests, the oldest at @head.
 * Each starts at the offset where the one before it ends, and they
 * complete oldest first, so the oldest one starts at @done (get: after
 * the held replies).
 */
struct pipe {
	struct v9p_fid *f;
	struct v9p_copy *c;	/* may be NULL */
	struct v9p_req **ring;
	uint32_t win, chunk;	/* most requests in flight; bytes per one */
	uint32_t head, n;	/* oldest request, requests in flight */
	uint64_t next;		/* offset of the next request */
	uint64_t done;		/* bytes copied */
	struct v9p_req **held;	/* get: answered Treads not yet written */
	struct iovec *iov;	/* their data; put: the data to read */
	uint32_t nheld, maxheld;
	struct v9p_op *size_op;	/* get: the Tgetattr asking the file's size */
	uint64_t size;		/* get: its answer (0: none) */
	uint64_t every;		/* put: bytes between Tfsyncs (0: none) */
	uint64_t synced;	/* put: bytes done when the last was sent */
	struct v9p_req *sync;	/* put: that Tfsync, until its reply */
	bool splice;		/* put: the transport reads the file itself */
	uint64_t src_pos;	/* put, splicing: the file's offset to read */
	uint64_t src_end;	/*   and its size when the copy began */
};

static int pipe_init(struct pipe *p, struct v9p_fid *f, struct v9p_copy *c)
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
	p->maxheld = p->win < MAX_HELD ? p->win : MAX_HELD;
	p->ring = calloc(p->win, sizeof(*p->ring));
	p->held = calloc(p->win, sizeof(*p->held));
	p->iov = calloc(p->win, sizeof(*p->iov));
	if (!p->ring || !p->held || !p->iov) {
		free(p->ring);
		free(p->held);
		free(p->iov);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* Send @r (NULL if building it failed) as the newest request.  0 or -1. */
static int pipe_push(struct pipe *p, struct v9p_req *r)
{
	if (!r)
		return -1;
	if (v9p__req_send(r) < 0)
		return v9p__req_fail(r);
	p->ring[(p->head + p->n) % p->win] = r;
	p->n++;
	p->next += r->want.count;
	return 0;
}

/* Wait for the oldest request and take it off the ring; it is checked and
 * decoded into @rep.  The request (the caller frees it), or NULL. */
static struct v9p_req *pipe_pop(struct pipe *p, struct v9p_reply *rep)
{
	struct v9p_req *r = p->ring[p->head];

	p->head = (p->head + 1) % p->win;
	p->n--;
	if (v9p__req_reply(r, rep) < 0)
		return v9p__req_fail(r), NULL;
	return r;
}

/* Count @got more bytes copied and tell the caller. */
static void pipe_advance(struct pipe *p, size_t got)
{
	p->done += got;
	if (got && p->c && p->c->progress)
		p->c->progress(p->done, p->c->arg);
}

/* get: write the held replies' data to @fd and free them, reporting
 * progress reply by reply.  0 or -1. */
static int pipe_flush(struct pipe *p, int fd)
{
	uint32_t lens[MAX_HELD];
	uint32_t n = p->nheld;
	int rc;

	for (uint32_t i = 0; i < n; i++)
		lens[i] = (uint32_t)p->iov[i].iov_len;
	rc = writev_all(fd, p->iov, (int)n);
	while (p->nheld)
		v9p__req_free(p->held[--p->nheld]);
	if (rc < 0)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		pipe_advance(p, lens[i]);
	return 0;
}

/* Wait for and discard every request in the ring and every held reply,
 * keeping errno. */
static void pipe_drain(struct pipe *p)
{
	struct v9p_reply rep;
	int e = errno;

	while (p->n) {
		struct v9p_req *r = pipe_pop(p, &rep);

		v9p__req_free(r);
	}
	while (p->nheld)
		v9p__req_free(p->held[--p->nheld]);
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

/* put: wait for the Tfsync in flight, if any.  0, or -1 with its errno. */
static int pipe_sync_wait(struct pipe *p)
{
	struct v9p_reply rep;
	struct v9p_req *r = p->sync;

	if (!r)
		return 0;
	p->sync = NULL;
	return req_end(r, v9p__req_reply(r, &rep));
}

/*
 * put: once @every bytes more are written, send a Tfsync of the data so
 * far, without waiting for it: the server writes the file back while the
 * copy goes on.  Never waits for the one before: while it is in flight
 * (the server's disk is slower than the copy) no other is sent.  0 or -1.
 */
static int pipe_sync(struct pipe *p)
{
	struct v9p_req *r;

	if (!p->every || p->done - p->synced < p->every)
		return 0;
	if (p->sync && !v9p__req_done(p->sync))
		return 0;
	if (pipe_sync_wait(p) < 0)
		return -1;
	r = v9p__req_fid(p->f, V9P_TFSYNC);
	if (!r)
		return -1;
	v9p__put_u32(&r->b, 1); /* datasync */
	if (v9p__req_send(r) < 0)
		return v9p__req_fail(r);
	p->sync = r;
	p->synced = p->done;
	return 0;
}

/* Finish: drain after an error, free, and return the bytes or -1. */
static int64_t pipe_end(struct pipe *p, int rc)
{
	int e = errno;

	if (rc < 0)
		pipe_drain(p);
	if (pipe_sync_wait(p) < 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	errno = e;
	(void)pipe_size(p);
	free(p->ring);
	free(p->held);
	free(p->iov);
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

	if (pipe_init(&p, f, c) < 0)
		return -1;
	/* In flight with the first reads: no round trip of its own. */
	p.size_op = v9p_getattr_start(f, V9P_GETATTR_SIZE);
	for (;;) {
		struct v9p_reply rep;
		struct v9p_req *r;
		uint32_t got;

		while (!eof && p.n < p.win)
			if (pipe_push(&p, v9p__req_io(f, V9P_TREAD, p.next,
						      p.chunk, NULL)) < 0)
				return pipe_end(&p, -1);
		if (p.n == 0)
			break;
		r = pipe_pop(&p, &rep);
		if (!r)
			return pipe_end(&p, -1);
		got = rep.u.io.count;
		p.held[p.nheld] = r;
		/* The data is in the reply buffer, which is ours. */
		p.iov[p.nheld].iov_base = r->rx + (rep.u.io.data - r->rx);
		p.iov[p.nheld].iov_len = got;
		p.nheld++;
		/* Whole replies wait for more, while the window refills. */
		if (got == p.chunk && p.nheld < p.maxheld && p.n)
			continue;
		if (pipe_flush(&p, fd) < 0)
			return pipe_fd_fail(&p);
		if (got == p.chunk || eof)
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
 * The oldest Twrite @r wrote only @got bytes: send the rest again, so
 * that a server out of room answers with its error rather than another
 * short count.  Its length, or -1.
 */
static ssize_t write_rest(struct pipe *p, struct v9p_req *r,
			  size_t got)
{
	size_t rest = r->want.count - got;
	const uint8_t *data = v9p__req_write_data(r);
	ssize_t w;

	if (!data) {
		if (p->c)
			p->c->fd_error = 1;
		return -1;
	}
	w = v9p_pwrite(p->f, data + got, rest, p->done + got);
	if (w < 0)
		return -1;
	if ((size_t)w != rest) {
		errno = ENOSPC; /* short again, and no reason */
		return -1;
	}
	return r->want.count;
}

/* put: splice from @fd when it is a regular file with an offset, and the
 * transport can. */
static void pipe_splice_init(struct pipe *p, int fd)
{
	struct stat st;
	off_t pos;

	if (!v9p__can_send_from(p->f) || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode))
		return;
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos < 0 || pos >= st.st_size)
		return;
	p->splice = true;
	p->src_pos = (uint64_t)pos;
	p->src_end = (uint64_t)st.st_size;
}

/*
 * put of a regular file whose transport can send a Twrite's data from it
 * (v9p__can_send_from()): each Twrite leaves with the file's bytes read by
 * the transport (spliced, on a vio9p device), up to the size the file had
 * when the copy began; then @fd's offset is moved past them and
 * pipe_fill() reads on, as it would have (and finds the end of a file
 * that shrank).  0, or -1 (*@fd_failed set when @fd did).
 */
static int pipe_fill_from(struct pipe *p, int fd, bool *fd_failed)
{
	while (p->n < p->win && p->src_pos < p->src_end) {
		uint64_t left = p->src_end - p->src_pos;
		uint32_t want = left < p->chunk ? (uint32_t)left : p->chunk;
		struct v9p_req *r = v9p__req_write_from(p->f, p->next, want, fd,
							p->src_pos);
		uint32_t got;

		if (pipe_push(p, r) < 0)
			return -1;
		got = r->want.count;
		p->src_pos += got;
		if (r->src_err) {
			errno = r->src_err;
			*fd_failed = true;
			return -1;
		}
		if (got < want) {
			p->src_end = p->src_pos; /* it shrank: this is its end */
			break;
		}
	}
	if (p->src_pos < p->src_end)
		return 0;
	/* Done with what the file had: read on, in case it grew since. */
	p->splice = false;
	if (lseek(fd, (off_t)p->src_pos, SEEK_SET) < 0) {
		*fd_failed = true;
		return -1;
	}
	return 0;
}

/*
 * put: fill the free slots of the window, reading @fd with one readv(2)
 * into the transmit buffers of as many Twrites, and send those that got
 * data, the last one cut to what it got.  1 at the end of @fd, 0, or -1
 * (*@fd_failed set when @fd did).
 */
static int pipe_fill(struct pipe *p, int fd, bool *fd_failed)
{
	struct v9p_req **reqs = p->held;
	uint32_t k = p->win - p->n, i;
	ssize_t got;
	int rc = 0;

	for (i = 0; i < k; i++) {
		uint8_t *data;

		reqs[i] = v9p__req_write_room(p->f, p->next +
					      (uint64_t)i * p->chunk,
					      p->chunk, &data);
		if (!reqs[i])
			break;
		p->iov[i].iov_base = data;
		p->iov[i].iov_len = p->chunk;
	}
	if (i == 0)
		return -1;
	k = i;
	got = readv_full(fd, p->iov, (int)k);
	if (got < 0) {
		*fd_failed = true;
		rc = -1;
	}
	for (i = 0; i < k; i++) {
		size_t len = got > 0 ? (size_t)got : 0;

		if (len > p->chunk)
			len = p->chunk;
		if (len == 0 || rc < 0) {
			v9p__req_fail(reqs[i]);
			continue;
		}
		got -= (ssize_t)len;
		v9p__req_write_trim(reqs[i], (uint32_t)len);
		if (pipe_push(p, reqs[i]) < 0)
			rc = -1;
	}
	if (rc == 0 && got == 0 && p->n < p->win)
		rc = 1; /* @fd ended before the window filled */
	return rc;
}

V9P_API int64_t v9p_put_fd_sync(struct v9p_fid *f, int fd,
				struct v9p_copy *c, uint64_t every)
{
	struct pipe p;
	bool eof = false, fd_failed = false;

	if (pipe_init(&p, f, c) < 0)
		return -1;
	p.every = every;
	pipe_splice_init(&p, fd);
	for (;;) {
		struct v9p_reply rep;
		struct v9p_req *r;
		ssize_t got;

		if (!eof && p.n < p.win) {
			int rc = p.splice ? pipe_fill_from(&p, fd, &fd_failed) :
					    pipe_fill(&p, fd, &fd_failed);

			if (rc < 0 && fd_failed)
				return pipe_fd_fail(&p);
			if (rc < 0)
				return pipe_end(&p, -1);
			eof = rc == 1;
		}
		if (p.n == 0)
			break;
		r = pipe_pop(&p, &rep);
		if (!r)
			return pipe_end(&p, -1);
		got = rep.u.io.count;
		if ((uint32_t)got < r->want.count)
			got = write_rest(&p, r, (size_t)got);
		if (got < 0)
			return pipe_end(&p, req_end(r, -1));
		pipe_advance(&p, (size_t)got);
		v9p__req_free(r);
		if (pipe_sync(&p) < 0)
			return pipe_end(&p, -1);
	}
	return pipe_end(&p, 0);
}

V9P_API int64_t v9p_put_fd2(struct v9p_fid *f, int fd, struct v9p_copy *c)
{
	return v9p_put_fd_sync(f, fd, c, 0);
}

V9P_API int64_t v9p_get_fd(struct v9p_fid *f, int fd)
{
	return v9p_get_fd2(f, fd, NULL);
}

V9P_API int64_t v9p_put_fd(struct v9p_fid *f, int fd)
{
	return v9p_put_fd2(f, fd, NULL);
}
