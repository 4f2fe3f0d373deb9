// SPDX-License-Identifier: GPL-2.0
/*
 * Large messages: the max_msize parameter, the limit in sysfs and in
 * VIO9P_IOC_LIMITS, Tversion lowered to it, whole reads and writes of
 * 8 KiB, 64 KiB and the largest msize the device's ring allows (sysfs
 * msize_limit: 256 KiB on QEMU's virtio-pci queue, 1 MiB on its
 * virtio-mmio one) through page-built buffers, every slot busy with large
 * replies, a Tgetlock whose reply echoes a long client_id, and a device
 * that never breaks however large a read a client asks for.  Reloads
 * vio9p, so it runs after the suites that expect the default load, and
 * leaves the default load behind.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "pattern.h"
#include "rig.h"

#define MODULE_PATH	"/lib/vio9p/vio9p.ko"
#define KIB		1024u
#define MIB		(1024u * 1024u)
/* Rread: size[4] type[1] tag[2] count[4]; Twrite adds fid, offset. */
#define RREAD_HDR	11
#define TWRITE_HDR	23

/* A message of up to @cap bytes on the heap: 1 MiB does not fit a stack. */
struct bigmsg {
	uint8_t *buf;
	size_t len, cap;
};

static void big_init(METADATA, struct bigmsg *m, size_t cap)
{
	m->buf = malloc(cap);
	ASSERT_NE(m->buf, NULL);
	m->cap = cap;
	m->len = 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void reload(METADATA, const char *params)
{
	ASSERT_OK(module_unload("vio9p"));
	ASSERT_OK(module_load(MODULE_PATH, params));
	ASSERT_OK(chan_wait(TAG_MAIN, 5000));
}

static uint64_t sysfs_attr(METADATA, const char *tag, const char *attr)
{
	char path[256], buf[32] = "";
	char name[96];
	FILE *f;

	/* chan_path gives /dev/9p/<N>; the class device is vio9p<N>. */
	ASSERT_OK(chan_path(tag, path, sizeof(path)));
	snprintf(name, sizeof(name), "/sys/class/vio9p/vio9p%s/%s",
		 strrchr(path, '/') + 1, attr);
	f = fopen(name, "r");
	ASSERT_NE(f, NULL);
	ASSERT_NE(fgets(buf, sizeof(buf), f), NULL);
	fclose(f);
	return strtoull(buf, NULL, 10);
}

static uint64_t sysfs_msize(METADATA, const char *tag)
{
	return sysfs_attr(_metadata, tag, "max_msize");
}

/*
 * The largest msize the device's ring allows: a request and its reply
 * room, one descriptor per page, in a chain no longer than the ring.
 */
static uint32_t msize_limit(METADATA, const char *tag)
{
	uint64_t limit = sysfs_attr(_metadata, tag, "msize_limit");

	ASSERT_GE(limit, VIO9P_MAX_MSG_SIZE);
	ASSERT_LE(limit, MIB);
	ASSERT_EQ(limit % 8192, 0);
	return (uint32_t)limit;
}

/* Tversion asking for @ask; returns the msize the server answered. */
static uint32_t version(METADATA, int fd, uint32_t ask)
{
	struct p9msg req, rep;

	p9_tversion(&req, P9_NOTAG, ask, "9P2000.L");
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	return p9_get32(_metadata, &rep, P9_HDR);
}

/*
 * A session asking for msize @ask, which must come back as the device's
 * limit: fid 0 the root, fid 1 big.bin open for reading.
 */
static void attach_big(METADATA, int fd, uint32_t ask)
{
	struct vio9p_limits lim;
	struct p9msg req, rep;

	chan_limits(_metadata, fd, &lim);
	ASSERT_EQ(version(_metadata, fd, ask), lim.msize);
	p9_tattach(&req, 1, 0);
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	chan_walk_open(_metadata, fd, 1, BIG_FILE, O_RDONLY);
}

/* Send a Tread of @count at @off on fid 1 with @tag. */
static void send_read(METADATA, int fd, uint16_t tag, uint64_t off,
		      uint32_t count)
{
	struct p9msg req;

	p9_tread(&req, tag, 1, off, count);
	chan_send(_metadata, fd, &req);
}

/*
 * Receive one Rread into @m and check it: the tag is one of ours, the
 * length is its size[4], and the data is big.bin's from @offs[tag].
 * Returns the count of data bytes.
 */
static uint32_t recv_read(METADATA, int fd, struct bigmsg *m,
			  const uint64_t *offs, unsigned int ntags,
			  uint16_t *tag_out)
{
	ssize_t n = read(fd, m->buf, m->cap);
	uint32_t count;
	uint16_t tag;

	ASSERT_GE(n, RREAD_HDR);
	ASSERT_EQ(get32(m->buf), n);
	ASSERT_EQ(m->buf[4], P9_TREAD + 1);
	tag = m->buf[5] | m->buf[6] << 8;
	ASSERT_LT(tag, ntags);
	count = get32(m->buf + 7);
	ASSERT_EQ(count + RREAD_HDR, n);
	for (uint32_t i = 0; i < count; i++)
		if (m->buf[RREAD_HDR + i] != pattern_byte(BIG_SEED, offs[tag] + i))
			ASSERT_EQ(i, count); /* names the first bad byte */
	*tag_out = tag;
	return count;
}

/*
 * One full-size round at @msize: the limits, Tversion lowered, a Tread
 * whose reply fills the buffer, a Twrite of a whole msize read back, a
 * message one byte too long refused, and a read asking for far more than
 * msize answered without breaking the device.
 */
static void round_at(METADATA, uint32_t msize)
{
	struct vio9p_limits lim;
	struct bigmsg m, w;
	struct p9msg req, rep;
	uint64_t off0 = 0;
	uint32_t count, data;
	uint64_t resets;
	uint16_t tag;
	int fd;

	fd = chan_open(_metadata, TAG_MAIN, 0);
	resets = chan_stat(_metadata, TAG_MAIN, "resets");
	chan_limits(_metadata, fd, &lim);
	ASSERT_EQ(lim.msize, msize);
	ASSERT_EQ(sysfs_msize(_metadata, TAG_MAIN), msize);
	ASSERT_EQ(sysfs_msize(_metadata, TAG_LEGACY), msize);

	/* Asking for twice the limit gets the limit. */
	attach_big(_metadata, fd, 2 * msize);

	/* A reply as large as the server makes it at this msize. */
	big_init(_metadata, &m, msize + 1);
	send_read(_metadata, fd, 0, 0, msize - RREAD_HDR);
	count = recv_read(_metadata, fd, &m, &off0, 1, &tag);
	ASSERT_GT(count, msize - 64);
	ASSERT_LE(count, msize - RREAD_HDR);

	/*
	 * Far more than msize asked for: QEMU would answer in full and break
	 * the device; the driver lowers the count to what one reply holds.
	 */
	send_read(_metadata, fd, 0, 0, 4 * msize);
	count = recv_read(_metadata, fd, &m, &off0, 1, &tag);
	ASSERT_EQ(count, msize - RREAD_HDR);
	ASSERT_EQ(chan_state(_metadata, TAG_MAIN), 'r');
	p9_twalk1(&req, 2, 0, 4, NULL);
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	p9_tlopen(&req, 3, 4, O_RDONLY | O_DIRECTORY);
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	p9_treaddir(&req, 4, 4, 0, 0xffffffffu);
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	ASSERT_LE(p9_get32(_metadata, &rep, P9_HDR) + RREAD_HDR, msize);
	ASSERT_GT(p9_get32(_metadata, &rep, P9_HDR), 0);

	/* A whole msize of request: Twrite of msize - 23 bytes. */
	p9_twalk1(&req, 2, 0, 2, NULL);
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	p9_tlcreate(&req, 3, 2, "msize.bin", O_RDWR | O_TRUNC, 0644);
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	data = msize - TWRITE_HDR;
	big_init(_metadata, &w, msize + 1);
	put32(w.buf, msize);
	w.buf[4] = P9_TWRITE;
	w.buf[5] = 4;
	w.buf[6] = 0;
	put32(w.buf + 7, 2);
	put32(w.buf + 11, 0);
	put32(w.buf + 15, 0);
	put32(w.buf + 19, data);
	for (uint32_t i = 0; i < data; i++)
		w.buf[TWRITE_HDR + i] = pattern_byte(BIG_SEED, i);
	ASSERT_EQ(write(fd, w.buf, msize), msize);
	chan_recv(_metadata, fd, &rep);
	ASSERT_EQ(p9_type(&rep), P9_TWRITE + 1);
	ASSERT_EQ(p9_get32(_metadata, &rep, P9_HDR), data);

	/* One byte more than msize never reaches the device. */
	put32(w.buf, msize + 1);
	ASSERT_ERRNO(write(fd, w.buf, msize + 1), EMSGSIZE);

	/* Read the written file back through fid 3 and compare. */
	p9_twalk1(&req, 5, 0, 3, "msize.bin");
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	p9_tlopen(&req, 6, 3, 0);
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	p9_tread(&req, 0, 3, 0, msize - RREAD_HDR);
	chan_send(_metadata, fd, &req);
	count = recv_read(_metadata, fd, &m, &off0, 1, &tag);
	ASSERT_GT(count, msize - 64);
	ASSERT_LE(count, data);

	ASSERT_EQ(chan_state(_metadata, TAG_MAIN), 'r');
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "resets"), resets);
	free(m.buf);
	free(w.buf);
	close(fd);
}

