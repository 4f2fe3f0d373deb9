// SPDX-License-Identifier: GPL-2.0
/*
 * vio9p character device: the file operations behind /dev/9p/<minor>.
 *
 * A write(2) is one request and a read(2) one reply; main.c describes the
 * life of a request from write to virtqueue to interrupt to read, and the
 * locking.  The file operations take iov_iters (write_iter, read_iter), so
 * a writev(2) is one request too, gathered from all its iovecs (a client
 * can send a header and the data behind it without joining them first),
 * and a readv(2) takes one reply, scattered over its iovecs.  Lengths and
 * checks apply to the call's total, as if the iovecs were one buffer.
 * A splice(2) from a pipe is one request as well: iter_file_splice_write()
 * hands write_iter the pipe's pages, up to the length asked, as a single
 * bvec iterator, so a client can send a Twrite's header from its memory and
 * its data from the page cache (spliced into the pipe) with one copy only,
 * the one into the slot.
 *
 * Every function here that sleeps does so on vio9p_dev.wq with
 * vio9p_dev.lock as the condition's lock, and checks vio9p_dev.gone after
 * every wake-up.
 *
 * The driver checks three things in a request, so that a malformed one
 * fails here instead of upsetting the device: it is at least
 * VIO9P_MIN_MSG_SIZE bytes (else EINVAL), at most the device's msize
 * (vio9p_dev.msize: VIO9P_MAX_MSG_SIZE unless the max_msize parameter
 * raised it; else EMSGSIZE), and its size[4] equals the write's length
 * (else EINVAL).  It changes two things, so that no reply can outgrow the
 * reply buffer (QEMU marks the device broken when a reply does not fit):
 * a Tversion asking for an msize above the device's has it lowered to the
 * device's, and a Tread or Treaddir asking for more data than a reply of
 * the device's msize holds has its count lowered to what fits (9P lets a
 * server return less than asked; QEMU does not lower it by itself).  Every
 * other request gets reply room of 8192 bytes or its own length, whichever
 * is more, since a reply may echo the request's strings.
 *
 * A file's calls fail with ENODEV once the device is gone, ECONNRESET
 * once its session died in a suspend, and EIO while the device must be
 * reset; write(2) never passes on the virtio core's ENOSPC (it waits for
 * room in the ring instead).
 *
 * Messages live in buffers of single pages (struct vio9p_buf) that the
 * device sees as scatter-gather lists; the 9P header is always within the
 * first page.
 */

#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/scatterlist.h>
#include <linux/uaccess.h>
#include <linux/virtio.h>

#include "compat.h"
#include "vio9p.h"

#define P9_TREADDIR		40
#define P9_TVERSION		100
#define P9_TREAD		116
/* Offsets: Tversion's msize[4]; Tread's and Treaddir's count[4]. */
#define P9_TVERSION_MSIZE	7
#define P9_TREAD_COUNT		19
/* Rread and Rreaddir: size[4] type[1] tag[2] count[4], then the data. */
#define P9_RREAD_HDR		11

/*
 * Why the open file can send nothing: the device is gone (-ENODEV), the
 * file's session died in a suspend (-ECONNRESET), or the device must be
 * reset (-EIO); 0 if it can.
 */
static int vio9p_chan_error(struct vio9p_dev *vd)
{
	lockdep_assert_held(&vd->lock);
	if (vd->gone)
		return -ENODEV;
	if (vd->lost)
		return -ECONNRESET;
	if (vd->broken)
		return -EIO;
	return 0;
}

/*
 * The slots the open file has: on the device, with a reply waiting, or
 * between lists in a read or write.  Slots that stale requests hold on the
 * device are not the file's.
 */
static unsigned int vio9p_owned(struct vio9p_dev *vd)
{
	lockdep_assert_held(&vd->lock);
	return vd->nr_reqs - vd->nr_free - vd->nr_stale;
}

/* Can a writer get a slot, and the ring take its request, without sleeping? */
static bool vio9p_can_write(struct vio9p_dev *vd)
{
	lockdep_assert_held(&vd->lock);
	return vio9p_owned(vd) < vd->max_reqs && !vd->ring_full &&
	       (vd->nr_free || vd->nr_reqs < vd->max_slots);
}

/**
 * vio9p_put_slot() - return a slot to the free list and wake a writer
 * @vd: the device
 * @req: a slot on no list
 */
