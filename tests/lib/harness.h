/* SPDX-License-Identifier: MIT */
/*
 * harness.h - a small kselftest-style test harness writing TAP 13.
 *
 *   TEST(name) { ... }                    a test
 *   FIXTURE(f) { fields };                state shared by setup/test/teardown
 *   FIXTURE_SETUP(f) { self->... }        runs before each TEST_F(f, ...)
 *   FIXTURE_TEARDOWN(f) { ... }           runs after it, also on ASSERT
 *   TEST_F(f, name) { self->... }
 *   FIXTURE_DATA(f)                       the fixture's struct type
 *   TEST_HARNESS_MAIN                     defines main()
 *
 * ASSERT_* stops the test at the first failure; EXPECT_* records it and
 * goes on.  Every test runs in a forked child with an alarm
 * (HARNESS_TIMEOUT seconds, default 30), so a hang or a crash fails one
 * test, not the run.  SKIP(return, "why %d", x) ends a test as skipped.
 * Diagnostics are "# file:line: ..." lines.  The run prints
 * "ok N name" / "not ok N name" / "ok N name # SKIP why", then a final
 * plain line "P passed, F failed", and exits 1 unless passed + skipped
 * equals the plan.  The environment variable HARNESS_FILTER runs only
 * tests whose name contains it.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef HARNESS_TIMEOUT
#define HARNESS_TIMEOUT 30
#endif
#define HARNESS_MAX_TESTS 256
#define HARNESS_EXIT_SKIP 4

struct harness_test {
	const char *name;
	void (*fn)(void);
};

static struct harness_test harness_tests[HARNESS_MAX_TESTS];
static int harness_ntests;
static int harness_failed;		/* in the child: an EXPECT failed */
static void (*harness_teardown)(void);	/* in the child: fixture cleanup */
static char *harness_skip_reason;	/* shared page: child -> parent */

static inline void harness_register(const char *name, void (*fn)(void))
{
	if (harness_ntests == HARNESS_MAX_TESTS) {
		fprintf(stderr, "harness: too many tests\n");
		abort();
	}
	harness_tests[harness_ntests].name = name;
	harness_tests[harness_ntests++].fn = fn;
}

