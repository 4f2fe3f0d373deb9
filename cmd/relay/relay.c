// SPDX-License-Identifier: MIT
/*
 * relay.c - `vio9p relay': one 9P channel shared by any number of 9P
 * clients.
 *
 * A vio9p device admits one open file, and a 9P session belongs to the
 * program that sent its Tversion.  The relay holds the channel (a vio9p
 * device picked like every verb's, or a 9P server socket given with -a),
 * negotiates 9P2000.L on it once at the largest msize it allows (both
 * through libvio9p: v9p_connect(), then v9p_session_detach() hands the
 * fd over, so the relay has no connect or Tversion code of its own), and
 * serves clients on a unix socket (-l) and on one already connected
 * socket (--fd, for `mount -t 9p -o trans=fd').  Each client sees a 9P
 * server of its own: the Linux v9fs client, vio9p(1), diod's tools.
 *
 * SESSIONS
 *
 *   The relay answers each client's Tversion itself: 9P2000.L at
 *   min(client's msize, channel's msize); any other version, or an msize
 *   below 512, gets "unknown" and no session.  Requests before a session
 *   get Rlerror EPROTO.  A later Tversion ends the client's session as a
 *   hangup would (below) and starts a new one.  The channel never sees a
 *   Tversion after the first, so the server's fids stay valid.
 *
 * TAGS AND FIDS
 *
 *   Every client has its own tag and fid space.  relay.tags maps a
 *   channel tag to its struct req (2 x window + 64 tags); the request
 *   remembers its client and the client's tag, which the reply gets back.
 *   Each client has a hash (client.fids) from its fids to channel fids,
 *   which come from one pool (relay.freefids).  Tattach, Tauth, Twalk and
 *   Txattrwalk add a fid, pending until the reply says it exists;
 *   Tclunk and Tremove take it out of the map when sent and give the
 *   channel fid back when answered.  msg.c states who owns a
 *   channel fid at each moment, so that none is reused while the server
 *   may still hold it.
 *
 *   Nor while a request still names it.  A client may name a fid whose
 *   creating walk is still queued; if that walk fails, or is flushed,
 *   the fid is gone for the client at once, but its later requests,
 *   already rewritten to the channel fid, are still queued or on the
 *   channel.  Were the number reused for another client's next fid, they
 *   would act on that client's file.  So every request holds a reference
 *   on each channel fid it names (req.refs, relay.fidrefs), from the
 *   moment it is rewritten to the moment it is freed, and the owner holds
 *   one more; a number is free when the count drops to zero.  Mapping
 *   fids at send time instead would still leave the requests already on
 *   the channel, and would move the fid checks, and their errors, away
 *   from the moment the client's request arrives; a count per channel
 *   fid costs four bytes and closes both.
 *
 * LIFE OF A REQUEST
 *
 *   client fd   client_input() reads into client.in (one read(2) per
 *		 readiness) and cuts it by size[4] into messages.
 *   check	 msg_request() decodes the request against its 9P2000.L
 *		 layout (types it does not know get Rlerror EOPNOTSUPP),
 *		 checks and rewrites its fids, clamps Tread/Treaddir counts
 *		 to the client's msize, copies it and puts it on the
 *		 client's send queue.
 *   pump	 pump() sends while the channel has room: the priority queue
 *		 (Tflush, the relay's own Tclunk of a fid a request left
 *		 behind) first, then one request per client in turn
 *		 (relay.ring), skipping a client at its share (FLOW
 *		 CONTROL), with the clunks of clients that left taking
 *		 every other turn (Q_CLEANUP).  It takes a channel tag,
 *		 writes the tag into the message and sends it: on a device
 *		 one write(2) per request while request slots are free
 *		 (VIO9P_IOC_LIMITS; EAGAIN puts it back and waits for
 *		 EPOLLOUT); on a stream all of a turn's requests go in one
 *		 write(2).
 *   reply	 chan_read() reads replies: on a device one read(2) each
 *		 until none is in flight or EAGAIN; on a stream as many as
 *		 one large read(2) brings.  msg_reply() finds the request
 *		 by tag, settles its fids, and appends the reply, under the
 *		 client's tag, to client.out.
 *   client fd   At the end of the turn, one write(2) per client with
 *		 output (relay.dirty).
 *
 * FLOW CONTROL
 *
 *   The channel is always read, whatever the clients do, so a client
 *   that does not read its replies only grows its own client.out.  A
 *   client stalls (the relay stops reading its socket) while it has 128
 *   requests outstanding, or while its queued requests or its unwritten
 *   replies pass max(256 KiB, 2 x msize); it resumes when it drops below.
 *   Its output is then bounded by the caps plus the replies to what it
 *   had in flight.  On a device, relay.inflight counts slots (one per
 *   write, given back by each read, also by the empty read of a reply
 *   QEMU discards after a Tflush); on a stream, requests without an
 *   answer.  The window is the device's slots, or 64 on a stream.
 *
 *   Fair share: a client whose requests block in the server (an open of
 *   a FIFO on diod, a read of a file system that hangs) must not hold
 *   the whole window, or every other client waits for it.
 *   client_may_send() lets a client have another request on the channel
 *   only while it holds fewer than 7/8 of the slots the others leave it
 *   (client.nsent against relay.inflight): a client alone keeps 56 of
 *   64 slots busy, a second busy one gets 7 of the remaining 8, and a
 *   client with nothing on the channel always gets a free slot.  Each
 *   client also holds at most --max-fids fids (65536 by default; EMFILE
 *   beyond, with a line in the log), and the clunks the relay sends for
 *   a client that left or began a new session go on their own queue,
 *   which takes every other turn: a client that leaves with many fids
 *   does not hold up the others.
 *
 * FLUSH
 *
 *   A client's Tflush of a request still queued is answered at once and
 *   the request dropped.  For a request on the channel the relay sends
 *   Tflush with the channel tag; when Rflush comes and the request had no
 *   reply, the request is over: its tag is freed and a fid it was making
 *   is clunked by the relay.  Then the client gets its Rflush, after the
 *   request's reply if there was one.
 *
 * A CLIENT THAT LEAVES
 *
 *   On hangup, a read or write error, or a protocol violation that leaves
 *   nothing sensible to answer (a size[4] below 7 or above its msize, a
 *   tag already in use, a malformed Tversion), msg_abandon() drops its
 *   queued requests, flushes the ones on the channel (their replies are
 *   then thrown away) and clunks every fid it held, with the relay's own
 *   Tflush and Tclunk.  The struct client is freed at the end of the turn.
 *
 * UNTRUSTED INPUT
 *
 *   On a device, Tauth gets Rlerror ENOENT from the relay, which is how
 *   a 9P2000.L server says that it needs no authentication: virtio-9p
 *   servers have none (QEMU answers EOPNOTSUPP, which diod's clients take
 *   for a failure).  On a socket it goes to the server.
 *
 *   A malformed request never reaches the channel: QEMU gives up on a
 *   whole device (NEEDS_RESET) when it cannot decode one.  It gets
 *   Rlerror: EPROTO (malformed), EOPNOTSUPP (unknown type), EBADF
 *   (unknown fid), EINVAL (fid in use, more than 16 names), EBUSY
 *   (clunk of a fid still being made), EMFILE/ENFILE (too many fids).
 *   Replies from the channel are checked for size (against the channel's
 *   msize), tag, type, and, where the relay acts on them, their body;
 *   a malformed one reaches its client as Rlerror EPROTO.  Only a failed
 *   channel (EOF, an error, a message larger than msize) ends the relay,
 *   with status 1.
 *
 * PRIVILEGES AND SIGNALS
 *
 *   -u drops to a user after the channel and the socket are open; the
 *   socket's mode (-m, default 0600) decides who may connect.  Clients
 *   attach as whatever user they name, as on the device itself, unless
 *   --peer-uid is given: then the relay reads the uid of each client's
 *   peer (SO_PEERCRED) when it connects, refuses a client without one,
 *   and rewrites the uname and n_uname of its Tattach and Tauth to that
 *   uid and its user name, so that a socket open to many users does not
 *   let one act as another.  SIGTERM,
 *   SIGINT and SIGHUP end the relay (status 0) and remove the socket;
 *   SIGUSR1 logs its state.  One thread, one epoll loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd.h"
#include "fids.h"
#include "msg.h"
#include "relay.h"
#include "setup.h"

/* A client's input buffer to start with, and the least output cap. */
#define CLIENT_INBUF 65536
#define CLIENT_OUTCAP (256 * 1024)

