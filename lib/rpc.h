/* SPDX-License-Identifier: MIT */
/*
 * rpc.h - the request engine: sessions, requests and fids.
 *
 * LIFE OF A REQUEST: v9p__req_new() allocates a request with an msize
 * transmit buffer (from the session's pool: see BUFFERS) and writes the
 * header; the verb appends its fields;
 * v9p__req_send() takes a tag (waiting while the window is full), puts the
 * request in the tag table and writes it; v9p__req_wait() waits for the
 * reply.  There is no reader thread: a waiter with no reader active
 * becomes the reader, reads one message, hands it to the request its tag
 * names and wakes everyone (plan9port's mux does the same).  The reply
 * frees the tag at once, unless a Tflush for it is outstanding: then the
 * flusher frees it after Rflush.
 *
 * LOCKING: s->lock guards the tag pool, the tag table, the request
 * states, s->reading, s->dead and the fid free list; s->cv is broadcast
 * whenever a request completes, a tag is freed, the reader role is given
 * up, or the session dies.  A sender that finds the window full also
 * becomes the reader when nobody is, so senders never all wait for a
 * reader that does not exist.  s->wlock serialises writes to the transport so messages
 * never interleave; it is never taken with s->lock held.
 *
 * BUFFERS: every transmit and reply buffer is msize bytes.  A transmit
 * buffer goes back once the request is written (a Twrite's once it is
 * freed: a short Rwrite's rest is sent from it), and a reply of at most
 * V9P_SMALL_REPLY bytes is moved into a malloc of its own size, so that
 * requests waiting to be collected hold no msize buffers.  A freed one
 * goes back to the session's pool (s->pool, under s->lock), up to
 * V9P_POOL_PER_SLOT per slot of the window, and the next request takes
 * it again: no malloc(msize) and no fresh pages to fault in per request.
 * A buffer of another size is freed, and a Tversion that changes msize
 * empties the pool.
 *
 * DEATH: a failed read or write, or a reply with a tag nobody owns, kills
 * the session: every request in the table completes with ECONNABORTED and
 * later requests fail at once with ECONNABORTED.
 */
#ifndef V9P_RPC_H
#define V9P_RPC_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "parse.h"
#include "tags.h"
#include "trans.h"

enum v9p_req_state {
	V9P_REQ_NEW,
	V9P_REQ_SENT,
	V9P_REQ_DONE,
};

struct v9p_req {
	struct v9p_session *s;
	struct v9p_buf b;	/* transmit message under construction; gone
				 * once sent, unless a Twrite (BUFFERS) */
	struct v9p_expect want; /* what the reply is checked against */
	uint8_t *rx;		/* reply (@rxcap bytes, owned) */
	size_t rxlen, rxcap;
	enum v9p_req_state state;
	int err;	  /* channel error to report instead of the reply */
	bool in_table;	  /* s->bytag[tag] points here */
	bool tag_held;	  /* want.tag is taken from the pool */
	bool flushing;	  /* a Tflush of our tag is outstanding */
	bool from_fd;	  /* a Twrite whose data is src_fd's at src_off */
	int src_fd;	  /* (v9p__req_write_from()): the transport reads */
	uint64_t src_off; /* it there, if it can without a copy */
	int src_err;	  /* reading src_fd failed: errno; sent empty */
};

struct v9p_session {
	struct v9p_transport t;
	uint32_t msize;
	uint32_t window;
	unsigned int gen; /* bumped by every Tversion after the first */

	pthread_mutex_t lock;
	pthread_cond_t cv;
	pthread_mutex_t wlock;
	struct v9p_tagpool tags;
	struct v9p_req **bytag; /* window entries */
	struct v9p_req *notag;	/* the Tversion in flight, if any */
	uint32_t inflight;
	bool reading;
	bool dead;

	uint8_t **pool;	  /* free msize buffers (BUFFERS) */
	uint32_t npool, cappool;

	uint32_t next_fid;
	uint32_t *free_fids;
	size_t nfree;
	size_t capfree;
};

/* Buffers kept per slot of the window: a request's transmit and reply
 * buffers, twice, for the replies a copy holds while it writes them out. */
#define V9P_POOL_PER_SLOT 4

struct v9p_fid {
	struct v9p_session *s;
	uint32_t fid;
	unsigned int gen;
	uint32_t iounit;
	struct v9p_qid qid;
};

/* An msize buffer from @s's pool, or malloc'd; NULL (ENOMEM). */
uint8_t *v9p__buf_get(struct v9p_session *s);
/* Give back @p (@cap bytes; may be NULL) to @s's pool, or free it. */
void v9p__buf_put(struct v9p_session *s, uint8_t *p, size_t cap);
/* Free every buffer in @s's pool (its msize changed, or it closes). */
void v9p__pool_drain(struct v9p_session *s);

/* New request of type @ttype with room for msize bytes; NULL (ENOMEM). */
struct v9p_req *v9p__req_new(struct v9p_session *s, uint8_t ttype);
/* Finish, tag and write @r.  -1 with errno (EMSGSIZE if the message did
 * not fit, ECONNABORTED if the session is dead) leaves @r unsent. */
