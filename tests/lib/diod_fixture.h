/* SPDX-License-Identifier: MIT */
/*
 * diod_fixture.h - start a real diod on a unix socket for one test.
 *
 * Setup makes a mktemp -d style directory holding the socket, the log and
 * the exported folder "exp", starts "diod -f -n -c /dev/null -l SOCK
 * -e EXP" as a child that dies with the test (PR_SET_PDEATHSIG), connects
 * and attaches.  Teardown clunks, closes, kills diod and removes the
 * directory; it also runs when an ASSERT fails.  DIOD overrides the
 * server path; a missing server skips the test.
 */
#ifndef DIOD_FIXTURE_H
#define DIOD_FIXTURE_H

#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "asserts.h"
#include "v9p.h"

FIXTURE(diod)
{
	char dir[64];
	char exp[96];
	char sock[96];
	char addr[128];
	char uname[64];
	uint32_t uid;
	pid_t pid;
	struct v9p_session *s;
	struct v9p_fid *root;
};

static const char *diod_path(void)
{
	const char *p = getenv("DIOD");

	return p ? p : "/usr/sbin/diod";
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static pid_t diod_start(const char *dir, const char *sock, const char *exp)
{
	char log[128];
	pid_t pid;

	snprintf(log, sizeof(log), "%s/diod.log", dir);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/*
		 * diod 1.0.24 has been seen to crash at shutdown, and it
		 * turns core dumps on: let a core land in the scratch dir.
		 */
		if (chdir(dir) != 0)
			_exit(127);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(diod_path(), "diod", "-f", "-n", "-c", "/dev/null",
		      "-l", sock, "-e", exp, "-L", log, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int rm_entry(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* Stop diod: SIGTERM, then SIGKILL if it lingers.  Always reaps it. */
static void diod_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		sleep_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static FIXTURE_SETUP(diod)
{
	struct passwd *pw = getpwuid(geteuid());

	if (access(diod_path(), X_OK) != 0)
		SETUP_SKIP("%s not installed (apt-get install diod)",
			   diod_path());
	strcpy(self->dir, "/tmp/v9p-test.XXXXXX");
	ASSERT_NONNULL(mkdtemp(self->dir));
	snprintf(self->exp, sizeof(self->exp), "%s/exp", self->dir);
	snprintf(self->sock, sizeof(self->sock), "%s/sock", self->dir);
	snprintf(self->addr, sizeof(self->addr), "unix:%s", self->sock);
	ASSERT_EQ(mkdir(self->exp, 0755), 0);
	snprintf(self->uname, sizeof(self->uname), "%s",
		 pw ? pw->pw_name : "root");
	self->uid = (uint32_t)geteuid();
	self->pid = diod_start(self->dir, self->sock, self->exp);
	ASSERT_GT(self->pid, 0);
	for (int i = 0; i < 250 && !self->s; i++) {
		self->s = v9p_connect(self->addr, 0);
		if (!self->s)
			sleep_ms(20);
	}
	if (!self->s)
		TH_LOG("could not connect to diod at %s", self->sock);
	ASSERT_NONNULL(self->s);
	self->root = v9p_attach(self->s, self->uname, self->uid, self->exp);
	ASSERT_NONNULL(self->root);
}

static FIXTURE_TEARDOWN(diod)
{
	if (self->root)
		v9p_clunk(self->root);
	self->root = NULL;
	if (self->s)
		v9p_close(self->s);
	self->s = NULL;
	diod_stop(self->pid);
	self->pid = 0;
	if (self->dir[0])
		nftw(self->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Host path of @rel inside the export, in @buf. */
static inline const char *hp(const char *exp, const char *rel, char *buf,
			     size_t n)
{
	snprintf(buf, n, "%s/%s", exp, rel);
	return buf;
}

/* Write @n bytes of @data to host file @path; 0 or -1. */
static inline int host_write(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, data, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

/* Deterministic pseudo-random bytes (xorshift64). */
static inline void fill_pattern(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed | 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

#endif
