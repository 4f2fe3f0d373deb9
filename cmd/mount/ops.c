// SPDX-License-Identifier: MIT
/*
 * ops.c - the FUSE operations of `vio9p mount`, each on the
 * library's session: see the design at the top of mount.c for how they
 * map to 9P2000.L, the fids they hold, threads and a dying channel.
 * This file holds what every operation shares (the caller's root, walks,
 * errors, clunks, fids held for getattr and setattr), init and the table
 * of operations; they are split by concern: attr.c (attributes, links),
 * names.c (making, removing and renaming names), file.c (open files and
 * their data) and readdir.c (listings), with ops.h between them
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

struct mnt *mnt_of_ctx(void)
{
	return fuse_get_context()->private_data;
}

/* The open fid of @fi. */
struct v9p_fid *fh_fid(const struct fuse_file_info *fi)
{
	return ((const struct ofile *)(uintptr_t)fi->fh)->fid;
}

/* Make open fid @f the file handle of @fi, opened with @flags (as sent in
 * Tlopen or Tlcreate).  0, or -ENOMEM with @f still the caller's. */
int fh_set(struct fuse_file_info *fi, struct v9p_fid *f,
		  uint32_t flags, struct v9p_fid *root)
{
	struct ofile *of = malloc(sizeof(*of));

	if (!of)
		return -ENOMEM;
	of->fid = f;
	of->append = flags & O_APPEND;
	of->flags = flags;
	of->root = root;
	of->gen = 0;
	fi->fh = (uintptr_t)of;
	return 0;
}

/* The first call to see the channel dead says so and stops the loop. */
static void channel_died(struct mnt *m)
{
	if (!atomic_exchange(&m->dead, true)) {
		xwarnx("mount %s: channel died", m->c->addr);
		fuse_exit(m->fuse);
	}
}

/*
 * After ECONNABORTED: whether the channel died (the library's meaning),
 * or the server answered a request with that errno, when a clone of the
 * root still works.
 */
static bool channel_dead(struct mnt *m)
{
	struct v9p_fid *f;

	if (atomic_load(&m->dead))
		return true;
	f = v9p_walk(m->c->root, NULL);
	if (f) {
		v9p_clunk(f);
		return false;
	}
	return errno == ECONNABORTED;
}

/* errno of a failed library call as a FUSE reply: -errno, or -EIO for a
 * dead channel and for values the kernel would refuse. */
int fail(struct mnt *m, int e)
{
	if (e == ECONNABORTED && channel_dead(m)) {
		channel_died(m);
		return -EIO;
	}
	if (e <= 0 || e >= 512)
		return -EIO;
	return -e;
}

/* -errno of the last failed call. */
int err_now(struct mnt *m)
{
	return fail(m, errno);
}

/*
 * Send Tclunk of @f, which the caller is done with, and go on without its
 * reply: no one waits for a Tclunk's answer (v9p_clunk()'s result was
 * never looked at), so the round trip need not hold up the operation.
 * Clunks sent earlier whose replies came are collected here; when
 * CLUNKS_MAX are out, the oldest is waited for.  Keeps errno.
 */
void clunk_later(struct mnt *m, struct v9p_fid *f)
{
	int e = errno;
	struct v9p_op *op = v9p_clunk_start(f); /* @f is the op's now */

	if (!op) {
		errno = e;
		return; /* a dead channel: @f is freed */
	}
	pthread_mutex_lock(&m->clunks_lock);
	for (size_t i = 0; i < m->nclunks;) {
		if (v9p_op_done(m->clunks[i]) == 1) {
			v9p_op_wait(m->clunks[i], NULL, 0);
			m->clunks[i] = m->clunks[--m->nclunks];
		} else {
			i++;
		}
	}
	if (m->nclunks == CLUNKS_MAX) {
		v9p_op_wait(m->clunks[0], NULL, 0);
		m->clunks[0] = m->clunks[--m->nclunks];
	}
	m->clunks[m->nclunks++] = op;
	pthread_mutex_unlock(&m->clunks_lock);
	errno = e;
}

