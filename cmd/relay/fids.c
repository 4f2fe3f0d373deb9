// SPDX-License-Identifier: MIT
/*
 * fids.c - the fids of `vio9p relay': each client's map from its fids to
 * channel fids, and the pool of channel fids with their references.
 *
 * Ownership of a channel fid: exactly one of (a) a client's fid map entry
 * (live, or pending while the request creating it is outstanding), (b) a
 * request that clunks it (a client's Tclunk/Tremove or the relay's own
 * Tclunk), (c) a request that creates it after its client left.  The
 * owner holds one reference (relay.fidrefs), and so does every request
 * that names the fid, from msg_request() to req_free().  The number goes
 * back to the free list when the last reference goes: the server does
 * not hold it (its owner saw to that), and no request queued or on the
 * channel still names it.
 */
#include <stdlib.h>

#include "cmd.h"
#include "fids.h"

/* ---- fid maps ----------------------------------------------------------- */

static uint32_t fid_hash(const struct fidmap *m, uint32_t fid)
{
	return (fid * 0x9e3779b1u) >> (32 - m->bits);
}

struct fident *fid_find(const struct fidmap *m, uint32_t fid)
{
	if (!m->b)
		return NULL;
	for (struct fident *e = m->b[fid_hash(m, fid)]; e; e = e->next)
		if (e->cfid == fid)
			return e;
	return NULL;
}

static void fid_grow(struct fidmap *m)
{
	struct fidmap nm = { .bits = m->b ? m->bits + 1 : 6, .n = m->n };

	nm.b = calloc((size_t)1 << nm.bits, sizeof(*nm.b));
	if (!nm.b)
		xerr("relay: out of memory");
	for (uint32_t i = 0; m->b && i < 1u << m->bits; i++) {
		struct fident *e = m->b[i], *next;

		for (; e; e = next) {
			uint32_t h = fid_hash(&nm, e->cfid);

			next = e->next;
			e->next = nm.b[h];
			nm.b[h] = e;
		}
	}
	free(m->b);
	*m = nm;
}

struct fident *fid_add(struct fidmap *m, uint32_t cfid, uint32_t chfid)
{
	struct fident *e = relay_malloc(sizeof(*e));
	uint32_t h;

	if (!m->b || m->n >= 2u << m->bits)
		fid_grow(m);
	h = fid_hash(m, cfid);
	e->cfid = cfid;
	e->chfid = chfid;
	e->pending = true;
	e->next = m->b[h];
	m->b[h] = e;
	m->n++;
	return e;
}

void fid_del(struct fidmap *m, uint32_t cfid)
{
	struct fident **pp;

	if (!m->b)
		return;
	for (pp = &m->b[fid_hash(m, cfid)]; *pp; pp = &(*pp)->next) {
		if ((*pp)->cfid == cfid) {
			struct fident *e = *pp;

			*pp = e->next;
			free(e);
			m->n--;
			return;
		}
	}
}

void fidmap_free(struct fidmap *m)
{
	for (uint32_t i = 0; m->b && i < 1u << m->bits; i++) {
		struct fident *e = m->b[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(m->b);
	m->b = NULL;
	m->n = 0;
}

/* ---- channel fids --------------------------------------------------------- */

/* Double the array *@a of *@cap numbers (256 to begin with). */
static void grow(uint32_t **a, uint32_t *cap)
{
	uint32_t n = *cap ? *cap * 2 : 256;
	uint32_t *p = realloc(*a, n * sizeof(*p));

	if (!p)
		xerr("relay: out of memory");
	*a = p;
	*cap = n;
}

/* A free channel fid, with its owner's reference, in *@out; 0 or -1. */
int chfid_get(struct relay *r, uint32_t *out)
{
	if (r->nfreefids) {
		*out = r->freefids[--r->nfreefids];
	} else if (r->nextfid < R_TOTAL_FIDS) {
		if (r->nextfid == r->capfidrefs)
			grow(&r->fidrefs, &r->capfidrefs);
		*out = r->nextfid++;
	} else {
		return -1;
	}
	r->fidrefs[*out] = 1;
	r->nfids++;
	return 0;
}

void chfid_ref(struct relay *r, uint32_t fid)
{
	r->fidrefs[fid]++;
}

/* Drop a reference to @fid: the owner's, or a request's. */
void chfid_put(struct relay *r, uint32_t fid)
{
	if (--r->fidrefs[fid])
		return;
	if (r->nfreefids == r->capfreefids)
		grow(&r->freefids, &r->capfreefids);
	r->freefids[r->nfreefids++] = fid;
	r->nfids--;
}
