// SPDX-License-Identifier: MIT
/*
 * msg.c - the 9P side of `vio9p relay': each client request is
 * checked field by field against its 9P2000.L layout, its fids and tag
 * are remapped onto the channel's, and each channel reply is matched to
 * its request, applied to the fid maps and handed back under the client's
 * tag.  relay.c's design comment says why and what the rules are; this
 * file holds them; fids.c keeps the fid maps and the channel fid pool.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fids.h"
#include "msg.h"

uint16_t r_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t r_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

void r_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void r_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* ---- requests -------------------------------------------------------------- */

static struct req *req_new(struct relay *r, struct client *c, uint8_t type,
			   uint32_t len)
{
	struct req *q = calloc(1, sizeof(*q));

	if (!q)
		xerr("relay: out of memory");
	q->c = c;
	q->serial = ++r->serial;
	q->type = type;
	q->newfid = q->newchfid = q->dropchfid = R_NOFID;
	q->len = len;
	q->msg = relay_malloc(len);
	return q;
}

/* @q names channel fid @fid: hold it until @q is freed. */
static void req_ref(struct relay *r, struct req *q, uint32_t fid)
{
	chfid_ref(r, fid);
	q->refs[q->nrefs++] = fid;
}

void req_free(struct relay *r, struct req *q)
{
	for (uint8_t i = 0; i < q->nrefs; i++)
		chfid_put(r, q->refs[i]);
	free(q->msg);
	free(q);
}

static void tag_set(struct client *c, uint16_t tag)
{
	c->tags[tag / 64] |= 1ull << (tag % 64);
}

static void tag_clear(struct client *c, uint16_t tag)
{
	c->tags[tag / 64] &= ~(1ull << (tag % 64));
}

static bool tag_busy(const struct client *c, uint16_t tag)
{
	return c->tags[tag / 64] >> (tag % 64) & 1;
}

/* Add @q to its client's outstanding list. */
static void outstanding_add(struct client *c, struct req *q)
{
	q->oprev = NULL;
	q->onext = c->outstanding;
	if (c->outstanding)
		c->outstanding->oprev = q;
	c->outstanding = q;
	c->nreq++;
	tag_set(c, q->ctag);
}

/* Take @q off its client's outstanding list: the client is owed no more. */
static void outstanding_del(struct req *q)
{
	struct client *c = q->c;

	if (q->oprev)
		q->oprev->onext = q->onext;
	else
		c->outstanding = q->onext;
	if (q->onext)
		q->onext->oprev = q->oprev;
	q->onext = q->oprev = NULL;
	c->nreq--;
	tag_clear(c, q->ctag);
}

/* The relay's own Tclunk of @chfid, whose ownership it takes, on send
 * queue @queue (Q_PRIO or Q_CLEANUP). */
static void own_clunk(struct relay *r, uint32_t chfid, uint8_t queue)
{
	struct req *q = req_new(r, NULL, R_TCLUNK, R_HDRSZ + 4);

	r_put32(q->msg, q->len);
	q->msg[4] = R_TCLUNK;
	r_put32(q->msg + R_HDRSZ, chfid);
	req_ref(r, q, chfid);
	q->dropchfid = chfid;
	relay_enqueue(r, q, queue);
}

/* The relay's own Tflush of the sent request @t (whose client left). */
static void own_flush(struct relay *r, const struct req *t)
{
	struct req *q = req_new(r, NULL, R_TFLUSH, R_HDRSZ + 2);

	r_put32(q->msg, q->len);
	q->msg[4] = R_TFLUSH;
	r_put16(q->msg + R_HDRSZ, t->chtag);
	q->flush_chtag = t->chtag;
	q->flush_serial = t->serial;
	relay_enqueue(r, q, Q_PRIO);
}

static void reply_error(struct relay *r, struct client *c, uint16_t tag,
			uint32_t ecode)
{
	uint8_t m[R_HDRSZ + 4];

	r_put32(m, sizeof(m));
	m[4] = R_RLERROR;
	r_put16(m + 5, tag);
	r_put32(m + R_HDRSZ, ecode);
	client_send(r, c, m, sizeof(m));
}

