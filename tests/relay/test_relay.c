// SPDX-License-Identifier: MIT
/*
 * test_relay.c - `vio9p relay' on the host: the real command ($VIO9P, an
 * ASan+UBSan build) relays a real diod to library clients, raw 9P
 * clients, vio9p(1) itself ($GUEST_SH, the command's checks) and diod's
 * own tools.  Every test starts the relay, checks its clients against
 * the host file system, and ends by stopping it with SIGTERM, which must
 * give exit status 0 and a log without a sanitizer report.  The relay's
 * SIGUSR1 state line tells what it still holds (fids, requests).
 */

#include <dirent.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/pidfd.h>

#include "relay_fixture.h"

/* ---- tests --------------------------------------------------------------- */

TEST_F_TIMEOUT(diod, relay_answers_tversion_itself, 90)
{
	int fd;
	uint32_t got;
	char ver[32];
	struct msg m;
	uint8_t r[64];
	ssize_t n;
	struct v9p_session *s;

	relay_start(self, "-m", "0600");
	fd = unix_connect(R.sock);
	ASSERT_GE(fd, 0);
	/* Before a session: Rlerror EPROTO with the request's tag. */
	put_fid(&m, V9P_TCLUNK, 7, 1);
	n = rpc(fd, &m, r, sizeof(r));
	EXPECT_RLERROR(r, n, 7, EPROTO);
	ASSERT_EQ(raw_version(fd, 9000, "9P2000.u", &got, ver), 0);
	EXPECT_EQ(strcmp(ver, "unknown"), 0);
	ASSERT_EQ(raw_version(fd, 100, "9P2000.L", &got, ver), 0);
	EXPECT_EQ(strcmp(ver, "unknown"), 0);
	/* Never above the channel's msize (64 KiB on a stream). */
	ASSERT_EQ(raw_version(fd, 1u << 24, "9P2000.L", &got, ver), 0);
	EXPECT_EQ(strcmp(ver, "9P2000.L"), 0);
	EXPECT_EQ(got, 65536u);
	ASSERT_EQ(raw_version(fd, 4096, "9P2000.L", &got, ver), 0);
	EXPECT_EQ(got, 4096u);
	close(fd);
	/* The library's own check of the session. */
	s = v9p_connect(R.addr, 8192);
	ASSERT_NONNULL(s);
	EXPECT_EQ(v9p_msize(s), 8192u);
	v9p_close(s);
	RELAY_END();
}

TEST_F_TIMEOUT(diod, relay_caps_msize_at_the_channel, 90)
{
	struct v9p_session *s;
	struct v9p_fid *root, *f;
	char pathbuf[256];
	uint8_t buf[40000], want[40000];

	/* -m: the channel is negotiated at 16 KiB; clients get no more. */
	relay_start_args(_metadata, self, -1, true, "16384", NULL);
	s = v9p_connect(R.addr, 0);
	ASSERT_NONNULL(s);
	EXPECT_EQ(v9p_msize(s), 16384u);
	fill_pattern(want, sizeof(want), 11);
	ASSERT_EQ(host_write(hp(self->exp, "f", pathbuf, sizeof(pathbuf)),
			     want, sizeof(want)), 0);
	root = v9p_attach(s, self->uname, self->uid, self->exp);
	ASSERT_NONNULL(root);
	f = v9p_walk(root, "f");
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_lopen(f, O_RDONLY), 0);
	ASSERT_EQ(v9p_pread(f, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	ASSERT_MEM_EQ(buf, want, sizeof(want));
	v9p_clunk(f);
	v9p_clunk(root);
	v9p_close(s);
	RELAY_END();
}

/* One library client's work: write a file of @n bytes with @seed through
 * the relay, read it back and compare. */
static int client_roundtrip(FIXTURE_DATA(diod) *self, const char *name,
			    size_t n, uint64_t seed)
{
	struct v9p_session *s = v9p_connect(R.addr, 0);
	struct v9p_fid *root, *dir;
	uint8_t *w = malloc(n), *r = malloc(n);
	int rc = -1;

	if (!s || !w || !r)
		goto out;
	root = v9p_attach(s, self->uname, self->uid, self->exp);
	if (!root)
		goto out;
	dir = v9p_walk(root, "");
	fill_pattern(w, n, seed);
	if (dir && v9p_lcreate(dir, name, O_RDWR | O_TRUNC, 0644,
			       self->uid) == 0 &&
	    v9p_pwrite(dir, w, n, 0) == (ssize_t)n &&
	    v9p_pread(dir, r, n, 0) == (ssize_t)n && !memcmp(w, r, n))
		rc = 0;
	v9p_clunk(dir);
	v9p_clunk(root);
out:
	if (s)
		v9p_close(s);
	free(w);
	free(r);
	return rc;
}

TEST_F_TIMEOUT(diod, relay_serves_many_clients_at_once, 90)
{
	enum { N = 6, SIZE = 1 << 20 };
	pid_t kids[N];
	char pathbuf[256], name[32];
	uint8_t *want = malloc(SIZE), *got = malloc(SIZE);
	struct state st;

	relay_start(self);
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			snprintf(name, sizeof(name), "c%d", i);
			_exit(client_roundtrip(self, name, SIZE, 100 + i) ? 1 : 0);
		}
		ASSERT_GT(kids[i], 0);
	}
	/* The direct session to diod works beside the relay. */
	{
		struct v9p_fid *d = v9p_walk(self->root, "");

		ASSERT_NONNULL(d);
		ASSERT_EQ(v9p_lcreate(d, "direct", O_RDWR, 0644, self->uid), 0);
		ASSERT_EQ(v9p_pwrite(d, "direct", 6, 0), 6);
		v9p_clunk(d);
	}
	for (int i = 0; i < N; i++) {
		int st2 = -1;

		waitpid(kids[i], &st2, 0);
		EXPECT_TRUE(WIFEXITED(st2) && WEXITSTATUS(st2) == 0);
	}
	for (int i = 0; i < N; i++) {
		int fd;

		snprintf(name, sizeof(name), "c%d", i);
		fd = open(hp(self->exp, name, pathbuf, sizeof(pathbuf)),
			  O_RDONLY);
		ASSERT_GE(fd, 0);
		EXPECT_EQ(read(fd, got, SIZE), (ssize_t)SIZE);
		close(fd);
		fill_pattern(want, SIZE, 100 + i);
		EXPECT_MEM_EQ(got, want, SIZE);
	}
	ASSERT_EQ(relay_idle(&st), 0);
	free(want);
	free(got);
	RELAY_END();
}