/*
 * The suite's tests, in order; each sets up what it needs itself.  The
 * teardown ends what a test that failed part way left running.
 */
FIXTURE(msize) {};
static FIXTURE_SETUP(msize) {}
static FIXTURE_TEARDOWN(msize)
{
	end_test_children();
}

TEST_F(msize, default_limit_is_8192)
{
	struct vio9p_limits lim;
	int fd = chan_open(_metadata, TAG_MAIN, 0);

	chan_limits(_metadata, fd, &lim);
	ASSERT_EQ(lim.msize, VIO9P_MAX_MSG_SIZE);
	ASSERT_EQ(sysfs_msize(_metadata, TAG_MAIN), VIO9P_MAX_MSG_SIZE);
	close(fd);
	round_at(_metadata, VIO9P_MAX_MSG_SIZE);
}

TEST_F_TIMEOUT(msize, limit_64k, 60)
{
	reload(_metadata, "max_msize=65536");
	round_at(_metadata, 64 * KIB);
}

/*
 * 1 MiB asked for: the device's ring bounds it (a chain may not be longer
 * than the queue, virtio 2.7.5.3.1), and sysfs shows the bound.
 */
TEST_F_TIMEOUT(msize, limit_1m_is_bounded_by_the_ring, 120)
{
	uint32_t limit;

	reload(_metadata, "max_msize=1048576");
	limit = msize_limit(_metadata, TAG_MAIN);
	TH_LOG("msize_limit %u", limit);
	ASSERT_EQ(sysfs_msize(_metadata, TAG_MAIN), limit);
	ASSERT_EQ(msize_limit(_metadata, TAG_LEGACY),
		  sysfs_msize(_metadata, TAG_LEGACY));
	round_at(_metadata, limit);
}