static void vio9p_put_slot(struct vio9p_dev *vd, struct vio9p_req *req)
{
	spin_lock_irq(&vd->lock);
	list_add(&req->node, &vd->free);
	vd->nr_free++;
	spin_unlock_irq(&vd->lock);
	wake_up_interruptible(&vd->wq);
}

/**
 * vio9p_get_slot() - take a free slot, allocating or waiting for one
 * @vd: the device
 * @nonblock: fail with -EAGAIN instead of sleeping
 *
 * Return: a slot on no list, or ERR_PTR(-EAGAIN, -ERESTARTSYS, -ENODEV,
 * -ECONNRESET, -EIO or -ENOMEM).
 */
static struct vio9p_req *vio9p_get_slot(struct vio9p_dev *vd, bool nonblock)
{
	struct vio9p_req *req;
	int ret;

	spin_lock_irq(&vd->lock);
	for (;;) {
		ret = vio9p_chan_error(vd);
		if (ret)
			goto out_unlock;
		if (vio9p_owned(vd) < vd->max_reqs) {
			req = list_first_entry_or_null(&vd->free,
						       struct vio9p_req, node);
			if (req) {
				list_del_init(&req->node);
				vd->nr_free--;
				spin_unlock_irq(&vd->lock);
				return req;
			}
			if (vd->nr_reqs < vd->max_slots)
				break;
		}
		if (nonblock) {
			ret = -EAGAIN;
			goto out_unlock;
		}
		ret = wait_event_interruptible_lock_irq(vd->wq,
							vio9p_chan_error(vd) ||
							vio9p_can_write(vd),
							vd->lock);
		if (ret)
			goto out_unlock;
	}

	/* Claim the right to a new slot, then allocate it unlocked. */
	vd->nr_reqs++;
	spin_unlock_irq(&vd->lock);
	req = vio9p_req_alloc(vd->msize);
	spin_lock_irq(&vd->lock);
	if (!req) {
		/* A writer that saw the pool full may take the claim now. */
		vd->nr_reqs--;
		spin_unlock_irq(&vd->lock);
		wake_up_interruptible(&vd->wq);
		return ERR_PTR(-ENOMEM);
	}
	list_add(&req->all, &vd->all_reqs);
	spin_unlock_irq(&vd->lock);
	return req;

out_unlock:
	spin_unlock_irq(&vd->lock);
	return ERR_PTR(ret);
}

/**
 * vio9p_submit() - hand a filled slot to the device
 * @vd: the device
 * @req: the slot, on no list
 * @len: bytes of request in @req->tx
 * @room: bytes of @req->rx the reply may use
 * @nonblock: fail with -EAGAIN instead of waiting for room in the ring
 *
 * The kick happens under the lock so that it cannot race with remove()
 * deleting the virtqueue.  The chain is never longer than the ring
 * (vio9p_set_limits()), so the virtio core's -ENOSPC means only that its
 * GFP_ATOMIC indirect table could not be had and the ring, which would
 * take the chain instead, holds other requests: wait for the device to
 * give some back (vio9p_dev.ring_full, which also keeps poll() from
 * reporting EPOLLOUT meanwhile), then try again.  A ring the core found corrupt marks
 * the channel broken.
 *
 * Return: 0, or -ENODEV if the device is gone, -ECONNRESET if the file's
 * session died in a suspend, -EIO if the device is broken, -EAGAIN,
 * -ERESTARTSYS, or -ENOMEM.
 */