TEST_F_TIMEOUT(diod, relay_keeps_tags_and_fids_apart, 90)
{
	char pathbuf[256];
	struct msg m;
	uint8_t r[512];
	int a, b;
	ssize_t n;
	struct state st;

	host_pattern_file(hp(self->exp, "small", pathbuf, sizeof(pathbuf)),
			  100, 1);
	host_pattern_file(hp(self->exp, "large", pathbuf, sizeof(pathbuf)),
			  5000, 2);
	relay_start(self);
	/* Both clients attach with fid 1 and walk fid 2, to other files. */
	a = raw_client(self, 8192, 1);
	b = raw_client(self, 8192, 1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	put_walk(&m, 3, 1, 2, "small");
	n = rpc(a, &m, r, sizeof(r));
	ASSERT_EQ(n, 22);
	put_walk(&m, 3, 1, 2, "large");
	n = rpc(b, &m, r, sizeof(r));
	ASSERT_EQ(n, 22);
	/* The same tag outstanding on both at once. */
	put_getattr(&m, 9, 2);
	ASSERT_EQ(msend(a, &m), 0);
	put_getattr(&m, 9, 2);
	ASSERT_EQ(msend(b, &m), 0);
	n = recv_msg(a, r, sizeof(r), 5000);
	ASSERT_GT(n, 60);
	EXPECT_EQ(r[4], V9P_RGETATTR);
	EXPECT_EQ(r16(r + 5), 9);
	EXPECT_EQ(getattr_size(r), 100u);
	n = recv_msg(b, r, sizeof(r), 5000);
	ASSERT_GT(n, 60);
	EXPECT_EQ(r16(r + 5), 9);
	EXPECT_EQ(getattr_size(r), 5000u);
	/* a's clunk of fid 2 leaves b's fid 2 alone. */
	put_fid(&m, V9P_TCLUNK, 4, 2);
	n = rpc(a, &m, r, sizeof(r));
	EXPECT_EQ(n, 7);
	EXPECT_EQ(r[4], V9P_RCLUNK);
	put_getattr(&m, 5, 2);
	n = rpc(a, &m, r, sizeof(r));
	EXPECT_RLERROR(r, n, 5, EBADF);
	put_getattr(&m, 5, 2);
	n = rpc(b, &m, r, sizeof(r));
	EXPECT_EQ(r[4], V9P_RGETATTR);
	EXPECT_EQ(getattr_size(r), 5000u);
	/* A fid in use cannot be made again; unknown ones are EBADF. */
	put_walk(&m, 6, 1, 2, NULL);
	n = rpc(b, &m, r, sizeof(r));
	EXPECT_RLERROR(r, n, 6, EINVAL);
	put_walk(&m, 6, 77, 78, NULL);
	n = rpc(b, &m, r, sizeof(r));
	EXPECT_RLERROR(r, n, 6, EBADF);
	/* A walk that stops short makes no fid. */
	mbegin(&m, V9P_TWALK, 8);
	v9p__put_u32(&m.w, 1);
	v9p__put_u32(&m.w, 30);
	v9p__put_u16(&m.w, 2);
	v9p__put_str(&m.w, "large");
	v9p__put_str(&m.w, "nothing");
	n = rpc(b, &m, r, sizeof(r));
	EXPECT_EQ(r[4], V9P_RWALK);
	EXPECT_EQ(n, 9 + 13);
	put_getattr(&m, 8, 30);
	n = rpc(b, &m, r, sizeof(r));
	EXPECT_RLERROR(r, n, 8, EBADF);
	/* b holds 2 fids, a 1. */
	ASSERT_EQ(relay_state(&st), 0);
	EXPECT_EQ(st.clients, 2u);
	EXPECT_EQ(st.fids, 3u);
	close(a);
	close(b);
	ASSERT_EQ(relay_idle(&st), 0);
	RELAY_END();
}

TEST_F_TIMEOUT(diod, relay_forwards_tflush, 90)
{
	char pathbuf[256];
	struct msg m;
	uint8_t r[512];
	int fd, wfd;
	ssize_t n;
	struct state st;

	ASSERT_EQ(mkfifo(hp(self->exp, "fifo", pathbuf, sizeof(pathbuf)),
			 0644), 0);
	relay_start(self);
	fd = raw_client(self, 8192, 1);
	ASSERT_GE(fd, 0);
	/* Flush of a tag that is not outstanding: Rflush at once. */
	mbegin(&m, V9P_TFLUSH, 2);
	v9p__put_u16(&m.w, 1234);
	n = rpc(fd, &m, r, sizeof(r));
	EXPECT_EQ(n, 7);
	EXPECT_EQ(r[4], V9P_RFLUSH);
	EXPECT_EQ(r16(r + 5), 2);
	/* Opening a fifo blocks in diod until a writer comes. */
	put_walk(&m, 3, 1, 2, "fifo");
	ASSERT_EQ(rpc(fd, &m, r, sizeof(r)), 22);
	put_lopen(&m, 5, 2, O_RDONLY);
	ASSERT_EQ(msend(fd, &m), 0);
	n = recv_msg(fd, r, sizeof(r), 300);
	if (n > 0)
		TH_LOG("type %u ecode %u", r[4], r32(r + 7));
	ASSERT_EQ(n, -1); /* blocked */
	ASSERT_EQ(relay_state(&st), 0);
	EXPECT_EQ(st.inflight, 1u);
	EXPECT_EQ(st.outstanding, 1u);
	mbegin(&m, V9P_TFLUSH, 6);
	v9p__put_u16(&m.w, 5);
	ASSERT_EQ(msend(fd, &m), 0);
	/* diod answers the flush once the open is over: give it a writer. */
	sleep_ms(200);
	ASSERT_EQ(relay_state(&st), 0);
	EXPECT_EQ(st.inflight, 2u); /* Tlopen and its Tflush */
	wfd = open(pathbuf, O_WRONLY | O_NONBLOCK);
	ASSERT_GE(wfd, 0);
	n = recv_msg(fd, r, sizeof(r), 10000);
	if (n > 0 && r16(r + 5) == 5) { /* the open's own reply, first */
		EXPECT_EQ(r[4], V9P_RLOPEN);
		n = recv_msg(fd, r, sizeof(r), 10000);
	}
	close(wfd);
	EXPECT_EQ(n, 7);
	EXPECT_EQ(r[4], V9P_RFLUSH);
	EXPECT_EQ(r16(r + 5), 6);
	/* Tag 5 is free again, and nothing is left on the channel. */
	put_getattr(&m, 5, 2);
	n = rpc(fd, &m, r, sizeof(r));
	EXPECT_EQ(r[4], V9P_RGETATTR);
	EXPECT_EQ(r16(r + 5), 5);
	ASSERT_EQ(relay_state(&st), 0);
	EXPECT_EQ(st.inflight, 0u);
	EXPECT_EQ(st.tags, 0u);
	EXPECT_EQ(st.fids, 2u);
	close(fd);
	ASSERT_EQ(relay_idle(&st), 0);
	RELAY_END();
}

TEST_F_TIMEOUT(diod, relay_cleans_up_after_a_killed_client, 90)
{
	char pathbuf[256];
	struct stat sb;
	struct state st;
	pid_t kid;
	int status;

	relay_start(self);
	kid = fork();
	if (kid == 0) {
		/* Pipelined Twrites without end. */
		struct v9p_session *s = v9p_connect(R.addr, 0);
		struct v9p_fid *root, *f;
		static uint8_t chunk[60000];
		struct v9p_op *ops[16] = { 0 };
		uint64_t off = 0;

		if (!s)
			_exit(2);
		root = v9p_attach(s, self->uname, self->uid, self->exp);
		f = root ? v9p_walk(root, "") : NULL;
		if (!f || v9p_lcreate(f, "victim", O_RDWR, 0644, self->uid))
			_exit(3);
		for (unsigned i = 0;; i++) {
			struct v9p_op **op = &ops[i % 16];

			if (*op && v9p_op_wait(*op, NULL, 0) < 0)
				_exit(4);
			*op = v9p_write_start(f, off, chunk, sizeof(chunk));
			if (!*op)
				_exit(5);
			off += sizeof(chunk);
		}
	}
	ASSERT_GT(kid, 0);
	hp(self->exp, "victim", pathbuf, sizeof(pathbuf));
	for (int i = 0; i < 500; i++) {
		if (stat(pathbuf, &sb) == 0 && sb.st_size > (8 << 20))
			break;
		sleep_ms(20);
	}
	ASSERT_GT(sb.st_size, 8 << 20);
	ASSERT_EQ(relay_state(&st), 0);
	EXPECT_EQ(st.clients, 1u);
	EXPECT_GE(st.fids, 2u);
	kill(kid, SIGKILL);
	waitpid(kid, &status, 0);
	EXPECT_TRUE(WIFSIGNALED(status));
	/* Everything it held is flushed and clunked... */
	if (relay_idle(&st) != 0)
		TH_LOG("left: %u clients, %u fids, %u in flight, %u tags",
		       st.clients, st.fids, st.inflight, st.tags);
	ASSERT_EQ(st.fids, 0u);
	ASSERT_EQ(st.inflight, 0u);
	ASSERT_EQ(st.tags, 0u);
	/* ... and the relay goes on serving others. */
	EXPECT_EQ(client_roundtrip(self, "after", 300000, 7), 0);
	ASSERT_EQ(relay_idle(&st), 0);
	RELAY_END();
}

TEST_F_TIMEOUT(diod, relay_is_not_stalled_by_a_client_that_does_not_read, 90)
{
	char pathbuf[256];
	struct msg m;
	uint8_t r[512];
	struct timespec t0, t1;
	struct state st;
	int slow;

	host_pattern_file(hp(self->exp, "big", pathbuf, sizeof(pathbuf)),
			  8 << 20, 3);
	relay_start(self);
	slow = raw_client(self, 65536, 1);
	ASSERT_GE(slow, 0);
	put_walk(&m, 2, 1, 2, "big");
	ASSERT_EQ(rpc(slow, &m, r, sizeof(r)), 22);
	put_lopen(&m, 2, 2, O_RDONLY);
	ASSERT_EQ(rpc(slow, &m, r, sizeof(r)), 7 + 13 + 4);
	/* 500 reads of 64 KiB, never read back: ~32 MiB of replies. */
	for (uint16_t t = 0; t < 500; t++) {
		struct pollfd p = { .fd = slow, .events = POLLOUT };

		if (poll(&p, 1, 200) != 1)
			break; /* the relay stopped reading us: fine */
		put_read(&m, t, 2, (uint64_t)(t % 128) * 65000, 65000);
		ASSERT_EQ(msend(slow, &m), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(client_roundtrip(self, "meanwhile", 4 << 20, 9), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_LT(t1.tv_sec - t0.tv_sec, 20);
	ASSERT_EQ(relay_state(&st), 0);
	EXPECT_EQ(st.clients, 1u); /* the slow one, stalled */
	EXPECT_EQ(st.stalled, 1u);
	close(slow);
	ASSERT_EQ(relay_idle(&st), 0);
	RELAY_END();
}

/* Expect the relay to have closed @fd. */
static bool closed_by_relay(int fd)
{
	uint8_t r[64];

	return recv_msg(fd, r, sizeof(r), 5000) == 0;
}

TEST_F_TIMEOUT(diod, relay_rejects_malformed_input, 90)
{
	char pathbuf[256];
	struct msg m;
	uint8_t r[512], raw[16];
	int fd, bad, wfd;
	ssize_t n;
	struct state st;

	ASSERT_EQ(mkfifo(hp(self->exp, "fifo", pathbuf, sizeof(pathbuf)),
			 0644), 0);
	relay_start(self);
	fd = raw_client(self, 8192, 1);
	ASSERT_GE(fd, 0);
	/* Unknown type: EOPNOTSUPP; an R-message too. */
	mbegin(&m, 200, 3);
	v9p__put_u32(&m.w, 1);
	n = rpc(fd, &m, r, sizeof(r));
	EXPECT_RLERROR(r, n, 3, EOPNOTSUPP);
	mbegin(&m, V9P_RGETATTR, 3);
	n = rpc(fd, &m, r, sizeof(r));
	EXPECT_RLERROR(r, n, 3, EOPNOTSUPP);
	/* Truncated: a Twalk of 2 names with one; a Tgetattr without mask;
	 * a Twrite whose count runs past the end; trailing bytes. */
	mbegin(&m, V9P_TWALK, 4);
	v9p__put_u32(&m.w, 1);
	v9p__put_u32(&m.w, 2);
	v9p__put_u16(&m.w, 2);
	v9p__put_str(&m.w, "a");
	n = rpc(fd, &m, r, sizeof(r));
	EXPECT_RLERROR(r, n, 4, EPROTO);
	put_fid(&m, V9P_TGETATTR, 4, 1);
	n = rpc(fd, &m, r, sizeof(r));
	EXPECT_RLERROR(r, n, 4, EPROTO);
	put_fid(&m, V9P_TWRITE, 4, 1);
	v9p__put_u64(&m.w, 0);
	v9p__put_u32(&m.w, 100);
	v9p__put_bytes(&m.w, "abc", 3);
	n = rpc(fd, &m, r, sizeof(r));
	EXPECT_RLERROR(r, n, 4, EPROTO);
	put_getattr(&m, 4, 1);
	v9p__put_u8(&m.w, 0);
	n = rpc(fd, &m, r, sizeof(r));
	EXPECT_RLERROR(r, n, 4, EPROTO);
	/* 17 names. */
	mbegin(&m, V9P_TWALK, 4);
	v9p__put_u32(&m.w, 1);
	v9p__put_u32(&m.w, 2);
	v9p__put_u16(&m.w, 17);
	for (int i = 0; i < 17; i++)
		v9p__put_str(&m.w, "d");
	n = rpc(fd, &m, r, sizeof(r));
	EXPECT_RLERROR(r, n, 4, EINVAL);
	/* The session is fine after all that. */
	put_getattr(&m, 5, 1);
	n = rpc(fd, &m, r, sizeof(r));
	EXPECT_EQ(r[4], V9P_RGETATTR);

	/* size[4] below 7 or above msize: dropped. */
	bad = raw_client(self, 8192, 1);
	ASSERT_GE(bad, 0);
	fake_header(raw, 3);
	ASSERT_EQ(send_all(bad, raw, 7), 0);
	EXPECT_TRUE(closed_by_relay(bad));
	close(bad);
	bad = raw_client(self, 8192, 1);
	ASSERT_GE(bad, 0);
	fake_header(raw, 8193);
	ASSERT_EQ(send_all(bad, raw, 7), 0);
	EXPECT_TRUE(closed_by_relay(bad));
	close(bad);
	/* Before Tversion, a big message is dropped too. */
	bad = unix_connect(R.sock);
	fake_header(raw, 100000);
	ASSERT_EQ(send_all(bad, raw, 7), 0);
	EXPECT_TRUE(closed_by_relay(bad));
	close(bad);
	/* A malformed Tversion. */
	bad = unix_connect(R.sock);
	mbegin(&m, V9P_TVERSION, V9P_NOTAG);
	v9p__put_u32(&m.w, 8192);
	v9p__put_u16(&m.w, 20);
	ASSERT_EQ(msend(bad, &m), 0);
	EXPECT_TRUE(closed_by_relay(bad));
	close(bad);
	/* A tag used twice, while its request blocks in diod. */
	bad = raw_client(self, 8192, 1);
	ASSERT_GE(bad, 0);
	put_walk(&m, 3, 1, 2, "fifo");
	ASSERT_EQ(rpc(bad, &m, r, sizeof(r)), 22);
	put_lopen(&m, 9, 2, O_RDONLY);
	ASSERT_EQ(msend(bad, &m), 0);
	ASSERT_EQ(recv_msg(bad, r, sizeof(r), 200), -1);
	put_getattr(&m, 9, 1);
	ASSERT_EQ(msend(bad, &m), 0);
	EXPECT_TRUE(closed_by_relay(bad));
	close(bad);
	/* Its open is flushed: let diod finish it. */
	wfd = open(pathbuf, O_WRONLY | O_NONBLOCK);
	EXPECT_GE(wfd, 0);
	EXPECT_TRUE(log_has("a tag already in use: dropped"));
	EXPECT_TRUE(log_has("a message of 3 bytes (limit 8192): dropped"));

	/* Others never noticed. */
	put_getattr(&m, 6, 1);
	n = rpc(fd, &m, r, sizeof(r));
	EXPECT_EQ(r[4], V9P_RGETATTR);
	EXPECT_EQ(r16(r + 5), 6);
	close(fd);
	ASSERT_EQ(relay_idle(&st), 0);
	if (wfd >= 0)
		close(wfd);
	RELAY_END();
}

TEST_F_TIMEOUT(diod, relay_ends_a_session_on_a_new_tversion, 90)
{
	struct v9p_session *s;
	struct v9p_fid *root, *f;
	struct state st;

	relay_start(self);
	s = v9p_connect(R.addr, 0);
	ASSERT_NONNULL(s);
	root = v9p_attach(s, self->uname, self->uid, self->exp);
	ASSERT_NONNULL(root);
	f = v9p_walk(root, "");
	ASSERT_NONNULL(f);
	ASSERT_EQ(relay_state(&st), 0);
	EXPECT_EQ(st.fids, 2u);
	ASSERT_EQ(v9p_restart(s), 0);
	ASSERT_EQ(relay_state(&st), 0);
	EXPECT_EQ(st.clients, 1u);
	for (int i = 0; i < 50 && st.fids; i++) {
		sleep_ms(20);
		relay_state(&st);
	}
	EXPECT_EQ(st.fids, 0u);
	v9p_fid_free(f);
	v9p_fid_free(root);
	root = v9p_attach(s, self->uname, self->uid, self->exp);
	ASSERT_NONNULL(root);
	v9p_clunk(root);
	v9p_close(s);
	RELAY_END();
}

TEST_F_TIMEOUT(diod, relay_serves_one_socket_with_fd, 90)
{
	int sv[2], st2 = -1;
	char fdarg[16];
	struct v9p_session *s;
	struct v9p_fid *root, *d;
	char pathbuf[256], got[8] = "";
	pid_t pid;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
	relay_start_args(_metadata, self, sv[1], false, NULL, "--fd", fdarg,
			 NULL);
	close(sv[1]);
	s = v9p_session_new(sv[0], V9P_TRANS_STREAM, 0, 0);
	ASSERT_NONNULL(s);
	root = v9p_attach(s, self->uname, self->uid, self->exp);
	ASSERT_NONNULL(root);
	d = v9p_walk(root, "");
	ASSERT_EQ(v9p_lcreate(d, "viafd", O_RDWR, 0644, self->uid), 0);
	ASSERT_EQ(v9p_pwrite(d, "fd ok", 5, 0), 5);
	v9p_clunk(d);
	v9p_clunk(root);
	v9p_close(s);
	/* The relay ends by itself when its one client hangs up. */
	pid = R.pid;
	for (int i = 0; i < 250 && waitpid(pid, &st2, WNOHANG) != pid; i++)
		sleep_ms(20);
	R.pid = 0;
	EXPECT_TRUE(WIFEXITED(st2) && WEXITSTATUS(st2) == 0);
	EXPECT_FALSE(log_has("Sanitizer"));
	int fd = open(hp(self->exp, "viafd", pathbuf, sizeof(pathbuf)),
		      O_RDONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(read(fd, got, sizeof(got)), 5);
	EXPECT_EQ(memcmp(got, "fd ok", 5), 0);
	close(fd);
}

TEST_F_TIMEOUT(diod, relay_socket_mode_and_user, 90)
{
	struct stat sb;
	struct passwd *nobody = getpwnam("nobody");
	char path[64], line[256];
	FILE *fp;
	unsigned uid = 0;

	relay_start(self);
	ASSERT_EQ(stat(R.sock, &sb), 0);
	EXPECT_TRUE(S_ISSOCK(sb.st_mode));
	EXPECT_EQ(sb.st_mode & 0777, 0600u);
	RELAY_END();
	/* A stale socket file is replaced. */
	ASSERT_EQ(access(R.sock, F_OK), -1);
	if (geteuid() != 0 || !nobody)
		SKIP(return, "-u needs root and a user nobody");
	relay_start(self, "-m", "0666", "-u", "nobody");
	ASSERT_EQ(stat(R.sock, &sb), 0);
	EXPECT_EQ(sb.st_mode & 0777, 0666u);
	/* It listens before it drops privileges: wait for the drop. */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)R.pid);
	for (int i = 0; i < 250 && uid != (unsigned)nobody->pw_uid; i++) {
		if (i)
			sleep_ms(20);
		fp = fopen(path, "r");
		ASSERT_NONNULL(fp);
		while (fgets(line, sizeof(line), fp))
			if (sscanf(line, "Uid: %u", &uid) == 1)
				break;
		fclose(fp);
	}
	EXPECT_EQ(uid, (unsigned)nobody->pw_uid);
	/* Still relaying, as nobody, to the server it opened as root. */
	EXPECT_EQ(client_roundtrip(self, "asnobody", 100000, 5), 0);
	RELAY_END();
}

TEST_F_TIMEOUT(diod, relay_rejects_bad_options, 90)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd),
		 "%s -a unix:%s relay -l %s/x.sock -m 9999 2>%s/err; "
		 "test $? = 1 && grep -qx 'vio9p: relay: mode 9999: not an "
		 "octal mode up to 0777' %s/err",
		 vio9p_path(), self->sock, self->dir, self->dir, self->dir);
	EXPECT_EQ(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
		 "%s -a unix:%s relay 2>%s/err; test $? = 1 && grep -qx "
		 "'usage: vio9p relay \\[-v\\] \\[-l path \\[-m mode\\]\\] "
		 "\\[--fd n\\] \\[-u user\\] \\[--peer-uid\\] "
		 "\\[--max-fids n\\]' %s/err",
		 vio9p_path(), self->sock, self->dir, self->dir);
	EXPECT_EQ(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
		 "%s -a unix:%s/none relay -l %s/x.sock 2>%s/err; test $? = "
		 "1 && grep -qx 'vio9p: relay: unix:%s/none: No such file or "
		 "directory' %s/err",
		 vio9p_path(), self->dir, self->dir, self->dir, self->dir,
		 self->dir);
	EXPECT_EQ(system(cmd), 0);
	/* A path that is no socket is left alone. */
	snprintf(cmd, sizeof(cmd),
		 "touch %s/file && %s -a unix:%s relay -l %s/file 2>%s/err; "
		 "test $? = 1 && grep -qx 'vio9p: relay: %s/file: exists and "
		 "is not a socket' %s/err && test -f %s/file",
		 self->dir, vio9p_path(), self->sock, self->dir, self->dir,
		 self->dir, self->dir, self->dir);
	EXPECT_EQ(system(cmd), 0);
}

