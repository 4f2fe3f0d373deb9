// SPDX-License-Identifier: MIT
/*
 * rpc.c - send requests, read replies, match them by tag.
 *
 * See rpc.h for the life of a request and the locking.  Functions named
 * *_locked expect s->lock held.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rpc.h"

uint8_t *v9p__buf_get(struct v9p_session *s)
{
	uint8_t *p = NULL;
	size_t cap;

	pthread_mutex_lock(&s->lock);
	cap = s->msize;
	if (s->npool)
		p = s->pool[--s->npool];
	pthread_mutex_unlock(&s->lock);
	if (!p)
		p = malloc(cap);
	if (!p)
		errno = ENOMEM;
	return p;
}

/* v9p__buf_put() with s->lock held (free() takes no lock of ours). */
static void pool_put_locked(struct v9p_session *s, uint8_t *p, size_t cap)
{
	if (p && cap == s->msize && s->npool < s->cappool)
		s->pool[s->npool++] = p;
	else
		free(p);
}

void v9p__buf_put(struct v9p_session *s, uint8_t *p, size_t cap)
{
	if (!p)
		return;
	pthread_mutex_lock(&s->lock);
	pool_put_locked(s, p, cap);
	pthread_mutex_unlock(&s->lock);
}

void v9p__pool_drain(struct v9p_session *s)
{
	pthread_mutex_lock(&s->lock);
	while (s->npool)
		free(s->pool[--s->npool]);
	pthread_mutex_unlock(&s->lock);
}

struct v9p_req *v9p__req_new(struct v9p_session *s, uint8_t ttype)
{
	struct v9p_req *r = calloc(1, sizeof(*r));
	uint8_t *tx = r ? v9p__buf_get(s) : NULL;

	if (!r || !tx) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->s = s;
	r->want.ttype = ttype;
	/* The msize read by v9p__buf_get() may be older only across a
	 * Tversion, which no request runs beside: s->msize is its size. */
	v9p__buf_init(&r->b, tx, s->msize);
	v9p__msg_begin(&r->b, ttype, V9P_NOTAG);
	return r;
}

void v9p__req_free(struct v9p_req *r)
{
	if (!r)
		return;
	if (r->state == V9P_REQ_SENT)
		abort(); /* freeing a request in flight is a library bug */
	v9p__buf_put(r->s, r->b.data, r->b.cap);
	v9p__buf_put(r->s, r->rx, r->rxcap);
	free(r);
}

/* Take @r out of the tag table; give its tag back unless a flush holds
 * it. */
static void unlink_locked(struct v9p_session *s, struct v9p_req *r)
{
	if (r->in_table) {
		if (r->want.tag == V9P_NOTAG)
			s->notag = NULL;
		else
			s->bytag[r->want.tag] = NULL;
		r->in_table = false;
		s->inflight--;
	}
	if (r->tag_held && !r->flushing) {
		v9p__tag_put(&s->tags, r->want.tag);
		r->tag_held = false;
		pthread_cond_broadcast(&s->cv);
	}
}

/* The channel is unusable: complete every request in flight. */
static void kill_locked(struct v9p_session *s)
{
	s->dead = true;
	for (uint32_t i = 0; i < s->window; i++) {
		struct v9p_req *r = s->bytag[i];

		if (!r)
			continue;
		r->flushing = false;
		unlink_locked(s, r);
		r->state = V9P_REQ_DONE;
		r->err = ECONNABORTED;
	}
	if (s->notag) {
		struct v9p_req *r = s->notag;

		unlink_locked(s, r);
		r->state = V9P_REQ_DONE;
		r->err = ECONNABORTED;
	}
	pthread_cond_broadcast(&s->cv);
}

/* Replies up to this long are moved out of their msize buffer. */
#define V9P_SMALL_REPLY 4096

/* Hand reply @msg (@len bytes, malloc'd, @cap long) to the request of its
 * tag. */