static void reply_empty(struct relay *r, struct client *c, uint8_t type,
			uint16_t tag)
{
	uint8_t m[R_HDRSZ];

	r_put32(m, sizeof(m));
	m[4] = type;
	r_put16(m + 5, tag);
	client_send(r, c, m, sizeof(m));
}

/* ---- client requests -------------------------------------------------------- */

/*
 * The layout of each request the relay forwards, after size[4] type[1]
 * tag[2]: 1 2 4 8 fixed fields, s a string[s], f a fid the client holds,
 * n a fid the request creates, a an afid (NOFID or held), c a Tread or
 * Treaddir count (clamped to the client's msize), d count[4] and that
 * many bytes, w nwname[2] and that many strings (at most 16).
 */
static const struct {
	uint8_t type;
	const char *fmt;
} layouts[] = {
	{ 8, "f" },		/* Tstatfs */
	{ 12, "f4" },		/* Tlopen */
	{ 14, "fs444" },	/* Tlcreate */
	{ 16, "fss4" },		/* Tsymlink */
	{ 18, "fs4444" },	/* Tmknod */
	{ 20, "ffs" },		/* Trename */
	{ 22, "f" },		/* Treadlink */
	{ 24, "f8" },		/* Tgetattr */
	{ 26, "f444488888" },	/* Tsetattr */
	{ 30, "fns" },		/* Txattrwalk */
	{ 32, "fs84" },		/* Txattrcreate */
	{ 40, "f8c" },		/* Treaddir */
	{ 50, "f4" },		/* Tfsync */
	{ 52, "f14884s" },	/* Tlock */
	{ 54, "f1884s" },	/* Tgetlock */
	{ 70, "ffs" },		/* Tlink */
	{ 72, "fs44" },		/* Tmkdir */
	{ 74, "fsfs" },		/* Trenameat */
	{ 76, "fs4" },		/* Tunlinkat */
	{ 102, "nss4" },	/* Tauth */
	{ 104, "nass4" },	/* Tattach */
	{ 110, "fnw" },		/* Twalk */
	{ 116, "f8c" },		/* Tread */
	{ 118, "f8d" },		/* Twrite */
	{ 120, "f" },		/* Tclunk */
	{ 122, "f" },		/* Tremove */
};

struct layout_fid {
	char kind;		/* 'f', 'n' or 'a' */
	uint32_t off;
	uint32_t val;
};

struct parsed {
	int nfid;
	struct layout_fid fid[3];
	uint32_t countoff;	/* 'c' field, or 0 */
	uint16_t nwname;
};

static const char *layout_of(uint8_t type)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].type == type)
			return layouts[i].fmt;
	return NULL;
}

/* Walk @m (@len bytes) along @fmt.  0, or an errno for the client. */
static int parse_request(const uint8_t *m, uint32_t len, const char *fmt,
			 struct parsed *p)
{
	uint32_t pos = R_HDRSZ, n;

	memset(p, 0, sizeof(*p));
	for (; *fmt; fmt++) {
		switch (*fmt) {
		case '1': n = 1; break;
		case '2': n = 2; break;
		case '4': n = 4; break;
		case '8': n = 8; break;
		case 'f':
		case 'n':
		case 'a':
			if (len - pos < 4)
				return EPROTO;
			p->fid[p->nfid].kind = *fmt;
			p->fid[p->nfid].off = pos;
			p->fid[p->nfid++].val = r_get32(m + pos);
			n = 4;
			break;
		case 'c':
			p->countoff = pos;
			n = 4;
			break;
		case 's':
			if (len - pos < 2)
				return EPROTO;
			n = 2u + r_get16(m + pos);
			break;
		case 'd':
			if (len - pos < 4)
				return EPROTO;
			n = 4u + r_get32(m + pos);
			if (n < 4) /* wrapped */
				return EPROTO;
			break;
		case 'w':
			if (len - pos < 2)
				return EPROTO;
			p->nwname = r_get16(m + pos);
			if (p->nwname > R_MAXWELEM)
				return EINVAL;
			pos += 2;
			for (uint16_t i = 0; i < p->nwname; i++) {
				if (len - pos < 2 ||
				    len - pos - 2 < r_get16(m + pos))
					return EPROTO;
				pos += 2u + r_get16(m + pos);
			}
			n = 0;
			break;
		default:
			return EPROTO;
		}
		if (len - pos < n)
			return EPROTO;
		pos += n;
	}
	return pos == len ? 0 : EPROTO;
}

