// SPDX-License-Identifier: GPL-2.0
/*
 * The promises of vio9p(4D) about one channel: open flags and exclusivity,
 * write and read sizes, blocking and non-blocking behaviour, signals,
 * EOVERFLOW, poll, and the ioctls.  Run in a guest by tests/run-guest.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/epoll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "rig.h"

static void main_path(METADATA, char *path, size_t size)
{
	ASSERT_EQ(chan_path(TAG_MAIN, path, size), 0);
}

/*
 * The suite's tests, in order; each sets up what it needs itself.  The
 * teardown ends what a test that failed part way left running.
 */
FIXTURE(chan) {};
static FIXTURE_SETUP(chan) {}
static FIXTURE_TEARDOWN(chan)
{
	end_test_children();
}

TEST_F(chan, node_is_char_device_mode_0600)
{
	char path[64];
	struct stat st;

	main_path(_metadata, path, sizeof(path));
	ASSERT_OK(stat(path, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(st.st_mode & 07777, 0600);
	ASSERT_EQ(st.st_uid, 0);
}

TEST_F(chan, open_needs_o_excl)
{
	char path[64];

	main_path(_metadata, path, sizeof(path));
	ASSERT_ERRNO(open(path, O_RDWR), EINVAL);
	ASSERT_ERRNO(open(path, O_RDWR | O_NONBLOCK), EINVAL);
}

TEST_F(chan, open_needs_o_rdwr)
{
	char path[64];

	main_path(_metadata, path, sizeof(path));
	ASSERT_ERRNO(open(path, O_RDONLY | O_EXCL), EINVAL);
	ASSERT_ERRNO(open(path, O_WRONLY | O_EXCL), EINVAL);
}

TEST_F(chan, second_open_is_ebusy_until_close)
{
	char path[64];
	int fd;

	main_path(_metadata, path, sizeof(path));
	fd = open(path, O_RDWR | O_EXCL);
	ASSERT_GE(fd, 0);
	ASSERT_ERRNO(open(path, O_RDWR | O_EXCL), EBUSY);
	ASSERT_ERRNO(open(path, O_RDWR | O_EXCL | O_NONBLOCK), EBUSY);
	ASSERT_OK(close(fd));
	fd = open(path, O_RDWR | O_EXCL);
	ASSERT_GE(fd, 0);
	close(fd);
}

TEST_F(chan, channel_is_not_seekable)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	char b[16];

	ASSERT_ERRNO(lseek(fd, 0, SEEK_SET), ESPIPE);
	ASSERT_ERRNO(pread(fd, b, sizeof(b), 0), ESPIPE);
	close(fd);
}

TEST_F(chan, write_under_7_bytes_is_einval)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	uint8_t b[7] = { 6, 0, 0, 0, P9_TCLUNK, 1, 0 };

	ASSERT_ERRNO(write(fd, b, 6), EINVAL);
	ASSERT_ERRNO(write(fd, b, 0), EINVAL);
	ASSERT_ERRNO(write(fd, b, 1), EINVAL);
	close(fd);
}

TEST_F(chan, write_over_8192_bytes_is_emsgsize)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	static uint8_t b[1 << 20];

	b[0] = (VIO9P_MAX_MSG_SIZE + 1) & 0xff;
	b[1] = (VIO9P_MAX_MSG_SIZE + 1) >> 8;
	ASSERT_ERRNO(write(fd, b, VIO9P_MAX_MSG_SIZE + 1), EMSGSIZE);
	b[0] = 0;
	b[1] = 0;
	b[2] = 0x10;
	ASSERT_ERRNO(write(fd, b, sizeof(b)), EMSGSIZE);
	close(fd);
}

