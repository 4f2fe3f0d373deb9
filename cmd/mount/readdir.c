// SPDX-License-Identifier: MIT
/*
 * readdir.c - `vio9p mount`'s readdir and readdirplus: Treaddir on
 * the open folder and, for readdirplus, each batch of entries' attributes
 * (attrs_fetch()), for ops.c's table (ops.h)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

#include <fuse_lowlevel.h> /* fuse_add_direntry_plus(): an entry's size */

/* Bytes of @name's entry in a readdirplus reply (struct fuse_direntplus). */
static size_t plus_size(const char *name)
{
	return fuse_add_direntry_plus(NULL, NULL, 0, name, NULL, 0);
}

/* links_seen() for the entry @na of directory @dir, of more than one
 * link. */
static void plus_links(struct mnt *m, const char *dir,
		       const struct name_attr *na)
{
	char *p;

	if (asprintf(&p, "%s/%s", strcmp(dir, "/") ? dir : "", na->name) < 0)
		return;
	links_seen(m, p, na->a.qid.path, na->a.nlink, na->a.mode);
	free(p);
}

static bool is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

/* Up to ATTR_BATCH entries of one Rreaddir and, for readdirplus, their
 * attributes. */
struct rd_batch {
	struct v9p_dirent de[ATTR_BATCH];
	struct name_attr na[ATTR_BATCH];
	int slot[ATTR_BATCH];	/* de[i]'s index in na, or -1 */
};

/*
 * Treaddir on the open fid from the kernel's offset (the 9P entry
 * offset), each chunk's entries filled in order until fill() says the
 * buffer is full.  For readdirplus, each batch of entries has its
 * attributes fetched first (attrs_fetch()) and goes with them
 * (FUSE_FILL_DIR_PLUS); ".", ".." and an entry whose walk or getattr
 * failed (it went away meanwhile, EACCES...) go without, as for readdir.
 * Attributes fetched for entries that do not fit are wasted, so a batch
 * holds no more entries than could fit in the last reply that came back
 * full (m->rd_room: the bytes it held plus those of the entry refused,
 * less one), at least one, so that hardly any are fetched for nothing.
 * When they all fit, the kernel's buffer has grown: the estimate is
 * dropped for the rest of the call and batches grow from one entry,
 * doubling, to ATTR_BATCH.
 */
int m_readdir(const char *path, void *out, fuse_fill_dir_t fill,
		     off_t off, struct fuse_file_info *fi,
		     enum fuse_readdir_flags flags)
{
	struct mnt *m = mnt_of_ctx();
	struct v9p_fid *dir = fh_fid(fi);
	uint32_t cap = m->chunk_max;
	uint64_t pos = (uint64_t)off;
	bool plus = flags & FUSE_READDIR_PLUS;
	size_t room = plus ? atomic_load(&m->rd_room) : 0;
	size_t planned = 0, filled = 0, limit = ATTR_BATCH;
	char *buf = malloc(cap);
	struct rd_batch *b = malloc(sizeof(*b));
	int rc = 0;

	if (!buf || !b) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		size_t at = 0;
		ssize_t len = v9p_readdir(dir, pos, buf, cap);

		if (len < 0) {
			rc = err_now(m);
			break;
		}
		if (len == 0)
			break;
		for (;;) {
			size_t k = 0, nna = 0;
			bool capped = false, full = false;
			int r;

			while (k < limit) {
				struct v9p_dirent *de = &b->de[k];
				size_t was = at;

				r = v9p_dirent_next(buf, (size_t)len, &at, de);
				if (r <= 0)
					break;
				if (de->offset == 0 || de->offset > INT64_MAX) {
					r = -1; /* 0 would restart the listing */
					errno = EPROTO;
					break;
				}
				if (plus && room) {
					size_t sz = plus_size(de->name);

					if (k && planned + sz > room) {
						at = was; /* the next batch's */
						capped = true;
						break;
					}
					planned += sz;
				}
				k++;
			}
			if (r < 0) {
				rc = err_now(m);
				goto out;
			}
			for (size_t i = 0; plus && i < k; i++) {
				b->slot[i] = is_dot(b->de[i].name) ? -1 : (int)nna;
				if (b->slot[i] >= 0)
					b->na[nna++].name = b->de[i].name;
			}
			if (nna)
				attrs_fetch(dir, b->na, nna);
			for (size_t i = 0; i < k && !full; i++) {
				const struct v9p_dirent *de = &b->de[i];
				const struct name_attr *na =
					plus && b->slot[i] >= 0 ?
						&b->na[b->slot[i]] : NULL;
				struct stat st = {
					.st_ino = (ino_t)de->qid.path,
					.st_mode = (mode_t)((de->type & 017) << 12)
				};
				enum fuse_fill_dir_flags ff = 0;

				if (na && !na->err) {
					attr_to_stat(&na->a, &st);
					ff = FUSE_FILL_DIR_PLUS;
					if (na->a.nlink > 1)
						plus_links(m, path, na);
				}
				if (fill(out, de->name, &st, (off_t)de->offset,
					 ff)) {
					full = true;
					filled += plus_size(de->name) - 1;
					break;
				}
				filled += plus_size(de->name);
				pos = de->offset;
			}
			if (nna)
				attrs_release(b->na, nna);
			if (full) {
				if (plus)
					atomic_store(&m->rd_room, filled);
				goto out;
			}
			if (capped) {
				room = 0; /* all fitted: the estimate was short */
				limit = 1;
			} else if (limit < ATTR_BATCH) {
				limit *= 2;
			}
			if (r == 0)
				break; /* the end of this chunk */
		}
	}
out:
	free(b);
	free(buf);
	return rc;
}
