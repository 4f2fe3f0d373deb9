/* SPDX-License-Identifier: MIT */
/*
 * relay.h - the data of `vio9p relay' (see the design comment at the top
 * of relay.c) and the bottom layer, core.c, that every other file uses.
 *
 * The files call downwards only:
 *   relay.c   the event loop and every file descriptor: the channel, the
 *	       listening socket, the clients, the signal fd;
 *   msg.c     (msg.h) the 9P side: checking and remapping client
 *	       requests, matching channel replies, the relay's own
 *	       Tflush/Tclunk;
 *   fids.c    (fids.h) the fid maps and the channel fids, with their
 *	       references;
 *   setup.c   (setup.h) the channel (through libvio9p), the socket and
 *	       the privileges, before the loop;
 *   core.c    (here) the log, buffers, a client's output, the send
 *	       queues and the fair share.
 */
#ifndef VIO9P_RELAY_H
#define VIO9P_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* 9P constants the relay needs (9P2000.L). */
#define R_NOTAG 0xffffu
#define R_NOFID 0xffffffffu
#define R_HDRSZ 7		/* size[4] type[1] tag[2] */
#define R_RWHDRSZ 11		/* Rread/Rreaddir header: ... count[4] */
#define R_MAXWELEM 16
#define R_TLERROR 6
#define R_RLERROR 7
#define R_TVERSION 100
#define R_RVERSION 101
#define R_TAUTH 102
#define R_TATTACH 104
#define R_TFLUSH 108
#define R_RFLUSH 109
#define R_TWALK 110
#define R_RWALK 111
#define R_TCLUNK 120
#define R_TREMOVE 122
#define R_TXATTRWALK 30

/* Smallest msize a client may negotiate. */
#define R_MIN_MSIZE 512
/* Most requests one client may have outstanding (queued or on the
 * channel); beyond that the relay stops reading its socket. */
#define R_CLIENT_REQS 128
/* Most fids one client may hold by default (--max-fids), and all
 * clients together. */
#define R_CLIENT_FIDS 65536u
#define R_TOTAL_FIDS (1u << 24)

/* A byte buffer: bytes [head, len) are pending. */
struct rbuf {
	uint8_t *p;
	size_t head;
	size_t len;
	size_t cap;
};

enum { REQ_QUEUED, REQ_SENT };

/* The send queue a request waits on. */
enum {
	Q_CLIENT,	/* its client's, served in turn with the others */
	Q_PRIO,		/* before everything: Tflush, a settled fid's clunk */
	Q_CLEANUP,	/* the fids of clients that left: one turn in two */
};

/* Most channel fids one request names (Trenameat, Tlink, Tattach). */
#define R_REQ_FIDS 3

/*
 * One request on its way through the relay: a client's (c set), an
 * orphan (c NULL after its client left) or the relay's own (c NULL,
 * Tflush or Tclunk).  It is on its client's outstanding list while c is
 * set, on one send queue while REQ_QUEUED, and in the channel's tag table
 * while REQ_SENT.
 */
struct req {
	struct req *next;	  /* send queue */
	struct req *onext, *oprev; /* client's outstanding list */
	struct client *c;
	uint64_t serial;	  /* tells a reused channel tag apart */
	uint8_t type;		  /* T-message type */
	uint8_t state;		  /* REQ_QUEUED or REQ_SENT */
	uint8_t queue;		  /* Q_CLIENT, Q_PRIO or Q_CLEANUP */
	uint8_t nrefs;		  /* channel fids in refs[] */
	uint32_t refs[R_REQ_FIDS]; /* channel fids it names: one reference
				    * each, until it is freed */
	uint16_t ctag;		  /* client's tag */
	uint16_t chtag;		  /* channel tag, once sent */
	uint16_t nwname;	  /* Twalk: names asked */
	uint32_t newfid;	  /* client fid it creates, or R_NOFID */
	uint32_t newchfid;	  /* channel fid it creates, or R_NOFID */
	uint32_t dropchfid;	  /* channel fid it clunks, or R_NOFID */
	uint16_t flush_chtag;	  /* Tflush: target's channel tag ... */
	uint64_t flush_serial;	  /* ... and serial */
	uint32_t len;
	uint8_t *msg;		  /* freed once sent */
};

/* A client fid and the channel fid it stands for. */
struct fident {
	uint32_t cfid;
	uint32_t chfid;
	bool pending;		  /* its creating request is outstanding */
	struct fident *next;
};

/* Chained hash from client fid to struct fident. */
struct fidmap {
	struct fident **b;
	unsigned bits;
	uint32_t n;
};

