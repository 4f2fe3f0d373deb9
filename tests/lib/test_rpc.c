// SPDX-License-Identifier: MIT
/*
 * test_rpc.c - the rpc engine against a scripted fake server on a
 * socketpair: tag matching in any order, Tflush keeping its tag, dead
 * channels, oversized frames, exact request bytes, and the device
 * transport (one message per read/write, simulated by SOCK_SEQPACKET).
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include "asserts.h"
#include "marshal.h"
#include "v9p.h"

/* Read one request: framed by size[4] on a stream, whole on seqpacket. */
static ssize_t srv_recv(int fd, uint8_t *m, size_t cap, int seqpacket)
{
	uint32_t size;
	size_t got = 0;

	if (seqpacket)
		return read(fd, m, cap);
	while (got < 4) {
		ssize_t n = read(fd, m + got, 4 - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	size = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 |
	       (uint32_t)m[3] << 24;
	if (size > cap || size < 7)
		return -1;
	while (got < size) {
		ssize_t n = read(fd, m + got, size - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return (ssize_t)size;
}

static uint16_t tag_of(const uint8_t *m)
{
	return (uint16_t)(m[5] | m[6] << 8);
}

static void srv_send(int fd, uint8_t type, uint16_t tag, const void *body,
		     size_t n)
{
	uint8_t m[1024];
	struct v9p_buf b;
	size_t len;

	v9p__buf_init(&b, m, sizeof(m));
	v9p__msg_begin(&b, type, tag);
	v9p__put_bytes(&b, body, n);
	len = v9p__msg_end(&b);
	if (write(fd, m, len) != (ssize_t)len)
		abort();
}

/* Answer the Tversion that opens every session with @msize. */
static void srv_version(int fd, uint32_t msize, int seqpacket)
{
	uint8_t m[256], body[14];

	if (srv_recv(fd, m, sizeof(m), seqpacket) < 0 || m[4] != V9P_TVERSION)
		abort();
	memcpy(body, &msize, 4); /* little-endian host */
	memcpy(body + 4, "\x08\x00" "9P2000.L", 10);
	srv_send(fd, V9P_RVERSION, V9P_NOTAG, body, sizeof(body));
}

struct fake {
	int fd;
	int seqpacket;
	void (*script)(struct fake *);
	int ok; /* set by scripts that assert something */
	uint8_t seen[8][256];
	ssize_t seen_len[8];
};

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	srv_version(f->fd, 8192, f->seqpacket);
	f->script(f);
	return NULL;
}

/* Start a fake server running @script; returns the client session. */
static struct v9p_session *fake_start(struct fake *f, pthread_t *th,
				      void (*script)(struct fake *),
				      int seqpacket, uint32_t window)
{
	int sv[2];

	if (socketpair(AF_UNIX, seqpacket ? SOCK_SEQPACKET : SOCK_STREAM, 0,
		       sv) < 0)
		return NULL;
	f->fd = sv[1];
	f->seqpacket = seqpacket;
	f->script = script;
	if (pthread_create(th, NULL, fake_main, f) != 0)
		return NULL;
	return v9p_session_new(sv[0],
			       seqpacket ? V9P_TRANS_DEV : V9P_TRANS_STREAM,
			       8192, window);
}

/* Attach reply to the first request, so the client has a fid. */
static void srv_attach(struct fake *f)
{
	uint8_t m[256];

	if (srv_recv(f->fd, m, sizeof(m), f->seqpacket) < 0 ||
	    m[4] != V9P_TATTACH)
		abort();
	srv_send(f->fd, V9P_RATTACH, tag_of(m), "\x80\0\0\0\0\1\0\0\0\0\0\0\0",
		 13);
}

static void script_reverse(struct fake *f)
{
	uint8_t m[3][256];

	srv_attach(f);
	for (int i = 0; i < 3; i++)
		if (srv_recv(f->fd, m[i], 256, f->seqpacket) < 0)
			abort();
	for (int i = 2; i >= 0; i--) {
		uint8_t body[5] = { 1, 0, 0, 0, (uint8_t)('a' + i) };

		srv_send(f->fd, V9P_RREAD, tag_of(m[i]), body, 5);
	}
}

static void reverse_order(METADATA, int seqpacket)
{
	struct fake f = { 0 };
	struct v9p_session *s;
	struct v9p_fid *root;
	struct v9p_op *op[3];
	pthread_t th;
	char c;

	s = fake_start(&f, &th, script_reverse, seqpacket, 0);
	ASSERT_NONNULL(s);
	root = v9p_attach(s, "u", 0, "/");
	ASSERT_NONNULL(root);
	for (int i = 0; i < 3; i++) {
		op[i] = v9p_read_start(root, (uint64_t)i, 1);
		ASSERT_NONNULL(op[i]);
	}
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(v9p_op_wait(op[i], &c, 1), 1);
		ASSERT_EQ(c, 'a' + i);
	}
	pthread_join(th, NULL);
	v9p_fid_free(root);
	close(f.fd); /* a device close sends Tversion: let it fail fast */
	v9p_close(s);
}

TEST(replies_in_reverse_order_match_by_tag_stream)
{
	reverse_order(_metadata, 0);
}

TEST(replies_in_reverse_order_match_by_tag_device)
{
	reverse_order(_metadata, 1);
}

static void script_unknown_tag(struct fake *f)
{
	uint8_t m[256];

	srv_attach(f);
	if (srv_recv(f->fd, m, sizeof(m), 0) < 0)
		abort();
	srv_send(f->fd, V9P_RCLUNK, (uint16_t)(tag_of(m) + 5), "", 0);
	sleep(1); /* keep the socket open: only the tag is wrong */
}

TEST(reply_with_unknown_tag_kills_session)
{
	struct fake f = { 0 };
	struct v9p_session *s = fake_start(&f, (pthread_t[1]){ 0 },
					   script_unknown_tag, 0, 0);
	struct v9p_fid *root;
	struct v9p_attr a;

	ASSERT_NONNULL(s);
	root = v9p_attach(s, "u", 0, "/");
	ASSERT_NONNULL(root);
	ASSERT_ERRNO(v9p_getattr(root, V9P_GETATTR_BASIC, &a), ECONNABORTED);
	ASSERT_ERRNO(v9p_getattr(root, V9P_GETATTR_BASIC, &a), ECONNABORTED);
	v9p_fid_free(root);
	v9p_close(s);
}

static void script_oversized(struct fake *f)
{
	static const uint8_t huge[7] = { 0x01, 0x20, 0, 0, V9P_RCLUNK, 0, 0 };
	uint8_t m[256];

	srv_attach(f);
	if (srv_recv(f->fd, m, sizeof(m), 0) < 0)
		abort();
	/* size[4] = 8193 > msize; only the header is ever sent. */
	if (write(f->fd, huge, sizeof(huge)) != 7)
		abort();
	sleep(1);
}

TEST(size_above_msize_is_refused_before_reading_body)
{
	struct fake f = { 0 };
	struct v9p_session *s = fake_start(&f, (pthread_t[1]){ 0 },
					   script_oversized, 0, 0);
	struct v9p_fid *root;

	ASSERT_NONNULL(s);
	root = v9p_attach(s, "u", 0, "/");
	ASSERT_NONNULL(root);
	/* Does not hang waiting for 8193 bytes: refused at the header. */
	ASSERT_ERRNO(v9p_clunk(root), ECONNABORTED);
	v9p_close(s);
}

static void script_overcount(struct fake *f)
{
	uint8_t m[256];

	srv_attach(f);
	if (srv_recv(f->fd, m, sizeof(m), 0) < 0)
		abort();
	srv_send(f->fd, V9P_RREAD, tag_of(m), "\x03\0\0\0abc", 7);
	if (srv_recv(f->fd, m, sizeof(m), 0) < 0)
		abort();
	srv_send(f->fd, V9P_RLERROR, tag_of(m), "\x0d\0\0\0", 4);
}

TEST(rread_larger_than_asked_is_eproto_and_session_lives)
{
	struct fake f = { 0 };
	pthread_t th;
	struct v9p_session *s = fake_start(&f, &th, script_overcount, 0, 0);
	struct v9p_fid *root;
	char buf[8];

	ASSERT_NONNULL(s);
	root = v9p_attach(s, "u", 0, "/");
	ASSERT_NONNULL(root);
	ASSERT_ERRNO(v9p_pread(root, buf, 2, 0), EPROTO);
	/* The next request still gets its own reply: EACCES (13). */
	ASSERT_ERRNO(v9p_pread(root, buf, 2, 0), EACCES);
	pthread_join(th, NULL);
	v9p_fid_free(root);
	v9p_close(s);
}

/* Tflush: the old tag must stay unused until Rflush, even though the
 * read's reply arrives first. */
static void script_flush(struct fake *f)
{
	struct pollfd p = { .fd = f->fd, .events = POLLIN };
	uint8_t rd[256], fl[256], m[256];

	srv_attach(f);
	if (srv_recv(f->fd, rd, sizeof(rd), 0) < 0 || rd[4] != V9P_TREAD)
		abort();
	if (srv_recv(f->fd, fl, sizeof(fl), 0) < 0 || fl[4] != V9P_TFLUSH)
		abort();
	if (fl[7] != rd[5] || fl[8] != rd[6])
		abort(); /* oldtag must name the read */
	srv_send(f->fd, V9P_RREAD, tag_of(rd), "\x01\0\0\0z", 5);
	/* A client thread now wants to send; it must wait for Rflush. */
	f->ok = poll(&p, 1, 300) == 0;
	srv_send(f->fd, V9P_RFLUSH, tag_of(fl), "", 0);
	if (srv_recv(f->fd, m, sizeof(m), 0) < 0 || m[4] != V9P_TCLUNK)
		abort();
	srv_send(f->fd, V9P_RCLUNK, tag_of(m), "", 0);
}

static void *clunk_later(void *arg)
{
	usleep(100 * 1000);
	return (void *)(intptr_t)v9p_clunk(arg);
}

TEST(flush_keeps_old_tag_until_rflush)
{
	struct fake f = { 0 };
	pthread_t th, cl;
	struct v9p_session *s = fake_start(&f, &th, script_flush, 0, 2);
	struct v9p_fid *root;
	struct v9p_op *op;
	void *rc;

	ASSERT_NONNULL(s);
	root = v9p_attach(s, "u", 0, "/");
	ASSERT_NONNULL(root);
	op = v9p_read_start(root, 0, 1);
	ASSERT_NONNULL(op);
	ASSERT_EQ(pthread_create(&cl, NULL, clunk_later, root), 0);
	ASSERT_EQ(v9p_op_flush(op), 1); /* the reply won the race */
	pthread_join(cl, &rc);
	ASSERT_EQ((intptr_t)rc, 0);
	pthread_join(th, NULL);
	ASSERT_EQ(f.ok, 1);
	v9p_close(s);
}

/* A Twalk whose Rwalk comes before the Rflush made its fid: the client
 * must clunk that fid. */
static void script_walk_flush_too_late(struct fake *f)
{
	uint8_t wk[256], fl[256], m[256];

	srv_attach(f);
	if (srv_recv(f->fd, wk, sizeof(wk), 0) < 0 || wk[4] != V9P_TWALK)
		abort();
	if (srv_recv(f->fd, fl, sizeof(fl), 0) < 0 || fl[4] != V9P_TFLUSH)
		abort();
	srv_send(f->fd, V9P_RWALK, tag_of(wk),
		 "\1\0" "\0\0\0\0\0\2\0\0\0\0\0\0\0", 15);
	srv_send(f->fd, V9P_RFLUSH, tag_of(fl), "", 0);
	if (srv_recv(f->fd, m, sizeof(m), 0) < 0 || m[4] != V9P_TCLUNK)
		abort();
	f->ok = memcmp(m + 7, wk + 11, 4) == 0; /* fid[4] == newfid[4] */
	srv_send(f->fd, V9P_RCLUNK, tag_of(m), "", 0);
}

TEST(flush_of_walk_that_happened_clunks_its_fid)
{
	struct fake f = { 0 };
	pthread_t th;
	struct v9p_session *s = fake_start(&f, &th, script_walk_flush_too_late,
					   0, 0);
	struct v9p_fid *root;
	struct v9p_op *op;

	ASSERT_NONNULL(s);
	root = v9p_attach(s, "u", 0, "/");
	ASSERT_NONNULL(root);
	op = v9p_walk_start(root, "a");
	ASSERT_NONNULL(op);
	ASSERT_EQ(v9p_op_flush(op), 1);
	pthread_join(th, NULL);
	ASSERT_EQ(f.ok, 1);
	v9p_fid_free(root);
	v9p_close(s);
}

/* A Tclunk flushed before it ran leaves the fid open: the client must
 * send it again. */
static void script_clunk_flushed(struct fake *f)
{
	uint8_t cl[256], fl[256], m[256];

	srv_attach(f);
	if (srv_recv(f->fd, cl, sizeof(cl), 0) < 0 || cl[4] != V9P_TCLUNK)
		abort();
	if (srv_recv(f->fd, fl, sizeof(fl), 0) < 0 || fl[4] != V9P_TFLUSH)
		abort();
	srv_send(f->fd, V9P_RFLUSH, tag_of(fl), "", 0);
	if (srv_recv(f->fd, m, sizeof(m), 0) < 0 || m[4] != V9P_TCLUNK)
		abort();
	f->ok = memcmp(m + 7, cl + 7, 4) == 0;
	srv_send(f->fd, V9P_RCLUNK, tag_of(m), "", 0);
}

TEST(flush_of_clunk_before_it_ran_clunks_again)
{
	struct fake f = { 0 };
	pthread_t th;
	struct v9p_session *s = fake_start(&f, &th, script_clunk_flushed, 0,
					   0);
	struct v9p_fid *root;
	struct v9p_op *op;

	ASSERT_NONNULL(s);
	root = v9p_attach(s, "u", 0, "/");
	ASSERT_NONNULL(root);
	op = v9p_clunk_start(root);
	ASSERT_NONNULL(op);
	ASSERT_EQ(v9p_op_flush(op), 0);
	pthread_join(th, NULL);
	ASSERT_EQ(f.ok, 1);
	v9p_close(s);
}

/* An Rwalk with more qids than names asked is EPROTO, as in v9p_walk(). */
static void script_walk_overlong(struct fake *f)
{
	uint8_t m[256];

	srv_attach(f);
	if (srv_recv(f->fd, m, sizeof(m), 0) < 0 || m[4] != V9P_TWALK)
		abort();
	srv_send(f->fd, V9P_RWALK, tag_of(m),
		 "\2\0" "\0\0\0\0\0\2\0\0\0\0\0\0\0"
		 "\0\0\0\0\0\3\0\0\0\0\0\0\0", 28);
}

TEST(async_rwalk_with_extra_qids_is_eproto)
{
	struct fake f = { 0 };
	pthread_t th;
	struct v9p_session *s = fake_start(&f, &th, script_walk_overlong, 0,
					   0);
	struct v9p_fid *root;

	ASSERT_NONNULL(s);
	root = v9p_attach(s, "u", 0, "/");
	ASSERT_NONNULL(root);
	ASSERT_ERRNO(v9p_op_wait_fid(v9p_walk_start(root, "a")), EPROTO);
	pthread_join(th, NULL);
	v9p_fid_free(root);
	v9p_close(s);
}

static void script_capture(struct fake *f)
{
	srv_attach(f);
	for (int i = 0; i < 2; i++) {
		f->seen_len[i] = srv_recv(f->fd, f->seen[i], 256, 0);
		if (f->seen_len[i] < 7)
			abort();
		srv_send(f->fd, (uint8_t)(f->seen[i][4] + 1),
			 tag_of(f->seen[i]), "", 0);
	}
}

TEST(renameat_and_unlinkat_exact_request_bytes)
{
	static const uint8_t ren[] = {
		22, 0, 0, 0, V9P_TRENAMEAT, 0, 0, 0, 0, 0, 0,
		1, 0, 'a', 0, 0, 0, 0, 2, 0, 'b', 'c',
	};
	static const uint8_t unl[] = {
		18, 0, 0, 0, V9P_TUNLINKAT, 0, 0, 0, 0, 0, 0,
		1, 0, 'd', 0x00, 0x02, 0, 0,
	};
	struct fake f = { 0 };
	pthread_t th;
	struct v9p_session *s = fake_start(&f, &th, script_capture, 0, 0);
	struct v9p_fid *root;

	ASSERT_NONNULL(s);
	root = v9p_attach(s, "u", 0, "/");
	ASSERT_NONNULL(root);
	ASSERT_EQ(v9p_renameat(root, "a", root, "bc"), 0);
	ASSERT_EQ(v9p_unlinkat(root, "d", V9P_AT_REMOVEDIR), 0);
	pthread_join(th, NULL);
	ASSERT_EQ(f.seen_len[0], (ssize_t)sizeof(ren));
	ASSERT_MEM_EQ(f.seen[0], ren, sizeof(ren));
	ASSERT_EQ(f.seen_len[1], (ssize_t)sizeof(unl));
	ASSERT_MEM_EQ(f.seen[1], unl, sizeof(unl));
	v9p_fid_free(root);
	v9p_close(s);
}

static void *bad_version_server(void *arg)
{
	int fd = *(int *)arg;
	uint8_t m[256];

	if (srv_recv(fd, m, sizeof(m), 0) < 0)
		abort();
	/* msize 16384 > the 8192 proposed */
	srv_send(fd, V9P_RVERSION, V9P_NOTAG,
		 "\x00\x40\x00\x00\x08\x00" "9P2000.L", 14);
	return NULL;
}

TEST(rversion_raising_msize_is_eproto)
{
	pthread_t th;
	int sv[2];

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ASSERT_EQ(pthread_create(&th, NULL, bad_version_server, &sv[1]), 0);
	ASSERT_ERRNO(v9p_session_new(sv[0], V9P_TRANS_STREAM, 8192, 0), EPROTO);
	pthread_join(th, NULL);
	close(sv[1]);
}

static void script_nonblock(struct fake *f)
{
	uint8_t m[256];

	srv_attach(f);
	if (srv_recv(f->fd, m, sizeof(m), 1) < 0)
		abort();
	usleep(200 * 1000); /* the client's read would block meanwhile */
	srv_send(f->fd, V9P_RCLUNK, tag_of(m), "", 0);
}

TEST(device_fd_in_nonblocking_mode_polls)
{
	struct fake f = { 0 };
	pthread_t th;
	struct v9p_session *s = fake_start(&f, &th, script_nonblock, 1, 0);
	struct v9p_fid *root;
	int fd;

	ASSERT_NONNULL(s);
	ASSERT_EQ(v9p_window(s), (uint32_t)V9P_DEV_WINDOW);
	fd = v9p_session_fd(s);
	ASSERT_EQ(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
	root = v9p_attach(s, "u", 0, "/");
	ASSERT_NONNULL(root);
	ASSERT_EQ(v9p_clunk(root), 0);
	pthread_join(th, NULL);
	/* Nothing left: v9p_close()'s Tversion gets no answer, so close
	 * the server end first to make it fail fast. */
	close(f.fd);
	v9p_close(s);
}

/* Tlopen carries 9P2000.L flag values, converted from the host's O_*
 * flags one by one; a host flag 9P2000.L has no value for (O_PATH,
 * O_TMPFILE) is refused before anything is sent. */
static void script_lopen(struct fake *f)
{
	srv_attach(f);
	f->seen_len[0] = srv_recv(f->fd, f->seen[0], 256, 0);
	if (f->seen_len[0] < 7)
		abort();
	srv_send(f->fd, V9P_RLOPEN, tag_of(f->seen[0]),
		 "\0\0\0\0\0\0\0\0\0\0\0\0\0" "\0\0\0\0", 17);
	/* Anything more would be a flag the client should have refused. */
	f->seen_len[1] = srv_recv(f->fd, f->seen[1], 256, 0);
	if (f->seen_len[1] >= 7)
		srv_send(f->fd, V9P_RLOPEN, tag_of(f->seen[1]),
			 "\0\0\0\0\0\0\0\0\0\0\0\0\0" "\0\0\0\0", 17);
}

TEST(lopen_sends_9p2000l_flags_and_refuses_host_only_ones)
{
	/* P9_DOTL_WRONLY|APPEND|NOFOLLOW|CLOEXEC|SYNC|DSYNC|DIRECTORY */
	static const uint8_t lopen[] = {
		15, 0, 0, 0, V9P_TLOPEN, 0, 0, 0, 0, 0, 0,
		0x01, 0x14, 0x1b, 0x00,
	};
	struct fake f = { 0 };
	pthread_t th;
	struct v9p_session *s = fake_start(&f, &th, script_lopen, 0, 0);
	struct v9p_fid *root;

	ASSERT_NONNULL(s);
	root = v9p_attach(s, "u", 0, "/");
	ASSERT_NONNULL(root);
	ASSERT_EQ(v9p_lopen(root, O_WRONLY | O_APPEND | O_NOFOLLOW |
			    O_CLOEXEC | O_SYNC | O_DIRECTORY), 0);
	ASSERT_ERRNO(v9p_lopen(root, O_RDONLY | O_PATH), EINVAL);
	ASSERT_ERRNO(v9p_lcreate(root, "t", O_RDWR | O_TMPFILE, 0600, 0),
		     EINVAL);
	v9p_fid_free(root);
	shutdown(f.fd, SHUT_RDWR);
	pthread_join(th, NULL);
	ASSERT_EQ(f.seen_len[0], (ssize_t)sizeof(lopen));
	ASSERT_MEM_EQ(f.seen[0], lopen, sizeof(lopen));
	ASSERT_LT(f.seen_len[1], 7); /* nothing sent for O_PATH, O_TMPFILE */
	close(f.fd);
	v9p_close(s);
}

/* The driver hands out a 0-length reply for a request whose reply it
 * dropped (after a Tflush): that is nothing to read, not a dead channel. */
static void script_empty_device_reply(struct fake *f)
{
	uint8_t m[256];

	srv_attach(f);
	if (srv_recv(f->fd, m, sizeof(m), 1) < 0 || m[4] != V9P_TCLUNK)
		abort();
	if (write(f->fd, m, 0) != 0)
		abort();
	srv_send(f->fd, V9P_RCLUNK, tag_of(m), "", 0);
}

TEST(device_read_of_zero_bytes_is_skipped)
{
	struct fake f = { 0 };
	pthread_t th;
	struct v9p_session *s = fake_start(&f, &th, script_empty_device_reply,
					   1, 0);
	struct v9p_fid *root;

	ASSERT_NONNULL(s);
	root = v9p_attach(s, "u", 0, "/");
	ASSERT_NONNULL(root);
	ASSERT_EQ(v9p_clunk(root), 0);
	pthread_join(th, NULL);
	close(f.fd);
	v9p_close(s);
}

/* A file of FILE_SIZE bytes (byte i is i % 251) whose server answers
 * every Tread with at most SHORT_READ bytes, and Tgetattr with its size. */
#define FILE_SIZE 1000u
#define SHORT_READ 100u

static void script_short_reads(struct fake *f)
{
	uint8_t m[256], body[512];

	srv_attach(f);
	while (srv_recv(f->fd, m, sizeof(m), 0) >= 7) {
		struct v9p_buf in, out;
		uint64_t off;
		uint32_t n;

		v9p__buf_init(&in, m, sizeof(m));
		in.pos = 11; /* past size[4] type[1] tag[2] fid[4] */
		v9p__buf_init(&out, body, sizeof(body));
		switch (m[4]) {
		case V9P_TREAD:
			off = v9p__get_u64(&in);
			n = off < FILE_SIZE ? FILE_SIZE - (uint32_t)off : 0;
			if (n > SHORT_READ)
				n = SHORT_READ;
			v9p__put_u32(&out, n);
			for (uint32_t i = 0; i < n; i++)
				v9p__put_u8(&out, (uint8_t)((off + i) % 251));
			break;
		case V9P_TGETATTR:
			v9p__put_u64(&out, V9P_GETATTR_BASIC);
			v9p__put_qid(&out, &(struct v9p_qid){ 0 });
			v9p__put_u32(&out, 0100644);
			for (int i = 0; i < 2; i++)
				v9p__put_u32(&out, 0);	/* uid, gid */
			v9p__put_u64(&out, 1);		/* nlink */
			v9p__put_u64(&out, 0);		/* rdev */
			v9p__put_u64(&out, FILE_SIZE);
			for (int i = 0; i < 12; i++)
				v9p__put_u64(&out, 0);
			break;
		}
		srv_send(f->fd, (uint8_t)(m[4] + 1), tag_of(m), body, out.pos);
	}
}

TEST(short_rread_before_the_size_is_not_the_end)
{
	struct fake f = { 0 };
	pthread_t th;
	struct v9p_session *s = fake_start(&f, &th, script_short_reads, 0, 0);
	struct v9p_fid *root;
	uint8_t got[2 * FILE_SIZE];
	int p[2];

	ASSERT_NONNULL(s);
	root = v9p_attach(s, "u", 0, "/");
	ASSERT_NONNULL(root);
	ASSERT_EQ(pipe(p), 0);
	ASSERT_EQ(v9p_get_fd(root, p[1]), (int64_t)FILE_SIZE);
	close(p[1]);
	ASSERT_EQ(read(p[0], got, sizeof(got)), (ssize_t)FILE_SIZE);
	for (uint32_t i = 0; i < FILE_SIZE; i++)
		ASSERT_EQ(got[i], (uint8_t)(i % 251));
	close(p[0]);
	v9p_fid_free(root);
	shutdown(f.fd, SHUT_RDWR);
	pthread_join(th, NULL);
	close(f.fd);
	v9p_close(s);
}

TEST_HARNESS_MAIN
