/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest tests' helpers that fail the test they run in: each takes the
 * harness's _metadata, as the kernel's own selftests' helpers do
 * (landlock's common.h), and ASSERTs on any surprise, so that a test reads
 * as the protocol exchange it checks.  A failed ASSERT here ends the test
 * (kselftest_harness.h jumps back to the test's wrapper).  Include after
 * asserts.h, in the suite's one file that includes the harness.
 */
#ifndef VIO9P_TEST_CHAN_H
#define VIO9P_TEST_CHAN_H

#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vio9p.h>

#include "asserts.h"
#include "p9.h"
#include "rig.h"
#include "util.h"

/* Little-endian fields of a reply at a byte offset, inside its length. */
static inline uint16_t p9_get16(METADATA, const struct p9msg *m, size_t off)
{
	ASSERT_LE(off + 2, m->len)
		TH_LOG("reply of %zu bytes has no field at %zu", m->len, off);
	return m->buf[off] | m->buf[off + 1] << 8;
}

static inline uint32_t p9_get32(METADATA, const struct p9msg *m, size_t off)
{
	return p9_get16(_metadata, m, off) |
	       (uint32_t)p9_get16(_metadata, m, off + 2) << 16;
}

static inline uint64_t p9_get64(METADATA, const struct p9msg *m, size_t off)
{
	return p9_get32(_metadata, m, off) |
	       (uint64_t)p9_get32(_metadata, m, off + 4) << 32;
}

/* Open the channel with @tag (O_RDWR | O_EXCL | @extra_flags). */
static inline int chan_open(METADATA, const char *tag, int extra_flags)
{
	char path[64];
	int fd;

	ASSERT_EQ(0, chan_path(tag, path, sizeof(path)))
		TH_LOG("no channel with tag %s", tag);
	fd = open(path, O_RDWR | O_EXCL | extra_flags);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	return fd;
}

/* Write @req whole. */
static inline void chan_send(METADATA, int fd, const struct p9msg *req)
{
	ASSERT_EQ((ssize_t)req->len, write(fd, req->buf, req->len));
}

/* Read one reply whose size[4] is its length. */
static inline void chan_recv(METADATA, int fd, struct p9msg *rep)
{
	ssize_t n = read(fd, rep->buf, sizeof(rep->buf));

	ASSERT_LE(P9_HDR, n) TH_LOG("read: %s", strerror(errno));
	rep->len = n;
	ASSERT_EQ(n, p9_get32(_metadata, rep, 0));
}

/*
 * Send, receive, check the reply's tag and type: T+1 (returns 0), or
 * Rlerror (returns its ecode).
 */
static inline int chan_rpc(METADATA, int fd, const struct p9msg *req,
			   struct p9msg *rep)
{
	chan_send(_metadata, fd, req);
	chan_recv(_metadata, fd, rep);
	ASSERT_EQ(req->buf[5] | req->buf[6] << 8, p9_tag(rep));
	if (p9_type(rep) == P9_RLERROR)
		return (int)p9_get32(_metadata, rep, P9_HDR);
	ASSERT_EQ(req->buf[4] + 1, p9_type(rep));
	return 0;
}

/* Tversion 9P2000.L at VIO9P_MAX_MSG_SIZE and Tattach of fid 0. */
static inline void chan_session(METADATA, int fd)
{
	struct p9msg req, rep;

	p9_tversion(&req, P9_NOTAG, VIO9P_MAX_MSG_SIZE, "9P2000.L");
	ASSERT_EQ(0, chan_rpc(_metadata, fd, &req, &rep));
	p9_tattach(&req, 1, 0);
	ASSERT_EQ(0, chan_rpc(_metadata, fd, &req, &rep));
}

/* Walk fid 0 to @name as @newfid and open it. */
static inline void chan_walk_open(METADATA, int fd, uint32_t newfid,
				  const char *name, uint32_t flags)
{
	struct p9msg req, rep;

	p9_twalk1(&req, 2, 0, newfid, name);
	ASSERT_EQ(0, chan_rpc(_metadata, fd, &req, &rep));
	ASSERT_EQ(name ? 1 : 0, p9_get16(_metadata, &rep, P9_HDR));
	p9_tlopen(&req, 3, newfid, flags);
	ASSERT_EQ(0, chan_rpc(_metadata, fd, &req, &rep));
}

/* Read counter @name from /sys/class/vio9p/vio9p<N>/statistics/ of @tag. */
static inline uint64_t chan_stat(METADATA, const char *tag, const char *name)
{
	char dev[64], path[160];
	unsigned long long v;
	FILE *f;
	int n;

	ASSERT_EQ(0, chan_path(tag, dev, sizeof(dev)));
	snprintf(path, sizeof(path), "/sys/class/vio9p/vio9p%s/statistics/%s",
		 dev + strlen("/dev/9p/"), name);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f) TH_LOG("no counter %s: %s", path, strerror(errno));
	n = fscanf(f, "%llu", &v);
	fclose(f);
	ASSERT_EQ(1, n) TH_LOG("%s holds no number", path);
	return v;
}

/* First letter of the state attribute of @tag: 'r'eady, 'n'eeds-reset. */
static inline int chan_state(METADATA, const char *tag)
{
	char dev[64], path[128];
	int c;
	FILE *f;

	ASSERT_EQ(0, chan_path(tag, dev, sizeof(dev)));
	snprintf(path, sizeof(path), "/sys/class/vio9p/vio9p%s/state",
		 dev + strlen("/dev/9p/"));
	f = fopen(path, "r");
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", path, strerror(errno));
	c = fgetc(f);
	fclose(f);
	return c;
}

/* Wait up to @ms until at most @n requests of @tag are on the device. */
static inline int wait_in_flight(METADATA, const char *tag, unsigned int n,
				 unsigned int ms)
{
	for (unsigned int waited = 0; waited <= ms; waited += 10) {
		if (chan_stat(_metadata, tag, "in_flight") <= n)
			return 0;
		msleep(10);
	}
	TH_LOG("%s: %llu requests still in flight after %u ms", tag,
	       (unsigned long long)chan_stat(_metadata, tag, "in_flight"), ms);
	errno = ETIMEDOUT;
	return -1;
}

/* The channel's limits, checked for zeroed reserved fields. */
static inline void chan_limits(METADATA, int fd, struct vio9p_limits *lim)
{
	memset(lim, 0xa5, sizeof(*lim));
	ASSERT_OK(ioctl(fd, VIO9P_IOC_LIMITS, lim));
	for (size_t i = 0; i < sizeof(lim->reserved) / 4; i++)
		ASSERT_EQ(0, lim->reserved[i]);
}

/* Fill every request slot with a request nobody reads; returns how many. */
static inline unsigned int chan_fill(METADATA, int fd, uint16_t first_tag)
{
	struct vio9p_limits lim;
	struct p9msg req;

	chan_limits(_metadata, fd, &lim);
	for (unsigned int i = 0; i < lim.requests; i++) {
		p9_tclunk(&req, first_tag + i, 0xdead0000u + i);
		chan_send(_metadata, fd, &req);
	}
	return lim.requests;
}

/* The virtio device ("virtio3") under the channel with @tag, in @name. */
static inline void chan_virtio(METADATA, const char *tag, char *name,
			       size_t size)
{
	char dev[64], link[128], target[256];
	ssize_t n;

	ASSERT_EQ(0, chan_path(tag, dev, sizeof(dev)));
	snprintf(link, sizeof(link), "/sys/class/vio9p/vio9p%s/device",
		 dev + strlen("/dev/9p/"));
	n = readlink(link, target, sizeof(target) - 1);
	ASSERT_LT(0, n) TH_LOG("readlink %s: %s", link, strerror(errno));
	target[n] = '\0';
	snprintf(name, size, "%s", basename(target));
}

/* An address no access succeeds at: a PROT_NONE page. */
static inline void *bad_address(METADATA)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	return p;
}