/*
 * Check the fids of a parsed request against @c's map.  Returns 0 and
 * the index of the fid the request creates in *@create (-1 for none), or
 * an errno for the client.
 */
static int check_fids(struct relay *r, struct client *c, uint8_t type,
		      const struct parsed *p, int *create)
{
	*create = -1;
	for (int i = 0; i < p->nfid; i++) {
		const struct layout_fid *f = &p->fid[i];
		struct fident *e = fid_find(&c->fids, f->val);

		switch (f->kind) {
		case 'f':
			if (!e)
				return EBADF;
			/* Only a known outcome may end a fid. */
			if (e->pending &&
			    (type == R_TCLUNK || type == R_TREMOVE))
				return EBUSY;
			break;
		case 'a':
			if (f->val != R_NOFID && (!e || e->pending))
				return EBADF;
			break;
		case 'n':
			/* Twalk and Txattrwalk may reuse their fid. */
			if (i > 0 && p->fid[0].kind == 'f' &&
			    f->val == p->fid[0].val)
				break;
			if (f->val == R_NOFID || e)
				return EINVAL;
			if (c->fids.n >= r->maxfids) {
				if (!c->warned_fids)
					relay_warnx("client %u: holds %u fids, "
						    "its limit (--max-fids): "
						    "its next ones fail with "
						    "EMFILE", c->id,
						    c->fids.n);
				c->warned_fids = true;
				return EMFILE;
			}
			if (r->nfids >= R_TOTAL_FIDS && !r->nfreefids)
				return ENFILE;
			*create = i;
			break;
		}
	}
	return 0;
}

static int request(struct relay *r, struct client *c, const uint8_t *m,
		   uint32_t len, const char **why);

static void version(struct relay *r, struct client *c, const uint8_t *m,
		    uint32_t len, uint16_t tag)
{
	static const char want[] = "9P2000.L";
	uint32_t msize = r_get32(m + R_HDRSZ);
	uint16_t vlen = r_get16(m + R_HDRSZ + 4);
	bool ok = vlen == sizeof(want) - 1 &&
		  !memcmp(m + R_HDRSZ + 6, want, vlen) && msize >= R_MIN_MSIZE;
	const char *v = ok ? want : "unknown";
	uint8_t reply[R_HDRSZ + 6 + sizeof(want)];
	uint32_t n = R_HDRSZ + 6 + (uint32_t)strlen(v);

	(void)len;
	/* A new session: everything of the old one goes. */
	msg_abandon(r, c);
	if (msize > r->msize)
		msize = r->msize;
	c->msize = ok ? msize : 0;
	r_put32(reply, n);
	reply[4] = R_RVERSION;
	r_put16(reply + 5, tag);
	r_put32(reply + R_HDRSZ, msize);
	r_put16(reply + R_HDRSZ + 4, (uint16_t)strlen(v));
	memcpy(reply + R_HDRSZ + 6, v, strlen(v));
	client_send(r, c, reply, n);
	relay_note(r, "client %u: version %s, msize %u", c->id, v, msize);
}

/*
 * Drop @t, a client's request still on its send queue: it never happened.
 * A fid it was making goes; a clunk still ends its fid, which the client
 * no longer has, with the relay's own Tclunk on @queue.
 */
static void drop_queued(struct relay *r, struct req *t, uint8_t queue)
{
	struct client *c = t->c;

	relay_unqueue(r, t);
	outstanding_del(t);
	if (t->newchfid != R_NOFID) {
		fid_del(&c->fids, t->newfid);
		chfid_put(r, t->newchfid);
	}
	if (t->dropchfid != R_NOFID)
		own_clunk(r, t->dropchfid, queue);
	req_free(r, t);
}