/* Markers for the epoll entries that are not clients. */
static char ev_chan, ev_listen, ev_signal;

/* ---- epoll ----------------------------------------------------------------- */

static void watch(struct relay *r, int fd, void *ptr, uint32_t *cur,
		  uint32_t want)
{
	struct epoll_event ev = { .events = want, .data.ptr = ptr };

	if (*cur == want)
		return;
	if (epoll_ctl(r->ep, EPOLL_CTL_MOD, fd, &ev) < 0)
		xerr("relay: epoll_ctl");
	*cur = want;
}

static void chan_watch(struct relay *r)
{
	bool out = r->dev ? r->chblocked : rbuf_pending(&r->chout) > 0;

	watch(r, r->chfd, &ev_chan, &r->chev, EPOLLIN | (out ? EPOLLOUT : 0));
}

static void client_watch(struct relay *r, struct client *c)
{
	uint32_t want = c->stalled ? 0 : EPOLLIN;

	if (c->dead)
		return;

	if (rbuf_pending(&c->out))
		want |= EPOLLOUT;
	watch(r, c->fd, c, &c->events, want);
}

/* ---- the channel ---------------------------------------------------------------- */

static void chan_fail(struct relay *r, const char *what)
{
	if (!r->failed)
		relay_warn("channel %s: %s", r->addr, what);
	r->failed = true;
}

