/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the guest tests. */
#ifndef VIO9P_TEST_UTIL_H
#define VIO9P_TEST_UTIL_H

#include <stdint.h>
#include <sys/types.h>

#include <vio9p.h>

/*
 * Wait up to @ms until @pid sleeps in the driver: state S in
 * /proc/PID/stat and a vio9p function in /proc/PID/wchan.  0 when it
 * does; else -1, with what it was doing logged.
 */
int wait_asleep_in_driver(pid_t pid, unsigned int ms);
/*
 * Send SIGUSR1, whose handler has no SA_RESTART, to us once we sleep in
 * the driver (from a child; returns its pid).
 */
pid_t interrupt_when_asleep(void);
/* An address no access succeeds at: a PROT_NONE page. */
void *bad_address(void);
/* Sleep @ms milliseconds. */
void msleep(unsigned int ms);
/*
 * Wait up to @ms for task @tid (a process or a thread) to be asleep in the
 * kernel (state S or D in /proc/<tid>/stat); 0 when it is.
 */
int wait_asleep(pid_t tid, unsigned int ms);
/* Read counter @name from /sys/class/vio9p/vio9p<N>/statistics/ of @tag. */
uint64_t chan_stat(const char *tag, const char *name);
/* First letter of the state attribute of @tag: 'r'eady, 'n'eeds-reset. */
int chan_state(const char *tag);
/* Wait up to @ms until at most @n requests of @tag are on the device. */
int wait_in_flight(const char *tag, unsigned int n, unsigned int ms);
/* The channel's limits, checked for zeroed reserved fields. */
void chan_limits(int fd, struct vio9p_limits *lim);
/* Fill every request slot with a request nobody reads; returns how many. */
unsigned int chan_fill(int fd, uint16_t first_tag);

/* Write @value to the sysfs (or other) file @path; -1 and errno on error. */
int write_file(const char *path, const char *value);
/* The virtio device ("virtio3") under the channel with @tag, in @name. */
void chan_virtio(const char *tag, char *name, size_t size);
/* Wait up to @ms for a channel with @tag; 0 when there is one. */
int chan_wait(const char *tag, unsigned int ms);
/* Load a module file with parameters; unload a module by name. */
int module_load(const char *path, const char *params);
int module_unload(const char *name);

#endif /* VIO9P_TEST_UTIL_H */
