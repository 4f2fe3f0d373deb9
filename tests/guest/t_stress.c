// SPDX-License-Identifier: GPL-2.0
/*
 * Load on one channel: threads sharing one file, and open/close cycles
 * with requests in flight.
 */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "p9.h"
#include "rig.h"
#include "util.h"

#define THREADS		4
#define RPCS		100

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

TEST(four_threads_share_one_fd)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static unsigned char seen[THREADS * RPCS];
	struct shared sh[THREADS];
	pthread_t th[THREADS];
	int fd;

	TEST_TIMEOUT(180);
	fd = chan_open(TAG_MAIN, 0);
	chan_session(fd);
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

TEST(thousand_open_close_cycles_with_requests_in_flight)
{
	struct p9msg req, rep;
	int fd;

	TEST_TIMEOUT(300);
	for (int i = 0; i < 1000; i++) {
		fd = chan_open(TAG_MAIN, 0);
		for (int j = 0; j < 3; j++) {
			p9_tclunk(&req, (i * 3 + j) & 0x7fff, 0xdeadbeef);
			chan_send(fd, &req);
		}
		/* Now and then read one: it must be from this open. */
		if (i % 50 == 0) {
			chan_recv(fd, &rep);
			ASSERT_GE(p9_tag(&rep), (i * 3) & 0x7fff);
			ASSERT_LE(p9_tag(&rep), (i * 3 + 2) & 0x7fff);
		}
		close(fd);
	}
	msleep(300);
	ASSERT_EQ(chan_stat(TAG_MAIN, "in_flight"), 0);
	ASSERT_EQ(chan_stat(TAG_MAIN, "slots_in_use"), 0);
	ASSERT_LE(chan_stat(TAG_MAIN, "slots"), 8);
	fd = chan_open(TAG_MAIN, 0);
	p9_tversion(&req, P9_NOTAG, 8192, "9P2000.L");
	ASSERT_EQ(chan_rpc(fd, &req, &rep), 0);
	ASSERT_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EAGAIN);
	close(fd);
}
