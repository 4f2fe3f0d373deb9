// SPDX-License-Identifier: MIT
/*
 * elapsed.c - run a command and print how long it took, for bench/run.sh.
 *
 *   elapsed [-o file] command [arg ...]
 *
 * Runs the command with its standard output on @file (default: our own
 * standard output) and prints the wall time it took, in nanoseconds on
 * CLOCK_MONOTONIC, from just before fork(2) to the return of waitpid(2).
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

int main(int argc, char **argv)
{
	const char *out = NULL;
	uint64_t t0, t1;
	int ch, status, fd = -1;
	pid_t pid;

	while ((ch = getopt(argc, argv, "+o:")) != -1) {
		if (ch != 'o')
			goto usage;
		out = optarg;
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
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "elapsed: waitpid: %s\n",
				strerror(errno));
			return 1;
		}
	}
	t1 = now_ns();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "elapsed: %s failed (status %#x)\n",
			argv[optind], (unsigned int)status);
		return 1;
	}
	printf("%llu\n", (unsigned long long)(t1 - t0));
	return fclose(stdout) == 0 ? 0 : 1;

usage:
	fprintf(stderr, "usage: elapsed [-o file] command [arg ...]\n");
	return 1;
}