TEST_F_TIMEOUT(diod, relay_exits_when_the_channel_dies, 90)
{
	int st2 = -1;
	pid_t pid;

	relay_start(self);
	diod_stop(self->pid);
	self->pid = 0;
	pid = R.pid;
	for (int i = 0; i < 250 && waitpid(pid, &st2, WNOHANG) != pid; i++)
		sleep_ms(20);
	R.pid = 0;
	EXPECT_TRUE(WIFEXITED(st2) && WEXITSTATUS(st2) == 1);
	EXPECT_TRUE(log_has("vio9p: relay: channel unix:"));
	EXPECT_FALSE(log_has("Sanitizer"));
	/* The socket is gone with it. */
	EXPECT_EQ(access(R.sock, F_OK), -1);
}

TEST_F_TIMEOUT(diod, relay_serves_the_vio9p_command_and_diod_tools, 90)
{
	const char *gsh = getenv("GUEST_SH");
	char cmd[4096], pathbuf[256];
	struct state st;

	if (!gsh)
		SKIP(return, "GUEST_SH (tests/cmd/guest.sh) not set");
	relay_start(self);
	/* The command's own checks, through the relay. */
	snprintf(cmd, sizeof(cmd), "sh %s %s x %s %s >%s/guest.out 2>&1",
		 gsh, vio9p_path(), R.addr, self->exp, self->dir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "sed 's/^/#   /' %s/guest.out",
			 self->dir);
		system(cmd);
		EXPECT_TRUE(0);
	}
	host_pattern_file(hp(self->exp, "t.bin", pathbuf, sizeof(pathbuf)),
			  200000, 4);
	if (access("/usr/sbin/diodcat", X_OK) == 0) {
		snprintf(cmd, sizeof(cmd),
			 "timeout 30 /usr/sbin/diodcat -s %s -a %s t.bin | "
			 "cmp - %s/t.bin",
			 R.sock, self->exp, self->exp);
		EXPECT_EQ(system(cmd), 0);
		snprintf(cmd, sizeof(cmd),
			 "timeout 30 /usr/sbin/diodls -s %s -a %s / | "
			 "grep -qx t.bin",
			 R.sock, self->exp);
		EXPECT_EQ(system(cmd), 0);
	}
	ASSERT_EQ(relay_idle(&st), 0);
	RELAY_END();
}

