// SPDX-License-Identifier: GPL-2.0
/*
 * Load on one channel: threads sharing one file, and open/close cycles
 * with requests in flight.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "rig.h"

#define THREADS		4
#define RPCS		500

struct shared {
	int fd;
	int id;
	pthread_mutex_t *lock;
	unsigned char *seen;	/* replies per tag */
	int bad;		/* replies with a wrong type or size */
};

/*
 * Each thread sends requests with its own tags and reads as many replies,
 * which may be anyone's: the replies are checked as a whole afterwards.
 */
static void *worker(void *arg)
{
	struct shared *sh = arg;
	struct p9msg req, rep;

	for (int i = 0; i < RPCS; i++) {
		uint16_t tag = sh->id * RPCS + i;
		ssize_t n;

		p9_tgetattr(&req, tag, 0);
		if (write(sh->fd, req.buf, req.len) != (ssize_t)req.len) {
			sh->bad++;
			break;
		}
		n = read(sh->fd, rep.buf, sizeof(rep.buf));
		pthread_mutex_lock(sh->lock);
		if (n < P9_HDR || rep.buf[4] != P9_TGETATTR + 1 ||
		    (rep.buf[0] | rep.buf[1] << 8) != n)
			sh->bad++;
		else if ((rep.buf[5] | rep.buf[6] << 8) < THREADS * RPCS)
			sh->seen[rep.buf[5] | rep.buf[6] << 8]++;
		pthread_mutex_unlock(sh->lock);
	}
	return NULL;
}

/*
 * The suite's tests, in order; each sets up what it needs itself.  The
 * teardown ends what a test that failed part way left running.
 */
FIXTURE(stress) {};
static FIXTURE_SETUP(stress) {}
static FIXTURE_TEARDOWN(stress)
{
	end_test_children();
}

TEST_F_TIMEOUT(stress, four_threads_share_one_fd, 300)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static unsigned char seen[THREADS * RPCS];

	struct shared sh[THREADS];
	pthread_t th[THREADS];
	int fd;

	fd = chan_open(_metadata, TAG_MAIN, 0);
	chan_session(_metadata, fd);
	for (int i = 0; i < THREADS; i++) {
		sh[i] = (struct shared){ fd, i, &lock, seen, 0 };
		ASSERT_EQ(pthread_create(&th[i], NULL, worker, &sh[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		ASSERT_EQ(pthread_join(th[i], NULL), 0);
		ASSERT_EQ(sh[i].bad, 0);
	}
	for (int t = 0; t < THREADS * RPCS; t++)
		ASSERT_EQ(seen[t], 1);
	close(fd);
}

/*
 * 10,000 cycles by default; VIO9P_TEST_CYCLES (from the kernel command
 * line, see tests/run-guest) lowers it on slow debug kernels.
 */
TEST_F_TIMEOUT(stress, ten_thousand_open_close_cycles_with_requests_in_flight, 900)
{
	const char *env = getenv("VIO9P_TEST_CYCLES");
	char *end = NULL;
	long cycles = env ? strtol(env, &end, 10) : 10000;
	struct p9msg req, rep;
	int fd;

	ASSERT_TRUE(!env || (*env && !*end));
	ASSERT_GT(cycles, 0);
	ASSERT_LE(cycles, 10000);
	TH_LOG("%ld cycles", cycles);
	for (int i = 0; i < cycles; i++) {
		fd = chan_open(_metadata, TAG_MAIN, 0);
		for (int j = 0; j < 3; j++) {
			p9_tclunk(&req, (i * 3 + j) & 0x7fff, 0xdeadbeef);
			chan_send(_metadata, fd, &req);
		}
		/* Now and then read one: it must be from this open. */
		if (i % 100 == 0) {
			chan_recv(_metadata, fd, &rep);
			ASSERT_GE(p9_tag(&rep), (i * 3) & 0x7fff);
			ASSERT_LE(p9_tag(&rep), (i * 3 + 2) & 0x7fff);
		}
		close(fd);
	}
	/*
	 * The last requests' replies may take a while on a loaded host: wait
	 * for them, up to 30 s.  Once they are back, the slots grown for
	 * stale requests are freed without an open.
	 */
	for (int t = 0; t < 600; t++) {
		if (chan_stat(_metadata, TAG_MAIN, "in_flight") == 0 &&
		    chan_stat(_metadata, TAG_MAIN, "slots_in_use") == 0 &&
		    chan_stat(_metadata, TAG_MAIN, "slots") <= 8)
			break;
		msleep(50);
	}
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "in_flight"), 0);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "slots_in_use"), 0);
	ASSERT_LE(chan_stat(_metadata, TAG_MAIN, "slots"), 8);
	fd = chan_open(_metadata, TAG_MAIN, 0);
	p9_tversion(&req, P9_NOTAG, 8192, "9P2000.L");
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	ASSERT_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EAGAIN);
	close(fd);
}

/*
 * Writes of random length and content: each is refused by the driver
 * (EINVAL, EMSGSIZE) or reaches the server, which answers it or, when it
 * cannot decode it, breaks the device (QEMU sets NEEDS_RESET).  Then the
 * channel fails with EIO, and the next open resets the device.  Nothing
 * ever waits forever, and the channel works at the end.
 */
