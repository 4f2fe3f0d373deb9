// SPDX-License-Identifier: MIT
/*
 * core.c - the bottom layer of `vio9p relay', which calls nothing above
 * it: the log, byte buffers, a client's output, and the send queues with
 * the fair share of the channel (relay.c's design comment says how they
 * are served).  msg.c and relay.c build on it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "relay.h"

void *relay_malloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		xerr("relay: out of memory");
	return p;
}

/* ---- diagnostics --------------------------------------------------------- */

static void vlog(bool with_errno, const char *fmt, va_list ap)
{
	int e = errno;

	fputs("vio9p: relay: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
	errno = e;
}

void relay_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(true, fmt, ap);
	va_end(ap);
}

void relay_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(false, fmt, ap);
	va_end(ap);
}

void relay_note(struct relay *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->verbose)
		return;
	va_start(ap, fmt);
	vlog(false, fmt, ap);
	va_end(ap);
}

/* ---- buffers ------------------------------------------------------------- */

/* Make room for @n more bytes after b->len, compacting or growing. */
void rbuf_room(struct rbuf *b, size_t n)
{
	if (b->head == b->len)
		b->head = b->len = 0;
	if (b->cap - b->len >= n)
		return;
	if (b->head) {
		memmove(b->p, b->p + b->head, b->len - b->head);
		b->len -= b->head;
		b->head = 0;
		if (b->cap - b->len >= n)
			return;
	}
	size_t cap = b->cap ? b->cap : 4096;

	while (cap - b->len < n)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);

	if (!p)
		xerr("relay: out of memory");
	b->p = p;
	b->cap = cap;
}

void rbuf_append(struct rbuf *b, const void *p, size_t n)
{
	rbuf_room(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

size_t rbuf_pending(const struct rbuf *b)
{
	return b->len - b->head;
}

int rbuf_write(int fd, struct rbuf *b)
{
	while (rbuf_pending(b)) {
		ssize_t n = write(fd, b->p + b->head, rbuf_pending(b));

		if (n > 0) {
			b->head += (size_t)n;
		} else if (n == 0) {
			errno = EPIPE;
			return -1;
		} else if (errno == EAGAIN) {
			return 0;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

/* ---- client output -------------------------------------------------------- */

void client_send(struct relay *r, struct client *c, const void *msg,
		 size_t len)
{
	if (c->dead)
		return;
	rbuf_append(&c->out, msg, len);
	if (!c->dirty) {
		c->dirty = true;
		c->dnext = r->dirty;
		r->dirty = c;
	}
}

/* ---- the send queues ---------------------------------------------------------- */

static void ring_add(struct relay *r, struct client *c)
{
	if (c->in_ring)
		return;
	c->in_ring = true;
	if (!r->ring) {
		c->rnext = c->rprev = c;
		r->ring = c;
		return;
	}
	/* Last in turn: just before the next one to be served. */
	c->rnext = r->ring;
	c->rprev = r->ring->rprev;
	c->rprev->rnext = c;
	r->ring->rprev = c;
}

void ring_del(struct relay *r, struct client *c)
{
	if (!c->in_ring)
		return;
	c->in_ring = false;
	if (c->rnext == c) {
		r->ring = NULL;
	} else {
		c->rprev->rnext = c->rnext;
		c->rnext->rprev = c->rprev;
		if (r->ring == c)
			r->ring = c->rnext;
	}
	c->rnext = c->rprev = NULL;
}

/* Append @q to the queue at *@head, *@tail. */
static void q_append(struct req **head, struct req **tail, struct req *q)
{
	if (*tail)
		(*tail)->next = q;
	else
		*head = q;
	*tail = q;
}

/* Take the first request off the queue at *@head, *@tail. */
struct req *q_pop(struct req **head, struct req **tail)
{
	struct req *q = *head;

	if (q) {
		*head = q->next;
		if (!*head)
			*tail = NULL;
		q->next = NULL;
	}
	return q;
}

void relay_enqueue(struct relay *r, struct req *q, uint8_t queue)
{
	struct client *c = q->c;

	q->state = REQ_QUEUED;
	q->queue = queue;
	q->next = NULL;
	if (queue == Q_PRIO) {
		q_append(&r->pqhead, &r->pqtail, q);
		return;
	}
	if (queue == Q_CLEANUP) {
		q_append(&r->cqhead, &r->cqtail, q);
		return;
	}
	if (c->qtail)
		c->qtail->next = q;
	else
		c->qhead = q;
	c->qtail = q;
	c->qbytes += q->len;
	ring_add(r, c);
}

void relay_unqueue(struct relay *r, struct req *q)
{
	struct client *c = q->c;
	struct req **pp, *prev = NULL;

	for (pp = &c->qhead; *pp && *pp != q; pp = &(*pp)->next)
		prev = *pp;
	if (!*pp)
		return;
	*pp = q->next;
	if (c->qtail == q)
		c->qtail = prev;
	q->next = NULL;
	c->qbytes -= q->len;
	if (!c->qhead)
		ring_del(r, c);
}

/*
 * May @c put one more request on the channel?  Only while it leaves an
 * eighth of the slots it could reach (those the others do not hold) to
 * the others: a client whose requests block in the server then holds at
 * most 7/8 of the window, the next one 7/8 of the rest, and so on, and a
 * client alone still keeps the channel nearly full.  A client with
 * nothing on the channel may always take a free slot.
 */
static bool client_may_send(const struct relay *r, const struct client *c)
{
	uint32_t others = r->inflight > c->nsent ? r->inflight - c->nsent : 0;
	uint32_t avail = r->window > others ? r->window - others : 0;

	return c->nsent < avail - avail / 8;
}

/* The next client request to send: the clients in turn, skipping those
 * at their share of the channel. */
static struct req *next_client_req(struct relay *r)
{
	struct client *c = r->ring, *first = c;
	struct req *q;

	if (!c)
		return NULL;
	while (!client_may_send(r, c)) {
		c = c->rnext;
		if (c == first)
			return NULL;
	}
	q = q_pop(&c->qhead, &c->qtail);
	c->qbytes -= q->len;
	r->ring = c->rnext;
	if (!c->qhead)
		ring_del(r, c);
	return q;
}

/*
 * The next request to send: the priority queue first, then the clients
 * in turn, with the clunks of clients that left taking every other turn
 * (a client that leaves with a million fids does not hold the others up
 * for a million clunks).
 */
struct req *next_req(struct relay *r)
{
	struct req *q = q_pop(&r->pqhead, &r->pqtail);

	if (q)
		return q;
	if (r->cqhead && r->cleanup_turn) {
		r->cleanup_turn = false;
		return q_pop(&r->cqhead, &r->cqtail);
	}
	q = next_client_req(r);
	if (q) {
		r->cleanup_turn = true;
		return q;
	}
	return q_pop(&r->cqhead, &r->cqtail);
}

/* Put @q first on the queue at *@head, *@tail. */
static void q_push_front(struct req **head, struct req **tail, struct req *q)
{
	q->next = *head;
	*head = q;
	if (!*tail)
		*tail = q;
}

/* Put @q back at the head of its queue (the channel was full). */
void requeue_front(struct relay *r, struct req *q)
{
	struct client *c = q->c;

	if (q->queue == Q_PRIO) {
		q_push_front(&r->pqhead, &r->pqtail, q);
		return;
	}
	if (q->queue == Q_CLEANUP) {
		q_push_front(&r->cqhead, &r->cqtail, q);
		return;
	}
	q_push_front(&c->qhead, &c->qtail, q);
	c->qbytes += q->len;
	ring_add(r, c);
	r->ring = c;
}
