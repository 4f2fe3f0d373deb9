// SPDX-License-Identifier: MIT
/*
 * hostile.c - a scripted 9P2000.L server for tests/cmd/run.sh: the
 * replies a hostile or broken server sends and diod never does.  It is a
 * test peer, not a file server: one small fixed tree per scenario, one
 * client at a time, one request at a time.
 *
 *   hostile SOCKET SCENARIO [ARG]
 *
 * names   the root lists ".", "..", "", "a/b", "ok", ".." and "."
 * loop    the root's Rreaddir offsets never advance: every reply is the
 *         same ".", ".." and "x" with offset 0, whatever was asked
 * short   /f is 100000 bytes (byte i is i % 251) and each Rread carries
 *         at most 1000
 * escape  /d lists "x" twice: the first time a symbolic link to ARG, and
 *         once read, a directory holding "pwned"
 *
 * Listens on the unix socket SOCKET until killed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "marshal.h"

#define MSIZE 65536
#define NFIDS 256
#define SHORT_SIZE 100000u
#define SHORT_READ 1000u

enum { ROOT, D, X_LINK, X_DIR, PWNED, F, OK, NNODES };

struct node {
	const char *name;
	int parent;
	uint32_t mode;
	uint64_t size;
};

static const struct node nodes[NNODES] = {
	[ROOT] = { "", -1, S_IFDIR | 0755, 0 },
	[D] = { "d", ROOT, S_IFDIR | 0755, 0 },
	[X_LINK] = { "x", D, S_IFLNK | 0777, 0 },
	[X_DIR] = { "x", D, S_IFDIR | 0755, 0 },
	[PWNED] = { "pwned", X_DIR, S_IFREG | 0644, 6 },
	[F] = { "f", ROOT, S_IFREG | 0644, SHORT_SIZE },
	[OK] = { "ok", ROOT, S_IFREG | 0644, 0 },
};

static const char *scenario, *link_target = "/nonexistent";
static int fids[NFIDS];
static int link_read; /* escape: x has been read as a link */

static struct v9p_qid qid_of(int n)
{
	struct v9p_qid q = { 0 };

	q.type = S_ISDIR(nodes[n].mode) ? 0x80 :
		 S_ISLNK(nodes[n].mode) ? 0x02 : 0;
	q.path = (uint64_t)n + 1;
	return q;
}

/* The node named @name in directory @dir as the scenario shows it now. */
static int lookup(int dir, const char *name)
{
	for (int n = 0; n < NNODES; n++) {
		if (nodes[n].parent != dir || strcmp(nodes[n].name, name))
			continue;
		if (n == X_LINK && link_read)
			continue;
		if (n == X_DIR && !link_read)
			continue;
		if (n == D && strcmp(scenario, "escape"))
			continue;
		return n;
	}
	return -1;
}

static void put_dirent(struct v9p_buf *b, const char *name, uint64_t off)
{
	struct v9p_qid q = { 0 };

	v9p__put_qid(b, &q);
	v9p__put_u64(b, off);
	v9p__put_u8(b, 0);
	v9p__put_str(b, name);
}

/* Rreaddir data for directory @dir from offset @off (an entry index). */
static void readdir_body(struct v9p_buf *b, int dir, uint64_t off)
{
	static const char *const names_root[] = {
		".", "..", "", "a/b", "ok", "..", ".",
	};
	static const char *const escape_d[] = { ".", "..", "x", "x" };
	const char *const *list = NULL;
	size_t n = 0, at = b->pos;

	v9p__put_u32(b, 0); /* count, filled below */
	if (!strcmp(scenario, "loop") && dir == ROOT) {
		/* Every entry at offset 0: the next Treaddir asks 0 again. */
		put_dirent(b, ".", 0);
		put_dirent(b, "..", 0);
		put_dirent(b, "x", 0);
	} else {
		if (!strcmp(scenario, "names") && dir == ROOT) {
			list = names_root;
			n = sizeof(names_root) / sizeof(names_root[0]);
		} else if (dir == D) {
			list = escape_d;
			n = sizeof(escape_d) / sizeof(escape_d[0]);
		} else if (dir == X_DIR) {
			static const char *const x[] = { "pwned" };

			list = x;
			n = 1;
		} else if (dir == ROOT) {
			static const char *const r[] = { "d", "f" };

			list = r;
			n = 2;
		}
		for (size_t i = off; i < n; i++)
			put_dirent(b, list[i], i + 1);
	}
	for (int i = 0; i < 4; i++)
		b->data[at + i] = (uint8_t)((b->pos - at - 4) >> (8 * i));
}

static void attr_body(struct v9p_buf *b, int n)
{
	struct v9p_qid q = qid_of(n);

	v9p__put_u64(b, V9P_GETATTR_BASIC);
	v9p__put_qid(b, &q);
	v9p__put_u32(b, nodes[n].mode);
	v9p__put_u32(b, 0);
	v9p__put_u32(b, 0);
	v9p__put_u64(b, 1);
	v9p__put_u64(b, 0);
	v9p__put_u64(b, nodes[n].size);
	v9p__put_u64(b, 4096);
	v9p__put_u64(b, 0);
	for (int i = 0; i < 3; i++) {
		v9p__put_u64(b, 1600000000); /* times: 2020-09-13 */
		v9p__put_u64(b, 0);
	}
	for (int i = 0; i < 4; i++)
		v9p__put_u64(b, 0);
}