/* Write the stream channel's pending output. */
static void chan_flush(struct relay *r)
{
	if (!r->failed && rbuf_write(r->chfd, &r->chout) < 0) {
		chan_fail(r, "write");
		return;
	}
	chan_watch(r);
}

/* Send queued requests while the channel has room. */
static void pump(struct relay *r)
{
	while (!r->failed && !r->chblocked && r->inflight < r->window &&
	       r->nfreetags) {
		struct req *q = next_req(r);
		uint16_t tag;

		if (!q)
			break;
		tag = r->freetags[r->nfreetags - 1];
		r_put16(q->msg + 5, tag);
		if (r->dev) {
			ssize_t n;

			do
				n = write(r->chfd, q->msg, q->len);
			while (n < 0 && errno == EINTR);
			if (n < 0 && errno == EAGAIN) {
				/* Slots taken that we did not count: wait. */
				requeue_front(r, q);
				r->chblocked = true;
				break;
			}
			if (n != (ssize_t)q->len) {
				requeue_front(r, q);
				chan_fail(r, "write");
				break;
			}
		} else {
			rbuf_append(&r->chout, q->msg, q->len);
		}
		r->nfreetags--;
		q->chtag = tag;
		q->state = REQ_SENT;
		r->tags[tag] = q;
		r->inflight++;
		if (q->c)
			q->c->nsent++;
		r->nrequests++;
		free(q->msg); /* the reply is all that is left to wait for */
		q->msg = NULL;
	}
	if (r->dev)
		chan_watch(r);
	else
		chan_flush(r);
}