TEST_F(chan, write_with_wrong_size_field_is_einval)
{
	int fd = chan_open(_metadata, TAG_MAIN, O_NONBLOCK);
	struct p9msg req, rep;

	p9_tversion(&req, P9_NOTAG, 8192, "9P2000.L");
	req.buf[0]++;
	ASSERT_ERRNO(write(fd, req.buf, req.len), EINVAL);
	/* Nothing was sent: no reply is pending. */
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EAGAIN);
	close(fd);
}

TEST_F(chan, write_from_bad_address_is_efault_and_sends_nothing)
{
	int fd = chan_open(_metadata, TAG_MAIN, O_NONBLOCK);
	struct p9msg req, rep;
	uint8_t *page;

	page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(page != MAP_FAILED);
	ASSERT_OK(munmap(page + 4096, 4096));
	/* A request whose tail lies in an unmapped page. */
	p9_tversion(&req, P9_NOTAG, 8192, "9P2000.L");
	memcpy(page + 4096 - 10, req.buf, 10);
	ASSERT_ERRNO(write(fd, page + 4096 - 10, req.len), EFAULT);
	ASSERT_ERRNO(write(fd, bad_address(_metadata), req.len), EFAULT);
	msleep(100);
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EAGAIN);
	/* The channel still works. */
	ASSERT_OK(fcntl(fd, F_SETFL, 0));
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	close(fd);
}

/*
 * writev(2) and readv(2): one call is one request or one reply, however
 * many iovecs it has.  (Before the driver had write_iter, the kernel
 * wrote each iovec as a request of its own, and the first, a bare
 * size[4], failed with EINVAL.)
 */
TEST_F(chan, writev_of_several_iovecs_is_one_request)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	uint64_t sent = chan_stat(_metadata, TAG_MAIN, "submitted");
	struct p9msg req, rep;
	struct iovec iov[3];
	uint8_t head[5];
	ssize_t n;

	chan_session(_metadata, fd);
	sent += 2;
	/* Twalk of fid 0 to a new fid 7, in three pieces. */
	p9_twalk1(&req, 0x2a, 0, 7, NULL);
	iov[0] = (struct iovec){ req.buf, 4 };
	iov[1] = (struct iovec){ req.buf + 4, 7 };
	iov[2] = (struct iovec){ req.buf + 11, req.len - 11 };
	ASSERT_EQ((ssize_t)req.len, writev(fd, iov, 3));
	ASSERT_EQ(sent + 1, chan_stat(_metadata, TAG_MAIN, "submitted"));
	/* Its reply, read in two pieces. */
	iov[0] = (struct iovec){ head, sizeof(head) };
	iov[1] = (struct iovec){ rep.buf + sizeof(head), 64 };
	n = readv(fd, iov, 2);
	ASSERT_EQ(n, 4 + 1 + 2 + 2) TH_LOG("readv: %s", strerror(errno));
	memcpy(rep.buf, head, sizeof(head));
	rep.len = (size_t)n;
	ASSERT_EQ(n, p9_get32(_metadata, &rep, 0));
	ASSERT_EQ(P9_TWALK + 1, p9_type(&rep));
	ASSERT_EQ(0x2a, p9_tag(&rep));
	ASSERT_EQ(0, p9_get16(_metadata, &rep, P9_HDR));
	/* Tclunk of it, in two pieces: one reply, then nothing. */
	p9_tclunk(&req, 0x2b, 7);
	iov[0] = (struct iovec){ req.buf, 9 };
	iov[1] = (struct iovec){ req.buf + 9, req.len - 9 };
	ASSERT_EQ((ssize_t)req.len, writev(fd, iov, 2));
	ASSERT_EQ(sent + 2, chan_stat(_metadata, TAG_MAIN, "submitted"));
	chan_recv(_metadata, fd, &rep);
	ASSERT_EQ(P9_TCLUNK + 1, p9_type(&rep));
	ASSERT_EQ(0x2b, p9_tag(&rep));
	ASSERT_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EAGAIN);
	close(fd);
}

