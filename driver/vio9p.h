/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the vio9p driver.  main.c owns the device (probe,
 * remove, the virtqueue and its interrupt, sysfs); chan.c owns the character
 * device (open, read, write, poll, ioctl, release).  The design and the
 * locking rules are described at the top of main.c.
 */
#ifndef VIO9P_INTERNAL_H
#define VIO9P_INTERNAL_H

#include <linux/cdev.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <vio9p.h>

struct virtio_device;
struct virtqueue;

/**
 * struct vio9p_buf - a message buffer built from single pages
 * @sgt: one entry per page, in order; what the device is given
 * @pages: the pages
 * @nr_pages: how many
 *
 * Buffers are made of order-0 pages so that a large msize never needs a
 * high-order allocation; the device sees them as a scatter-gather list.
 */
struct vio9p_buf {
	struct sg_table sgt;
	struct page **pages;
	unsigned int nr_pages;
};

/**
 * struct vio9p_req - one request slot: a request and the room for its reply
 * @node: link on vio9p_dev.free or vio9p_dev.done, or on no list while the
 *	request is on the device or being copied to or from userspace
 * @all: link on vio9p_dev.all_reqs from allocation to the final free
 * @gen: vio9p_dev.gen when the request was sent
 * @room: bytes of @rx the device was given for the reply
 * @len: used length of the reply, clamped to @room
 * @tx: the request, vio9p_dev.msize bytes of room
 * @rx: the reply, vio9p_dev.msize bytes of room
 */
struct vio9p_req {
	struct list_head node;
	struct list_head all;
	u64 gen;
	u32 room;
	u32 len;
	struct vio9p_buf tx;
	struct vio9p_buf rx;
};

/**
 * struct vio9p_stats - counters shown in sysfs, guarded by vio9p_dev.lock
 * @submitted: requests handed to the device
 * @completed: replies the device returned
 * @stale: replies dropped because the file that sent the request was closed
 * @bytes_out: bytes of requests handed to the device
 * @bytes_in: bytes of replies delivered to read(2)
 * @resets: device resets after the device asked for one
 */
struct vio9p_stats {
	u64 submitted;
	u64 completed;
	u64 stale;
	u64 bytes_out;
	u64 bytes_in;
	u64 resets;
};

/**
 * struct vio9p_dev - one virtio-9p device and its /dev/9p/<minor> channel
 * @kref: held by the device from probe to remove, and by each open file
 * @reset_lock: serialises the virtqueue's teardown and set-up: a reset at
 *	open(), remove(), freeze and restore
 * @lock: taken from the virtqueue interrupt; guards the lists, the
 *	counters, @gen, the flags, @stats and every virtqueue operation.
 *	The limits, @tag, @minor and @dev are fixed at probe and read
 *	without it; @vq changes under both locks; @vdev under @reset_lock
 * @wq: readers wait here for a reply, writers for a free slot or for room
 *	in the ring
 * @config_work: the configuration interrupt's work: did the device ask
 *	for a reset?
 * @trim_work: frees the slots beyond @max_reqs once stale replies give
 *	them back
 * @free: idle slots
 * @done: replies waiting for read(2), in completion order
 * @all_reqs: every slot allocated and not yet trimmed, for the final free
 * @nr_reqs: slots allocated or being allocated, at most @max_slots
 * @nr_free: slots on @free
 * @nr_busy: requests on the device
 * @nr_stale: those of @nr_busy sent by a file since closed; they hold their
 *	slots until the device answers, but not against the open file's
 *	@max_reqs
 * @max_reqs: the slots one open file may use at once, fixed at probe
 * @max_slots: the slots the virtqueue can carry at once, fixed at probe:
 *	@max_reqs for the open file plus the rest for stale requests
 * @ring: the virtqueue's size at probe; a later virtqueue must be as large
 * @msize: the largest request or reply, fixed at probe
 * @msize_limit: the largest msize the ring allows: a request and its
 *	reply room, one descriptor per page, make a chain no longer than
 *	@ring
 * @gen: generation, advanced at each close; a reply to a request of an
 *	earlier generation is dropped
 * @open: a file has the channel open
 * @gone: the device was removed; every call returns -ENODEV
 * @broken: the device asked to be reset (NEEDS_RESET), or the virtio core
 *	found its ring corrupt; calls fail with -EIO until the next open
 *	resets it
 * @lost: the open file's session died in a suspend (freeze); its calls
 *	fail with -ECONNRESET until it is closed
 * @ring_full: the virtio core refused a request for want of ring room
 *	(-ENOSPC); writers wait, and poll() reports no EPOLLOUT, until the
 *	device completes a request
 * @stats: counters
 * @vdev: the virtio device, valid until remove
 * @vq: the request virtqueue; NULL after remove, while suspended, or
 *	after a reset that failed
 * @dev: the class device behind /dev/9p/<minor>
 * @minor: our minor number
 * @tag: the mount tag, NUL-terminated, fixed at probe
 */
struct vio9p_dev {
	struct kref kref;
	struct mutex reset_lock;	/* see the kernel-doc above */
	spinlock_t lock;		/* see the kernel-doc above */
	wait_queue_head_t wq;
	struct work_struct config_work;
	struct work_struct trim_work;
	struct list_head free;
	struct list_head done;
	struct list_head all_reqs;
	unsigned int nr_reqs;
	unsigned int nr_free;
	unsigned int nr_busy;
	unsigned int nr_stale;
	unsigned int max_reqs;
	unsigned int max_slots;
	unsigned int ring;
	u32 msize;
	u32 msize_limit;
	u64 gen;
	bool open;
	bool gone;
	bool broken;
	bool lost;
	bool ring_full;
	struct vio9p_stats stats;
	struct virtio_device *vdev;
	struct virtqueue *vq;
	struct device *dev;
	int minor;
	char tag[VIO9P_MOUNT_TAG_SIZE];
};

extern const struct file_operations vio9p_fops;

struct vio9p_dev *vio9p_dev_get(unsigned int minor);
void vio9p_dev_put(struct vio9p_dev *vd);
struct vio9p_req *vio9p_req_alloc(u32 msize);
void vio9p_req_free(struct vio9p_req *req);
void vio9p_trim_slots(struct vio9p_dev *vd);
int vio9p_buf_copy_from_iter(struct vio9p_buf *buf, struct iov_iter *from,
			     size_t len);
int vio9p_buf_copy_to_iter(struct iov_iter *to, struct vio9p_buf *buf,
			   size_t len);
void vio9p_buf_trim(struct vio9p_buf *buf, size_t len);

static inline u8 *vio9p_buf_head(struct vio9p_buf *buf)
{
	return page_address(buf->pages[0]);
}

int vio9p_reset(struct vio9p_dev *vd);
void vio9p_mark_broken(struct vio9p_dev *vd, const char *why);

#endif /* VIO9P_INTERNAL_H */