static void chan_read_dev(struct relay *r)
{
	for (int i = 0; i < 256 && !r->failed; i++) {
		ssize_t n = read(r->chfd, r->chin.p, r->msize);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			chan_fail(r, "read");
			return;
		}
		if (r->inflight)
			r->inflight--; /* a slot came back */
		if (n < R_HDRSZ)
			continue; /* a reply the device discarded (flushed) */
		if (r_get32(r->chin.p) != (uint32_t)n)
			r->chin.p[4] = 0; /* truncated: an invalid type */
		msg_reply(r, r->chin.p, (uint32_t)n);
		if (!r->inflight)
			return;
	}
}

static void chan_read_stream(struct relay *r)
{
	struct rbuf *b = &r->chin;
	ssize_t n;

	rbuf_room(b, r->msize);
	do
		n = read(r->chfd, b->p + b->len, b->cap - b->len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		if (n == 0)
			errno = ECONNRESET;
		chan_fail(r, "read");
		return;
	}
	b->len += (size_t)n;
	while (rbuf_pending(b) >= 4) {
		uint8_t *m = b->p + b->head;
		uint32_t size = r_get32(m);

		if (size < R_HDRSZ || size > r->msize) {
			errno = EPROTO;
			chan_fail(r, "reply size out of range");
			return;
		}
		if (rbuf_pending(b) < size)
			break;
		msg_reply(r, m, size);
		b->head += size;
	}
}

/* ---- clients ------------------------------------------------------------------ */

static size_t client_cap(const struct client *c)
{
	size_t cap = 2 * (size_t)c->msize;

	return cap > CLIENT_OUTCAP ? cap : CLIENT_OUTCAP;
}

static bool client_full(const struct client *c)
{
	return c->nreq >= R_CLIENT_REQS || c->qbytes >= client_cap(c) ||
	       rbuf_pending(&c->out) >= client_cap(c);
}

/* Learn who is at the other end of @c's socket (SO_PEERCRED). */
static void client_peer(struct client *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct passwd *pw;

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    len != sizeof(cred))
		return;
	c->has_peer = true;
	c->peer_uid = cred.uid;
	pw = getpwuid(cred.uid);
	if (pw && strlen(pw->pw_name) < sizeof(c->peer_name))
		snprintf(c->peer_name, sizeof(c->peer_name), "%s", pw->pw_name);
	else
		snprintf(c->peer_name, sizeof(c->peer_name), "%u",
			 (unsigned)cred.uid);
}

/* A new client on socket @fd; NULL (and @fd closed) if --peer-uid
 * cannot tell whose it is. */
static struct client *client_new(struct relay *r, int fd)
{
	struct client *c = calloc(1, sizeof(*c));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!c)
		xerr("relay: out of memory");
	c->fd = fd;
	if (r->peer_uid) {
		client_peer(c);
		if (!c->has_peer) {
			relay_warn("client on fd %d: SO_PEERCRED, which "
				   "--peer-uid needs: refused", fd);
			close(fd);
			free(c);
			return NULL;
		}
	}
	c->id = ++r->nextid;
	c->events = EPOLLIN;
	ev.data.ptr = c;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		xerr("relay: epoll_ctl");
	c->next = r->clients;
	if (r->clients)
		r->clients->prev = c;
	r->clients = c;
	r->nclients++;
	if (c->has_peer)
		relay_note(r, "client %u: connected (fd %d), attaches as "
			   "%s (uid %u)", c->id, fd, c->peer_name,
			   (unsigned)c->peer_uid);
	else
		relay_note(r, "client %u: connected (fd %d)", c->id, fd);
	return c;
}

/* Drop @c: close its socket, flush and clunk what it left. */
static void client_drop(struct relay *r, struct client *c, const char *why)
{
	if (c->dead)
		return;
	if (why)
		relay_warnx("client %u: %s: dropped", c->id, why);
	else
		relay_note(r, "client %u: hung up", c->id);
	c->dead = true;
	epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	msg_abandon(r, c);
	ring_del(r, c);
	if (c->prev)
		c->prev->next = c->next;
	else
		r->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = r->reaped;
	r->reaped = c;
	r->nclients--;
}