static void flush(struct relay *r, struct client *c, uint16_t tag,
		  uint16_t oldtag)
{
	struct req *t = NULL, *q;

	if (tag_busy(c, oldtag))
		for (t = c->outstanding; t && t->ctag != oldtag; t = t->onext)
			;
	if (!t || t->type == R_TFLUSH) {
		/* Answered already (the reply is ahead in the output), or
		 * a flush of a flush, which the relay answers itself. */
		reply_empty(r, c, R_RFLUSH, tag);
		return;
	}
	if (t->state == REQ_QUEUED) {
		drop_queued(r, t, Q_PRIO);
		reply_empty(r, c, R_RFLUSH, tag);
		return;
	}
	q = req_new(r, c, R_TFLUSH, R_HDRSZ + 2);
	r_put32(q->msg, q->len);
	q->msg[4] = R_TFLUSH;
	r_put16(q->msg + R_HDRSZ, t->chtag);
	q->ctag = tag;
	q->flush_chtag = t->chtag;
	q->flush_serial = t->serial;
	outstanding_add(c, q);
	relay_enqueue(r, q, Q_PRIO);
}

/*
 * --peer-uid: a copy of the Tattach or Tauth @m (@len bytes, well formed)
 * whose uname and n_uname are @c's peer's; its length in *@outlen.  The
 * caller frees it.
 */
static uint8_t *as_peer(const struct client *c, const uint8_t *m,
			uint32_t len, uint32_t *outlen)
{
	/* Tattach: fid afid uname aname n_uname; Tauth: afid uname ... */
	uint32_t pre = R_HDRSZ + (m[4] == R_TATTACH ? 8 : 4);
	uint32_t oldu = 2u + r_get16(m + pre);
	uint32_t aoff = pre + oldu, alen = 2u + r_get16(m + aoff);
	uint32_t ulen = (uint32_t)strlen(c->peer_name);
	uint32_t n = len - oldu + 2 + ulen;
	uint8_t *q = relay_malloc(n);

	memcpy(q, m, pre);
	r_put32(q, n);
	r_put16(q + pre, (uint16_t)ulen);
	memcpy(q + pre + 2, c->peer_name, ulen);
	memcpy(q + pre + 2 + ulen, m + aoff, alen);
	r_put32(q + pre + 2 + ulen + alen, (uint32_t)c->peer_uid);
	*outlen = n;
	return q;
}

int msg_request(struct relay *r, struct client *c, const uint8_t *m,
		uint32_t len, const char **why)
{
	uint8_t *peer = NULL;
	int rc;

	if (r->peer_uid && c->msize &&
	    (m[4] == R_TATTACH || m[4] == R_TAUTH)) {
		struct parsed p;
		const char *fmt = layout_of(m[4]);

		/* A malformed one is refused as it is, below. */
		if (parse_request(m, len, fmt, &p) == 0) {
			peer = as_peer(c, m, len, &len);
			m = peer;
		}
		if (peer && len > c->msize) {
			/* The peer's name made it too long. */
			reply_error(r, c, r_get16(m + 5), EMSGSIZE);
			free(peer);
			return 0;
		}
	}
	rc = request(r, c, m, len, why);
	free(peer);
	return rc;
}