void clunks_collect(struct mnt *m)
{
	pthread_mutex_lock(&m->clunks_lock);
	while (m->nclunks)
		v9p_op_wait(m->clunks[--m->nclunks], NULL, 0);
	pthread_mutex_unlock(&m->clunks_lock);
}

/* Clunk @f keeping errno (for error paths). */
void drop(struct v9p_fid *f)
{
	clunk_later(mnt_of_ctx(), f);
}

/*
 * The root fid the calling user's requests start from: c->root, or with
 * m->per_user one attached as the caller (n_uname = uid, uname empty, as
 * v9fs's access=user sends it) at the user's first request.  NULL with
 * errno when the server refuses the attach.
 */
struct v9p_fid *root_of(struct mnt *m)
{
	uid_t uid = fuse_get_context()->uid;
	struct v9p_fid *root = NULL;

	if (!m->per_user || uid == m->owner)
		return m->c->root;
	pthread_mutex_lock(&m->users_lock);
	for (size_t i = 0; i < m->nusers && !root; i++)
		if (m->users[i].uid == uid)
			root = m->users[i].root;
	if (!root && m->nusers == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 8;
		struct user_root *u = realloc(m->users, cap * sizeof(*u));

		if (!u) {
			errno = ENOMEM;
			goto out;
		}
		m->users = u;
		m->cap = cap;
	}
	if (!root) {
		root = v9p_attach(m->c->s, "", (uint32_t)uid, m->c->aname);
		if (root)
			m->users[m->nusers++] =
				(struct user_root){ .uid = uid, .root = root };
	}
out:
	pthread_mutex_unlock(&m->users_lock);
	return root;
}

/*
 * Whether a name of @path is longer than NAME_MAX.  The kernel lets FUSE
 * names up to 1024 bytes through, and a server may take them or fail them
 * with another errno (ENOENT...): v9fs's servers, and POSIX, say
 * ENAMETOOLONG.
 */
bool name_too_long(const char *path)
{
	while (*path) {
		size_t n = strcspn(path, "/");

		if (n > NAME_MAX)
			return true;
		path += n;
		path += strspn(path, "/");
	}
	return false;
}

/* A fid for @path (libfuse's absolute path) from the caller's root, or
 * NULL with errno. */
struct v9p_fid *walk(struct mnt *m, const char *path)
{
	struct v9p_fid *root;

