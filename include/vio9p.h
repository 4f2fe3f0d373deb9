/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vio9p: a raw 9P channel over a virtio-9p device, for userspace.
 *
 * Each virtio-9p device appears as /dev/9p/<N>.  Open it with
 * O_RDWR | O_EXCL (one consumer at a time), write(2) one whole 9P request
 * per call and read(2) one whole response per call.  The names below follow
 * the illumos vio9p(4D) header so that programs port between the two.
 *
 * This header is usable from plain C without a kernel tree.
 */
#ifndef _UAPI_VIO9P_H
#define _UAPI_VIO9P_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Longest mount tag a virtio-9p device can report, in bytes, without NUL. */
#define VIRTIO_9P_TAGLEN	32

/* Size of the buffer VIO9P_IOC_MOUNT_TAG fills: the tag and its NUL. */
#define VIO9P_MOUNT_TAG_SIZE	(VIRTIO_9P_TAGLEN + 1)

/* Shortest 9P message: size[4] type[1] tag[2]. */
#define VIO9P_MIN_MSG_SIZE	7

/*
 * Largest request or response the driver carries, in bytes, by default.
 * On Linux the max_msize module parameter may raise a channel's limit (up
 * to 1 MiB, and to what the device's queue allows: sysfs msize_limit):
 * VIO9P_IOC_LIMITS reports the one in force.
 */
#define VIO9P_MAX_MSG_SIZE	8192

/* The one ioctl magic number of vio9p. */
#define VIO9P_IOC_MAGIC		'9'

/*
 * VIO9P_IOC_MOUNT_TAG - read the device's mount tag.
 *
 * The caller passes a buffer of VIO9P_MOUNT_TAG_SIZE bytes.  The driver
 * fills it with the tag as the device reported it (clamped to
 * VIRTIO_9P_TAGLEN bytes) and a terminating NUL; the tag is empty when the
 * device offers none.  Errors: EFAULT (bad buffer), ENODEV (device gone).
 */
#define VIO9P_IOC_MOUNT_TAG	_IOR(VIO9P_IOC_MAGIC, 1, char[VIO9P_MOUNT_TAG_SIZE])

/**
 * struct vio9p_limits - what one channel can carry (a Linux addition)
 * @msize: largest request or response in bytes; negotiate an msize no
 *	larger than this in Tversion
 * @requests: request slots of the device: how many requests may be in
 *	flight before a write blocks or fails with EAGAIN
 * @reserved: zero
 */
struct vio9p_limits {
	__u32 msize;
	__u32 requests;
	__u32 reserved[6];
};

/*
 * VIO9P_IOC_LIMITS - read the channel's limits (a Linux addition).
 *
 * The caller passes a struct vio9p_limits; the driver fills every field,
 * reserved ones with zero.  Errors: EFAULT (bad buffer), ENODEV (device
 * gone).
 */
#define VIO9P_IOC_LIMITS	_IOR(VIO9P_IOC_MAGIC, 2, struct vio9p_limits)

#endif /* _UAPI_VIO9P_H */