/* Read replies on @fd until each tag in @want[0..n) has had one; the
 * reply to @probe (a tag in @want) is copied to @r.  0, or -1. */
static int drain(int fd, const uint16_t *want, int n, uint16_t probe,
		 uint8_t *r, size_t cap)
{
	uint8_t buf[512];
	int left = n;
	bool *seen = calloc((size_t)n, sizeof(*seen));

	while (left > 0) {
		ssize_t len = recv_msg(fd, buf, sizeof(buf), 10000);
		int i;

		if (len <= 0)
			break;
		for (i = 0; i < n && want[i] != r16(buf + 5); i++)
			;
		if (i == n || seen[i])
			continue;
		seen[i] = true;
		left--;
		if (want[i] == probe)
			memcpy(r, buf, (size_t)len < cap ? (size_t)len : cap);
	}
	free(seen);
	return left ? -1 : 0;
}

/*
 * The attack of issue 11: A's walk to a missing name makes fid 1 while
 * A's Tsetattr(fid 1) waits behind 120 Tgetattrs, and A flushes the walk.
 * B makes a fid at once, to its 0600 file.  A channel fid named by a
 * request that is queued or in flight must not go to B: A's chmod must
 * fail, never reach B's file.
 */
TEST_F_TIMEOUT(diod, relay_never_reuses_a_fid_a_request_still_names, 90)
{
	char pathbuf[256], dirbuf[256];
	static struct batch bt;
	struct msg m;
	uint8_t r[512], rs[512];
	uint16_t want[123];
	struct stat sb;
	struct state st;
	int a, b;

	hp(self->exp, "sub", dirbuf, sizeof(dirbuf));
	ASSERT_EQ(mkdir(dirbuf, 0755), 0);
	host_pattern_file(hp(self->exp, "sub/secret", pathbuf,
			     sizeof(pathbuf)), 10, 1);
	ASSERT_EQ(chmod(pathbuf, 0600), 0);
	relay_start(self);
	a = raw_client(self, 8192, 0);
	b = raw_client(self, 8192, 0);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	for (uint32_t round = 0; round < 4; round++) {
		uint32_t nf = 10 + round; /* a fresh fid each round */

		bt.len = 0;
		put_walk(&m, 1, 0, nf, "missing");
		ASSERT_EQ(badd(&bt, &m), 0);
		want[0] = 1;
		for (uint16_t t = 2; t < 122; t++) {
			put_getattr(&m, t, 0);
			ASSERT_EQ(badd(&bt, &m), 0);
			want[t - 1] = t;
		}
		put_chmod(&m, 200, nf, 0777);
		ASSERT_EQ(badd(&bt, &m), 0);
		want[121] = 200;
		put_flush(&m, 201, 1);
		ASSERT_EQ(badd(&bt, &m), 0);
		want[122] = 201;
		ASSERT_EQ(send_all(a, bt.b, bt.len), 0);
		/* B walks to its secret at once. */
		mbegin(&m, V9P_TWALK, 1);
		v9p__put_u32(&m.w, 0);
		v9p__put_u32(&m.w, nf);
		v9p__put_u16(&m.w, 2);
		v9p__put_str(&m.w, "sub");
		v9p__put_str(&m.w, "secret");
		ASSERT_EQ(rpc(b, &m, r, sizeof(r)), 9 + 2 * 13);
		EXPECT_EQ(r[4], V9P_RWALK);
		/* Every one of A's requests is answered (the walk's reply
		 * may have been flushed: its Rflush is enough). */
		ASSERT_EQ(drain(a, want + 1, 122, 200, rs, sizeof(rs)), 0);
		ASSERT_EQ(stat(pathbuf, &sb), 0);
		if ((sb.st_mode & 0777) != 0600)
			TH_LOG("round %u: A's chmod of its fid %u reached "
			       "B's file: mode %o", round, nf,
			       sb.st_mode & 0777);
		ASSERT_EQ(sb.st_mode & 0777, 0600u);
		EXPECT_EQ(rs[4], V9P_RLERROR);
		put_fid(&m, V9P_TCLUNK, 2, nf);
		ASSERT_EQ(rpc(b, &m, r, sizeof(r)), 7);
	}
	close(a);
	close(b);
	ASSERT_EQ(relay_idle(&st), 0);
	RELAY_END();
}

