/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels vio9p supports (6.1 and later).
 * Kbuild detects each one from the kernel's headers and defines a
 * VIO9P_HAVE_* macro; this file turns each into one definition, so that
 * the driver's own files carry no tests.
 */
#ifndef VIO9P_COMPAT_H
#define VIO9P_COMPAT_H

/* struct class's devnode() takes a const device from 6.2 on. */
#ifdef VIO9P_HAVE_CONST_DEVNODE
#define vio9p_devnode_dev const struct device
#else
#define vio9p_devnode_dev struct device
#endif

/* The unaligned access helpers moved to <linux/unaligned.h> in 6.12. */
#ifdef VIO9P_HAVE_LINUX_UNALIGNED
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#endif /* VIO9P_COMPAT_H */
