/* SPDX-License-Identifier: MIT */
/*
 * setup.h - what relay.c calls before its loop (setup.c).
 */
#ifndef VIO9P_RELAY_SETUP_H
#define VIO9P_RELAY_SETUP_H

#include <sys/types.h>

#include "relay.h"

struct vctx;

/* Open the channel @c names and negotiate 9P2000.L on it (libvio9p's
 * v9p_connect()), then take its fd: r->chfd, r->dev, r->msize,
 * r->window.  Exits on error. */
void relay_open_channel(struct relay *r, const struct vctx *c);
/* The listening unix socket at @path with @mode; exits on error. */
int relay_listen(const char *path, mode_t mode);
/* Become @user and its groups; exits on error. */
void relay_drop_privileges(const char *user);
/* An octal mode up to 0777 into *@out: 0, or -1. */
int relay_parse_mode(const char *s, mode_t *out);

#endif