static void client_free(struct client *c)
{
	free(c->in.p);
	free(c->out.p);
	fidmap_free(&c->fids);
	free(c);
}

/* Write what @c's output holds, without blocking. */
static void client_flush(struct relay *r, struct client *c)
{
	if (rbuf_write(c->fd, &c->out) < 0) {
		client_drop(r, c, errno != EPIPE && errno != ECONNRESET ?
					  strerror(errno) : NULL);
		return;
	}
	if (!rbuf_pending(&c->out) && c->out.cap > 4 * client_cap(c)) {
		/* A burst is over: give the memory back. */
		free(c->out.p);
		c->out = (struct rbuf){ 0 };
	}
	client_watch(r, c);
}

/* Handle the whole messages in @c's input; false if @c is gone. */
static bool client_parse(struct relay *r, struct client *c)
{
	struct rbuf *b = &c->in;

	while (!c->dead && rbuf_pending(b) >= 4) {
		uint32_t size = r_get32(b->p + b->head);
		uint32_t max = c->msize ? c->msize : R_MIN_MSIZE;
		const char *why;

		if (size < R_HDRSZ || size > max) {
			char msg[80];

			snprintf(msg, sizeof(msg),
				 "a message of %u bytes (limit %u)", size, max);
			client_drop(r, c, msg);
			return false;
		}
		if (rbuf_pending(b) < size) {
			rbuf_room(b, size - rbuf_pending(b));
			break;
		}
		if (client_full(c))
			break;
		if (msg_request(r, c, b->p + b->head, size, &why) < 0) {
			client_drop(r, c, why);
			return false;
		}
		b->head += size;
	}
	return !c->dead;
}

/* Read and handle @c's requests (@readable: its socket said so). */
static void client_input(struct relay *r, struct client *c, bool readable)
{
	struct rbuf *b = &c->in;

	for (;;) {
		size_t room;
		ssize_t n;

		if (!client_parse(r, c))
			return;
		c->stalled = client_full(c);
		if (c->stalled || !readable)
			break;
		rbuf_room(b, b->cap ? CLIENT_INBUF / 4 : CLIENT_INBUF);
		room = b->cap - b->len;
		n = read(c->fd, b->p + b->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			client_drop(r, c, n < 0 && errno != ECONNRESET ?
						  strerror(errno) : NULL);
			return;
		}
		b->len += (size_t)n;
		/* A full buffer may have more behind it; else wait. */
		readable = (size_t)n == room;
	}
	client_watch(r, c);
}

/* ---- the loop ------------------------------------------------------------------ */

static void accept_clients(struct relay *r)
{
	for (;;) {
		int fd = accept4(r->lfd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			client_new(r, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN)
			return;
		relay_warn("accept");
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
		    errno == ENOBUFS) {
			/* Until a client leaves. */
			struct epoll_event ev = { 0 };

			ev.data.ptr = &ev_listen;
			epoll_ctl(r->ep, EPOLL_CTL_MOD, r->lfd, &ev);
			r->lpaused = true;
		}
		return;
	}
}

static void log_state(struct relay *r)
{
	unsigned queued = 0, stalled = 0;

	for (struct client *c = r->clients; c; c = c->next) {
		queued += c->nreq;
		stalled += c->stalled;
	}
	relay_warnx("state: %u clients, %u stalled, %u fids, %u requests in "
		    "flight, %u tags used, %u client requests outstanding, "
		    "%llu forwarded",
		    r->nclients, stalled, r->nfids, r->inflight,
		    (unsigned)(r->ntags - r->nfreetags), queued,
		    (unsigned long long)r->nrequests);
	/* Who holds the channel: each request on it, by type and owner. */
	for (unsigned t = 0; t < r->ntags; t++) {
		const struct req *q = r->tags[t];

		if (!q)
			continue;
		if (q->c)
			relay_warnx("on the channel: tag %u, type %u of client %u "
				    "(%u of its requests on the channel)",
				    t, q->type, q->c->id, q->c->nsent);
		else
			relay_warnx("on the channel: tag %u, type %u of the relay",
				    t, q->type);
	}
}

