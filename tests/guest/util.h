/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the guest tests. */
#ifndef VIO9P_TEST_UTIL_H
#define VIO9P_TEST_UTIL_H

#include <stdint.h>
#include <sys/types.h>

#include <vio9p.h>

/* Send SIGUSR1, whose handler has no SA_RESTART, to us after @ms. */
pid_t interrupt_after(unsigned int ms);
/* An address no access succeeds at: a PROT_NONE page. */
void *bad_address(void);
/* Sleep @ms milliseconds. */
void msleep(unsigned int ms);
/* Read counter @name from /sys/class/vio9p/vio9p<N>/stats of @tag. */
uint64_t chan_stat(const char *tag, const char *name);
/* The channel's limits, checked for zeroed reserved fields. */
void chan_limits(int fd, struct vio9p_limits *lim);
/* Fill every request slot with a request nobody reads; returns how many. */
unsigned int chan_fill(int fd, uint16_t first_tag);

#endif /* VIO9P_TEST_UTIL_H */