static int vio9p_submit(struct vio9p_dev *vd, struct vio9p_req *req, u32 len,
			u32 room, bool nonblock)
{
	struct scatterlist *sgs[2] = { req->tx.sgt.sgl, req->rx.sgt.sgl };
	int ret;

	vio9p_buf_trim(&req->tx, len);
	vio9p_buf_trim(&req->rx, room);
	req->room = room;

	spin_lock_irq(&vd->lock);
	for (;;) {
		ret = vio9p_chan_error(vd);
		if (ret)
			goto out_unlock;
		if (WARN_ON_ONCE(!vd->vq)) {
			/* Only while suspended, when no task runs here. */
			ret = -EIO;
			goto out_unlock;
		}
		req->gen = vd->gen;
		ret = virtqueue_add_sgs(vd->vq, sgs, 1, 1, req, GFP_ATOMIC);
		if (ret != -ENOSPC)
			break;
		if (!vd->nr_busy) {
			/* An empty ring takes any chain: cannot happen. */
			ret = -ENOMEM;
			goto out_unlock;
		}
		vd->ring_full = true;
		if (nonblock) {
			ret = -EAGAIN;
			goto out_unlock;
		}
		ret = wait_event_interruptible_lock_irq(vd->wq,
							vio9p_chan_error(vd) ||
							!vd->ring_full,
							vd->lock);
		if (ret)
			goto out_unlock;
	}
	if (ret) {
		if (virtqueue_is_broken(vd->vq)) {
			spin_unlock_irq(&vd->lock);
			vio9p_mark_broken(vd, "virtqueue is broken");
			return -EIO;
		}
		goto out_unlock;
	}
	vd->nr_busy++;
	vd->stats.submitted++;
	vd->stats.bytes_out += len;
	virtqueue_kick(vd->vq);
out_unlock:
	spin_unlock_irq(&vd->lock);
	return ret;
}

/*
 * Lower the requests whose replies could outgrow the reply buffer: a
 * Tversion's msize, and the count of a Tread or Treaddir, which QEMU
 * honours even past the session's msize and then gives up on the device.
 *
 * Return: the room the reply needs, at most @msize.  A Tread's or
 * Treaddir's is its count and header.  Other replies get 8192 bytes, the
 * illumos contract, or the request's own length if that is more: a reply
 * that echoes a string of its request, as QEMU's Rgetlock echoes the
 * client_id of a Tgetlock, is shorter than the request.  The device
 * maps only this much of the buffer, so a small request costs it two
 * pages, not a whole large msize.
 */
static u32 vio9p_clamp_request(u8 *msg, size_t len, u32 msize)
{
	u32 room = min_t(u32, msize, VIO9P_MAX_MSG_SIZE);
	u32 count;

	room = max_t(u32, room, len);
	switch (msg[4]) {
	case P9_TVERSION:
		if (len >= P9_TVERSION_MSIZE + 4 &&
		    get_unaligned_le32(msg + P9_TVERSION_MSIZE) > msize)
			put_unaligned_le32(msize, msg + P9_TVERSION_MSIZE);
		return msize;
	case P9_TREAD:
	case P9_TREADDIR:
		if (len < P9_TREAD_COUNT + 4)
			return msize;
		count = get_unaligned_le32(msg + P9_TREAD_COUNT);
		if (count > msize - P9_RREAD_HDR) {
			count = msize - P9_RREAD_HDR;
			put_unaligned_le32(count, msg + P9_TREAD_COUNT);
		}
		return max(room, count + P9_RREAD_HDR);
	default:
		return room;
	}
}

/* A call that must not sleep: O_NONBLOCK, or io_uring's IOCB_NOWAIT. */
static bool vio9p_nowait(const struct kiocb *iocb)
{
	return (iocb->ki_filp->f_flags & O_NONBLOCK) ||
	       (iocb->ki_flags & IOCB_NOWAIT);
}

/**
 * vio9p_write_iter() - send one 9P request
 * @iocb: the call; its file is the open channel
 * @from: the request, in one buffer (write(2)) or several (writev(2))
 *
 * One call is one request, however many iovecs it comes in: a writev(2)
 * of a header and the data behind it is the same request as a write(2)
 * of the two put together.  Its total length must equal its size[4].
 * The whole request is sent or nothing is: a fault in any iovec fails
 * the call with -EFAULT before the device sees anything, and the slot
 * goes back to the free list.
 *
 * Return: the request's length, or -EINVAL, -EMSGSIZE, -EFAULT, -EAGAIN,
 * -ERESTARTSYS, -ENODEV, -ECONNRESET, -EIO or -ENOMEM.
 */