/* Every slot busy with a reply of the largest msize, in any order. */
TEST_F_TIMEOUT(msize, every_slot_busy_at_the_limit, 120)
{
	uint64_t offs[8];
	struct vio9p_limits lim;
	struct bigmsg m;
	unsigned int n, seen = 0;
	uint32_t limit, want;
	uint16_t tag;
	int fd;

	reload(_metadata, "max_msize=1048576 max_requests=8");
	limit = msize_limit(_metadata, TAG_MAIN);
	/* As much as a reply holds, up to 256 KiB: big.bin is 1 MiB. */
	want = limit - RREAD_HDR < 256 * KIB ? limit - RREAD_HDR : 256 * KIB;
	fd = chan_open(_metadata, TAG_MAIN, 0);
	chan_limits(_metadata, fd, &lim);
	ASSERT_EQ(lim.msize, limit);
	n = lim.requests < 8 ? lim.requests : 8;
	ASSERT_EQ(n, 8);
	attach_big(_metadata, fd, MIB);
	big_init(_metadata, &m, limit);
	for (unsigned int i = 0; i < n; i++) {
		offs[i] = (uint64_t)i * 100000;
		send_read(_metadata, fd, (uint16_t)i, offs[i], want);
	}
	for (unsigned int i = 0; i < n; i++) {
		uint32_t count = recv_read(_metadata, fd, &m, offs, n, &tag);

		ASSERT_EQ(count, want);
		ASSERT_EQ(seen & 1u << tag, 0);
		seen |= 1u << tag;
	}
	ASSERT_EQ(seen, (1u << n) - 1);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "slots"), n);
	free(m.buf);
	close(fd);
}

/* The msize VIO9P_IOC_LIMITS reports after a reload with @params. */
static uint32_t msize_after(METADATA, const char *params)
{
	struct vio9p_limits lim;
	int fd;

	reload(_metadata, params);
	fd = chan_open(_metadata, TAG_MAIN, 0);
	chan_limits(_metadata, fd, &lim);
	close(fd);
	return lim.msize;
}

