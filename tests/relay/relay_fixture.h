/* SPDX-License-Identifier: MIT */
/*
 * relay_fixture.h - helpers of test_relay.c: start and stop the relay
 * (the real command, beside the diod of diod_fixture.h), read its log and
 * its SIGUSR1 state line, and speak raw 9P to it, byte by byte, for the
 * cases a library client never produces.
 */
#ifndef RELAY_FIXTURE_H
#define RELAY_FIXTURE_H

#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "diod_fixture.h"
#include "marshal.h"
/* The relay of the running test (each test runs in its own process). */
static struct {
	pid_t pid;
	char sock[128];
	char addr[140];
	char log[128];
	char chan[140];	/* the channel, when not the fixture's diod */
	pid_t diod2;	/* a second diod of the test's own, or 0 */
} R;

static const char *vio9p_path(void)
{
	const char *p = getenv("VIO9P");

	return p ? p : "cmd/vio9p-san";
}

/* Connect to the unix socket @path; -1 on failure. */
static int unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(sun.sun_path)) {
		close(fd);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Print the file @path as "#   @who: ..." lines. */
static void file_dump(const char *who, const char *path)
{
	char line[512];
	FILE *fp = fopen(path, "r");

	while (fp && fgets(line, sizeof(line), fp))
		printf("#   %s: %s", who, line);
	if (fp)
		fclose(fp);
}

static void log_dump(void)
{
	file_dump("relay", R.log);
}

/* Start `vio9p [-m MSIZE] -a unix:DIOD relay [-l DIR/relay.sock] ARGS...'
 * (NULL ends ARGS) with stderr in DIR/relay.log, keeping @keep_fd open
 * in it, and wait for its socket. */
static void relay_start_args(METADATA, FIXTURE_DATA(diod) *self, int keep_fd,
			     bool listen, const char *msize, ...)
{
	char chan[sizeof(R.chan)];
	const char *argv[24];
	int argc = 0, fd;
	va_list ap;

	snprintf(R.sock, sizeof(R.sock), "%s/relay.sock", self->dir);
	snprintf(R.addr, sizeof(R.addr), "unix:%s", R.sock);
	snprintf(R.log, sizeof(R.log), "%s/relay.log", self->dir);
	if (R.chan[0])
		snprintf(chan, sizeof(chan), "%s", R.chan);
	else
		snprintf(chan, sizeof(chan), "unix:%s", self->sock);
	argv[argc++] = vio9p_path();
	if (msize) {
		argv[argc++] = "-m";
		argv[argc++] = msize;
	}
	argv[argc++] = "-a";
	argv[argc++] = chan;
	argv[argc++] = "relay";
	if (listen) {
		argv[argc++] = "-l";
		argv[argc++] = R.sock;
	}
	va_start(ap, msize);
	for (const char *a; (a = va_arg(ap, const char *)) && argc < 22;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	R.pid = fork();
	if (R.pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(R.log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		char *av[24];

		if (keep_fd >= 0)
			fcntl(keep_fd, F_SETFD, 0);
		for (int i = 0; i <= argc; i++)
			av[i] = argv[i] ? strdup(argv[i]) : NULL;
		execv(av[0], av);
		_exit(127);
	}
	ASSERT_GT(R.pid, 0);
	if (!listen)
		return;
	for (int i = 0; i < 500; i++) {
		fd = unix_connect(R.sock);
		if (fd >= 0) {
			close(fd);
			return;
		}
		if (waitpid(R.pid, NULL, WNOHANG) == R.pid) {
			R.pid = 0;
			break;
		}
		sleep_ms(20);
	}
	TH_LOG("the relay did not start; its log, then diod's:");
	log_dump();
	snprintf(chan, sizeof(chan), "%s/diod.log", self->dir);
	file_dump("diod", chan);
	ASSERT_TRUE(0);
}

#define relay_start(self, ...)                                             \
	relay_start_args(_metadata, self, -1, true, NULL, ##__VA_ARGS__, NULL)

static bool log_has(const char *needle)
{
	char line[512];
	bool found = false;
	FILE *fp = fopen(R.log, "r");

	while (fp && !found && fgets(line, sizeof(line), fp))
		found = strstr(line, needle) != NULL;
	if (fp)
		fclose(fp);
	return found;
}

/*
 * A second diod exporting the same folder with @nthreads worker threads,
 * listening on @tcp ("127.0.0.1:PORT") or, if NULL, on DIR/sock2, which
 * the next relay_start() uses as its channel (diod's default 16 threads
 * would all block in a test of requests that block).
 */
static void diod2_start(METADATA, FIXTURE_DATA(diod) *self,
			const char *nthreads, const char *tcp)
{
	char sock[128], log[128];
	struct v9p_session *s = NULL;

	snprintf(sock, sizeof(sock), "%s/sock2", self->dir);
	if (tcp)
		snprintf(sock, sizeof(sock), "%s", tcp);
	snprintf(log, sizeof(log), "%s/diod2.log", self->dir);
	snprintf(R.chan, sizeof(R.chan), "%s:%s", tcp ? "tcp" : "unix", sock);
	R.diod2 = fork();
	if (R.diod2 == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGPIPE, SIG_IGN); /* diod 1.0.24 dies of it */
		if (chdir(self->dir) != 0)
			_exit(127);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(diod_path(), "diod", "-f", "-n", "-c", "/dev/null",
		      "-l", sock, "-e", self->exp, "--nwthreads", nthreads,
		      "-L", log, (char *)NULL);
		_exit(127);
	}
	ASSERT_GT(R.diod2, 0);
	for (int i = 0; i < 250 && !s; i++) {
		s = v9p_connect(R.chan, 0);
		if (!s)
			sleep_ms(20);
	}
	ASSERT_NONNULL(s);
	v9p_close(s);
}

/* Stop the relay with SIGTERM; its exit status, or 128 + signal. */
static int relay_stop(void)
{
	int st = 0;

	if (R.pid <= 0)
		return -1;
	kill(R.pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(R.pid, &st, WNOHANG) == R.pid) {
			R.pid = 0;
			break;
		}
		sleep_ms(20);
	}
	if (R.pid) {
		kill(R.pid, SIGKILL);
		waitpid(R.pid, &st, 0);
		R.pid = 0;
		return 128 + SIGKILL;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Stop the relay and require a clean end. */
#define RELAY_END()                                                        \
	do {                                                               \
		int _st = relay_stop();                                    \
		if (_st != 0 || log_has("Sanitizer") ||                    \
		    log_has("runtime error"))                              \
			log_dump();                                        \
		EXPECT_EQ(_st, 0);                                         \
		EXPECT_FALSE(log_has("Sanitizer"));                        \
		EXPECT_FALSE(log_has("runtime error"));                    \
		diod_stop(R.diod2);                                        \
		R.diod2 = 0;                                               \
	} while (0)

struct state {
	unsigned clients, stalled, fids, inflight, tags, outstanding;
};

/* Ask the relay for its state (SIGUSR1) and parse the line it logs. */
static int relay_state(struct state *st)
{
	char line[512], last[512] = "";
	int n0 = 0, n;

	for (int tries = 0; tries < 2; tries++) {
		FILE *fp = fopen(R.log, "r");

		n = 0;
		while (fp && fgets(line, sizeof(line), fp))
			if (strstr(line, "state: ")) {
				n++;
				snprintf(last, sizeof(last), "%s", line);
			}
		if (fp)
			fclose(fp);
		if (tries == 0) {
			n0 = n;
			kill(R.pid, SIGUSR1);
			for (int i = 0; i < 250; i++) {
				sleep_ms(20);
				fp = fopen(R.log, "r");
				n = 0;
				while (fp && fgets(line, sizeof(line), fp))
					n += strstr(line, "state: ") != NULL;
				if (fp)
					fclose(fp);
				if (n > n0)
					break;
			}
		}
	}
	if (n <= n0)
		return -1;
	return sscanf(strstr(last, "state: "),
		      "state: %u clients, %u stalled, %u fids, %u requests in "
		      "flight, %u tags used, %u client requests outstanding",
		      &st->clients, &st->stalled, &st->fids, &st->inflight,
		      &st->tags, &st->outstanding) == 6 ?
		       0 :
		       -1;
}

/* Wait until the relay holds no client, fid or request. */
static int relay_idle(struct state *st)
{
	for (int i = 0; i < 100; i++) {
		if (relay_state(st) == 0 && !st->clients && !st->fids &&
		    !st->inflight && !st->tags && !st->outstanding)
			return 0;
		sleep_ms(50);
	}
	return -1;
}

/* ---- raw 9P ------------------------------------------------------------- */

static uint32_t r32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t r16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* A header claiming @size bytes (type Tgetattr, tag 1) in @b. */
static void fake_header(uint8_t b[7], uint32_t size)
{
	b[0] = (uint8_t)size;
	b[1] = (uint8_t)(size >> 8);
	b[2] = (uint8_t)(size >> 16);
	b[3] = (uint8_t)(size >> 24);
	b[4] = V9P_TGETATTR;
	b[5] = 1;
	b[6] = 0;
}

/* Send all @n bytes. */
static int send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Receive one message within @ms: its length, 0 at EOF, -1 on timeout
 * or error. */
static ssize_t recv_msg(int fd, uint8_t *buf, size_t cap, int ms)
{
	size_t have = 0, want = 4;

	while (have < want) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, ms) != 1)
			return -1;
		n = read(fd, buf + have, want - have);
		if (n == 0)
			return 0;
		if (n < 0)
			return -1;
		have += (size_t)n;
		if (have == 4) {
			want = r32(buf);
			if (want < 7 || want > cap)
				return -1;
		}
	}
	return (ssize_t)have;
}

/* A message under construction. */
struct msg {
	uint8_t b[70000];
	struct v9p_buf w;
};

static void mbegin(struct msg *m, uint8_t type, uint16_t tag)
{
	v9p__buf_init(&m->w, m->b, sizeof(m->b));
	v9p__msg_begin(&m->w, type, tag);
}

static int msend(int fd, struct msg *m)
{
	size_t n = v9p__msg_end(&m->w);

	return n ? send_all(fd, m->b, n) : -1;
}

/* Raw Tversion; the Rversion's msize and version in @ver (32 bytes). */
static int raw_version(int fd, uint32_t msize, const char *v, uint32_t *got,
		       char *ver)
{
	struct msg m;
	uint8_t r[256];
	ssize_t n;

	mbegin(&m, V9P_TVERSION, V9P_NOTAG);
	v9p__put_u32(&m.w, msize);
	v9p__put_str(&m.w, v);
	if (msend(fd, &m) < 0)
		return -1;
	n = recv_msg(fd, r, sizeof(r), 5000);
	if (n < 13 || r[4] != V9P_RVERSION || r16(r + 5) != V9P_NOTAG)
		return -1;
	*got = r32(r + 7);
	snprintf(ver, 32, "%.*s", r16(r + 11) < 31 ? r16(r + 11) : 31,
		 (const char *)r + 13);
	return 0;
}

/* A raw client with a 9P2000.L session and fid @fid attached to the
 * export. */
static int raw_client(FIXTURE_DATA(diod) *self, uint32_t msize,
		      uint32_t fid)
{
	int fd = unix_connect(R.sock);
	struct msg m;
	uint8_t r[256];
	uint32_t got;
	char ver[32];

	if (fd < 0 || raw_version(fd, msize, "9P2000.L", &got, ver) < 0)
		return -1;
	mbegin(&m, V9P_TATTACH, 1);
	v9p__put_u32(&m.w, fid);
	v9p__put_u32(&m.w, V9P_NOFID);
	v9p__put_str(&m.w, self->uname);
	v9p__put_str(&m.w, self->exp);
	v9p__put_u32(&m.w, self->uid);
	if (msend(fd, &m) < 0 || recv_msg(fd, r, sizeof(r), 5000) != 20 ||
	    r[4] != V9P_RATTACH) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Twalk @fid -> @newfid along one @name (NULL: clone). */
static void put_walk(struct msg *m, uint16_t tag, uint32_t fid,
		     uint32_t newfid, const char *name)
{
	mbegin(m, V9P_TWALK, tag);
	v9p__put_u32(&m->w, fid);
	v9p__put_u32(&m->w, newfid);
	v9p__put_u16(&m->w, name ? 1 : 0);
	if (name)
		v9p__put_str(&m->w, name);
}

static void put_fid(struct msg *m, uint8_t type, uint16_t tag, uint32_t fid)
{
	mbegin(m, type, tag);
	v9p__put_u32(&m->w, fid);
}

static void put_getattr(struct msg *m, uint16_t tag, uint32_t fid)
{
	put_fid(m, V9P_TGETATTR, tag, fid);
	v9p__put_u64(&m->w, V9P_GETATTR_BASIC);
}

static void put_lopen(struct msg *m, uint16_t tag, uint32_t fid,
		      uint32_t flags)
{
	put_fid(m, V9P_TLOPEN, tag, fid);
	v9p__put_u32(&m->w, flags);
}

static void put_read(struct msg *m, uint16_t tag, uint32_t fid,
		     uint64_t off, uint32_t count)
{
	put_fid(m, V9P_TREAD, tag, fid);
	v9p__put_u64(&m->w, off);
	v9p__put_u32(&m->w, count);
}

/* Send @m and read one reply into @r; the reply's length. */
static ssize_t rpc(int fd, struct msg *m, uint8_t *r, size_t cap)
{
	if (msend(fd, m) < 0)
		return -1;
	return recv_msg(fd, r, cap, 10000);
}

/* The reply @r is Rlerror with @ecode for @tag. */
#define EXPECT_RLERROR(r, n, tag, ecode)                                   \
	do {                                                               \
		EXPECT_EQ((n), 11);                                        \
		EXPECT_EQ((r)[4], V9P_RLERROR);                            \
		EXPECT_EQ(r16((r) + 5), (tag));                            \
		EXPECT_EQ(r32((r) + 7), (uint32_t)(ecode));                \
	} while (0)

/* Tsetattr of @fid's mode to @mode. */
static void put_chmod(struct msg *m, uint16_t tag, uint32_t fid,
		      uint32_t mode)
{
	put_fid(m, V9P_TSETATTR, tag, fid);
	v9p__put_u32(&m->w, V9P_SETATTR_MODE);
	v9p__put_u32(&m->w, mode);
	v9p__put_u32(&m->w, 0);
	v9p__put_u32(&m->w, 0);
	for (int i = 0; i < 5; i++)
		v9p__put_u64(&m->w, 0);
}

static void put_flush(struct msg *m, uint16_t tag, uint16_t oldtag)
{
	mbegin(m, V9P_TFLUSH, tag);
	v9p__put_u16(&m->w, oldtag);
}

/* Several requests sent with one write(2). */
struct batch {
	uint8_t b[65536];
	size_t len;
};

/* Append @m to @bt; -1 if it does not fit. */
static int badd(struct batch *bt, struct msg *m)
{
	size_t n = v9p__msg_end(&m->w);

	if (!n || n > sizeof(bt->b) - bt->len)
		return -1;
	memcpy(bt->b + bt->len, m->b, n);
	bt->len += n;
	return 0;
}

/* Size in an Rgetattr (body: valid[8] qid[13] mode uid gid nlink rdev
 * size ...). */
static uint64_t getattr_size(const uint8_t *r)
{
	const uint8_t *p = r + 7 + 8 + 13 + 4 + 4 + 4 + 8 + 8;

	return (uint64_t)r32(p) | (uint64_t)r32(p + 4) << 32;
}

static void host_pattern_file(const char *path, size_t n, uint64_t seed)
{
	uint8_t *d = malloc(n);

	fill_pattern(d, n, seed);
	host_write(path, d, n);
	free(d);
}

#endif