static ssize_t vio9p_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct vio9p_dev *vd = file->private_data;
	size_t count = iov_iter_count(from);
	bool nonblock = vio9p_nowait(iocb);
	struct vio9p_req *req;
	u32 room;
	u8 *head;
	int ret;

	if (count < VIO9P_MIN_MSG_SIZE)
		return -EINVAL;
	if (count > vd->msize)
		return -EMSGSIZE;

	req = vio9p_get_slot(vd, nonblock);
	if (IS_ERR(req))
		return PTR_ERR(req);

	ret = vio9p_buf_copy_from_iter(&req->tx, from, count);
	if (ret)
		goto out_put_slot;
	head = vio9p_buf_head(&req->tx);
	if (get_unaligned_le32(head) != count) {
		ret = -EINVAL;
		goto out_put_slot;
	}
	room = vio9p_clamp_request(head, count, vd->msize);

	ret = vio9p_submit(vd, req, count, room, nonblock);
	if (ret)
		goto out_put_slot;
	return count;

out_put_slot:
	vio9p_put_slot(vd, req);
	return ret;
}

/*
 * The length of a reply: its size[4], but never more than the device said
 * it wrote (req->len, itself clamped to the buffer), so that no more of
 * the buffer is handed out than the device claims to have filled.  Less
 * than a 9P header is no reply at all: 0.
 */
static u32 vio9p_reply_len(struct vio9p_req *req)
{
	u32 len = req->len;

	if (len >= 4)
		len = min(get_unaligned_le32(vio9p_buf_head(&req->rx)), len);
	return len < VIO9P_MIN_MSG_SIZE ? 0 : len;
}

/**
 * vio9p_read_iter() - receive one 9P reply
 * @iocb: the call; its file is the open channel
 * @to: room for the reply, in one buffer (read(2)) or several (readv(2));
 *	too little in all gets -EOVERFLOW and the reply stays queued
 *
 * One call takes one reply, spread over the iovecs in order.  Replies
 * that arrived before the device broke, or before a suspend, are still
 * delivered; then a broken device gives -EIO, and a file open across a
 * suspend -ECONNRESET.  A request the device gave back with nothing
 * written (cancelled by a Tflush) reads as 0 bytes; a reply of 1 to 6
 * bytes is dropped and its read fails with -EIO.  A fault in any iovec
 * is -EFAULT, and the reply stays first in line.
 *
 * Return: the reply's length, 0, or -EOVERFLOW, -EFAULT, -EAGAIN,
 * -ERESTARTSYS, -EIO, -ECONNRESET or -ENODEV.
 */
static ssize_t vio9p_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct vio9p_dev *vd = file->private_data;
	size_t count = iov_iter_count(to);
	bool nonblock = vio9p_nowait(iocb);
	struct vio9p_req *req;
	ssize_t ret;
	u32 len;

	spin_lock_irq(&vd->lock);
	for (;;) {
		if (vd->gone) {
			ret = -ENODEV;
			goto out_unlock;
		}
		req = list_first_entry_or_null(&vd->done, struct vio9p_req,
					       node);
		if (req)
			break;
		ret = vio9p_chan_error(vd);
		if (ret)
			goto out_unlock;
		if (nonblock) {
			ret = -EAGAIN;
			goto out_unlock;
		}
		ret = wait_event_interruptible_lock_irq(vd->wq,
							vio9p_chan_error(vd) ||
							!list_empty(&vd->done),
							vd->lock);
		if (ret)
			goto out_unlock;
	}

	len = vio9p_reply_len(req);
	if (len > count) {
		ret = -EOVERFLOW;
		goto out_unlock;
	}
	list_del_init(&req->node);
	spin_unlock_irq(&vd->lock);

	if (!len) {
		/*
		 * Nothing written: the device cancelled the request after a
		 * Tflush (QEMU does when the Tflush comes before the request
		 * runs), and gives its slot back with no reply.  Anything
		 * else shorter than a header is a faulty device.
		 */
		ret = req->len ? -EIO : 0;
		vio9p_put_slot(vd, req);
		return ret;
	}
	if (vio9p_buf_copy_to_iter(to, &req->rx, len)) {
		spin_lock_irq(&vd->lock);
		list_add(&req->node, &vd->done);
		spin_unlock_irq(&vd->lock);
		/* Another reader or poller may have slept meanwhile. */
		wake_up_interruptible(&vd->wq);
		return -EFAULT;
	}

	spin_lock_irq(&vd->lock);
	vd->stats.bytes_in += len;
	spin_unlock_irq(&vd->lock);
	vio9p_put_slot(vd, req);
	return len;

out_unlock:
	spin_unlock_irq(&vd->lock);
	return ret;
}