static void read_body(struct v9p_buf *b, int n, uint64_t off, uint32_t count)
{
	uint32_t len = 0;

	if (n == F && off < SHORT_SIZE) {
		len = SHORT_SIZE - (uint32_t)off;
		len = len < SHORT_READ ? len : SHORT_READ;
		len = len < count ? len : count;
		v9p__put_u32(b, len);
		for (uint32_t i = 0; i < len; i++)
			v9p__put_u8(b, (uint8_t)((off + i) % 251));
		return;
	}
	if (n == PWNED && off == 0 && count >= 6) {
		v9p__put_u32(b, 6);
		v9p__put_bytes(b, "pwned\n", 6);
		return;
	}
	v9p__put_u32(b, 0);
}

/* Answer request @m into @b; returns the reply type, or RLERROR with the
 * ecode in @b. */
static uint8_t serve(uint8_t *m, size_t len, struct v9p_buf *b)
{
	struct v9p_buf in;
	uint8_t type = m[4];
	uint32_t fid, newfid;
	int n, at;

	v9p__buf_init(&in, m, len);
	in.pos = V9P_HDRSZ;
	if (type == V9P_TVERSION) {
		uint32_t msize = v9p__get_u32(&in);

		v9p__put_u32(b, msize < MSIZE ? msize : MSIZE);
		v9p__put_str(b, "9P2000.L");
		memset(fids, -1, sizeof(fids));
		return V9P_RVERSION;
	}
	fid = v9p__get_u32(&in);
	if (fid >= NFIDS)
		goto einval;
	n = fids[fid];
	if (type == V9P_TATTACH) {
		struct v9p_qid q = qid_of(ROOT);

		fids[fid] = ROOT;
		v9p__put_qid(b, &q);
		return V9P_RATTACH;
	}
	if (n < 0)
		goto einval;
	switch (type) {
	case V9P_TWALK: {
		uint16_t nw;
		size_t count_at = b->pos;

		newfid = v9p__get_u32(&in);
		nw = v9p__get_u16(&in);
		if (newfid >= NFIDS)
			goto einval;
		v9p__put_u16(b, nw);
		at = n;
		for (uint16_t i = 0; i < nw; i++) {
			struct v9p_str s = v9p__get_str(&in);
			char name[256];
			struct v9p_qid q;

			if (v9p__str_copy(name, sizeof(name), s) < 0 ||
			    (at = lookup(at, name)) < 0) {
				if (i == 0)
					goto enoent;
				b->data[count_at] = (uint8_t)i;
				return V9P_RWALK;
			}
			q = qid_of(at);
			v9p__put_qid(b, &q);
		}
		fids[newfid] = at;
		return V9P_RWALK;
	}
	case V9P_TGETATTR:
		attr_body(b, n);
		return V9P_RGETATTR;
	case V9P_TLOPEN: {
		struct v9p_qid q = qid_of(n);

		v9p__put_qid(b, &q);
		v9p__put_u32(b, 0);
		return V9P_RLOPEN;
	}
	case V9P_TREADDIR: {
		uint64_t off = v9p__get_u64(&in);

		readdir_body(b, n, off);
		return V9P_RREADDIR;
	}
	case V9P_TREAD: {
		uint64_t off = v9p__get_u64(&in);
		uint32_t count = v9p__get_u32(&in);

		read_body(b, n, off, count);
		return V9P_RREAD;
	}
	case V9P_TREADLINK:
		if (n != X_LINK)
			goto einval;
		link_read = 1;
		v9p__put_str(b, link_target);
		return V9P_RREADLINK;
	case V9P_TCLUNK:
		fids[fid] = -1;
		return V9P_RCLUNK;
	}
	v9p__put_u32(b, EOPNOTSUPP);
	return V9P_RLERROR;
enoent:
	v9p__put_u32(b, ENOENT);
	return V9P_RLERROR;
einval:
	v9p__put_u32(b, EINVAL);
	return V9P_RLERROR;
}

/* Read exactly @n bytes; 0 at EOF or on error. */
static int read_full(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return 0;
		p += r;
		n -= (size_t)r;
	}
	return 1;
}

static void session(int fd)
{
	static uint8_t m[MSIZE], r[MSIZE];

	for (;;) {
		struct v9p_buf b;
		uint32_t size;
		uint8_t type;
		size_t len;

		if (!read_full(fd, m, 4))
			return;
		size = (uint32_t)m[0] | (uint32_t)m[1] << 8 |
		       (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
		if (size < V9P_HDRSZ || size > MSIZE || !read_full(fd, m + 4,
								   size - 4))
			return;
		v9p__buf_init(&b, r, sizeof(r));
		v9p__msg_begin(&b, 0, (uint16_t)(m[5] | m[6] << 8));
		type = serve(m, size, &b);
		r[4] = type;
		len = v9p__msg_end(&b);
		if (!len || write(fd, r, len) != (ssize_t)len)
			return;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd;

	if (argc < 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: hostile SOCKET SCENARIO [ARG]\n");
		return 2;
	}
	scenario = argv[2];
	if (argc > 3)
		link_target = argv[3];
	strcpy(sa.sun_path, argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 4) < 0) {
		perror(argv[1]);
		return 1;
	}
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		link_read = 0;
		session(fd);
		close(fd);
	}
}