static void dispatch_locked(struct v9p_session *s, uint8_t *msg, size_t len,
			    size_t cap)
{
	struct v9p_req *r = NULL;
	uint16_t tag;

	if (len >= V9P_HDRSZ) {
		tag = v9p__peek_tag(msg);
		if (tag == V9P_NOTAG)
			r = s->notag;
		else if (tag < s->window)
			r = s->bytag[tag];
	}
	if (!r) {
		/* Nobody asked: the stream can no longer be trusted. */
		pool_put_locked(s, msg, cap);
		kill_locked(s);
		return;
	}
	r->rx = msg;
	r->rxlen = len;
	r->rxcap = cap;
	/* A small reply waiting to be collected (a batch of Rgetattrs)
	 * does not hold an msize buffer: it gets one of its own size. */
	if (len <= V9P_SMALL_REPLY && len < cap / 2) {
		uint8_t *small = malloc(len);

		if (small) {
			memcpy(small, msg, len);
			pool_put_locked(s, msg, cap);
			r->rx = small;
			r->rxcap = len;
		}
	}
	unlink_locked(s, r);
	r->state = V9P_REQ_DONE;
}

/* Become the reader for one message.  Drops s->lock while reading. */
static void read_one_locked(struct v9p_session *s)
{
	uint32_t cap = s->msize;
	uint8_t *msg = s->npool ? s->pool[--s->npool] : NULL;
	ssize_t n = -1;

	s->reading = true;
	pthread_mutex_unlock(&s->lock);
	if (!msg)
		msg = malloc(cap);
	if (msg)
		n = s->t.ops->recv(&s->t, msg, cap);
	pthread_mutex_lock(&s->lock);
	s->reading = false;
	if (n < 0) {
		pool_put_locked(s, msg, cap);
		kill_locked(s);
	} else {
		dispatch_locked(s, msg, (size_t)n, cap);
	}
	pthread_cond_broadcast(&s->cv);
}

/*
 * Give sent-to-be @r a tag and a slot in the table.  While the window is
 * full, read replies (or wait for the reader).  If @target completes
 * meanwhile, return 1 without claiming (a flush is then moot).
 */
static int claim_locked(struct v9p_session *s, struct v9p_req *r,
			const struct v9p_req *target)
{
	for (;;) {
		if (s->dead) {
			errno = ECONNABORTED;
			return -1;
		}
		if (target && target->state == V9P_REQ_DONE)
			return 1;
		if (r->want.ttype == V9P_TVERSION) {
			if (s->notag) {
				errno = EBUSY;
				return -1;
			}
			r->want.tag = V9P_NOTAG;
			s->notag = r;
			break;
		}
		if (v9p__tag_tryget(&s->tags, &r->want.tag) == 0) {
			r->tag_held = true;
			s->bytag[r->want.tag] = r;
			break;
		}
		/* Window full: read replies ourselves if nobody is, or
		 * every sender could end up waiting for a reader. */
		if (!s->reading)
			read_one_locked(s);
		else
			pthread_cond_wait(&s->cv, &s->lock);
	}
	r->in_table = true;
	r->state = V9P_REQ_SENT;
	s->inflight++;
	v9p__msg_set_tag(r->b.data, r->want.tag);
	return 0;
}

/*
 * Send the Twrite @r of v9p__req_write_from(), @len bytes in all, its data
 * read from its file by the transport.  A file that had fewer bytes, or
 * none it could read, has the request go out cut to what it had (so the
 * claimed tag is answered as any other).  0, or -1 when the channel failed.
 */
static int transmit_from(struct v9p_session *s, struct v9p_req *r,
			 size_t len)
{
	size_t hdr = len - r->want.count;
	bool fd_failed = false;
	ssize_t got = s->t.ops->send_from(&s->t, r->b.data, hdr, r->src_fd,
					  r->src_off, r->want.count,
					  &fd_failed);

	if (got == (ssize_t)r->want.count)
		return 0;
	if (got < 0 && !fd_failed)
		return -1;
	if (got < 0) {
		r->src_err = errno;
		got = 0;
	}
	r->from_fd = false; /* the data it has is in the buffer now */
	v9p__req_write_trim(r, (uint32_t)got);
	len = v9p__msg_end(&r->b);
	return s->t.ops->send(&s->t, r->b.data, len);
}