/*
 * splice(2) from a pipe: what one splice moves is one request, however
 * many pipe buffers it spans (here a header written into the pipe and the
 * rest spliced in from a file, as a client's Twrite would be), and no more
 * than its length: a request behind it in the pipe stays there.  A splice
 * whose bytes are not a whole request fails as a write would, and leaves
 * them in the pipe.
 */
TEST_F(chan, splice_from_a_pipe_is_one_request_of_what_it_moves)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	uint64_t sent = chan_stat(_metadata, TAG_MAIN, "submitted");
	char tmp[] = "/tmp/t_chan.XXXXXX";
	struct p9msg walk, clunk, rep;
	loff_t off = 0;
	int p[2], file;

	chan_session(_metadata, fd);
	sent += 2;
	p9_twalk1(&walk, 0x31, 0, 7, NULL);
	p9_tclunk(&clunk, 0x32, 7);
	file = mkstemp(tmp);
	ASSERT_LE(0, file) TH_LOG("mkstemp: %s", strerror(errno));
	ASSERT_OK(unlink(tmp));
	ASSERT_EQ((ssize_t)walk.len - 11,
		  write(file, walk.buf + 11, walk.len - 11));
	ASSERT_OK(pipe(p));
	ASSERT_EQ(11, write(p[1], walk.buf, 11));
	ASSERT_EQ((ssize_t)walk.len - 11,
		  splice(file, &off, p[1], NULL, walk.len - 11, 0))
		TH_LOG("splice from a file: %s", strerror(errno));
	ASSERT_EQ((ssize_t)clunk.len, write(p[1], clunk.buf, clunk.len));
	/* The walk's length: the walk alone. */
	ASSERT_EQ((ssize_t)walk.len, splice(p[0], NULL, fd, NULL, walk.len, 0))
		TH_LOG("splice into the channel: %s", strerror(errno));
	ASSERT_EQ(sent + 1, chan_stat(_metadata, TAG_MAIN, "submitted"));
	chan_recv(_metadata, fd, &rep);
	ASSERT_EQ(P9_TWALK + 1, p9_type(&rep));
	ASSERT_EQ(0x31, p9_tag(&rep));
	ASSERT_EQ(0, p9_get16(_metadata, &rep, P9_HDR));
	/* Then the clunk, left in the pipe. */
	ASSERT_EQ((ssize_t)clunk.len,
		  splice(p[0], NULL, fd, NULL, clunk.len, 0));
	chan_recv(_metadata, fd, &rep);
	ASSERT_EQ(P9_TCLUNK + 1, p9_type(&rep));
	ASSERT_EQ(0x32, p9_tag(&rep));
	/* One byte short of its size[4]: EINVAL, sent nothing, kept. */
	ASSERT_EQ((ssize_t)clunk.len, write(p[1], clunk.buf, clunk.len));
	ASSERT_ERRNO(splice(p[0], NULL, fd, NULL, clunk.len - 1, 0), EINVAL);
	ASSERT_EQ(sent + 2, chan_stat(_metadata, TAG_MAIN, "submitted"));
	ASSERT_EQ((ssize_t)clunk.len, read(p[0], rep.buf, sizeof(rep.buf)));
	ASSERT_MEM_EQ(clunk.buf, rep.buf, clunk.len);
	close(p[0]);
	close(p[1]);
	close(file);
	close(fd);
}