/*
 * A busy client cannot starve the others: A's 128 Tlopens of a FIFO with
 * no writer block in the server until one comes (a Tread of a FIFO does
 * not: diod reads with pread(2), ESPIPE).  B's requests must still get
 * through while they block.
 */
TEST_F_TIMEOUT(diod, relay_busy_client_cannot_starve_the_others, 90)
{
	char pathbuf[256];
	static struct batch bt;
	struct msg m;
	uint8_t r[512];
	struct state st;
	int a, b, wfd;
	ssize_t n;

	ASSERT_EQ(mkfifo(hp(self->exp, "fifo", pathbuf, sizeof(pathbuf)),
			 0644), 0);
	host_pattern_file(hp(self->exp, "plain", pathbuf, sizeof(pathbuf)),
			  1000, 5);
	diod2_start(_metadata, self, "256", NULL);
	relay_start(self);
	a = raw_client(self, 8192, 1);
	b = raw_client(self, 8192, 1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	bt.len = 0;
	for (uint16_t t = 0; t < 128; t++) {
		put_walk(&m, t, 1, 100u + t, "fifo");
		ASSERT_EQ(badd(&bt, &m), 0);
	}
	ASSERT_EQ(send_all(a, bt.b, bt.len), 0);
	for (int i = 0; i < 128; i++)
		ASSERT_EQ(recv_msg(a, r, sizeof(r), 10000), 22);
	bt.len = 0;
	for (uint16_t t = 0; t < 128; t++) {
		put_lopen(&m, t, 100u + t, O_RDONLY);
		ASSERT_EQ(badd(&bt, &m), 0);
	}
	ASSERT_EQ(send_all(a, bt.b, bt.len), 0);
	n = recv_msg(a, r, sizeof(r), 300);
	if (n > 0)
		TH_LOG("type %u tag %u ecode %u", r[4], r16(r + 5),
		       r32(r + 7));
	ASSERT_EQ(n, -1); /* they block */
	/* B: a walk, an open and a read of a plain file, and a getattr. */
	put_walk(&m, 1, 1, 2, "plain");
	n = rpc(b, &m, r, sizeof(r));
	if (n != 22)
		TH_LOG("B's Twalk got no reply while A's opens block");
	ASSERT_EQ(n, 22);
	put_lopen(&m, 2, 2, O_RDONLY);
	ASSERT_EQ(rpc(b, &m, r, sizeof(r)), 7 + 13 + 4);
	put_read(&m, 3, 2, 0, 400);
	ASSERT_EQ(rpc(b, &m, r, sizeof(r)), 11 + 400);
	put_getattr(&m, 4, 1);
	n = rpc(b, &m, r, sizeof(r));
	EXPECT_EQ(r[4], V9P_RGETATTR);
	ASSERT_EQ(relay_state(&st), 0);
	EXPECT_EQ(st.outstanding, 128u); /* A's, all still blocked */
	EXPECT_EQ(st.inflight, 56u);	  /* 7/8 of the 64 slots */
	/* A writer ends A's opens. */
	wfd = open(hp(self->exp, "fifo", pathbuf, sizeof(pathbuf)),
		   O_WRONLY | O_NONBLOCK);
	ASSERT_GE(wfd, 0);
	for (int i = 0; i < 128; i++) {
		n = recv_msg(a, r, sizeof(r), 10000);
		ASSERT_EQ(n, 7 + 13 + 4);
		EXPECT_EQ(r[4], V9P_RLOPEN);
	}
	close(wfd);
	close(a);
	close(b);
	ASSERT_EQ(relay_idle(&st), 0);
	RELAY_END();
}

/* Send the Twalks @fid -> @first ... @first + @n - 1 (clones) in batches
 * and read their replies; 0 or -1. */
static int make_fids(int fd, uint32_t fid, uint32_t first, uint32_t n)
{
	static struct batch bt;
	struct msg m;
	uint8_t r[64];

	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done < 100 ? n - done : 100;

		bt.len = 0;
		for (uint32_t i = 0; i < k; i++) {
			put_walk(&m, (uint16_t)i, fid, first + done + i, NULL);
			if (badd(&bt, &m) < 0)
				return -1;
		}
		if (send_all(fd, bt.b, bt.len) < 0)
			return -1;
		for (uint32_t i = 0; i < k; i++)
			if (recv_msg(fd, r, sizeof(r), 10000) != 9 ||
			    r[4] != V9P_RWALK)
				return -1;
		done += k;
	}
	return 0;
}