int v9p__req_send(struct v9p_req *r);
/* Wait for the reply of a sent @r; 0 or -1 with the channel's errno. */
int v9p__req_wait(struct v9p_req *r);
/* Wait, then check and decode the reply into @rep (pointing into @r). */
int v9p__req_reply(struct v9p_req *r, struct v9p_reply *rep);
/* v9p__req_send() + v9p__req_reply(). */
int v9p__rpc(struct v9p_req *r, struct v9p_reply *rep);
/* Whether the reply of sent @r has come (read by any waiter); no I/O. */
bool v9p__req_done(struct v9p_req *r);
/* Read replies that are ready without blocking; true if @r is done. */
bool v9p__req_poll(struct v9p_req *r);
/* Abandon sent @r with Tflush: 1 if its reply came, 0 if flushed, -1.
 * @r is finished (V9P_REQ_DONE) on return, whatever the result. */
int v9p__req_flush(struct v9p_req *r);
/* Free a request that is new or done. */
void v9p__req_free(struct v9p_req *r);

/* New request of @ttype on live fid @f with fid[4] already put. */
struct v9p_req *v9p__req_fid(struct v9p_fid *f, uint8_t ttype);
/* Free @r keeping errno; returns -1. */
int v9p__req_fail(struct v9p_req *r);
/* v9p__rpc(), then free @r; @rep keeps the reply's fixed-size fields
 * (qids, counts, attrs), not its data or strings, which pointed into @r.
 * 0 or -1. */
int v9p__rpc_take(struct v9p_req *r, struct v9p_reply *rep);
/* v9p__rpc_take() for a reply with nothing to keep; @r may be NULL. */
int v9p__rpc_free(struct v9p_req *r);

/* Most data bytes one Tread/Twrite on @f may carry. */
uint32_t v9p__io_max(const struct v9p_fid *f);
/* New Tread (@ttype V9P_TREAD) of @count bytes at @off on @f, or Twrite
 * of @count bytes of @data; the reply's count is checked against @count.
 * NULL with errno. */
struct v9p_req *v9p__req_io(struct v9p_fid *f, uint8_t ttype, uint64_t off,
			    uint32_t count, const void *data);

/* New Twrite of @count bytes at @off on @f whose data the caller puts at
 * *@data (in the transmit buffer) before sending it.  NULL with errno
 * (EMSGSIZE: @count does not fit in msize). */
struct v9p_req *v9p__req_write_room(struct v9p_fid *f, uint64_t off,
				    uint32_t count, uint8_t **data);
/* New Twrite of @count bytes at @off on @f whose data is @fd's at
 * @src_off: the transport reads it when it sends the request, spliced
 * (see trans_dev.c) where it can.  If @fd has fewer bytes, the request
 * goes out cut to what it has; if reading it fails, it goes out empty and
 * src_err holds the errno.  NULL with errno, as v9p__req_write_room(). */
struct v9p_req *v9p__req_write_from(struct v9p_fid *f, uint64_t off,
				    uint32_t count, int fd, uint64_t src_off);
/* Whether @f's transport can send a Twrite's data from a file itself. */
bool v9p__can_send_from(const struct v9p_fid *f);
/* Cut the unsent Twrite @r down to its first @count bytes of data. */
void v9p__req_write_trim(struct v9p_req *r, uint32_t count);
/* The data of the Twrite @r, want.count bytes.  For one of
 * v9p__req_write_from() it is read from its file first (it was spliced):
 * NULL with errno when that fails or finds fewer bytes (EIO). */
const uint8_t *v9p__req_write_data(struct v9p_req *r);

/* Allocate a fid number and object; NULL (ENOMEM). */
struct v9p_fid *v9p__fid_new(struct v9p_session *s);
/* Return a fid number to the pool and free the object. */
void v9p__fid_release(struct v9p_fid *f);
/* v9p__fid_release() keeping errno; returns @rc. */
int v9p__fid_put(struct v9p_fid *f, int rc);
/* 0 if @f belongs to the current protocol session, else -1 (ESTALE). */
int v9p__fid_check(const struct v9p_fid *f);

/* Split @path into names as v9p_walk() does (empty ones and "." are
 * skipped): *@names (malloc'd) points into *@copy (malloc'd); the caller
 * frees both (NULL when there are no names).  The count, or -1 (ENOMEM). */
ssize_t v9p__path_split(const char *path, char **copy, const char ***names);
/* New Twalk of @n <= V9P_MAXWELEM names from fid number @from to @to; the
 * reply's qids are checked against @n.  NULL with errno. */
struct v9p_req *v9p__req_walk(struct v9p_session *s, uint32_t from,
			      uint32_t to, size_t n, const char *const *names);
/* Qids in the Rwalk @rep; the last one, if any, goes into @qid. */
int v9p__walk_got(const struct v9p_reply *rep, struct v9p_qid *qid);
/* New Tgetattr of @mask (V9P_GETATTR_*) on @f.  NULL with errno. */
struct v9p_req *v9p__req_getattr(struct v9p_fid *f, uint64_t mask);

#endif