struct client {
	int fd;
	unsigned id;
	uint32_t msize;		  /* 0 until a 9P2000.L Tversion */
	uint32_t events;	  /* epoll interest registered now */
	bool dead;		  /* dropped; freed at the end of the turn */
	bool stalled;		  /* not reading: at a cap */
	bool dirty;		  /* on the dirty list: output to write */
	bool in_ring;
	struct rbuf in, out;
	struct req *qhead, *qtail; /* queued, not yet on the channel */
	size_t qbytes;
	struct req *outstanding;  /* every request it is owed a reply for */
	uint32_t nreq;
	uint32_t nsent;		  /* of those, on the channel */
	bool warned_fids;	  /* told the log it reached --max-fids */
	bool has_peer;		  /* peer_uid is known (SO_PEERCRED) */
	uid_t peer_uid;
	char peer_name[64];	  /* its user name, or the uid in decimal */
	struct client *rnext, *rprev; /* ring of clients with queued requests */
	struct client *next, *prev;   /* every client */
	struct client *dnext;	  /* dirty list */
	struct fidmap fids;
	uint64_t tags[65536 / 64]; /* client tags outstanding */
};

struct relay {
	int ep;			  /* epoll */
	int chfd;		  /* the channel */
	bool dev;		  /* a vio9p device (else a byte stream) */
	const char *addr;
	uint32_t msize;		  /* the channel's negotiated msize */
	uint32_t window;	  /* most requests on the channel */
	uint32_t inflight;	  /* written, reply not read (device: slots) */
	uint32_t chev;		  /* channel epoll interest */
	bool chblocked;		  /* the channel refused a write (EAGAIN) */
	struct rbuf chin, chout;
	struct req **tags;	  /* channel tag -> request */
	uint16_t ntags, nfreetags;
	uint16_t *freetags;
	uint32_t *freefids;	  /* channel fids to reuse */
	uint32_t nfreefids, capfreefids, nextfid, nfids;
	uint32_t *fidrefs;	  /* channel fid -> references (0: free) */
	uint32_t capfidrefs;
	uint32_t maxfids;	  /* --max-fids: most fids per client */
	bool peer_uid;		  /* --peer-uid: attach as the peer's uid */
	struct req *pqhead, *pqtail; /* Q_PRIO */
	struct req *cqhead, *cqtail; /* Q_CLEANUP */
	bool cleanup_turn;	  /* Q_CLEANUP goes next, before a client */
	struct client *ring;	  /* next client to send a request for */
	struct client *clients;
	struct client *dirty;
	struct client *reaped;	  /* dead, to free */
	unsigned nclients, nextid;
	uint64_t serial;
	int lfd;		  /* listening socket, or -1 */
	bool lpaused;		  /* accept(2) ran out of descriptors */
	int sigfd;		  /* signalfd: TERM, INT, HUP, USR1 */
	bool once;		  /* --fd without -l: end with that client */
	bool verbose;
	bool failed;		  /* the channel failed: leave the loop */
	bool stop;		  /* a signal asked to stop */
	uint64_t nrequests;	  /* requests forwarded, for SIGUSR1 */
};

/* ---- core.c ----------------------------------------------------------- */

/* malloc(@n), or exit with "out of memory". */
void *relay_malloc(size_t n);

/* "vio9p: relay: ..." on stderr (with ": strerror(errno)" for the first). */
void relay_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void relay_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Verbose-only notes (-v). */
void relay_note(struct relay *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Make room for @n more bytes after b->len, compacting or growing. */
void rbuf_room(struct rbuf *b, size_t n);
void rbuf_append(struct rbuf *b, const void *p, size_t n);
/* Bytes not yet consumed. */
size_t rbuf_pending(const struct rbuf *b);
/* Write what @b holds to the non-blocking @fd, until it would block: 0,
 * or -1 with errno. */
int rbuf_write(int fd, struct rbuf *b);

/* Append a reply to @c's output (written at the end of the turn). */
void client_send(struct relay *r, struct client *c, const void *msg,
		 size_t len);

/* Put @q on send queue @queue (Q_CLIENT: its client's). */
void relay_enqueue(struct relay *r, struct req *q, uint8_t queue);
/* Take @q (on Q_CLIENT) off its client's send queue. */
void relay_unqueue(struct relay *r, struct req *q);
/* Take @c out of the turns (it left). */
void ring_del(struct relay *r, struct client *c);
/* The next request to send, or NULL: Q_PRIO, then the clients in turn
 * within their share, with Q_CLEANUP every other turn. */
struct req *next_req(struct relay *r);
/* Put @q back at the head of its queue (the channel was full). */
void requeue_front(struct relay *r, struct req *q);
/* Take the first request off the queue at *@head, *@tail, or NULL. */
struct req *q_pop(struct req **head, struct req **tail);

#endif