TEST_F(chan, writev_is_judged_by_its_total_length)
{
	int fd = chan_open(_metadata, TAG_MAIN, O_NONBLOCK);
	uint64_t sent = chan_stat(_metadata, TAG_MAIN, "submitted");
	static uint8_t big[VIO9P_MAX_MSG_SIZE + 1];
	struct p9msg req, rep;
	struct iovec iov[3];

	/* 3 + 3 bytes: under a header, as a write of 6 would be. */
	p9_tclunk(&req, 1, 0xdead0001u);
	iov[0] = (struct iovec){ req.buf, 3 };
	iov[1] = (struct iovec){ req.buf + 3, 3 };
	ASSERT_ERRNO(writev(fd, iov, 2), EINVAL);
	/* Pieces each under msize, in all one byte over it. */
	big[0] = (VIO9P_MAX_MSG_SIZE + 1) & 0xff;
	big[1] = (VIO9P_MAX_MSG_SIZE + 1) >> 8;
	big[4] = P9_TCLUNK;
	iov[0] = (struct iovec){ big, 4096 };
	iov[1] = (struct iovec){ big + 4096, 4096 };
	iov[2] = (struct iovec){ big + 8192, 1 };
	ASSERT_ERRNO(writev(fd, iov, 3), EMSGSIZE);
	/* A size[4] that is not the total. */
	iov[0] = (struct iovec){ req.buf, req.len };
	iov[1] = (struct iovec){ req.buf, 1 };
	ASSERT_ERRNO(writev(fd, iov, 2), EINVAL);
	msleep(100);
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EAGAIN);
	ASSERT_EQ(sent, chan_stat(_metadata, TAG_MAIN, "submitted"));
	close(fd);
}

TEST_F(chan, writev_fault_in_middle_iovec_leaves_no_request_or_slot)
{
	int fd = chan_open(_metadata, TAG_MAIN, O_NONBLOCK);
	uint64_t sent = chan_stat(_metadata, TAG_MAIN, "submitted");
	struct p9msg req, rep;
	struct iovec iov[3];
	unsigned int n;

	p9_tversion(&req, P9_NOTAG, 8192, "9P2000.L");
	iov[0] = (struct iovec){ req.buf, 7 };
	iov[1] = (struct iovec){ bad_address(_metadata), 4 };
	iov[2] = (struct iovec){ req.buf + 11, req.len - 11 };
	ASSERT_ERRNO(writev(fd, iov, 3), EFAULT);
	msleep(100);
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EAGAIN);
	ASSERT_EQ(sent, chan_stat(_metadata, TAG_MAIN, "submitted"));
	ASSERT_EQ(0, chan_stat(_metadata, TAG_MAIN, "in_flight"));
	/* Every slot is still there: all of them take a request, and then
	 * one more waits. */
	n = chan_fill(_metadata, fd, 100);
	p9_tclunk(&req, 99, 0xdeadbeef);
	ASSERT_ERRNO(write(fd, req.buf, req.len), EAGAIN);
	ASSERT_OK(fcntl(fd, F_SETFL, 0));
	for (unsigned int i = 0; i < n; i++)
		chan_recv(_metadata, fd, &rep);
	/* And the same request whole goes through. */
	p9_tversion(&req, P9_NOTAG, 8192, "9P2000.L");
	ASSERT_EQ(0, chan_rpc(_metadata, fd, &req, &rep));
	close(fd);
}

TEST_F(chan, version_round_trip_returns_whole_message)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	struct p9msg req, rep;

	p9_tversion(&req, P9_NOTAG, 8192, "9P2000.L");
	chan_send(_metadata, fd, &req);
	chan_recv(_metadata, fd, &rep);
	/* size[4] type[1] tag[2] msize[4] version[s] */
	ASSERT_EQ(rep.len, 4 + 1 + 2 + 4 + 2 + 8);
	ASSERT_EQ(p9_get32(_metadata, &rep, 0), rep.len);
	ASSERT_EQ(p9_type(&rep), P9_TVERSION + 1);
	ASSERT_EQ(p9_tag(&rep), P9_NOTAG);
	ASSERT_EQ(p9_get32(_metadata, &rep, 7), 8192);
	ASSERT_EQ(p9_get16(_metadata, &rep, 11), 8);
	ASSERT_MEM_EQ(rep.buf + 13, "9P2000.L", 8);
	close(fd);
}