/* msg_request() once the message is what the channel may see. */
static int request(struct relay *r, struct client *c, const uint8_t *m,
		   uint32_t len, const char **why)
{
	uint8_t type = m[4];
	uint16_t tag = r_get16(m + 5);
	const char *fmt;
	struct parsed p;
	struct req *q;
	int create, e;

	if (type == R_TVERSION) {
		if (parse_request(m, len, "4s", &p) != 0) {
			*why = "malformed Tversion";
			return -1;
		}
		version(r, c, m, len, tag);
		return 0;
	}
	if (c->msize == 0) {
		reply_error(r, c, tag, EPROTO); /* no session yet */
		return 0;
	}
	if (tag_busy(c, tag)) {
		/* Two replies with one tag would confuse it for good. */
		*why = "a tag already in use";
		return -1;
	}
	if (type == R_TFLUSH) {
		if (len != R_HDRSZ + 2)
			reply_error(r, c, tag, EPROTO);
		else
			flush(r, c, tag, r_get16(m + R_HDRSZ));
		return 0;
	}
	fmt = layout_of(type);
	if (!fmt) {
		reply_error(r, c, tag, EOPNOTSUPP);
		return 0;
	}
	e = parse_request(m, len, fmt, &p);
	if (!e && type == R_TAUTH && r->dev)
		e = ENOENT; /* virtio-9p servers have no auth: say "none" */
	if (!e)
		e = check_fids(r, c, type, &p, &create);
	if (e) {
		reply_error(r, c, tag, (uint32_t)e);
		return 0;
	}

	q = req_new(r, c, type, len);
	memcpy(q->msg, m, len);
	q->ctag = tag;
	q->nwname = p.nwname;
	for (int i = 0; i < p.nfid; i++) {
		const struct layout_fid *f = &p.fid[i];
		struct fident *ent;
		uint32_t ch;

		if (i == create) {
			if (chfid_get(r, &ch) < 0)
				xerrx("relay: channel fids exhausted");
			fid_add(&c->fids, f->val, ch); /* owns it */
			q->newfid = f->val;
			q->newchfid = ch;
		} else if (f->kind == 'a' && f->val == R_NOFID) {
			continue;
		} else {
			ent = fid_find(&c->fids, f->val);
			ch = ent->chfid;
		}
		r_put32(q->msg + f->off, ch);
		req_ref(r, q, ch);
	}
	if (type == R_TCLUNK || type == R_TREMOVE) {
		/* Gone for the client now; the request owns the channel fid
		 * until the server answers. */
		q->dropchfid = fid_find(&c->fids, p.fid[0].val)->chfid;
		fid_del(&c->fids, p.fid[0].val);
	}
	if (p.countoff &&
	    r_get32(q->msg + p.countoff) > c->msize - R_RWHDRSZ)
		r_put32(q->msg + p.countoff, c->msize - R_RWHDRSZ);
	outstanding_add(c, q);
	relay_enqueue(r, q, Q_CLIENT);
	return 0;
}

/* ---- channel replies ---------------------------------------------------------- */

/* Give the channel tag of @q back. */
static void chtag_put(struct relay *r, struct req *q)
{
	if (q->c)
		q->c->nsent--;
	r->tags[q->chtag] = NULL;
	r->freetags[r->nfreetags++] = q->chtag;
	if (!r->dev)
		r->inflight--; /* a stream has no slots: a tag is one */
}

/* How a request ended, for settle_fids(). */
enum {
	OUT_NONE = -2,	/* no reply will come (flushed) */
	OUT_BAD = -1,	/* a malformed reply */
	OUT_FAILED = 0, /* Rlerror, or a walk that stopped short */
	OUT_OK = 1,
};

/* Settle the fids of @q, which ended as @outcome says. */
static void settle_fids(struct relay *r, struct req *q, int outcome)
{
	struct client *c = q->c;

	if (q->newchfid != R_NOFID) {
		struct fident *e = c ? fid_find(&c->fids, q->newfid) : NULL;

		if (outcome == OUT_OK && e) {
			e->pending = false;
		} else {
			if (e)
				fid_del(&c->fids, q->newfid);
			if (outcome == OUT_FAILED)
				chfid_put(r, q->newchfid);
			else /* made, or maybe made, for nobody */
				own_clunk(r, q->newchfid, Q_PRIO);
		}
	}
	if (q->dropchfid != R_NOFID) {
		/* Tclunk and Tremove end the fid whatever the answer. */
		if (outcome != OUT_NONE)
			chfid_put(r, q->dropchfid);
		else
			own_clunk(r, q->dropchfid, Q_PRIO);
	}
}