static void read_signals(struct relay *r)
{
	struct signalfd_siginfo si;

	while (read(r->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			log_state(r);
		} else {
			relay_note(r, "signal %u: stopping", si.ssi_signo);
			r->stop = true;
		}
	}
}

/* Write every client's output. */
static void flush_clients(struct relay *r)
{
	while (r->dirty) {
		struct client *c = r->dirty;

		r->dirty = c->dnext;
		c->dirty = false;
		if (!c->dead)
			client_flush(r, c);
	}
}

/* Let stalled clients that are below their caps go on; true if any did. */
static bool resume_clients(struct relay *r)
{
	bool any = false;

	for (struct client *c = r->clients; c; c = c->next) {
		if (c->stalled && !client_full(c)) {
			client_input(r, c, false);
			any = true;
		}
	}
	return any;
}

static void reap(struct relay *r)
{
	while (r->reaped) {
		struct client *c = r->reaped;

		r->reaped = c->next;
		client_free(c);
		if (r->lpaused) {
			struct epoll_event ev = { .events = EPOLLIN };

			ev.data.ptr = &ev_listen;
			epoll_ctl(r->ep, EPOLL_CTL_MOD, r->lfd, &ev);
			r->lpaused = false;
		}
	}
}

static void loop(struct relay *r)
{
	struct epoll_event evs[64];

	while (!r->failed && !r->stop && !(r->once && !r->nclients)) {
		int n = epoll_wait(r->ep, evs, 64, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			xerr("relay: epoll_wait");
		for (int i = 0; i < n && !r->failed; i++) {
			void *p = evs[i].data.ptr;
			uint32_t e = evs[i].events;

			if (p == &ev_chan) {
				if (e & EPOLLOUT)
					r->chblocked = false;
				if (r->dev && (e & (EPOLLIN | EPOLLERR | EPOLLHUP)))
					chan_read_dev(r);
				else if (!r->dev && (e & (EPOLLIN | EPOLLERR | EPOLLHUP)))
					chan_read_stream(r);
			} else if (p == &ev_listen) {
				accept_clients(r);
			} else if (p == &ev_signal) {
				read_signals(r);
			} else {
				struct client *c = p;

				if (c->dead)
					continue;
				if (e & (EPOLLERR | EPOLLHUP))
					client_drop(r, c, NULL);
				else if (e & EPOLLOUT)
					client_flush(r, c);
				if (!c->dead && (e & EPOLLIN))
					client_input(r, c, true);
			}
		}
		for (int i = 0; i < 8 && !r->failed; i++) {
			pump(r);
			flush_clients(r);
			if (!resume_clients(r))
				break;
		}
		pump(r);
		flush_clients(r);
		reap(r);
	}
}

/* Free what is left at exit (the server forgets the session when the
 * channel closes, or at the next Tversion on a device). */
static void relay_free(struct relay *r)
{
	struct req *q;

	while (r->clients)
		client_drop(r, r->clients, NULL);
	reap(r);
	while ((q = q_pop(&r->pqhead, &r->pqtail)) ||
	       (q = q_pop(&r->cqhead, &r->cqtail)))
		req_free(r, q);
	for (uint32_t t = 0; t < r->ntags; t++)
		if (r->tags[t])
			req_free(r, r->tags[t]);
	free(r->tags);
	free(r->freetags);
	free(r->freefids);
	free(r->fidrefs);
	free(r->chin.p);
	free(r->chout.p);
	close(r->chfd);
	close(r->ep);
	close(r->sigfd);
}

static int add_fd(struct relay *r, int fd, void *ptr)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ptr };

	return epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev);
}