#define TEST(name)                                                         \
	static void harness_test_##name(void);                             \
	__attribute__((constructor)) static void harness_reg_##name(void)  \
	{                                                                  \
		harness_register(#name, harness_test_##name);              \
	}                                                                  \
	static void harness_test_##name(void)

#define FIXTURE(f)                                                         \
	struct fixture_##f;                                                \
	static struct fixture_##f *fixture_self_##f;                       \
	struct fixture_##f

/* The type of a fixture, for helpers that take "self". */
#define FIXTURE_DATA(f) struct fixture_##f

#define FIXTURE_SETUP(f)                                                   \
	static void fixture_setup_##f(struct fixture_##f *self)

#define FIXTURE_TEARDOWN(f)                                                \
	static void fixture_teardown_##f(struct fixture_##f *self);        \
	static void fixture_teardown_hook_##f(void)                        \
	{                                                                  \
		fixture_teardown_##f(fixture_self_##f);                    \
	}                                                                  \
	static void fixture_teardown_##f(struct fixture_##f *self)

#define TEST_F(f, name)                                                    \
	static void harness_body_##f##_##name(struct fixture_##f *self);   \
	static void harness_test_##f##_##name(void)                        \
	{                                                                  \
		struct fixture_##f self;                                   \
		memset(&self, 0, sizeof(self));                            \
		fixture_self_##f = &self;                                  \
		fixture_setup_##f(&self);                                  \
		harness_teardown = fixture_teardown_hook_##f;              \
		harness_body_##f##_##name(&self);                          \
		harness_teardown = NULL;                                   \
		fixture_teardown_##f(&self);                               \
	}                                                                  \
	__attribute__((constructor)) static void                           \
	harness_reg_##f##_##name(void)                                     \
	{                                                                  \
		harness_register(#f "_" #name, harness_test_##f##_##name); \
	}                                                                  \
	static void harness_body_##f##_##name(struct fixture_##f *self)

/* Print a diagnostic line tagged with file:line. */
#define TH_LOG(fmt, ...)                                                   \
	printf("# %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__)

static inline void harness_fail_now(void)
{
	void (*td)(void) = harness_teardown;

	harness_teardown = NULL;
	if (td)
		td();
	fflush(stdout);
	_exit(1);
}

#define SKIP(statement, fmt, ...)                                          \
	do {                                                               \
		snprintf(harness_skip_reason, 256, fmt, ##__VA_ARGS__);    \
		fflush(stdout);                                            \
		if (harness_teardown)                                      \
			harness_teardown();                                \
		_exit(HARNESS_EXIT_SKIP);                                  \
		statement;                                                 \
	} while (0)

/* Compare as intmax_t/uintmax_t depending on the signedness of @a. */
#define HARNESS_CMP(a, b, op, fatal)                                       \
	do {                                                               \
		__typeof__(a) _a = (a);                                    \
		__typeof__(b) _b = (b);                                    \
		if (!(_a op _b)) {                                         \
			TH_LOG("expected %s %s %s (%jd %s %jd)", #a, #op,  \
			       #b, (intmax_t)_a, #op, (intmax_t)_b);       \
			harness_failed = 1;                                \
			if (fatal)                                         \
				harness_fail_now();                        \
		}                                                          \
	} while (0)

#define ASSERT_EQ(a, b) HARNESS_CMP(a, b, ==, 1)
#define ASSERT_NE(a, b) HARNESS_CMP(a, b, !=, 1)
#define ASSERT_LT(a, b) HARNESS_CMP(a, b, <, 1)
#define ASSERT_LE(a, b) HARNESS_CMP(a, b, <=, 1)
#define ASSERT_GT(a, b) HARNESS_CMP(a, b, >, 1)
#define ASSERT_GE(a, b) HARNESS_CMP(a, b, >=, 1)
#define EXPECT_EQ(a, b) HARNESS_CMP(a, b, ==, 0)
#define EXPECT_NE(a, b) HARNESS_CMP(a, b, !=, 0)
#define EXPECT_LT(a, b) HARNESS_CMP(a, b, <, 0)
#define EXPECT_LE(a, b) HARNESS_CMP(a, b, <=, 0)
#define EXPECT_GT(a, b) HARNESS_CMP(a, b, >, 0)
#define EXPECT_GE(a, b) HARNESS_CMP(a, b, >=, 0)
#define ASSERT_TRUE(x) HARNESS_CMP(!!(x), 1, ==, 1)
#define ASSERT_FALSE(x) HARNESS_CMP(!!(x), 0, ==, 1)
#define EXPECT_TRUE(x) HARNESS_CMP(!!(x), 1, ==, 0)
#define EXPECT_FALSE(x) HARNESS_CMP(!!(x), 0, ==, 0)
#define ASSERT_NULL(x) HARNESS_CMP((const void *)(x) == NULL, 1, ==, 1)
#define ASSERT_NONNULL(x)                                                  \
	do {                                                               \
		if ((x) == NULL) {                                         \
			TH_LOG("%s is NULL (errno %d: %s)", #x, errno,     \
			       strerror(errno));                           \
			harness_failed = 1;                                \
			harness_fail_now();                                \
		}                                                          \
	} while (0)

/* @expr must fail with -1 (or NULL for a pointer) and errno @err. */
#define HARNESS_ERRNO(expr, err, fatal)                                    \
	do {                                                               \
		errno = 0;                                                 \
		intmax_t _r = (intmax_t)(intptr_t)(expr);                  \
		int _e = errno;                                            \
		if (!(_r == -1 || _r == 0) || _e != (err)) {               \
			TH_LOG("expected %s to fail with %s (%d), got "    \
			       "%jd, errno %d (%s)", #expr, #err, (err),   \
			       _r, _e, strerror(_e));                      \
			harness_failed = 1;                                \
			if (fatal)                                         \
				harness_fail_now();                        \
		}                                                          \
	} while (0)
#define ASSERT_ERRNO(expr, err) HARNESS_ERRNO(expr, err, 1)
#define EXPECT_ERRNO(expr, err) HARNESS_ERRNO(expr, err, 0)

/* @n bytes at @a equal those at @b; reports the first difference. */
#define HARNESS_MEMEQ(a, b, n, fatal)                                      \
	do {                                                               \
		const unsigned char *_pa = (const void *)(a);              \
		const unsigned char *_pb = (const void *)(b);              \
		size_t _n = (n);                                           \
		for (size_t _i = 0; _i < _n; _i++) {                       \
			if (_pa[_i] != _pb[_i]) {                          \
				TH_LOG("%s and %s differ at byte %zu: "    \
				       "0x%02x != 0x%02x", #a, #b, _i,     \
				       _pa[_i], _pb[_i]);                  \
				harness_failed = 1;                        \
				if (fatal)                                 \
					harness_fail_now();                \
				break;                                     \
			}                                                  \
		}                                                          \
	} while (0)
#define ASSERT_MEMEQ(a, b, n) HARNESS_MEMEQ(a, b, n, 1)
#define EXPECT_MEMEQ(a, b, n) HARNESS_MEMEQ(a, b, n, 0)

/* Run one test in a child; returns 0 pass, 1 fail, 2 skip. */
static inline int harness_run_one(const struct harness_test *t)
{
	int status;
	pid_t pid;

	harness_skip_reason[0] = '\0';
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("# fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		alarm(HARNESS_TIMEOUT);
		t->fn();
		fflush(stdout);
		_exit(harness_failed ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFSIGNALED(status)) {
		if (WTERMSIG(status) == SIGALRM)
			printf("# %s: timed out after %d s\n", t->name,
			       HARNESS_TIMEOUT);
		else
			printf("# %s: killed by signal %d\n", t->name,
			       WTERMSIG(status));
		return 1;
	}
	if (WEXITSTATUS(status) == HARNESS_EXIT_SKIP)
		return 2;
	return WEXITSTATUS(status) == 0 ? 0 : 1;
}

static inline int harness_main(void)
{
	const char *filter = getenv("HARNESS_FILTER");
	int plan = 0, pass = 0, fail = 0, skip = 0, n = 0;

	harness_skip_reason = mmap(NULL, 256, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (harness_skip_reason == MAP_FAILED)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < harness_ntests; i++)
		if (!filter || strstr(harness_tests[i].name, filter))
			plan++;
	printf("TAP version 13\n1..%d\n", plan);
	for (int i = 0; i < harness_ntests; i++) {
		const struct harness_test *t = &harness_tests[i];
		int rc;

		if (filter && !strstr(t->name, filter))
			continue;
		rc = harness_run_one(t);
		n++;
		if (rc == 0) {
			pass++;
			printf("ok %d %s\n", n, t->name);
		} else if (rc == 2) {
			skip++;
			printf("ok %d %s # SKIP %s\n", n, t->name,
			       harness_skip_reason);
		} else {
			fail++;
			printf("not ok %d %s\n", n, t->name);
		}
	}
	printf("# skipped: %d\n", skip);
	printf("%d passed, %d failed\n", pass, fail);
	return pass + skip == plan ? 0 : 1;
}

#define TEST_HARNESS_MAIN                                                  \
	int main(void)                                                     \
	{                                                                  \
		return harness_main();                                     \
	}

#endif