/* @t will never get a reply: drop it as if it had never been sent. */
static void abort_req(struct relay *r, struct req *t)
{
	chtag_put(r, t);
	settle_fids(r, t, OUT_NONE);
	if (t->c)
		outstanding_del(t);
	req_free(r, t);
}

/* Is @m (@len bytes, type T+1 for @q) well formed where it matters? */
static int reply_outcome(const struct req *q, const uint8_t *m, uint32_t len)
{
	uint16_t nwqid;

	if (m[4] == R_RLERROR)
		return len == R_HDRSZ + 4 ? OUT_FAILED : OUT_BAD;
	if (m[4] != q->type + 1)
		return OUT_BAD;
	switch (q->type) {
	case R_TWALK:
		if (len < R_HDRSZ + 2)
			return OUT_BAD;
		nwqid = r_get16(m + R_HDRSZ);
		if (nwqid > q->nwname || len != R_HDRSZ + 2 + 13u * nwqid)
			return OUT_BAD;
		/* A walk that stops short creates no fid. */
		return nwqid == q->nwname ? OUT_OK : OUT_FAILED;
	case R_TATTACH:
	case R_TAUTH:
		return len == R_HDRSZ + 13 ? OUT_OK : OUT_BAD;
	case R_TXATTRWALK:
		return len == R_HDRSZ + 8 ? OUT_OK : OUT_BAD;
	case R_TCLUNK:
	case R_TREMOVE:
	case R_TFLUSH:
		return len == R_HDRSZ ? OUT_OK : OUT_BAD;
	}
	return OUT_OK;
}

void msg_reply(struct relay *r, uint8_t *m, uint32_t len)
{
	uint16_t tag = r_get16(m + 5);
	struct req *q = tag < r->ntags ? r->tags[tag] : NULL;
	struct client *c;
	int outcome;

	if (!q) {
		relay_warnx("channel %s: reply type %u with tag %u, which no "
			    "request has: ignored", r->addr, m[4], tag);
		return;
	}
	outcome = reply_outcome(q, m, len);
	if (outcome == OUT_BAD)
		relay_warnx("channel %s: malformed reply type %u (%u bytes) "
			    "to request type %u", r->addr, m[4], len, q->type);
	chtag_put(r, q);
	if (q->type == R_TFLUSH && outcome == OUT_OK) {
		struct req *t = r->tags[q->flush_chtag];

		/* Rflush came and the target's reply did not: flushed. */
		if (t && t->serial == q->flush_serial)
			abort_req(r, t);
	}
	settle_fids(r, q, outcome);
	c = q->c;
	if (c) {
		outstanding_del(q);
		if (outcome == OUT_BAD) {
			reply_error(r, c, q->ctag, EPROTO);
		} else if (len > c->msize) {
			reply_error(r, c, q->ctag, EMSGSIZE);
		} else {
			r_put16(m + 5, q->ctag);
			client_send(r, c, m, len);
		}
	}
	req_free(r, q);
}

void msg_abandon(struct relay *r, struct client *c)
{
	struct req *q, *next;

	/* Queued requests never reach the server; queued clunks become
	 * the relay's own. */
	while ((q = c->qhead))
		drop_queued(r, q, Q_CLEANUP);
	/* Sent ones become orphans: flushed, their replies dropped.
	 * Those that create a fid now own its channel fid.  The client's
	 * own Tflushes (sent, or queued on the priority queue) go on. */
	for (q = c->outstanding; q; q = next) {
		next = q->onext;
		if (q->newchfid != R_NOFID)
			fid_del(&c->fids, q->newfid);
		outstanding_del(q);
		if (q->state == REQ_SENT)
			c->nsent--;
		q->c = NULL;
		if (q->type != R_TFLUSH)
			own_flush(r, q);
	}
	/* What is left is live: clunk it. */
	for (uint32_t i = 0; c->fids.b && i < 1u << c->fids.bits; i++)
		for (struct fident *e = c->fids.b[i]; e; e = e->next)
			own_clunk(r, e->chfid, Q_CLEANUP);
	fidmap_free(&c->fids);
	c->msize = 0;
}
