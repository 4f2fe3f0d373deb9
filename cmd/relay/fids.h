/* SPDX-License-Identifier: MIT */
/*
 * fids.h - client fid maps and channel fids (fids.c), which msg.c uses and
 * relay.c frees.
 */
#ifndef VIO9P_RELAY_FIDS_H
#define VIO9P_RELAY_FIDS_H

#include "relay.h"

/* @fid's entry in @m, or NULL. */
struct fident *fid_find(const struct fidmap *m, uint32_t fid);
/* Map client fid @cfid to channel fid @chfid, pending; the entry. */
struct fident *fid_add(struct fidmap *m, uint32_t cfid, uint32_t chfid);
/* Take @cfid out of @m (if there). */
void fid_del(struct fidmap *m, uint32_t cfid);
/* Free every entry of @m. */
void fidmap_free(struct fidmap *m);

/* A free channel fid, with its owner's reference, in *@out; 0, or -1 when
 * all R_TOTAL_FIDS are in use. */
int chfid_get(struct relay *r, uint32_t *out);
/* One more reference to channel fid @fid (a request that names it). */
void chfid_ref(struct relay *r, uint32_t fid);
/* Drop a reference to @fid: the owner's, or a request's; the last one
 * frees the number. */
void chfid_put(struct relay *r, uint32_t fid);

#endif
