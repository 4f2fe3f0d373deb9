/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's kselftest harness (kselftest_harness.h, extracted from the
 * linux-source package by mk/ksft.mk) and the assertions it lacks, built
 * from its own ASSERT_* and EXPECT_*:
 *
 *	ASSERT_ERRNO(call, err)	call returns -1 (NULL for a pointer) with
 *	EXPECT_ERRNO(call, err)	errno exactly err
 *	ASSERT_OK(call)		call does not return -1 (errno is logged)
 *	ASSERT_NONNULL(ptr)	ptr is not NULL (errno is logged)
 *	ASSERT_MEM_EQ(a, b, n)	n bytes at a and b are equal (the first
 *	EXPECT_MEM_EQ(a, b, n)	difference is logged)
 *
 * A helper that asserts takes the test's _metadata as its first parameter,
 * declared with METADATA, as the kernel's own selftests' helpers do.
 *
 * Include this instead of kselftest_harness.h: it sends the harness's
 * diagnostics (TH_LOG, failed assertions) to standard output, into the TAP
 * stream beside the case they explain, line-buffered so that a test that
 * ends in _exit() or abort() (as a failed ASSERT does) loses none.
 */
#ifndef VIO9P_TEST_ASSERTS_H
#define VIO9P_TEST_ASSERTS_H

#define TH_LOG_STREAM stdout
#include <kselftest_harness.h>

#define METADATA struct __test_metadata *_metadata

/*
 * SKIP from a FIXTURE_SETUP.  The 6.1 harness's TEST_F wrapper goes on to
 * the test after a setup that skipped (it stops only on a setup that
 * failed), and its test process exits as skipped (status 255) whenever
 * SKIP was called, before it looks at the result: so the setup marks
 * itself not passed as well, which stops the wrapper, and the test is
 * still reported as a skip with this reason.
 */
#define SETUP_SKIP(fmt, ...)						\
	SKIP({ _metadata->passed = 0; return; }, fmt, ##__VA_ARGS__)

static void __attribute__((constructor)) asserts_line_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/*
 * @call fails: it returns -1, or NULL when it returns a pointer, with
 * errno exactly @err.  KIND is ASSERT or EXPECT.
 */
#define ERRNO_IS(KIND, call, err) do {					\
	long long _call_r;						\
	int _call_e;							\
	const int _call_ptr = __builtin_classify_type(call) == 5;	\
									\
	errno = 0;							\
	_call_r = (long long)(intptr_t)(call);				\
	_call_e = errno;						\
	KIND##_EQ(_call_ptr ? 0 : -1, _call_r)				\
		TH_LOG("%s: want %s with %s", #call,			\
		       _call_ptr ? "NULL" : "-1", strerror(err));	\
	KIND##_EQ((err), _call_e)					\
		TH_LOG("%s: want %s, got %s", #call, strerror(err),	\
		       strerror(_call_e));				\
} while (0)
#define ASSERT_ERRNO(call, err)	ERRNO_IS(ASSERT, call, err)
#define EXPECT_ERRNO(call, err)	ERRNO_IS(EXPECT, call, err)

#define ASSERT_OK(call) do {						\
	long long _call_r;						\
	int _call_e;							\
									\
	errno = 0;							\
	_call_r = (long long)(call);					\
	_call_e = errno;						\
	ASSERT_NE(-1, _call_r)						\
		TH_LOG("%s: %s", #call, strerror(_call_e));		\
} while (0)

#define ASSERT_NONNULL(ptr) do {					\
	const void *_ptr_p;						\
	int _ptr_e;							\
									\
	errno = 0;							\
	_ptr_p = (ptr);							\
	_ptr_e = errno;							\
	ASSERT_NE(NULL, _ptr_p)						\
		TH_LOG("%s is NULL: %s", #ptr, strerror(_ptr_e));	\
} while (0)

#define MEM_EQ(KIND, a, b, n) do {					\
	size_t _mem_n = (n), _mem_i = 0;				\
	const unsigned char *_mem_a = (const void *)(a);		\
	const unsigned char *_mem_b = (const void *)(b);		\
									\
	while (_mem_i < _mem_n && _mem_a[_mem_i] == _mem_b[_mem_i])	\
		_mem_i++;						\
	KIND##_EQ(_mem_n, _mem_i)					\
		TH_LOG("%s and %s differ at byte %zu of %zu: 0x%02x != 0x%02x", \
		       #a, #b, _mem_i, _mem_n, _mem_a[_mem_i],		\
		       _mem_b[_mem_i]);					\
} while (0)
#define ASSERT_MEM_EQ(a, b, n)	MEM_EQ(ASSERT, a, b, n)
#define EXPECT_MEM_EQ(a, b, n)	MEM_EQ(EXPECT, a, b, n)

#endif /* VIO9P_TEST_ASSERTS_H */