TEST_F_TIMEOUT(stress, garbage_writes_never_wedge_the_channel, 600)
{
	static uint8_t buf[VIO9P_MAX_MSG_SIZE + 100];
	unsigned int sent = 0, answered = 0, broke = 0;
	uint64_t resets = chan_stat(_metadata, TAG_MAIN, "resets");
	struct p9msg req, rep;
	int fd;

	srand(42);
	fd = chan_open(_metadata, TAG_MAIN, 0);
	for (int i = 0; i < 1000; i++) {
		size_t len = rand() % sizeof(buf);
		ssize_t n;

		for (size_t j = 0; j < len; j++)
			buf[j] = rand();
		/* Most with a size[4] that matches, to reach QEMU. */
		if (i % 4 && len >= 4) {
			buf[0] = len;
			buf[1] = len >> 8;
			buf[2] = 0;
			buf[3] = 0;
		}
		n = write(fd, buf, len);
		if (n < 0) {
			ASSERT_TRUE(errno == EINVAL || errno == EMSGSIZE);
			ASSERT_TRUE(len < 7 || len > VIO9P_MAX_MSG_SIZE ||
				    (buf[0] | buf[1] << 8 | buf[2] << 16 |
				     (uint32_t)buf[3] << 24) != len);
			continue;
		}
		ASSERT_EQ((ssize_t)len, n);
		sent++;
		n = read(fd, rep.buf, sizeof(rep.buf));
		if (n >= P9_HDR) {
			answered++;
			continue;
		}
		ASSERT_EQ(n, -1);
		ASSERT_EQ(errno, EIO);
		ASSERT_EQ(chan_state(_metadata, TAG_MAIN), 'n');
		broke++;
		close(fd);
		fd = chan_open(_metadata, TAG_MAIN, 0);
		ASSERT_EQ(chan_state(_metadata, TAG_MAIN), 'r');
	}
	TH_LOG("%u of 1000 reached the server: %u answered, %u broke it",
	       sent, answered, broke);
	ASSERT_GT(sent, 500);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "resets"), resets + broke);
	p9_tversion(&req, P9_NOTAG, 8192, "9P2000.L");
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	close(fd);
}

static void on_signal(int sig)
{
	(void)sig;
}

/*
 * Read a reply that is owed: the storm may interrupt the wait before it
 * comes (EINTR, which is what the driver must do), so wait again.
 */
static void recv_owed(METADATA, int fd, struct p9msg *rep, unsigned int *eintr)
{
	ssize_t n;

	while ((n = read(fd, rep->buf, sizeof(rep->buf))) < 0) {
		ASSERT_EQ(errno, EINTR);
		(*eintr)++;
	}
	ASSERT_GE(n, P9_HDR);
	rep->len = n;
	ASSERT_EQ(p9_get32(_metadata, rep, 0), n);
}

/*
 * A writer blocked on a full slot pool and a reader blocked on an empty
 * channel, while another process sends signals without pause: each wait
 * ends in EINTR, and no request or reply is lost or doubled.
 */
TEST_F_TIMEOUT(stress, signal_storm_against_blocked_readers_and_writers, 300)
{
	struct sigaction sa = { .sa_handler = on_signal };
	static unsigned char pending[0x8000];
	unsigned int slots, eintr_w = 0, eintr_r = 0;
	struct vio9p_limits lim;
	struct p9msg req, rep;
	pid_t storm, parent = getpid();
	uint16_t next = 0;
	int fd;

	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	fd = chan_open(_metadata, TAG_MAIN, 0);
	chan_limits(_metadata, fd, &lim);
	slots = lim.requests;
	for (unsigned int i = 0; i < slots; i++) {
		p9_tclunk(&req, next, 0xdeadbeef);
		chan_send(_metadata, fd, &req);
		pending[next++] = 1;
	}
	storm = fork();
	ASSERT_GE(storm, 0);
	if (storm == 0) {
		for (;;) {
			kill(parent, SIGUSR1);
			usleep(500);
		}
	}
	for (int round = 0; round < 300; round++) {
		/* The pool is full: only a signal ends this write. */
		p9_tclunk(&req, next, 0xdeadbeef);
		ASSERT_ERRNO(write(fd, req.buf, req.len), EINTR);
		eintr_w++;
		recv_owed(_metadata, fd, &rep, &eintr_r);
		ASSERT_EQ(p9_type(&rep), P9_RLERROR);
		ASSERT_EQ(pending[p9_tag(&rep)], 1);
		pending[p9_tag(&rep)] = 0;
		/* Now a slot is free: the same request goes through. */
		chan_send(_metadata, fd, &req);
		pending[next++] = 1;
	}
	for (unsigned int i = 0; i < slots; i++) {
		recv_owed(_metadata, fd, &rep, &eintr_r);
		ASSERT_EQ(pending[p9_tag(&rep)], 1);
		pending[p9_tag(&rep)] = 0;
	}
	/* Nothing is owed: reads wait until a signal ends them. */
	for (int i = 0; i < 50; i++) {
		ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EINTR);
		eintr_r++;
	}
	kill(storm, SIGKILL);
	waitpid(storm, NULL, 0);
	for (unsigned int t = 0; t < sizeof(pending); t++)
		ASSERT_EQ(pending[t], 0);
	TH_LOG("%u writes and %u reads interrupted", eintr_w, eintr_r);
	close(fd);
}

TEST_HARNESS_MAIN
