// SPDX-License-Identifier: MIT
/*
 * detach.c - hand a session's channel over to a program that speaks 9P on
 * it by itself from then on (vio9p relay): the library opens the channel
 * and negotiates the version, the program keeps the fd.
 */
#include "rpc.h"

V9P_API int v9p_session_detach(struct v9p_session *s,
			       enum v9p_trans_kind *kind)
{
	int fd = s->t.fd;

	*kind = s->t.ops == &v9p__dev_ops ? V9P_TRANS_DEV : V9P_TRANS_STREAM;
	/* v9p_close() frees the rest: a dead session sends nothing, and
	 * without its fd it closes nothing the caller keeps. */
	s->dead = true;
	s->t.fd = -1;
	v9p_close(s);
	return fd;
}
