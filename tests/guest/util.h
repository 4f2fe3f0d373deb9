/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the guest tests that fail no test themselves:
 * each returns an error for the test to assert on.  Those that check and
 * fail the test are in chan.h.
 */
#ifndef VIO9P_TEST_UTIL_H
#define VIO9P_TEST_UTIL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Wait up to @ms until @pid sleeps in the driver: state S in
 * /proc/PID/stat and a vio9p function in /proc/PID/wchan.  0 when it
 * does; else -1, with what it was doing printed as a '#' line.
 */
int wait_asleep_in_driver(pid_t pid, unsigned int ms);
/*
 * Wait up to @ms for task @tid (a process or a thread) to be asleep in the
 * kernel (state S or D in /proc/<tid>/stat); 0 when it is.
 */
int wait_asleep(pid_t tid, unsigned int ms);
/* Sleep @ms milliseconds. */
void msleep(unsigned int ms);
/* Write @value to the sysfs (or other) file @path; -1 and errno on error. */
int write_file(const char *path, const char *value);
/* Wait up to @ms for a channel with @tag; 0 when there is one. */
int chan_wait(const char *tag, unsigned int ms);
/* Load a module file with parameters; unload a module by name. */
int module_load(const char *path, const char *params);
int module_unload(const char *name);
/*
 * End the other processes of the test's process group (kselftest_harness
 * runs each test as a group leader) and reap them: what a test that failed
 * part way left blocked on a channel would keep it busy for the next test.
 */
void end_test_children(void);

#endif /* VIO9P_TEST_UTIL_H */
