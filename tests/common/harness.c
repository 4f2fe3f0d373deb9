// SPDX-License-Identifier: GPL-2.0
/*
 * The harness's runner: forks each registered test with a timeout, in a
 * process group of its own that is killed when the test ends, and writes
 * TAP.  See harness.h.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define EXIT_PASS	0
#define EXIT_FAIL	1
#define EXIT_SKIP	4

static struct harness_test *tests, **tail = &tests;
static int failed;
/* A page shared with the test's child: why it skipped. */
static char *skip_reason;

void harness_register(struct harness_test *t)
{
	*tail = t;
	tail = &t->next;
}

void harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failed = 1;
}

void harness_abort(void)
{
	fflush(stdout);
	_exit(EXIT_FAIL);
}

void harness_skip(const char *file, int line, const char *reason)
{
	printf("# %s:%d: SKIP %s\n", file, line, reason);
	fflush(stdout);
	if (skip_reason)
		snprintf(skip_reason, 4096, "%s", reason);
	_exit(EXIT_SKIP);
}

void harness_timeout(unsigned int seconds)
{
	alarm(seconds);
}

static int selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static int run_one(struct harness_test *t)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("# fork: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGALRM, SIG_DFL);
		alarm(30);
		t->fn();
		fflush(stdout);
		_exit(failed ? EXIT_FAIL : EXIT_PASS);
	}
	setpgid(pid, pid);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_FAIL;
	/* Whatever the test forked dies with it. */
	kill(-pid, SIGKILL);
	if (WIFSIGNALED(status)) {
		printf("# %s: killed by signal %d%s\n", t->name,
		       WTERMSIG(status),
		       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
		return EXIT_FAIL;
	}
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	struct harness_test *t;
	int n = 0, i = 0, bad = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	skip_reason = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (skip_reason == MAP_FAILED)
		skip_reason = NULL;
	for (t = tests; t; t = t->next)
		n += selected(t->name, argc, argv);
	printf("TAP version 13\n1..%d\n", n);
	for (t = tests; t; t = t->next) {
		int rc;

		if (!selected(t->name, argc, argv))
			continue;
		if (skip_reason)
			skip_reason[0] = '\0';
		rc = run_one(t);
		i++;
		if (rc == EXIT_SKIP) {
			printf("ok %d %s # SKIP %s\n", i, t->name,
			       skip_reason ? skip_reason : "");
		} else if (rc == EXIT_PASS) {
			printf("ok %d %s\n", i, t->name);
		} else {
			printf("not ok %d %s\n", i, t->name);
			bad++;
		}
	}
	return bad ? 1 : 0;
}