TEST_F(chan, version_msize_above_limit_is_lowered)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	struct p9msg req, rep;

	p9_tversion(&req, P9_NOTAG, 1 << 20, "9P2000.L");
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	ASSERT_LE(p9_get32(_metadata, &rep, 7), VIO9P_MAX_MSG_SIZE);
	ASSERT_GT(p9_get32(_metadata, &rep, 7), 4096);
	close(fd);
}

TEST_F(chan, read_too_small_is_eoverflow_and_message_stays)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	struct p9msg req, rep;
	uint8_t small[64];

	p9_tversion(&req, 0x1234, 8192, "9P2000.L");
	chan_send(_metadata, fd, &req);
	ASSERT_ERRNO(read(fd, small, 6), EOVERFLOW);
	ASSERT_ERRNO(read(fd, small, 20), EOVERFLOW);
	ASSERT_ERRNO(read(fd, small, 0), EOVERFLOW);
	ASSERT_EQ(read(fd, small, 21), 21);
	ASSERT_EQ(small[4], P9_TVERSION + 1);
	ASSERT_EQ(small[5] | small[6] << 8, 0x1234);
	/* It was delivered once. */
	ASSERT_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EAGAIN);
	close(fd);
}

TEST_F(chan, read_to_bad_address_is_efault_and_message_stays)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	struct p9msg req, rep;

	p9_tversion(&req, 77, 8192, "9P2000.L");
	chan_send(_metadata, fd, &req);
	ASSERT_ERRNO(read(fd, bad_address(_metadata), 4096), EFAULT);
	chan_recv(_metadata, fd, &rep);
	ASSERT_EQ(p9_tag(&rep), 77);
	close(fd);
}

struct reader {
	int fd;
	void *buf;
	ssize_t ret;
	pid_t tid;
	volatile int done;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;

	r->tid = (pid_t)syscall(SYS_gettid);
	r->ret = read(r->fd, r->buf, 4096);
	r->done = 1;
	return NULL;
}

/*
 * A page whose first touch sleeps in userfaultfd until a fatal signal: a
 * read(2) into it takes its reply off the list, then waits in the copy,
 * which fails when the reader is killed.  (A non-fatal signal does not end
 * a fault taken in the kernel: the fault is retried.)
 */
static void *stalling_page(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	void *p;
	int uffd;

	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		_exit(3);
	if (ioctl(uffd, UFFDIO_API, &api) != 0)
		_exit(3);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(3);
	reg.range.start = (unsigned long)p;
	reg.range.len = 4096;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) != 0)
		_exit(3);
	return p;
}

/*
 * Reader A takes the reply and its copy fails (A is killed while the copy
 * waits for its page); the reply goes back to the head of the list.
 * Reader B, which went to sleep meanwhile because the list was empty, must
 * be woken to take it.
 */
TEST_F(chan, reply_put_back_after_a_failed_copy_wakes_another_reader)
{
	struct reader b = { 0 };
	struct p9msg req, rep;
	struct pollfd pfd;
	pthread_t tb;
	int fd, status;
	pid_t a;

	fd = chan_open(_metadata, TAG_MAIN, 0);
	p9_tversion(&req, 99, 8192, "9P2000.L");
	chan_send(_metadata, fd, &req);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	ASSERT_EQ(poll(&pfd, 1, 10000), 1);

	a = fork();
	ASSERT_GE(a, 0);
	if (a == 0) {
		void *page = stalling_page();

		read(fd, page, 4096);
		_exit(1);
	}
	ASSERT_OK(wait_asleep(a, 5000));
	/* A sleeps in the copy: the reply is off the list, B waits. */
	b = (struct reader){ .fd = fd, .buf = rep.buf };
	ASSERT_EQ(pthread_create(&tb, NULL, reader_thread, &b), 0);
	while (!b.tid)
		msleep(1);
	ASSERT_OK(wait_asleep(b.tid, 5000));
	ASSERT_EQ(b.done, 0);

	ASSERT_OK(kill(a, SIGKILL));
	ASSERT_EQ(waitpid(a, &status, 0), a);
	ASSERT_TRUE(WIFSIGNALED(status));
	for (int t = 0; t < 500 && !b.done; t++)
		msleep(10);
	if (!b.done)
		TH_LOG("reader B still asleep 5 s after the reply was put back");
	ASSERT_EQ(b.done, 1);
	ASSERT_EQ(pthread_join(tb, NULL), 0);
	ASSERT_GE(b.ret, P9_HDR);
	ASSERT_EQ(rep.buf[5], 99);
	close(fd);
}

