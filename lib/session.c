// SPDX-License-Identifier: MIT
/*
 * session.c - open a channel, negotiate the version, restart, close;
 * the fid number pool.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rpc.h"

/* Smallest msize we accept: room for a useful Tread/Twrite. */
#define V9P_MIN_MSIZE 512

/* Send Tversion proposing @msize; on success s->msize is the result. */
static int version(struct v9p_session *s, uint32_t msize)
{
	struct v9p_reply rep;
	struct v9p_req *r;
	int rc;

	s->msize = msize; /* the reply buffer must hold a reply this big */
	r = v9p__req_new(s, V9P_TVERSION);
	if (!r)
		return -1;
	v9p__put_u32(&r->b, msize);
	v9p__put_str(&r->b, V9P_VERSION);
	rc = v9p__rpc(r, &rep);
	if (rc == 0) {
		struct v9p_str v = rep.u.version.version;

		if (v.len != strlen(V9P_VERSION) ||
		    memcmp(v.s, V9P_VERSION, v.len) != 0 ||
		    rep.u.version.msize > msize ||
		    rep.u.version.msize < V9P_MIN_MSIZE) {
			errno = EPROTO;
			rc = -1;
		} else {
			s->msize = rep.u.version.msize;
		}
	}
	v9p__req_free(r);
	if (s->msize != msize)
		v9p__pool_drain(s); /* buffers of the old size */
	return rc;
}

V9P_API struct v9p_session *v9p_session_new(int fd, enum v9p_trans_kind kind,
					    uint32_t msize, uint32_t window)
{
	struct v9p_session *s = calloc(1, sizeof(*s));
	int e;

	if (!s) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	if (v9p__trans_init(&s->t, fd, kind) < 0) {
		e = errno;
		goto out_close;
	}
	if (msize == 0)
		msize = s->t.msize;
	if (window == 0)
		window = s->t.window;
	/* A device carries no larger message and no more requests. */
	if (s->t.max_msize && msize > s->t.max_msize)
		msize = s->t.max_msize;
	if (s->t.max_window && window > s->t.max_window)
		window = s->t.max_window;
	if (msize < V9P_MIN_MSIZE || window > V9P_TAGS_MAX) {
		e = EINVAL;
		goto out_close;
	}
	s->window = window;
	if (v9p__tags_init(&s->tags, window) < 0) {
		e = errno;
		goto out_close;
	}
	s->bytag = calloc(window, sizeof(*s->bytag));
	s->cappool = V9P_POOL_PER_SLOT * window;
	s->pool = calloc(s->cappool, sizeof(*s->pool));
	if (!s->bytag || !s->pool) {
		e = ENOMEM;
		goto out_tags;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->wlock, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (version(s, msize) < 0) {
		e = errno;
		goto out_sync;
	}
	return s;

out_sync:
	v9p__pool_drain(s);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->wlock);
	pthread_mutex_destroy(&s->lock);
out_tags:
	free(s->pool);
	free(s->bytag);
	v9p__tags_destroy(&s->tags);
out_close:
	close(fd);
	free(s);
	errno = e;
	return NULL;
}

V9P_API struct v9p_session *v9p_connect(const char *addr, uint32_t msize)
{
	enum v9p_trans_kind kind;
	int fd = v9p__trans_open(addr, &kind);

	if (fd < 0)
		return NULL;
	return v9p_session_new(fd, kind, msize, 0);
}

V9P_API int v9p_restart(struct v9p_session *s)
{
	uint32_t msize = s->msize;
	int busy;

	pthread_mutex_lock(&s->lock);
	busy = s->inflight > 0;
	if (!busy)
		s->gen++;
	pthread_mutex_unlock(&s->lock);
	if (busy) {
		errno = EBUSY;
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	/* The server forgets every fid: start numbering afresh. */
	s->next_fid = 0;
	s->nfree = 0;
	pthread_mutex_unlock(&s->lock);
	return version(s, msize);
}

V9P_API void v9p_close(struct v9p_session *s)
{
	if (!s)
		return;
	if (s->t.ops == &v9p__dev_ops && !s->dead)
		(void)version(s, s->msize); /* let the host drop its fids */
	close(s->t.fd);
	v9p__trans_release(&s->t);
	v9p__pool_drain(s);
	free(s->pool);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->wlock);
	pthread_mutex_destroy(&s->lock);
	v9p__tags_destroy(&s->tags);
	free(s->bytag);
	free(s->free_fids);
	free(s);
}

V9P_API uint32_t v9p_msize(const struct v9p_session *s)
{
	return s->msize;
}

V9P_API uint32_t v9p_window(const struct v9p_session *s)
{
	return s->window;
}

V9P_API int v9p_session_fd(const struct v9p_session *s)
{
	return s->t.fd;
}

struct v9p_fid *v9p__fid_new(struct v9p_session *s)
{
	struct v9p_fid *f = calloc(1, sizeof(*f));

	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	f->s = s;
	pthread_mutex_lock(&s->lock);
	if (s->nfree)
		f->fid = s->free_fids[--s->nfree];
	else
		f->fid = s->next_fid++;
	f->gen = s->gen;
	pthread_mutex_unlock(&s->lock);
	return f;
}

void v9p__fid_release(struct v9p_fid *f)
{
	struct v9p_session *s = f->s;

	pthread_mutex_lock(&s->lock);
	if (f->gen == s->gen) {
		if (s->nfree == s->capfree) {
			size_t cap = s->capfree ? 2 * s->capfree : 64;
			uint32_t *n = realloc(s->free_fids, cap * sizeof(*n));

			if (n) {
				s->free_fids = n;
				s->capfree = cap;
			}
		}
		/* Without room the number is simply never reused. */
		if (s->nfree < s->capfree)
			s->free_fids[s->nfree++] = f->fid;
	}
	pthread_mutex_unlock(&s->lock);
	free(f);
}

int v9p__fid_put(struct v9p_fid *f, int rc)
{
	int e = errno;

	v9p__fid_release(f);
	errno = e;
	return rc;
}

int v9p__fid_check(const struct v9p_fid *f)
{
	if (!f) {
		errno = EBADF;
		return -1;
	}
	if (f->gen != f->s->gen) {
		errno = ESTALE;
		return -1;
	}
	return 0;
}

V9P_API void v9p_fid_free(struct v9p_fid *f)
{
	if (f)
		v9p__fid_release(f);
}

V9P_API const struct v9p_qid *v9p_fid_qid(const struct v9p_fid *f)
{
	return &f->qid;
}

V9P_API uint32_t v9p_fid_iounit(const struct v9p_fid *f)
{
	return f->iounit;
}
