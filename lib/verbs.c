// SPDX-License-Identifier: MIT
/*
 * verbs.c - attach, walk, clunk and the metadata requests.
 *
 * Each verb builds one request with the marshaller, runs it through the
 * rpc engine, and copies what it needs out of the checked reply.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"

V9P_API struct v9p_fid *v9p_attach(struct v9p_session *s, const char *uname,
				   uint32_t n_uname, const char *aname)
{
	struct v9p_reply rep;
	struct v9p_fid *f = v9p__fid_new(s);
	struct v9p_req *r;

	if (!f)
		return NULL;
	r = v9p__req_new(s, V9P_TATTACH);
	if (!r)
		goto out_fid;
	v9p__put_u32(&r->b, f->fid);
	v9p__put_u32(&r->b, V9P_NOFID);
	v9p__put_str(&r->b, uname);
	v9p__put_str(&r->b, aname);
	v9p__put_u32(&r->b, n_uname);
	if (v9p__rpc(r, &rep) < 0) {
		v9p__req_fail(r);
		goto out_fid;
	}
	f->qid = rep.u.qid;
	v9p__req_free(r);
	return f;

out_fid:
	v9p__fid_put(f, -1);
	return NULL;
}

struct v9p_req *v9p__req_walk(struct v9p_session *s, uint32_t from,
			      uint32_t to, size_t n, const char *const *names)
{
	struct v9p_req *r = v9p__req_new(s, V9P_TWALK);

	if (!r)
		return NULL;
	v9p__put_u32(&r->b, from);
	v9p__put_u32(&r->b, to);
	v9p__put_u16(&r->b, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		v9p__put_str(&r->b, names[i]);
	r->want.nwname = (uint16_t)n;
	return r;
}

int v9p__walk_got(const struct v9p_reply *rep, struct v9p_qid *qid)
{
	int got = rep->u.walk.nwqid;

	if (got > 0)
		*qid = rep->u.walk.wqid[got - 1];
	return got;
}

/* One Twalk of @n <= 16 names from fid @from to @to.  Returns the number
 * of qids (n on success) with the last in @qid, or -1. */
static int walk_once(struct v9p_session *s, uint32_t from, uint32_t to,
		     size_t n, const char *const *names, struct v9p_qid *qid)
{
	struct v9p_reply rep;
	struct v9p_req *r = v9p__req_walk(s, from, to, n, names);

	if (!r || v9p__rpc_take(r, &rep) < 0)
		return -1;
	return v9p__walk_got(&rep, qid);
}

V9P_API struct v9p_fid *v9p_walkv(struct v9p_fid *from, size_t n,
				  const char *const *names)
{
	struct v9p_fid *f;
	bool created = false;
	size_t done = 0;
	int e;

	if (v9p__fid_check(from) < 0)
		return NULL;
	f = v9p__fid_new(from->s);
	if (!f)
		return NULL;
	f->qid = from->qid;
	do {
		size_t k = n - done < V9P_MAXWELEM ? n - done : V9P_MAXWELEM;
		int got = walk_once(from->s, created ? f->fid : from->fid,
				    f->fid, k, names + done, &f->qid);

		if (got < 0)
			goto out_err;
		if ((size_t)got < k) {
			/* Stopped part way: the name at @got is missing. */
			errno = ENOENT;
			goto out_err;
		}
		created = true;
		done += k;
	} while (done < n);
	return f;

out_err:
	if (created) {
		e = errno;
		v9p_clunk(f);
		errno = e;
	} else {
		v9p__fid_put(f, -1);
	}
	return NULL;
}

ssize_t v9p__path_split(const char *path, char **copy, const char ***names)
{
	char *save = NULL, *w;
	size_t n = 0;

	*copy = NULL;
	*names = NULL;
	if (!path || !*path)
		return 0;
	*copy = strdup(path);
	*names = calloc(strlen(path) / 2 + 1, sizeof(**names));
	if (!*copy || !*names) {
		free(*copy);
		free(*names);
		*copy = NULL;
		*names = NULL;
		errno = ENOMEM;
		return -1;
	}
	for (w = strtok_r(*copy, "/", &save); w; w = strtok_r(NULL, "/", &save))
		if (strcmp(w, ".") != 0)
			(*names)[n++] = w;
	return (ssize_t)n;
}

V9P_API struct v9p_fid *v9p_walk(struct v9p_fid *from, const char *path)
{
	const char **names;
	char *copy;
	struct v9p_fid *f;
	ssize_t n = v9p__path_split(path, &copy, &names);
	int e;

	if (n < 0)
		return NULL;
	f = v9p_walkv(from, (size_t)n, names);
	e = errno;
	free(names);
	free(copy);
	errno = e;
	return f;
}

V9P_API int v9p_clunk(struct v9p_fid *f)
{
	if (!f)
		return 0;
	return v9p__fid_put(f, v9p__rpc_free(v9p__req_fid(f, V9P_TCLUNK)));
}

V9P_API int v9p_remove(struct v9p_fid *f)
{
	if (!f)
		return 0;
	/* The server clunks it, also on error. */
	return v9p__fid_put(f, v9p__rpc_free(v9p__req_fid(f, V9P_TREMOVE)));
}

struct v9p_req *v9p__req_getattr(struct v9p_fid *f, uint64_t mask)
{
	struct v9p_req *r = v9p__req_fid(f, V9P_TGETATTR);

	if (r)
		v9p__put_u64(&r->b, mask);
	return r;
}

V9P_API int v9p_getattr(struct v9p_fid *f, uint64_t mask, struct v9p_attr *out)
{
	struct v9p_reply rep;
	struct v9p_req *r = v9p__req_getattr(f, mask);

	if (!r || v9p__rpc_take(r, &rep) < 0)
		return -1;
	*out = rep.u.attr;
	return 0;
}

V9P_API int v9p_setattr(struct v9p_fid *f, const struct v9p_setattr *in)
{
	struct v9p_req *r = v9p__req_fid(f, V9P_TSETATTR);

	if (!r)
		return -1;
	v9p__put_u32(&r->b, in->valid);
	v9p__put_u32(&r->b, in->mode);
	v9p__put_u32(&r->b, in->uid);
	v9p__put_u32(&r->b, in->gid);
	v9p__put_u64(&r->b, in->size);
	v9p__put_u64(&r->b, in->atime_sec);
	v9p__put_u64(&r->b, in->atime_nsec);
	v9p__put_u64(&r->b, in->mtime_sec);
	v9p__put_u64(&r->b, in->mtime_nsec);
	return v9p__rpc_free(r);
}

V9P_API int v9p_statfs(struct v9p_fid *f, struct v9p_statfs *out)
{
	struct v9p_reply rep;
	struct v9p_req *r = v9p__req_fid(f, V9P_TSTATFS);

	if (!r || v9p__rpc_take(r, &rep) < 0)
		return -1;
	*out = rep.u.statfs;
	return 0;
}
