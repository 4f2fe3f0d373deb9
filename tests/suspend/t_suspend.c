// SPDX-License-Identifier: GPL-2.0
/*
 * Suspend to RAM and resume with a channel in use (vio9p(4), SUSPEND AND
 * RESUME).  Run in a guest by tests/suspend/run-guest, whose QEMU allows
 * S3 and answers the guest's suspend with system_wakeup over QMP.
 *
 * The device is reset across the suspend, which ends its 9P session, so a
 * file open across it learns that its requests are lost: a blocked read
 * fails with ECONNRESET, and so does every later read or write on it.  A
 * new open works at once.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "rig.h"

/* Suspend to RAM; returns when the host has woken the guest. */
static void suspend_to_ram(METADATA)
{
	TH_LOG("suspending to RAM");
	ASSERT_OK(write_file("/sys/power/state", "mem"));
	TH_LOG("resumed");
}

/* Wait up to @ms for child @pid; its exit status, or -1 if it still runs. */
static int wait_child(METADATA, pid_t pid, unsigned int ms)
{
	int status;

	for (unsigned int t = 0; t <= ms; t += 50) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		ASSERT_GE(r, 0);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		msleep(50);
	}
	return -1;
}

/* A fresh open works: a new session and a request on it. */
static void new_session_works(METADATA)
{
	struct p9msg req, rep;
	int fd;

	fd = chan_open(_metadata, TAG_MAIN, 0);
	chan_session(_metadata, fd);
	p9_tgetattr(&req, 1, 0);
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	ASSERT_EQ(p9_type(&rep), P9_TGETATTR + 1);
	close(fd);
	ASSERT_EQ(chan_state(_metadata, TAG_MAIN), 'r');
}

/*
 * The suite's tests, in order; each sets up what it needs itself.  The
 * teardown ends what a test that failed part way left running.
 */
FIXTURE(suspend) {};
static FIXTURE_SETUP(suspend) {}
static FIXTURE_TEARDOWN(suspend)
{
	end_test_children();
}

TEST_F_TIMEOUT(suspend, blocked_read_fails_with_econnreset_after_resume, 300)
{
	struct p9msg req, rep;
	struct pollfd pfd;
	pid_t pid;
	int fd, rc;

	if (access("/sys/power/state", W_OK) != 0)
		SKIP(return, "no /sys/power/state");
	fd = chan_open(_metadata, TAG_MAIN, 0);
	chan_session(_metadata, fd);

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		ssize_t n = read(fd, rep.buf, sizeof(rep.buf));

		printf("# blocked read returned %zd, errno %d (%s)\n", n,
		       errno, strerror(errno));
		fflush(stdout);
		_exit(n == -1 && errno == ECONNRESET ? 0 : 1);
	}
	ASSERT_OK(wait_asleep(pid, 10000));

	suspend_to_ram(_metadata);
	rc = wait_child(_metadata, pid, 30000);
	if (rc < 0) {
		TH_LOG("the read is still blocked 30 s after resume");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	ASSERT_EQ(rc, 0);

	/* The file's session is gone: it fails until closed. */
	p9_tgetattr(&req, 8, 0);
	ASSERT_ERRNO(write(fd, req.buf, req.len), ECONNRESET);
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), ECONNRESET);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	ASSERT_EQ(poll(&pfd, 1, 0), 1);
	ASSERT_EQ(pfd.revents, POLLERR);
	close(fd);

	/* What the device held is back: nothing in flight, no slot in use. */
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "in_flight"), 0);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "slots_in_use"), 0);
}

TEST_F_TIMEOUT(suspend, fresh_open_works_after_resume, 120)
{
	new_session_works(_metadata);
}

TEST_F_TIMEOUT(suspend, suspend_with_no_file_open_then_a_session_works, 300)
{
	if (access("/sys/power/state", W_OK) != 0)
		SKIP(return, "no /sys/power/state");
	suspend_to_ram(_metadata);
	new_session_works(_metadata);
}

TEST_F_TIMEOUT(suspend, reply_received_before_the_suspend_is_read_then_econnreset, 300)
{
	struct p9msg req, rep;
	struct pollfd pfd;
	int fd;

	if (access("/sys/power/state", W_OK) != 0)
		SKIP(return, "no /sys/power/state");
	fd = chan_open(_metadata, TAG_MAIN, 0);
	chan_session(_metadata, fd);
	p9_tgetattr(&req, 7, 0);
	chan_send(_metadata, fd, &req);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	ASSERT_EQ(poll(&pfd, 1, 10000), 1);
	suspend_to_ram(_metadata);
	chan_recv(_metadata, fd, &rep);
	ASSERT_EQ(p9_tag(&rep), 7);
	ASSERT_EQ(p9_type(&rep), P9_TGETATTR + 1);
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), ECONNRESET);
	close(fd);
	new_session_works(_metadata);
}

TEST_F_TIMEOUT(suspend, requests_of_a_closed_file_do_not_survive_the_suspend, 300)
{
	struct p9msg req;
	int fd;

	if (access("/sys/power/state", W_OK) != 0)
		SKIP(return, "no /sys/power/state");
	fd = chan_open(_metadata, TAG_MAIN, 0);
	chan_session(_metadata, fd);
	for (int i = 0; i < 4; i++) {
		p9_tgetattr(&req, i, 0);
		chan_send(_metadata, fd, &req);
	}
	close(fd);
	suspend_to_ram(_metadata);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "in_flight"), 0);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "stale_in_flight"), 0);
	new_session_works(_metadata);
}

TEST_HARNESS_MAIN