TEST_F_TIMEOUT(diod, relay_caps_each_clients_fids, 90)
{
	struct msg m;
	uint8_t r[64];
	struct state st;
	int a, b;
	ssize_t n;

	relay_start(self, "--max-fids", "3");
	a = raw_client(self, 8192, 1);
	b = raw_client(self, 8192, 1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ASSERT_EQ(make_fids(a, 1, 2, 2), 0);
	/* The fourth: EMFILE, and the log says why. */
	put_walk(&m, 5, 1, 4, NULL);
	n = rpc(a, &m, r, sizeof(r));
	EXPECT_RLERROR(r, n, 5, EMFILE);
	EXPECT_TRUE(log_has("holds 3 fids, its limit (--max-fids): its next "
			    "ones fail with EMFILE"));
	/* B has a cap of its own. */
	ASSERT_EQ(make_fids(b, 1, 2, 2), 0);
	put_walk(&m, 5, 1, 4, NULL);
	n = rpc(b, &m, r, sizeof(r));
	EXPECT_RLERROR(r, n, 5, EMFILE);
	/* A clunk makes room again. */
	put_fid(&m, V9P_TCLUNK, 6, 2);
	ASSERT_EQ(rpc(a, &m, r, sizeof(r)), 7);
	put_walk(&m, 5, 1, 4, NULL);
	EXPECT_EQ(rpc(a, &m, r, sizeof(r)), 9);
	EXPECT_EQ(r[4], V9P_RWALK);
	ASSERT_EQ(relay_state(&st), 0);
	EXPECT_EQ(st.fids, 6u);
	close(a);
	close(b);
	ASSERT_EQ(relay_idle(&st), 0);
	RELAY_END();
}

/*
 * A client that ends its session with 20000 fids makes the relay clunk
 * them all; another client's request must not wait behind those clunks:
 * it is answered while most of them are still to come.
 */
TEST_F_TIMEOUT(diod, relay_clunk_storm_does_not_delay_others, 90)
{
	enum { N = 20000 };
	struct msg m;
	uint8_t r[512];
	struct state st;
	uint32_t got;
	char ver[32];
	int a, b;
	ssize_t n;

	relay_start(self);
	a = raw_client(self, 8192, 0);
	b = raw_client(self, 8192, 0);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ASSERT_EQ(make_fids(a, 0, 1, N - 1), 0);
	ASSERT_EQ(relay_state(&st), 0);
	EXPECT_EQ(st.fids, N + 1u);
	ASSERT_EQ(raw_version(a, 8192, "9P2000.L", &got, ver), 0);
	put_getattr(&m, 1, 0);
	n = rpc(b, &m, r, sizeof(r));
	EXPECT_EQ(r[4], V9P_RGETATTR);
	ASSERT_GT(n, 60);
	ASSERT_EQ(relay_state(&st), 0);
	if (st.fids <= N / 2u)
		TH_LOG("B was answered after %u of A's %u clunks",
		       N + 1 - st.fids, N);
	EXPECT_GT(st.fids, N / 2u);
	close(a);
	close(b);
	ASSERT_EQ(relay_idle(&st), 0);
	RELAY_END();
}

/*
 * Attach through the relay as @uname/@n_uname from a process running as
 * @uid/@gid, and open the file @name: 0 if it opened, else the Rlerror
 * code, or -1 if something else went wrong.
 */
static int open_as(FIXTURE_DATA(diod) *self, uid_t uid, gid_t gid,
		   const char *uname, uint32_t n_uname, const char *name)
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0) {
		struct msg m;
		uint8_t r[256];
		uint32_t got;
		char ver[32];
		ssize_t n;
		int fd;

		if (setgroups(0, NULL) < 0 || setgid(gid) < 0 ||
		    setuid(uid) < 0)
			_exit(250);
		fd = unix_connect(R.sock);
		if (fd < 0 || raw_version(fd, 8192, "9P2000.L", &got, ver) < 0)
			_exit(251);
		mbegin(&m, V9P_TATTACH, 1);
		v9p__put_u32(&m.w, 1);
		v9p__put_u32(&m.w, V9P_NOFID);
		v9p__put_str(&m.w, uname);
		v9p__put_str(&m.w, self->exp);
		v9p__put_u32(&m.w, n_uname);
		if (rpc(fd, &m, r, sizeof(r)) != 20 || r[4] != V9P_RATTACH)
			_exit(252);
		put_walk(&m, 1, 1, 2, name);
		if (rpc(fd, &m, r, sizeof(r)) != 22)
			_exit(253);
		put_lopen(&m, 1, 2, O_RDONLY);
		n = rpc(fd, &m, r, sizeof(r));
		if (n == 24 && r[4] == V9P_RLOPEN)
			_exit(0);
		if (n == 11 && r[4] == V9P_RLERROR && r32(r + 7) < 250)
			_exit((int)r32(r + 7));
		_exit(254);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st) >= 250 ? -1 : WEXITSTATUS(st);
}