static __poll_t vio9p_poll(struct file *file, poll_table *wait)
{
	struct vio9p_dev *vd = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &vd->wq, wait);

	spin_lock_irq(&vd->lock);
	if (vd->gone) {
		mask = EPOLLHUP | EPOLLERR;
	} else {
		if (!list_empty(&vd->done))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (vd->broken || vd->lost)
			mask |= EPOLLERR;
		else if (vio9p_can_write(vd))
			mask |= EPOLLOUT | EPOLLWRNORM;
	}
	spin_unlock_irq(&vd->lock);
	return mask;
}

static long vio9p_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vio9p_dev *vd = file->private_data;
	void __user *argp = (void __user *)arg;
	struct vio9p_limits limits = { };
	bool gone;

	spin_lock_irq(&vd->lock);
	gone = vd->gone;
	spin_unlock_irq(&vd->lock);
	if (gone)
		return -ENODEV;

	switch (cmd) {
	case VIO9P_IOC_MOUNT_TAG:
		if (copy_to_user(argp, vd->tag, VIO9P_MOUNT_TAG_SIZE))
			return -EFAULT;
		return 0;
	case VIO9P_IOC_LIMITS:
		limits.msize = vd->msize;
		limits.requests = vd->max_reqs;
		if (copy_to_user(argp, &limits, sizeof(limits)))
			return -EFAULT;
		return 0;
	default:
		return -ENOTTY;
	}
}

/**
 * vio9p_open() - claim the channel for one file
 * @inode: the /dev/9p/<minor> inode
 * @file: the new file
 *
 * A device that asked for a reset is reset here, before the file gets it.
 *
 * Return: 0, or -EINVAL without O_RDWR and O_EXCL, -EBUSY if another file
 * has the channel, -ENODEV if the device is gone, -EIO if it is broken and
 * a reset did not mend it.
 */
static int vio9p_open(struct inode *inode, struct file *file)
{
	struct vio9p_dev *vd;
	int ret = 0;

	if ((file->f_flags & O_ACCMODE) != O_RDWR || !(file->f_flags & O_EXCL))
		return -EINVAL;

	vd = vio9p_dev_get(iminor(inode));
	if (!vd)
		return -ENODEV;

	spin_lock_irq(&vd->lock);
	if (vd->gone)
		ret = -ENODEV;
	else if (vd->open)
		ret = -EBUSY;
	if (!ret) {
		vd->open = true;
		vd->lost = false;
	}
	spin_unlock_irq(&vd->lock);
	if (ret)
		goto out_put_dev;

	ret = vio9p_reset(vd);
	if (ret)
		goto out_unclaim;
	vio9p_trim_slots(vd);

	file->private_data = vd;
	return stream_open(inode, file);

out_unclaim:
	spin_lock_irq(&vd->lock);
	vd->open = false;
	spin_unlock_irq(&vd->lock);
out_put_dev:
	vio9p_dev_put(vd);
	return ret;
}

/**
 * vio9p_release() - let go of the channel
 * @inode: the /dev/9p/<minor> inode
 * @file: the last reference to the file
 *
 * Unread replies are freed.  Requests still on the device belong to the
 * old generation, so their replies are dropped when they arrive; until
 * then they are stale and do not count against the next file's slots.
 *
 * Return: 0.
 */
static int vio9p_release(struct inode *inode, struct file *file)
{
	struct vio9p_dev *vd = file->private_data;
	struct vio9p_req *req;

	spin_lock_irq(&vd->lock);
	list_for_each_entry(req, &vd->done, node) {
		vd->stats.stale++;
		vd->nr_free++;
	}
	list_splice_init(&vd->done, &vd->free);
	/* What is still on the device was sent by this file: stale now. */
	vd->nr_stale = vd->nr_busy;
	vd->gen++;
	vd->open = false;
	spin_unlock_irq(&vd->lock);
	wake_up_interruptible(&vd->wq);

	vio9p_trim_slots(vd);
	vio9p_dev_put(vd);
	return 0;
}

const struct file_operations vio9p_fops = {
	.owner = THIS_MODULE,
	.open = vio9p_open,
	.release = vio9p_release,
	.read_iter = vio9p_read_iter,
	.write_iter = vio9p_write_iter,
	.splice_write = iter_file_splice_write,
	.poll = vio9p_poll,
	.unlocked_ioctl = vio9p_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};