	if (name_too_long(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	root = root_of(m);
	return root ? v9p_walk(root, path) : NULL;
}

/*
 * A fid for @path that the caller sends only Tgetattr or Tsetattr on: one
 * the fid cache keeps (*@ref set; fidcache.c) or one walked now from the
 * caller's root (*@root; *@gen for fidcache_add()).  NULL with errno.
 */
static struct v9p_fid *hold(struct mnt *m, const char *path,
			    struct v9p_fid **root, struct fc_ent **ref,
			    uint64_t *gen)
{
	struct v9p_fid *f;

	*ref = NULL;
	*gen = fidcache_gen(m);
	if (name_too_long(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	*root = root_of(m);
	if (!*root)
		return NULL;
	f = fidcache_get(m, *root, path, ref);
	return f ? f : v9p_walk(*root, path);
}

/*
 * Done with @f from hold(): a kept one goes back, one walked now is kept
 * when the server took it (@ok), else clunked.  Keeps errno.
 */
static void unhold(struct mnt *m, const char *path, struct v9p_fid *root,
		   struct v9p_fid *f, struct fc_ent *ref, uint64_t gen, bool ok)
{
	int e = errno;

	if (ref)
		fidcache_put(m, ref);
	else if (ok)
		fidcache_add(m, root, path, f, gen);
	else
		clunk_later(m, f);
	errno = e;
}

/*
 * Whether a call on a kept fid (@ref) that failed should be tried again on
 * a fresh walk: the server no longer knows the file by it (ENOENT: it was
 * renamed or removed by another client).  Drops the entry then.
 */
static bool hold_stale(struct mnt *m, struct fc_ent *ref, int tries)
{
	if (!ref || errno != ENOENT || tries)
		return false;
	fidcache_stale(m, ref);
	return true;
}

/*
 * @fn(f, @arg) on a fid for @path from hold(), which @fn sends only
 * Tgetattr or Tsetattr on, returning 0 or -1 with errno; once more on a
 * fresh walk when a kept fid went stale (hold_stale()).  0 or -errno.
 */
int on_held(struct mnt *m, const char *path,
		   int (*fn)(struct v9p_fid *f, void *arg), void *arg)
{
	for (int tries = 0;; tries++) {
		struct v9p_fid *root, *f;
		struct fc_ent *ref;
		uint64_t gen;
		bool ok;
		int rc;

		f = hold(m, path, &root, &ref, &gen);
		if (!f)
			return err_now(m);
		ok = fn(f, arg) == 0;
		if (!ok && hold_stale(m, ref, tries)) {
			unhold(m, path, root, f, ref, gen, false);
			continue;
		}
		rc = ok ? 0 : err_now(m);
		unhold(m, path, root, f, ref, gen, ok);
		return rc;
	}
}

/*
 * Split @path into a fid for its parent directory (*@dir) and its last
 * name (*@name, pointing into @path).  0 or -errno.
 */
int walk_parent(struct mnt *m, const char *path, struct v9p_fid **dir,
		       const char **name)
{
	const char *slash = strrchr(path, '/');
	char *parent;

	if (!slash || !slash[1])
		return -EINVAL; /* libfuse never asks this of the root */
	if (strlen(slash + 1) > NAME_MAX)
		return -ENAMETOOLONG;
	parent = strndup(path, (size_t)(slash - path));
	if (!parent)
		return -ENOMEM;
	*dir = walk(m, parent);
	free(parent);
	if (!*dir)
		return err_now(m);
	*name = slash + 1;
	return 0;
}

/*
 * libfuse asks the kernel for readdirplus (adaptive: FUSE_CAP_READDIRPLUS
 * and _AUTO by default).  Its attributes spare the kernel a lookup of
 * each entry only while the entry is valid: with -o entry_timeout=0 they
 * would be fetched for nothing, and plain readdir packs more entries in
 * each reply, so readdirplus is turned off then.
 */
static void *m_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct mnt *m = mnt_of_ctx();
	double ttl = cfg->attr_timeout < cfg->entry_timeout ?
			     cfg->attr_timeout : cfg->entry_timeout;

	/* Fids are kept as long as the kernel keeps names (fidcache.c). */
	if (ttl > 3600)
		ttl = 3600;
	m->fid_ttl_ns = ttl > 0 ? (uint64_t)(ttl * 1e9) : 0;
	m->open_ttl_ns = m->fid_ttl_ns < OPEN_TTL_NS ? m->fid_ttl_ns :
						       OPEN_TTL_NS;
	cfg->use_ino = 1;
	if (cfg->entry_timeout <= 0)
		conn->want &= ~(unsigned int)FUSE_CAP_READDIRPLUS;
	return m;
}

const struct fuse_operations mount_ops = {
	.init = m_init,
	.getattr = m_getattr,
	.readlink = m_readlink,
	.mknod = m_mknod,
	.mkdir = m_mkdir,
	.unlink = m_unlink,
	.rmdir = m_rmdir,
	.symlink = m_symlink,
	.rename = m_rename,
	.link = m_link,
	.chmod = m_chmod,
	.chown = m_chown,
	.truncate = m_truncate,
	.open = m_open,
	.read = m_read,
	.write = m_write,
	.statfs = m_statfs,
	.release = m_release,
	.fsync = m_fsync,
	.opendir = m_opendir,
	.readdir = m_readdir,
	.releasedir = m_release,
	.create = m_create,
	.utimens = m_utimens,
};
