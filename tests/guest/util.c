// SPDX-License-Identifier: GPL-2.0
/* Small helpers shared by the guest tests; see util.h. */
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "p9.h"
#include "util.h"

static void on_usr1(int sig)
{
	(void)sig;
}

int wait_asleep_in_driver(pid_t pid, unsigned int ms)
{
	char path[64], stat[512], wchan[128];
	char state = '?';

	wchan[0] = '\0';
	for (unsigned int waited = 0; waited <= ms; waited += 10) {
		const char *p;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "r");
		if (!f)
			return -1;
		if (!fgets(stat, sizeof(stat), f))
			stat[0] = '\0';
		fclose(f);
		/* The state follows the command name, which may hold spaces. */
		p = strrchr(stat, ')');
		state = p && p[1] == ' ' ? p[2] : '?';
		snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(wchan, sizeof(wchan), f))
				wchan[0] = '\0';
			fclose(f);
		}
		if (state == 'S' && strncmp(wchan, "vio9p", 5) == 0)
			return 0;
		msleep(10);
	}
	TH_LOG("pid %d not asleep in vio9p after %u ms: state %c, wchan '%s'",
	       (int)pid, ms, state, wchan);
	errno = ETIMEDOUT;
	return -1;
}

pid_t interrupt_when_asleep(void)
{
	struct sigaction sa;
	pid_t parent = getpid(), pid;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* The parent's test fails on its own if no signal comes. */
		if (wait_asleep_in_driver(parent, 60000) == 0)
			kill(parent, SIGUSR1);
		_exit(0);
	}
	return pid;
}

void *bad_address(void)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	return p;
}

void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

uint64_t chan_stat(const char *tag, const char *name)
{
	char dev[64], path[160];
	unsigned long long v;
	FILE *f;
	int n;

	ASSERT_EQ(chan_path(tag, dev, sizeof(dev)), 0);
	snprintf(path, sizeof(path), "/sys/class/vio9p/vio9p%s/statistics/%s",
		 dev + strlen("/dev/9p/"), name);
	f = fopen(path, "r");
	if (!f) {
		harness_fail(__FILE__, __LINE__, "no counter %s: %s", path,
			     strerror(errno));
		harness_abort();
	}
	n = fscanf(f, "%llu", &v);
	fclose(f);
	if (n != 1) {
		harness_fail(__FILE__, __LINE__, "%s holds no number", path);
		harness_abort();
	}
	return v;
}

int wait_in_flight(const char *tag, unsigned int n, unsigned int ms)
{
	for (unsigned int waited = 0; waited <= ms; waited += 10) {
		if (chan_stat(tag, "in_flight") <= n)
			return 0;
		msleep(10);
	}
	TH_LOG("%s: %llu requests still in flight after %u ms", tag,
	       (unsigned long long)chan_stat(tag, "in_flight"), ms);
	errno = ETIMEDOUT;
	return -1;
}

int chan_state(const char *tag)
{
	char dev[64], path[128];
	int c;
	FILE *f;

	ASSERT_EQ(chan_path(tag, dev, sizeof(dev)), 0);
	snprintf(path, sizeof(path), "/sys/class/vio9p/vio9p%s/state",
		 dev + strlen("/dev/9p/"));
	f = fopen(path, "r");
	ASSERT_TRUE(f != NULL);
	c = fgetc(f);
	fclose(f);
	return c;
}

void chan_limits(int fd, struct vio9p_limits *lim)
{
	memset(lim, 0xa5, sizeof(*lim));
	ASSERT_OK(ioctl(fd, VIO9P_IOC_LIMITS, lim));
	for (size_t i = 0; i < sizeof(lim->reserved) / 4; i++)
		ASSERT_EQ(lim->reserved[i], 0);
}

unsigned int chan_fill(int fd, uint16_t first_tag)
{
	struct vio9p_limits lim;
	struct p9msg req;

	chan_limits(fd, &lim);
	for (unsigned int i = 0; i < lim.requests; i++) {
		p9_tclunk(&req, first_tag + i, 0xdead0000u + i);
		chan_send(fd, &req);
	}
	return lim.requests;
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

void chan_virtio(const char *tag, char *name, size_t size)
{
	char dev[64], link[128], target[256];
	ssize_t n;

	ASSERT_EQ(chan_path(tag, dev, sizeof(dev)), 0);
	snprintf(link, sizeof(link), "/sys/class/vio9p/vio9p%s/device",
		 dev + strlen("/dev/9p/"));
	n = readlink(link, target, sizeof(target) - 1);
	ASSERT_GT(n, 0);
	target[n] = '\0';
	snprintf(name, size, "%s", basename(target));
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

int wait_asleep(pid_t tid, unsigned int ms)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	for (unsigned int t = 0; t <= ms; t += 10) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return -1;
		buf[n] = '\0';
		/* pid (comm) state ...: comm may hold spaces and parens. */
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && (p[2] == 'S' || p[2] == 'D'))
			return 0;
		msleep(10);
	}
	return -1;
}
