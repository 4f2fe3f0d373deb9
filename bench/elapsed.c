// SPDX-License-Identifier: MIT
/*
 * elapsed.c - run a command and print how long it took, for bench/run.sh.
 *
 *   elapsed [-o file] [-i iofile] command [arg ...]
 *
 * Runs the command with its standard output on @file (default: our own
 * standard output) and prints the wall time it took, in nanoseconds on
 * CLOCK_MONOTONIC, from just before fork(2) to its exit (waitid(2)).
 * With -i, the command's /proc/PID/io (its system calls that read and
 * write: syscr, syscw) is copied to @iofile once it has exited and before
 * it is reaped, after the clock stops.
 * Exits 0 only if the command did; otherwise says why on stderr and
 * prints nothing on stdout, so a failed run can't pass for a fast one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Copy /proc/@pid/io, of an exited child not yet reaped, to @path. */
static int copy_io(pid_t pid, const char *path)
{
	char src[64], buf[1024];
	FILE *in, *out;
	size_t n;
	int rc = 0;

	snprintf(src, sizeof(src), "/proc/%d/io", (int)pid);
	in = fopen(src, "r");
	if (!in) {
		fprintf(stderr, "elapsed: %s: %s\n", src, strerror(errno));
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "elapsed: %s: %s\n", path, strerror(errno));
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (ferror(in))
		rc = -1;
	fclose(in);
	if (fclose(out) != 0)
		rc = -1;
	if (rc < 0)
		fprintf(stderr, "elapsed: copying %s to %s failed\n", src, path);
	return rc;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *io = NULL;
	uint64_t t0, t1;
	int ch, status, fd = -1;
	siginfo_t info;
	pid_t pid;

	while ((ch = getopt(argc, argv, "+o:i:")) != -1) {
		if (ch == 'o')
			out = optarg;
		else if (ch == 'i')
			io = optarg;
		else
			goto usage;
	}
	if (optind >= argc)
		goto usage;
	if (out) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "elapsed: %s: %s\n", out,
				strerror(errno));
			return 1;
		}
	}
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "elapsed: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		if (fd >= 0 && dup2(fd, STDOUT_FILENO) < 0)
			_exit(126);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "elapsed: %s: %s\n", argv[optind],
			strerror(errno));
		_exit(127);
	}
	/* Exited, but left a zombie so that its /proc/PID/io stays. */
	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "elapsed: waitid: %s\n",
				strerror(errno));
			return 1;
		}
	}
	t1 = now_ns();
	if (io && copy_io(pid, io) < 0)
		return 1;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "elapsed: waitpid: %s\n",
				strerror(errno));
			return 1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "elapsed: %s failed (status %#x)\n",
			argv[optind], (unsigned int)status);
		return 1;
	}
	printf("%llu\n", (unsigned long long)(t1 - t0));
	return fclose(stdout) == 0 ? 0 : 1;

usage:
	fprintf(stderr, "usage: elapsed [-o file] [-i iofile] command [arg ...]\n");
	return 1;
}
