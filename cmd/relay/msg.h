/* SPDX-License-Identifier: MIT */
/*
 * msg.h - the 9P side of `vio9p relay' (msg.c), which relay.c calls: a
 * client's request in, a channel reply in, a client's session out.
 */
#ifndef VIO9P_RELAY_MSG_H
#define VIO9P_RELAY_MSG_H

#include "relay.h"

/* Little-endian fields of a 9P message. */
uint16_t r_get16(const uint8_t *p);
uint32_t r_get32(const uint8_t *p);
void r_put16(uint8_t *p, uint16_t v);
void r_put32(uint8_t *p, uint32_t v);

/*
 * One whole message @m of @len bytes (size[4] already checked against the
 * client's limit) from client @c: answered at once, or checked, remapped
 * and queued.  Returns 0, or -1 when the client must be dropped (the
 * reason in *@why).
 */
int msg_request(struct relay *r, struct client *c, const uint8_t *m,
		uint32_t len, const char **why);

/* One reply @m of @len bytes (at least 7, size[4] == @len) from the
 * channel. */
void msg_reply(struct relay *r, uint8_t *m, uint32_t len);

/* Orphan or drop every request of @c and clunk its fids (it left, or
 * began a new session with Tversion). */
void msg_abandon(struct relay *r, struct client *c);

/* Free @q and its message, and drop its references to channel fids. */
void req_free(struct relay *r, struct req *q);

#endif