/* Write claimed @r; a failed write kills the session, completing @r. */
static void transmit(struct v9p_session *s, struct v9p_req *r, size_t len)
{
	int rc;

	pthread_mutex_lock(&s->wlock);
	if (r->from_fd)
		rc = transmit_from(s, r, len);
	else
		rc = s->t.ops->send(&s->t, r->b.data, len);
	pthread_mutex_unlock(&s->wlock);
	if (rc < 0) {
		pthread_mutex_lock(&s->lock);
		kill_locked(s);
		pthread_mutex_unlock(&s->lock);
	}
}

int v9p__req_send(struct v9p_req *r)
{
	struct v9p_session *s = r->s;
	size_t len = v9p__msg_end(&r->b);
	int rc;

	if (len == 0)
		return -1;
	pthread_mutex_lock(&s->lock);
	rc = claim_locked(s, r, NULL);
	pthread_mutex_unlock(&s->lock);
	if (rc < 0)
		return -1;
	transmit(s, r, len);
	/* Only a Twrite's data is looked at again (a short Rwrite's rest is
	 * sent from it): the others' buffers go back at once. */
	if (r->want.ttype != V9P_TWRITE) {
		v9p__buf_put(s, r->b.data, r->b.cap);
		v9p__buf_init(&r->b, NULL, 0);
	}
	return 0;
}

