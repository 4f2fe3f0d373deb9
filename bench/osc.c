// SPDX-License-Identifier: MIT
/*
 * osc.c - open-stat-close latency of one file, for bench/run.sh.
 *
 *   osc [-s SIZE] PATH N   N times open(2) O_RDONLY, fstat(2), close(2)
 *   osc -a CHANNEL [-A ANAME] [-s SIZE] FILE N
 *                          N times, through libvio9p on CHANNEL (a
 *                          /dev/9p/<N> device or "unix:PATH"): Twalk
 *                          from the root to FILE, Tlopen O_RDONLY,
 *                          Tgetattr (V9P_GETATTR_BASIC), Tclunk
 *   osc -p N               N round trips of one byte between this process
 *                          and a child over a unix socketpair: the cost
 *                          of waking another process and being woken by
 *                          it, which a relay adds to each request
 *
 * Prints the mean wall time of one iteration in nanoseconds, on
 * CLOCK_MONOTONIC around the whole loop.  In the second form the session
 * (Tversion, Tattach) is made before the clock starts, as a mount is made
 * before the first form runs; the four requests are what v9fs sends for
 * one open(2), fstat(2) and close(2) of a file it has no fid for, less
 * what it adds (a second Twalk and Tgetattr at lookup with cache=none).
 * Every iteration must succeed and find a regular file (of SIZE bytes,
 * with -s); otherwise osc says why on stderr, prints nothing on stdout
 * and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "v9p.h"

/* -s: the size every stat must report; -1: any. */
static long long want_size = -1;

/* Whether @size is the size asked for; says why not on stderr. */
static int size_ok(const char *path, unsigned long i, long long size)
{
	if (want_size < 0 || size == want_size)
		return 1;
	fprintf(stderr, "osc: %s: iteration %lu: size %lld, not %lld\n", path,
		i + 1, size, want_size);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int by_path(const char *path, unsigned long n)
{
	struct stat st;
	int fd;

	for (unsigned long i = 0; i < n; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "osc: open %s: %s\n", path,
				strerror(errno));
			return -1;
		}
		if (fstat(fd, &st) < 0) {
			fprintf(stderr, "osc: fstat %s: %s\n", path,
				strerror(errno));
			close(fd);
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "osc: %s: not a regular file\n", path);
			close(fd);
			return -1;
		}
		if (!size_ok(path, i, (long long)st.st_size)) {
			close(fd);
			return -1;
		}
		if (close(fd) < 0) {
			fprintf(stderr, "osc: close %s: %s\n", path,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int by_9p(struct v9p_fid *root, const char *file, unsigned long n)
{
	struct v9p_attr attr;
	struct v9p_fid *f;

	for (unsigned long i = 0; i < n; i++) {
		f = v9p_walk(root, file);
		if (!f) {
			fprintf(stderr, "osc: walk %s: %s\n", file,
				strerror(errno));
			return -1;
		}
		if (v9p_lopen(f, O_RDONLY) < 0 ||
		    v9p_getattr(f, V9P_GETATTR_BASIC, &attr) < 0) {
			fprintf(stderr, "osc: lopen/getattr %s: %s\n", file,
				strerror(errno));
			v9p_clunk(f);
			return -1;
		}
		if (!S_ISREG(attr.mode)) {
			fprintf(stderr, "osc: %s: not a regular file\n", file);
			v9p_clunk(f);
			return -1;
		}
		if (!size_ok(file, i, (long long)attr.size)) {
			v9p_clunk(f);
			return -1;
		}
		if (v9p_clunk(f) < 0) {
			fprintf(stderr, "osc: clunk %s: %s\n", file,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The child echoes each byte back until the parent closes its end. */
static void echo_child(int sk)
{
	char c;

	while (read(sk, &c, 1) == 1)
		if (write(sk, &c, 1) != 1)
			_exit(1);
	_exit(0);
}

static int ping_pong(unsigned long n)
{
	int sk[2], status, rc = 0;
	pid_t pid;
	char c = 'p';

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sk) < 0) {
		fprintf(stderr, "osc: socketpair: %s\n", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "osc: fork: %s\n", strerror(errno));
		close(sk[0]);
		close(sk[1]);
		return -1;
	}
	if (pid == 0) {
		close(sk[0]);
		echo_child(sk[1]);
	}
	close(sk[1]);
	for (unsigned long i = 0; i < n && rc == 0; i++) {
		if (write(sk[0], &c, 1) != 1 || read(sk[0], &c, 1) != 1) {
			fprintf(stderr, "osc: ping-pong: %s\n",
				errno ? strerror(errno) : "the child is gone");
			rc = -1;
		}
	}
	close(sk[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "osc: ping-pong: the child failed\n");
		rc = -1;
	}
	return rc;
}

static int parse_n(const char *s, unsigned long *n)
{
	char *end;

	errno = 0;
	*n = strtoul(s, &end, 10);
	return errno || end == s || *end || *n == 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *chan = NULL, *aname = "";
	struct v9p_session *s = NULL;
	struct v9p_fid *root = NULL;
	unsigned long n;
	uint64_t t0, t1;
	int ch, rc, pp = 0;

	while ((ch = getopt(argc, argv, "a:A:ps:")) != -1) {
		if (ch == 'a')
			chan = optarg;
		else if (ch == 'A')
			aname = optarg;
		else if (ch == 'p')
			pp = 1;
		else if (ch == 's' && parse_n(optarg, &n) == 0 &&
			 n <= LLONG_MAX)
			want_size = (long long)n;
		else
			goto usage;
	}
	if (pp) {
		if (chan || want_size >= 0 || argc - optind != 1 ||
		    parse_n(argv[optind], &n) < 0)
			goto usage;
		t0 = now_ns();
		rc = ping_pong(n);
		t1 = now_ns();
		goto out;
	}
	if (argc - optind != 2 || parse_n(argv[optind + 1], &n) < 0)
		goto usage;
	if (chan) {
		s = v9p_connect(chan, 0);
		if (!s) {
			fprintf(stderr, "osc: %s: %s\n", chan, strerror(errno));
			return 1;
		}
		/* The guest has no user database: the name is a formality
		 * next to the uid (9P2000.L's n_uname). */
		root = v9p_attach(s, "root", (uint32_t)geteuid(), aname);
		if (!root) {
			fprintf(stderr, "osc: attach %s: %s\n", chan,
				strerror(errno));
			v9p_close(s);
			return 1;
		}
	}
	t0 = now_ns();
	rc = chan ? by_9p(root, argv[optind], n) : by_path(argv[optind], n);
	t1 = now_ns();
	if (chan) {
		v9p_clunk(root);
		v9p_close(s);
	}
out:
	if (rc < 0)
		return 1;
	printf("%" PRIu64 "\n", (t1 - t0) / n);
	return fclose(stdout) == 0 ? 0 : 1;

usage:
	fprintf(stderr,
		"usage: osc [-s SIZE] PATH N | osc -a CHANNEL [-A ANAME] [-s SIZE] FILE N | osc -p N\n");
	return 1;
}