/* Out-of-range values are pulled into 8 KiB .. 1 MiB. */
TEST_F(msize, out_of_range_values_are_clamped)
{
	ASSERT_EQ(msize_after(_metadata, "max_msize=100"), VIO9P_MAX_MSG_SIZE);
	ASSERT_EQ(msize_after(_metadata, "max_msize=16777216"),
		  msize_limit(_metadata, TAG_MAIN));
}

/*
 * vio9p(1) takes its msize from the device: a 1 MiB get at a 1 MiB limit
 * takes a handful of requests, where 8 KiB messages would take over 128.
 */
TEST_F_TIMEOUT(msize, command_uses_the_raised_limit, 120)
{
	uint64_t before, after, off = 0;
	pid_t pid;
	FILE *f;
	int status, c;

	reload(_metadata, "max_msize=1048576");
	before = chan_stat(_metadata, TAG_MAIN, "completed");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* Our stdout is a serial line: no progress bar in the TAP. */
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execl("/bin/vio9p", "vio9p", "-t", TAG_MAIN, "get", BIG_FILE,
		      "/tmp/big.msize", (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_EQ(status, 0); /* exited, status 0 */
	after = chan_stat(_metadata, TAG_MAIN, "completed");
	ASSERT_LT(after - before, 32);
	f = fopen("/tmp/big.msize", "rb");
	ASSERT_NE(f, NULL);
	while ((c = getc(f)) != EOF) {
		if ((uint8_t)c != pattern_byte(BIG_SEED, off))
			ASSERT_EQ(off, ~0ull); /* names the first bad byte */
		off++;
	}
	fclose(f);
	ASSERT_EQ(off, BIG_SIZE);
	unlink("/tmp/big.msize");
}

/*
 * A reply may echo a string of its request: QEMU's Rgetlock returns the
 * Tgetlock's client_id.  A client_id of 30000 bytes at a 64 KiB msize
 * needs more reply room than 8192 bytes; without it QEMU finds no room for
 * the reply and breaks the device.
 */
TEST_F_TIMEOUT(msize, getlock_with_a_long_client_id_gets_its_reply, 60)
{
	enum { TGETLOCK = 54, CID = 30000 };
	struct bigmsg q, r;
	uint64_t resets;
	size_t len;
	ssize_t n;
	int fd;

	reload(_metadata, "max_msize=65536");
	fd = chan_open(_metadata, TAG_MAIN, 0);
	resets = chan_stat(_metadata, TAG_MAIN, "resets");
	attach_big(_metadata, fd, 65536);
	big_init(_metadata, &q, 65536);
	big_init(_metadata, &r, 65536);
	/* size[4] type[1] tag[2] fid[4] type[1] start[8] length[8]
	 * proc_id[4] client_id[s] */
	len = 7 + 4 + 1 + 8 + 8 + 4 + 2 + CID;
	memset(q.buf, 0, len);
	put32(q.buf, (uint32_t)len);
	q.buf[4] = TGETLOCK;
	q.buf[5] = 9;
	put32(q.buf + 7, 1);		/* fid 1: big.bin, open */
	q.buf[11] = 0;			/* P9_LOCK_TYPE_RDLCK */
	put32(q.buf + 28, 1234);	/* proc_id */
	q.buf[32] = CID & 0xff;
	q.buf[33] = CID >> 8;
	memset(q.buf + 34, 'c', CID);
	ASSERT_EQ(write(fd, q.buf, len), (ssize_t)len);
	n = read(fd, r.buf, r.cap);
	ASSERT_EQ(n, (ssize_t)(len - 4));
	ASSERT_EQ(get32(r.buf), n);
	ASSERT_EQ(r.buf[4], TGETLOCK + 1);
	ASSERT_EQ(r.buf[5], 9);
	ASSERT_EQ(r.buf[7 + 21] | r.buf[7 + 22] << 8, CID);
	ASSERT_MEM_EQ(r.buf + 30, q.buf + 34, CID);
	ASSERT_EQ(chan_state(_metadata, TAG_MAIN), 'r');
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "resets"), resets);
	free(q.buf);
	free(r.buf);
	close(fd);
}

/* Leave the default load for whatever runs next. */
TEST_F(msize, default_load_restored)
{
	ASSERT_EQ(msize_after(_metadata, ""), VIO9P_MAX_MSG_SIZE);
}

TEST_HARNESS_MAIN