int v9p__req_wait(struct v9p_req *r)
{
	struct v9p_session *s = r->s;
	int err;

	pthread_mutex_lock(&s->lock);
	while (r->state != V9P_REQ_DONE) {
		if (!s->reading)
			read_one_locked(s);
		else
			pthread_cond_wait(&s->cv, &s->lock);
	}
	err = r->err;
	pthread_mutex_unlock(&s->lock);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int v9p__req_reply(struct v9p_req *r, struct v9p_reply *rep)
{
	if (v9p__req_wait(r) < 0)
		return -1;
	return v9p__parse(r->rx, r->rxlen, &r->want, rep);
}

int v9p__rpc(struct v9p_req *r, struct v9p_reply *rep)
{
	if (v9p__req_send(r) < 0)
		return -1;
	return v9p__req_reply(r, rep);
}

bool v9p__req_done(struct v9p_req *r)
{
	bool done;

	pthread_mutex_lock(&r->s->lock);
	done = r->state == V9P_REQ_DONE;
	pthread_mutex_unlock(&r->s->lock);
	return done;
}

bool v9p__req_poll(struct v9p_req *r)
{
	struct v9p_session *s = r->s;
	struct pollfd p = { .fd = s->t.fd, .events = POLLIN };
	bool done;

	pthread_mutex_lock(&s->lock);
	while (r->state != V9P_REQ_DONE && !s->reading && !s->dead &&
	       poll(&p, 1, 0) > 0)
		read_one_locked(s);
	done = r->state == V9P_REQ_DONE;
	pthread_mutex_unlock(&s->lock);
	return done;
}

int v9p__req_flush(struct v9p_req *r)
{
	struct v9p_session *s = r->s;
	struct v9p_reply rep;
	struct v9p_req *f;
	size_t len;
	int rc, replied;

	f = v9p__req_new(s, V9P_TFLUSH);
	if (!f) {
		/* No memory for a Tflush: let @r run its course instead, so
		 * that it is finished, as after a flush, when we return. */
		return v9p__req_wait(r) < 0 ? -1 : 1;
	}
	v9p__put_u16(&f->b, r->want.tag); /* fixed while @r is in flight */
	len = v9p__msg_end(&f->b);
	pthread_mutex_lock(&s->lock);
	rc = claim_locked(s, f, r);
	if (rc == 0) {
		/* From here until Rflush the old tag stays ours, even if
		 * its reply comes first: the server may still be using it. */
		r->flushing = true;
	}
	pthread_mutex_unlock(&s->lock);
	if (rc != 0) {
		v9p__req_free(f);
		return rc; /* 1: @r completed before we could send Tflush */
	}
	transmit(s, f, len);
	rc = v9p__req_reply(f, &rep);
	v9p__req_free(f);

	pthread_mutex_lock(&s->lock);
	r->flushing = false;
	replied = r->state == V9P_REQ_DONE && !r->err;
	/* After Rflush no reply for the old tag can come.  If the flush
	 * itself failed the server is broken; drop the request anyway. */
	unlink_locked(s, r);
	r->state = V9P_REQ_DONE;
	pthread_mutex_unlock(&s->lock);
	if (rc < 0)
		return -1;
	return replied;
}

int v9p__req_fail(struct v9p_req *r)
{
	int e = errno;

	v9p__req_free(r);
	errno = e;
	return -1;
}

struct v9p_req *v9p__req_fid(struct v9p_fid *f, uint8_t ttype)
{
	struct v9p_req *r;

	if (v9p__fid_check(f) < 0)
		return NULL;
	r = v9p__req_new(f->s, ttype);
	if (r)
		v9p__put_u32(&r->b, f->fid);
	return r;
}

int v9p__rpc_take(struct v9p_req *r, struct v9p_reply *rep)
{
	if (v9p__rpc(r, rep) < 0)
		return v9p__req_fail(r);
	v9p__req_free(r);
	return 0;
}

int v9p__rpc_free(struct v9p_req *r)
{
	struct v9p_reply rep;

	return r ? v9p__rpc_take(r, &rep) : -1;
}

uint32_t v9p__io_max(const struct v9p_fid *f)
{
	uint32_t max = f->s->msize - V9P_IOHDRSZ;

	if (f->iounit && f->iounit < max)
		max = f->iounit;
	return max;
}

struct v9p_req *v9p__req_io(struct v9p_fid *f, uint8_t ttype, uint64_t off,
			    uint32_t count, const void *data)
{
	struct v9p_req *r = v9p__req_fid(f, ttype);

	if (!r)
		return NULL;
	v9p__put_u64(&r->b, off);
	v9p__put_u32(&r->b, count);
	if (ttype == V9P_TWRITE)
		v9p__put_bytes(&r->b, data, count);
	r->want.count = count;
	return r;
}

struct v9p_req *v9p__req_write_room(struct v9p_fid *f, uint64_t off,
				    uint32_t count, uint8_t **data)
{
	struct v9p_req *r = v9p__req_fid(f, V9P_TWRITE);

	if (!r)
		return NULL;
	v9p__put_u64(&r->b, off);
	v9p__put_u32(&r->b, count);
	*data = v9p__put_room(&r->b, count);
	if (!*data) {
		errno = EMSGSIZE;
		return v9p__req_fail(r), NULL;
	}
	r->want.count = count;
	return r;
}

void v9p__req_write_trim(struct v9p_req *r, uint32_t count)
{
	struct v9p_buf b;

	if (count >= r->want.count)
		return;
	r->b.pos -= r->want.count - count;
	r->want.count = count;
	/* count[4] after size[4] type[1] tag[2] fid[4] offset[8] */
	v9p__buf_init(&b, r->b.data + V9P_HDRSZ + 12, 4);
	v9p__put_u32(&b, count);
}

struct v9p_req *v9p__req_write_from(struct v9p_fid *f, uint64_t off,
				    uint32_t count, int fd, uint64_t src_off)
{
	uint8_t *data;
	struct v9p_req *r = v9p__req_write_room(f, off, count, &data);

	if (!r)
		return NULL;
	r->from_fd = true;
	r->src_fd = fd;
	r->src_off = src_off;
	return r;
}

bool v9p__can_send_from(const struct v9p_fid *f)
{
	return f->s->t.ops->send_from && !f->s->t.no_splice;
}

const uint8_t *v9p__req_write_data(struct v9p_req *r)
{
	uint8_t *data = r->b.data + r->b.pos - r->want.count;
	size_t done = 0;

	while (r->from_fd && done < r->want.count) {
		ssize_t n = pread(r->src_fd, data + done, r->want.count - done,
				  (off_t)(r->src_off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO; /* the file shrank under us */
			return NULL;
		}
		done += (size_t)n;
	}
	r->from_fd = false;
	return data;
}