TEST_F(chan, nonblocking_read_is_eagain)
{
	int fd = chan_open(_metadata, TAG_MAIN, O_NONBLOCK);
	struct p9msg rep;

	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EAGAIN);
	close(fd);
}

TEST_F(chan, o_ndelay_read_is_eagain)
{
	int fd = chan_open(_metadata, TAG_MAIN, O_NDELAY);
	struct p9msg rep;

	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EAGAIN);
	close(fd);
}

TEST_F(chan, o_nonblock_set_and_cleared_with_fcntl)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	struct p9msg req, rep;
	pid_t pid;

	ASSERT_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EAGAIN);
	ASSERT_OK(fcntl(fd, F_SETFL, 0));
	/* Blocking again: the read waits until a signal breaks it. */
	pid = interrupt_when_asleep(_metadata);
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EINTR);
	waitpid(pid, NULL, 0);
	p9_tversion(&req, P9_NOTAG, 8192, "9P2000.L");
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	close(fd);
}

TEST_F(chan, blocking_read_is_interrupted_with_eintr)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	struct p9msg rep;
	pid_t pid;

	pid = interrupt_when_asleep(_metadata);
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EINTR);
	waitpid(pid, NULL, 0);
	close(fd);
}

TEST_F(chan, nonblocking_write_with_all_slots_busy_is_eagain)
{
	int fd = chan_open(_metadata, TAG_MAIN, O_NONBLOCK);
	struct p9msg req, rep;
	unsigned int n;

	n = chan_fill(_metadata, fd, 100);
	ASSERT_GE(n, 1);
	p9_tclunk(&req, 99, 0xdeadbeef);
	ASSERT_ERRNO(write(fd, req.buf, req.len), EAGAIN);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "slots"), n);
	/* Reading one reply frees one slot. */
	ASSERT_OK(fcntl(fd, F_SETFL, 0));
	chan_recv(_metadata, fd, &rep);
	ASSERT_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	chan_send(_metadata, fd, &req);
	ASSERT_ERRNO(write(fd, req.buf, req.len), EAGAIN);
	close(fd);
}

TEST_F(chan, blocking_write_waits_for_a_slot)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	struct p9msg req, rep;
	int status;
	pid_t pid;

	chan_fill(_metadata, fd, 100);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		p9_tclunk(&req, 99, 0xdeadbeef);
		_exit(write(fd, req.buf, req.len) == (ssize_t)req.len ? 0 : 1);
	}
	ASSERT_OK(wait_asleep_in_driver(pid, 60000));
	ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0);
	chan_recv(_metadata, fd, &rep);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	close(fd);
}

TEST_F(chan, blocking_write_is_interrupted_with_eintr)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	struct p9msg req;
	pid_t pid;

	chan_fill(_metadata, fd, 100);
	p9_tclunk(&req, 99, 0xdeadbeef);
	pid = interrupt_when_asleep(_metadata);
	ASSERT_ERRNO(write(fd, req.buf, req.len), EINTR);
	waitpid(pid, NULL, 0);
	close(fd);
}