TEST_F_TIMEOUT(diod, relay_peer_uid_attaches_as_the_connecting_user, 90)
{
	struct passwd *nobody = getpwnam("nobody");
	char pathbuf[256];
	struct state st;

	if (geteuid() != 0 || !nobody)
		SKIP(return, "needs root and a user nobody");
	ASSERT_EQ(chmod(self->dir, 0755), 0); /* nobody may reach exp */
	host_pattern_file(hp(self->exp, "rootonly", pathbuf, sizeof(pathbuf)),
			  100, 1);
	ASSERT_EQ(chmod(pathbuf, 0600), 0);
	/* Without --peer-uid, anyone who may connect may name root. */
	relay_start(self, "-m", "0666");
	EXPECT_EQ(open_as(self, nobody->pw_uid, nobody->pw_gid, "root", 0,
			  "rootonly"), 0);
	/* diod 1.0.24 dies of SIGPIPE if the relay goes while it still has
	 * replies to send, and the next relay needs it. */
	ASSERT_EQ(relay_idle(&st), 0);
	RELAY_END();
	/* With it, nobody stays nobody, whoever it names ... */
	relay_start(self, "-m", "0666", "--peer-uid");
	EXPECT_EQ(open_as(self, nobody->pw_uid, nobody->pw_gid, "root", 0,
			  "rootonly"), EACCES);
	/* ... and root is root, even when it names nobody. */
	EXPECT_EQ(open_as(self, 0, 0, "nobody", (uint32_t)nobody->pw_uid,
			  "rootonly"), 0);
	RELAY_END();
}