static inline void chan_on_usr1(int sig)
{
	(void)sig;
}

/*
 * Send SIGUSR1, whose handler has no SA_RESTART, to us once we sleep in
 * the driver (from a child; returns its pid).
 */
static inline pid_t interrupt_when_asleep(METADATA)
{
	struct sigaction sa;
	pid_t parent = getpid(), pid;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = chan_on_usr1;
	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The parent's test fails on its own if no signal comes. */
		if (wait_asleep_in_driver(parent, 60000) == 0)
			kill(parent, SIGUSR1);
		_exit(0);
	}
	return pid;
}

/*
 * Every guest suite needs the devices of tests/run-guest (rig.h): without
 * a channel for TAG_MAIN (vio9p not loaded, or not that guest) the whole
 * suite skips, kselftest's way ("1..0 # SKIP why", exit status KSFT_SKIP),
 * before the harness's main() runs a test.
 */
static void __attribute__((constructor)) chan_need_rig(void)
{
	char path[64];

	if (chan_path(TAG_MAIN, path, sizeof(path)) == 0)
		return;
	ksft_print_header();
	ksft_exit_skip("no vio9p channel with mount tag %s (the guest of tests/run-guest has one)\n",
		       TAG_MAIN);
}

#endif /* VIO9P_TEST_CHAN_H */