TEST_F(chan, poll_reports_readable_and_writable)
{
	int fd = chan_open(_metadata, TAG_MAIN, O_NONBLOCK);
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };
	struct p9msg req, rep;

	ASSERT_EQ(poll(&pfd, 1, 0), 1);
	ASSERT_EQ(pfd.revents, POLLOUT);
	p9_tversion(&req, P9_NOTAG, 8192, "9P2000.L");
	chan_send(_metadata, fd, &req);
	pfd.events = POLLIN;
	ASSERT_EQ(poll(&pfd, 1, 10000), 1);
	ASSERT_EQ(pfd.revents, POLLIN);
	chan_recv(_metadata, fd, &rep);
	ASSERT_EQ(poll(&pfd, 1, 0), 0);
	/* With every slot holding an unread reply: readable, not writable. */
	chan_fill(_metadata, fd, 100);
	ASSERT_OK(wait_in_flight(_metadata, TAG_MAIN, 0, 60000));
	pfd.events = POLLIN | POLLOUT;
	ASSERT_EQ(poll(&pfd, 1, 0), 1);
	ASSERT_EQ(pfd.revents, POLLIN);
	close(fd);
}

/*
 * A non-blocking client in one epoll loop: write while EPOLLOUT, read while
 * EPOLLIN, until 200 requests have been answered, with every slot busy.
 */
TEST_F_TIMEOUT(chan, epoll_loop_keeps_every_slot_busy, 120)
{
	int fd = chan_open(_metadata, TAG_MAIN, O_NONBLOCK), ep;
	static unsigned char seen[200];
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };
	unsigned int sent = 0, got = 0, most = 0, slots;
	struct vio9p_limits lim;
	struct p9msg req, rep;

	chan_limits(_metadata, fd, &lim);
	slots = lim.requests;
	ep = epoll_create1(0);
	ASSERT_GE(ep, 0);
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	while (got < sizeof(seen)) {
		ASSERT_EQ(epoll_wait(ep, &ev, 1, 10000), 1);
		while ((ev.events & EPOLLOUT) && sent < sizeof(seen)) {
			p9_tclunk(&req, sent, 0xdeadbeef);
			if (write(fd, req.buf, req.len) < 0) {
				ASSERT_EQ(errno, EAGAIN);
				ASSERT_EQ(sent - got, slots);
				break;
			}
			sent++;
			if (sent - got > most)
				most = sent - got;
		}
		while (ev.events & EPOLLIN) {
			ssize_t n = read(fd, rep.buf, sizeof(rep.buf));

			if (n < 0) {
				ASSERT_EQ(errno, EAGAIN);
				break;
			}
			rep.len = n;
			ASSERT_EQ(p9_type(&rep), P9_RLERROR);
			ASSERT_LT(p9_tag(&rep), sizeof(seen));
			ASSERT_EQ(seen[p9_tag(&rep)]++, 0);
			got++;
		}
	}
	ASSERT_EQ(most, slots);
	close(ep);
	close(fd);
}

TEST_F(chan, mount_tag_ioctl_copies_tag_and_nul)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	char tag[VIO9P_MOUNT_TAG_SIZE];

	ASSERT_EQ(VIO9P_MOUNT_TAG_SIZE, 33);
	ASSERT_EQ(VIRTIO_9P_TAGLEN, 32);
	memset(tag, 'x', sizeof(tag));
	ASSERT_OK(ioctl(fd, VIO9P_IOC_MOUNT_TAG, tag));
	ASSERT_EQ(strlen(tag), strlen(TAG_MAIN));
	ASSERT_MEM_EQ(tag, TAG_MAIN, strlen(TAG_MAIN) + 1);
	for (size_t i = strlen(TAG_MAIN); i < sizeof(tag); i++)
		ASSERT_EQ(tag[i], 0);
	close(fd);
}

TEST_F(chan, mount_tag_ioctl_of_31_byte_tag)
{
	int fd = chan_open(_metadata, TAG_LONG, 0);
	char tag[VIO9P_MOUNT_TAG_SIZE];

	ASSERT_EQ(strlen(TAG_LONG), 31);
	memset(tag, 'x', sizeof(tag));
	ASSERT_OK(ioctl(fd, VIO9P_IOC_MOUNT_TAG, tag));
	ASSERT_MEM_EQ(tag, TAG_LONG, 32);
	ASSERT_EQ(tag[32], 0);
	close(fd);
}