/* TCP_NODELAY of the relay's TCP socket (its channel): 0 or 1, or -1
 * if it has none. */
static int relay_tcp_nodelay(void)
{
	char path[64];
	struct dirent *de;
	int pfd = pidfd_open(R.pid, 0), found = -1;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)R.pid);
	d = opendir(path);
	while (pfd >= 0 && d && found < 0 && (de = readdir(d))) {
		int fd, dom = 0, v = 0;
		socklen_t len = sizeof(dom);

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = pidfd_getfd(pfd, (int)strtol(de->d_name, NULL, 10), 0);
		if (fd < 0)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) == 0 &&
		    (dom == AF_INET || dom == AF_INET6)) {
			len = sizeof(v);
			if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v,
				       &len) == 0)
				found = v != 0;
		}
		close(fd);
	}
	if (d)
		closedir(d);
	if (pfd >= 0)
		close(pfd);
	return found;
}

TEST_F_TIMEOUT(diod, relay_sets_tcp_nodelay_on_a_tcp_channel, 90)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	char hostport[64];
	int probe;

	/* A free port, for diod to listen on. */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	probe = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_GE(probe, 0);
	ASSERT_EQ(bind(probe, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ASSERT_EQ(getsockname(probe, (struct sockaddr *)&sin, &len), 0);
	close(probe);
	snprintf(hostport, sizeof(hostport), "127.0.0.1:%u",
		 (unsigned)ntohs(sin.sin_port));
	diod2_start(_metadata, self, "16", hostport);
	relay_start(self);
	EXPECT_EQ(relay_tcp_nodelay(), 1);
	EXPECT_EQ(client_roundtrip(self, "overtcp", 100000, 3), 0);
	RELAY_END();
}

TEST_HARNESS_MAIN
