/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small test harness in the shape of the kernel's kselftest_harness.h.
 *
 *	TEST(name) { ASSERT_EQ(1, 1); }
 *
 * Each test runs in a forked child with a timeout (30 s, or TEST_TIMEOUT()
 * inside the test, called before the slow part), so a hang or a crash fails
 * one test, not the run.  ASSERT_* stops the test, EXPECT_* records the
 * failure and goes on.  SKIP(reason) ends a test as skipped.  Diagnostics
 * are '#' lines with file:line.  The output is TAP version 13; the process
 * exits 0 only if every test passed or was skipped.
 *
 * A program may list tests to run as arguments; by default all run.
 */
#ifndef VIO9P_TEST_HARNESS_H
#define VIO9P_TEST_HARNESS_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct harness_test {
	const char *name;
	void (*fn)(void);
	struct harness_test *next;
};

void harness_register(struct harness_test *t);
void harness_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void harness_abort(void) __attribute__((noreturn));
void harness_skip(const char *file, int line, const char *reason)
	__attribute__((noreturn));
void harness_timeout(unsigned int seconds);

#define TEST(name)							\
	static void test_##name(void);					\
	static struct harness_test harness_##name = {			\
		#name, test_##name, NULL };				\
	__attribute__((constructor)) static void harness_reg_##name(void) \
	{ harness_register(&harness_##name); }				\
	static void test_##name(void)

#define TEST_TIMEOUT(s)	harness_timeout(s)
#define SKIP(reason)	harness_skip(__FILE__, __LINE__, (reason))
#define TH_LOG(...)	do { printf("# " __VA_ARGS__); printf("\n"); \
			     fflush(stdout); } while (0)

#define HARNESS_CMP(a, op, b, fatal) do {				\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (!(_a op _b)) {						\
		harness_fail(__FILE__, __LINE__,			\
			     "%s %s %s: %lld vs %lld (errno %d: %s)",	\
			     #a, #op, #b, _a, _b, errno, strerror(errno)); \
		if (fatal)						\
			harness_abort();				\
	}								\
} while (0)

#define ASSERT_EQ(a, b)	HARNESS_CMP(a, ==, b, 1)
#define ASSERT_NE(a, b)	HARNESS_CMP(a, !=, b, 1)
#define ASSERT_LT(a, b)	HARNESS_CMP(a, <, b, 1)
#define ASSERT_LE(a, b)	HARNESS_CMP(a, <=, b, 1)
#define ASSERT_GT(a, b)	HARNESS_CMP(a, >, b, 1)
#define ASSERT_GE(a, b)	HARNESS_CMP(a, >=, b, 1)
#define ASSERT_TRUE(a)	HARNESS_CMP(!!(a), ==, 1, 1)
#define EXPECT_EQ(a, b)	HARNESS_CMP(a, ==, b, 0)
#define EXPECT_NE(a, b)	HARNESS_CMP(a, !=, b, 0)
#define EXPECT_TRUE(a)	HARNESS_CMP(!!(a), ==, 1, 0)

/* The call must fail with -1 and exactly this errno. */
#define ASSERT_ERRNO(call, err) do {					\
	errno = 0;							\
	long long _r = (long long)(call);				\
	int _e = errno;							\
	if (_r != -1 || _e != (err)) {					\
		harness_fail(__FILE__, __LINE__,			\
			     "%s: want -1/%s, got %lld/%s", #call,	\
			     strerror(err), _r, strerror(_e));		\
		harness_abort();					\
	}								\
} while (0)

/* The call must succeed (not return -1). */
#define ASSERT_OK(call) do {						\
	errno = 0;							\
	if ((long long)(call) == -1) {					\
		harness_fail(__FILE__, __LINE__, "%s: %s", #call,	\
			     strerror(errno));				\
		harness_abort();					\
	}								\
} while (0)

#define ASSERT_MEM_EQ(a, b, n) do {					\
	if (memcmp((a), (b), (n)) != 0) {				\
		harness_fail(__FILE__, __LINE__,			\
			     "%s and %s differ in their %zu bytes",	\
			     #a, #b, (size_t)(n));			\
		harness_abort();					\
	}								\
} while (0)

#endif /* VIO9P_TEST_HARNESS_H */