TEST_F(chan, ioctl_bad_buffer_is_efault_unknown_is_enotty)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	int x = 0;

	ASSERT_ERRNO(ioctl(fd, VIO9P_IOC_MOUNT_TAG, bad_address(_metadata)),
		     EFAULT);
	ASSERT_ERRNO(ioctl(fd, VIO9P_IOC_LIMITS, bad_address(_metadata)),
		     EFAULT);
	ASSERT_ERRNO(ioctl(fd, _IOR(VIO9P_IOC_MAGIC, 99, int), &x), ENOTTY);
	ASSERT_ERRNO(ioctl(fd, _IO('T', 1), 0), ENOTTY);
	close(fd);
}

TEST_F(chan, limits_ioctl_reports_msize_and_slots)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	struct vio9p_limits lim;

	chan_limits(_metadata, fd, &lim);
	ASSERT_EQ(lim.msize, VIO9P_MAX_MSG_SIZE);
	ASSERT_EQ(lim.requests, 8);
	close(fd);
}

/*
 * A request cancelled by a Tflush gets no reply: QEMU gives its buffer
 * back empty when the Tflush caught it before it ran.  That read returns
 * 0 (the slot is free again), not an error: a program that took EIO for
 * a broken channel (vio9p relay does) would give up a healthy one.  A
 * Twalk written right before its Tflush is often caught so under TCG; each
 * round ends with the Rflush, after either the walk's reply or the empty
 * read, and the channel goes on working.
 */
TEST_F(chan, request_cancelled_by_tflush_reads_as_empty_not_eio)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);
	unsigned int empty = 0, answered = 0;
	struct p9msg req, flush, rep;

	chan_session(_metadata, fd);
	for (int round = 0; round < 64; round++) {
		bool walk_done = false, walked = false;

		p9_twalk1(&req, 10, 0, 100, BIG_FILE);
		p9_tflush(&flush, 11, 10);
		chan_send(_metadata, fd, &req);
		chan_send(_metadata, fd, &flush);
		for (;;) {
			ssize_t n = read(fd, rep.buf, sizeof(rep.buf));

			ASSERT_LE(0, n) TH_LOG("round %d: read: %s", round,
					       strerror(errno));
			if (n == 0) {
				ASSERT_FALSE(walk_done);
				walk_done = true;
				empty++;
				continue;
			}
			rep.len = n;
			ASSERT_EQ(n, p9_get32(_metadata, &rep, 0));
			if (p9_tag(&rep) == 11) {
				ASSERT_EQ(P9_TFLUSH + 1, p9_type(&rep));
				break;
			}
			ASSERT_EQ(10, p9_tag(&rep));
			ASSERT_FALSE(walk_done);
			walk_done = true;
			answered++;
			walked = p9_type(&rep) == P9_TWALK + 1;
		}
		ASSERT_TRUE(walk_done) TH_LOG("round %d: Rflush came first", round);
		if (walked) {
			p9_tclunk(&req, 12, 100);
			ASSERT_EQ(0, chan_rpc(_metadata, fd, &req, &rep));
		}
	}
	ASSERT_EQ(0, wait_in_flight(_metadata, TAG_MAIN, 0, 5000));
	ASSERT_EQ(0, chan_stat(_metadata, TAG_MAIN, "slots_in_use"));
	p9_tgetattr(&req, 13, 0);
	ASSERT_EQ(0, chan_rpc(_metadata, fd, &req, &rep));
	ksft_print_msg("64 walks flushed: %u cancelled (an empty read), %u answered\n",
		       empty, answered);
	close(fd);
}

TEST_HARNESS_MAIN
