// SPDX-License-Identifier: GPL-2.0
/* Small helpers shared by the guest tests; see util.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "p9.h"
#include "util.h"

void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

int write_file(const char *path, const char *value)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, value, strlen(value));
	if (n != (ssize_t)strlen(value)) {
		int e = n < 0 ? errno : EIO;

		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

int chan_wait(const char *tag, unsigned int ms)
{
	char path[64];

	for (unsigned int t = 0; t <= ms; t += 50) {
		if (chan_path(tag, path, sizeof(path)) == 0 &&
		    access(path, F_OK) == 0)
			return 0;
		msleep(50);
	}
	return -1;
}

int module_load(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret, e;

	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, params, 0);
	e = errno;
	close(fd);
	errno = e;
	return ret;
}

int module_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK);
}

/*
 * The state letter of task @tid (/proc/<tid>/stat: "pid (comm) S ...",
 * where comm may hold spaces and parentheses) and, when @wchan is not
 * NULL, the kernel function it sleeps in (/proc/<tid>/wchan, "" if none).
 * 0, or -1 when the task is gone.
 */
static int task_state(pid_t tid, char *state, char *wchan, size_t size)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	*state = p && p[1] == ' ' ? p[2] : '?';
	if (!wchan)
		return 0;
	wchan[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, wchan, size - 1);
	close(fd);
	wchan[n > 0 ? n : 0] = '\0';
	return 0;
}

int wait_asleep(pid_t tid, unsigned int ms)
{
	char state;

	for (unsigned int t = 0; t <= ms; t += 10) {
		if (task_state(tid, &state, NULL, 0) < 0)
			return -1;
		if (state == 'S' || state == 'D')
			return 0;
		msleep(10);
	}
	return -1;
}

int wait_asleep_in_driver(pid_t pid, unsigned int ms)
{
	char state = '?', wchan[128] = "";

	for (unsigned int t = 0; t <= ms; t += 10) {
		if (task_state(pid, &state, wchan, sizeof(wchan)) < 0)
			return -1;
		if (state == 'S' && strncmp(wchan, "vio9p", 5) == 0)
			return 0;
		msleep(10);
	}
	printf("# pid %d not asleep in vio9p after %u ms: state %c, wchan '%s'\n",
	       (int)pid, ms, state, wchan);
	errno = ETIMEDOUT;
	return -1;
}

void end_test_children(void)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;

	/* An ignored signal is discarded: the test's own process stays. */
	sigaction(SIGTERM, &ign, &old);
	kill(0, SIGTERM);
	sigaction(SIGTERM, &old, NULL);
	/* Reap them; one that outlives SIGTERM for 2 s is left to init. */
	for (int t = 0; t < 200 && waitpid(-1, NULL, WNOHANG) >= 0; t++)
		msleep(10);
}