int cmd_relay(struct vctx *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "fd", required_argument, NULL, 'F' },
		{ "max-fids", required_argument, NULL, 'M' },
		{ "peer-uid", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	struct relay r = { .chfd = -1, .lfd = -1, .sigfd = -1,
			   .maxfids = R_CLIENT_FIDS };
	const char *lpath = NULL, *user = NULL, *errstr;
	mode_t mode = 0600;
	int ch, cfd = -1;
	uint64_t val;
	sigset_t sigs;

	while ((ch = getopt_long(argc, argv, "+l:m:u:v", longopts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'l': lpath = optarg; break;
		case 'u': user = optarg; break;
		case 'v': r.verbose = true; break;
		case 'm':
			if (relay_parse_mode(optarg, &mode) < 0)
				xerrx("relay: mode %s: not an octal mode up "
				      "to 0777", optarg);
			break;
		case 'F':
			if (parse_u64(optarg, 0, INT_MAX, &val, &errstr) < 0)
				xerrx("relay: fd %s: %s", optarg, errstr);
			cfd = (int)val;
			break;
		case 'M':
			if (parse_u64(optarg, 1, R_TOTAL_FIDS, &val, &errstr) < 0)
				xerrx("relay: --max-fids %s: %s", optarg,
				      errstr);
			r.maxfids = (uint32_t)val;
			break;
		case 'P': r.peer_uid = true; break;
		default:
			return usage_verb(c->verb);
		}
	}
	if (optind != argc || (!lpath && cfd < 0))
		return usage_verb(c->verb);
	if (cfd >= 0 && fcntl(cfd, F_GETFD) < 0)
		xerr("relay: fd %d", cfd);

	r.addr = c->addr;
	relay_open_channel(&r, c);
	if (lpath)
		r.lfd = relay_listen(lpath, mode);
	if (user)
		relay_drop_privileges(user);

	/* Signals arrive as messages in the loop. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	r.sigfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	r.ep = epoll_create1(EPOLL_CLOEXEC);
	if (r.sigfd < 0 || r.ep < 0)
		xerr("relay: signalfd/epoll");

	r.ntags = (uint16_t)(r.window * 2 + 64);
	r.tags = calloc(r.ntags, sizeof(*r.tags));
	r.freetags = malloc(r.ntags * sizeof(*r.freetags));
	if (!r.tags || !r.freetags)
		xerr("relay: out of memory");
	for (uint16_t t = 0; t < r.ntags; t++) /* tag 0 is taken first */
		r.freetags[r.nfreetags++] = (uint16_t)(r.ntags - 1 - t);
	if (r.dev) {
		r.chin.p = malloc(r.msize);
		if (!r.chin.p)
			xerr("relay: out of memory");
		r.chin.cap = r.msize;
	}
	r.chev = EPOLLIN;
	if (add_fd(&r, r.chfd, &ev_chan) < 0 ||
	    add_fd(&r, r.sigfd, &ev_signal) < 0 ||
	    (r.lfd >= 0 && add_fd(&r, r.lfd, &ev_listen) < 0))
		xerr("relay: epoll_ctl");
	if (cfd >= 0) {
		fcntl(cfd, F_SETFD, FD_CLOEXEC);
		fcntl(cfd, F_SETFL, fcntl(cfd, F_GETFL) | O_NONBLOCK);
		r.once = r.lfd < 0;
		if (!client_new(&r, cfd) && r.once)
			xerrx("relay: --fd %d: no client to serve", cfd);
	}
	relay_note(&r, "channel %s: msize %u, %u requests in flight%s%s",
		   r.addr, r.msize, r.window, lpath ? ", listening on " : "",
		   lpath ? lpath : "");

	loop(&r);

	if (r.lfd >= 0) {
		close(r.lfd);
		unlink(lpath); /* may fail after -u: systemd cleans /run */
	}
	relay_free(&r);
	return r.failed ? 1 : 0;
}
