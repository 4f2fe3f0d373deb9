// SPDX-License-Identifier: GPL-2.0
/*
 * vio9p: a raw 9P channel to userspace over a virtio-9p device.
 *
 * Every virtio-9p device gets a character device, /dev/9p/<minor>.  One
 * process at a time opens it, writes one 9P request per write(2) and reads
 * one reply per read(2).  The driver neither parses nor rewrites 9P beyond
 * the header checks described in chan.c: it is a transport.
 *
 * LIFE OF A REQUEST
 *
 *   write(2)	vio9p_write_iter() (also writev(2): its iovecs, together,
 *		are one request) takes a slot from vio9p_dev.free, or
 *		allocates one while vio9p_dev.nr_reqs < max_reqs, or sleeps
 *		on vio9p_dev.wq for one (-EAGAIN if O_NONBLOCK).  The
 *		request is copied into slot->tx with no lock held (a fault
 *		in any iovec returns the slot to vio9p_dev.free, and the
 *		device sees nothing), then, under the
 *		lock, stamped with the current generation and added to the
 *		virtqueue as two scatter-gather lists of pages: tx
 *		(device-readable, cut to the request's length) and rx
 *		(device-writable, cut to the room the reply may need, at
 *		least the request's own length: see vio9p_clamp_request()
 *		in chan.c).  If the virtio core cannot add the chain
 *		(-ENOSPC: no GFP_ATOMIC indirect table, and a ring too full
 *		to take the chain itself), the writer sets
 *		vio9p_dev.ring_full, sleeps on vio9p_dev.wq until the
 *		device completes something, and tries again.  The slot is
 *		on no list while the device owns it.
 *
 *   interrupt	vio9p_vq_done() takes every used buffer off the virtqueue,
 *		clamps the used length to the reply's room, appends the slot
 *		to vio9p_dev.done, in the order the device completed them,
 *		or puts it straight back on vio9p_dev.free when its
 *		generation is not the current one (the file that sent it was
 *		closed).  Then it wakes vio9p_dev.wq.
 *
 *   read(2)	vio9p_read_iter() (also readv(2): one reply over its
 *		iovecs) sleeps on vio9p_dev.wq until vio9p_dev.done is
 *		not empty (-EAGAIN if O_NONBLOCK), takes the first slot off
 *		it, and copies the reply out with no lock held.  The reply's
 *		length is its size[4], clamped to the used length; less than
 *		a 9P header is dropped with -EIO.  A buffer that is too
 *		small gets -EOVERFLOW and the slot stays first in line; a
 *		failed copy puts it back at the head and wakes vio9p_dev.wq,
 *		since another reader may have gone to sleep meanwhile.  Then
 *		the slot returns to vio9p_dev.free and a writer is woken.
 *
 * A slot is on one list at a time: free, done, or none (on the device, or in
 * a read or write between lists).  vio9p_dev.all_reqs links every slot for
 * the final free.  One slot is allocated at probe so the channel always
 * works; the others are allocated on demand, up to max_requests for the
 * open file, and kept until the device goes (but see A DEVICE THAT STOPS
 * ANSWERING below).
 *
 * MESSAGE SIZE
 *
 * Each device's msize, the largest request or reply, is fixed at probe from
 * the max_msize parameter: VIO9P_MAX_MSG_SIZE (8192, the illumos contract)
 * by default, at most 1 MiB, and at most what the virtqueue allows
 * (vio9p_dev.msize_limit, "msize_limit" in sysfs): a request and its reply
 * room take one descriptor per page, and the virtio spec forbids a chain
 * longer than the queue, even through an indirect table.  QEMU's
 * virtio-pci queue has 128 entries, so 256 KiB; its virtio-mmio one 1024,
 * so 1 MiB (vio9p_set_limits()).  Every slot has room for one request and
 * one reply of msize bytes, in single pages, so no allocation is ever of
 * a high order.  Clients learn the msize from
 * VIO9P_IOC_LIMITS or sysfs; a Tversion asking for more is lowered as it
 * passes (chan.c).
 *
 * LOCKING
 *
 * vio9p_dev.lock, a spinlock taken with interrupts off because the
 * virtqueue callback takes it, guards the lists, the counters, the
 * generation, the open, gone, broken and lost flags, the virtqueue pointer
 * and every virtqueue operation.  Nothing sleeps under it: slot allocation,
 * slot freeing and user copies happen with it dropped, and sleepers use
 * wait_event_interruptible_lock_irq() so that the condition is tested under
 * it.  poll() also reads readiness under it.  The limits, the tag and the
 * minor are fixed at probe and read without it.
 *
 * vio9p_dev.reset_lock, a mutex, serialises whatever takes the virtqueue
 * down or sets it up: open()'s reset, remove(), freeze and restore, and
 * the configuration work's status read (which must not see a reset half
 * done).  The virtqueue pointer changes under both locks.
 *
 * Two work items run in process context: config_work reads the device
 * status after a configuration interrupt (the read may sleep on some
 * transports), and trim_work frees slots (see A DEVICE THAT STOPS
 * ANSWERING).  remove() and freeze cancel both.
 *
 * vio9p_minor_lock, a mutex, guards vio9p_minors, the idr from minor number
 * to device, so that open() cannot race with probe or remove.
 *
 * CHOOSING DEVICES
 *
 * By default vio9p takes every virtio-9p device it is offered.  The tags
 * parameter narrows that to the devices whose mount tags it names; probe
 * resets the others, acknowledges them again as the bus did, and refuses
 * them with -ENODEV, so the driver core offers them to the next driver,
 * such as 9pnet_virtio, which negotiates features from the start (the
 * core adds FAILED to the status after any refused probe).  It is read under kernel_param_lock()
 * at each probe, so writing it in sysfs takes effect at the next bind.
 *
 * OPEN AND CLOSE
 *
 * open() requires O_RDWR and O_EXCL and admits one file at a time.  Neither
 * open nor close resets the 9P session: that is the client's Tversion.
 * close() frees unread replies and advances the generation, so a reply to
 * a request written before a close is never seen after the next open.
 *
 * A DEVICE THAT ASKS FOR A RESET
 *
 * A device that cannot go on, such as QEMU's after a request it cannot
 * decode, sets NEEDS_RESET and raises a configuration interrupt, and then
 * answers nothing more.  vio9p_config_changed() schedules
 * vio9p_config_work(), which reads the status, marks the channel broken and
 * wakes every sleeper: replies already received can still be read, then
 * reads and writes fail with -EIO and poll() reports EPOLLERR, so nothing
 * waits forever.  A used ring that the virtio core finds corrupt (it marks
 * the virtqueue broken) is handled the same way, when a reply or a submit
 * finds it.  The next open() resets the device and sets it up again
 * (vio9p_reset()): the slots the device held come back, and the server
 * starts from a new session.  A reset that failed leaves the channel
 * broken with no virtqueue, and the next open() tries again from a device
 * reset.  Legacy devices have no NEEDS_RESET.
 *
 * A DEVICE THAT STOPS ANSWERING
 *
 * A device may hold a request for as long as its backend takes: QEMU
 * answers a read of a file on a hung host file system when that file
 * system answers.  A reset does not help (QEMU's reset waits for the
 * requests it holds), so neither close nor open resets a device that
 * merely stalls.  Instead, the requests of a closed file that are still on
 * the device (vio9p_dev.nr_stale, "stale_in_flight" in sysfs) keep their
 * slots without counting against the next file's max_requests: that file
 * gets slots of its own, allocated beyond max_requests, up to what the
 * virtqueue can carry (vio9p_dev.max_slots).  Only when stale requests fill
 * the whole virtqueue does a writer wait, interruptibly, for the device.
 * When the stale replies come back their slots are freed, and the slots
 * beyond max_requests with them: the interrupt schedules trim_work when
 * the pool is larger than max_requests, and close and open trim too
 * (vio9p_trim_slots()), so a closed file's memory does not outlive its
 * requests.
 *
 * SUSPEND AND RESUME
 *
 * vio9p_freeze() runs with userspace frozen.  It resets the device, which
 * ends the 9P session on the server (QEMU clunks every fid), takes back
 * the requests it held, and marks the open file, if any, lost: after the
 * replies it had already received, its reads and writes fail with
 * -ECONNRESET and poll() reports EPOLLERR, until it is closed.  A reader
 * that slept in read(2) is woken by the freezer and, once thawed, gets
 * -ECONNRESET.  vio9p_restore() sets up a new virtqueue on the device the
 * virtio core has reset and negotiated again; the next open() starts a new
 * session at once.  Hibernation uses the same two callbacks.
 *
 * UNPLUG
 *
 * remove() destroys the device node, then frees the minor (in that order,
 * so a device probed meanwhile cannot take the minor while its name is
 * still in sysfs), sets gone under the lock and wakes every sleeper, who
 * return -ENODEV.  It then resets the device, detaches the buffers it
 * still held and deletes the virtqueue.  Every later call on an open file
 * checks gone under the lock before it touches the virtqueue and returns
 * -ENODEV.  A kref held by the device and by each open file keeps
 * vio9p_dev and its slots alive until the last close; the minor number is
 * free for a new device at once.  The module cannot be unloaded while a
 * file is open, since vio9p_fops pins it.
 */

#include <linux/device.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_9p.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "compat.h"
#include "vio9p.h"

#define VIO9P_MINORS	256

/* The largest max_msize: 1 MiB. */
#define VIO9P_MSIZE_LIMIT	(1024 * 1024)

static unsigned int max_requests = 8;
module_param(max_requests, uint, 0644);
MODULE_PARM_DESC(max_requests,
		 "request slots per device, each with room for a request and its reply (default 8)");

static unsigned int max_msize = VIO9P_MAX_MSG_SIZE;
module_param(max_msize, uint, 0644);
MODULE_PARM_DESC(max_msize,
		 "largest 9P message per device in bytes, 8192 (default) to 1048576, at most what the device's queue allows (sysfs msize_limit)");

static char *tags;
module_param(tags, charp, 0644);
MODULE_PARM_DESC(tags,
		 "comma-separated mount tags of the devices to take; empty: all (default)");

static dev_t vio9p_devt;
static struct cdev vio9p_cdev;
static DEFINE_MUTEX(vio9p_minor_lock);
static DEFINE_IDR(vio9p_minors);

static void vio9p_buf_free(struct vio9p_buf *buf)
{
	unsigned int i;

	sg_free_table(&buf->sgt);
	for (i = 0; i < buf->nr_pages; i++)
		__free_page(buf->pages[i]);
	kfree(buf->pages);
}

/*
 * Room for @msize bytes in single pages, each one entry of the buffer's
 * scatter-gather table.  @gfp adds __GFP_ZERO for reply buffers, so that
 * a new slot never shows what its pages held before the driver had them.
 * A slot used again still holds its last reply: a device that claims to
 * have written more than it did exposes an earlier reply of the same
 * channel, never memory from elsewhere (see vio9p_reply_len()).
 */
static int vio9p_buf_alloc(struct vio9p_buf *buf, u32 msize, gfp_t gfp)
{
	struct scatterlist *sg;
	unsigned int i, n = DIV_ROUND_UP(msize, PAGE_SIZE);

	buf->pages = kcalloc(n, sizeof(*buf->pages), GFP_KERNEL);
	if (!buf->pages)
		return -ENOMEM;
	for (buf->nr_pages = 0; buf->nr_pages < n; buf->nr_pages++) {
		buf->pages[buf->nr_pages] = alloc_page(GFP_KERNEL | gfp);
		if (!buf->pages[buf->nr_pages])
			goto out_free;
	}
	if (sg_alloc_table(&buf->sgt, n, GFP_KERNEL))
		goto out_free;
	for_each_sgtable_sg(&buf->sgt, sg, i)
		sg_set_page(sg, buf->pages[i],
			    min_t(u32, PAGE_SIZE, msize - i * PAGE_SIZE), 0);
	return 0;

out_free:
	while (buf->nr_pages)
		__free_page(buf->pages[--buf->nr_pages]);
	kfree(buf->pages);
	return -ENOMEM;
}

/**
 * vio9p_buf_trim() - make a buffer's table cover its first @len bytes
 * @buf: a buffer of a slot on no list, not on the device
 * @len: bytes of message in it, at least 1 and at most its room
 *
 * The device is handed exactly the request, not the whole room.
 */
void vio9p_buf_trim(struct vio9p_buf *buf, size_t len)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(&buf->sgt, sg, i) {
		sg_unmark_end(sg);
		sg->length = min_t(size_t, len, PAGE_SIZE);
		len -= sg->length;
		if (!len) {
			sg_mark_end(sg);
			break;
		}
	}
}

/**
 * vio9p_buf_copy_from_iter() - copy a message from userspace into a buffer
 * @buf: the buffer, with room for @len bytes
 * @from: the message, in as many iovecs as the writer gave
 * @len: its length, at most iov_iter_count(@from)
 *
 * Either every byte is copied or the call fails: a fault anywhere, in
 * any iovec, is -EFAULT, and what was copied before it is left in @buf
 * for the next request to overwrite.
 *
 * Return: 0, or -EFAULT.
 */
int vio9p_buf_copy_from_iter(struct vio9p_buf *buf, struct iov_iter *from,
			     size_t len)
{
	size_t off, chunk;
	unsigned int i;

	for (i = 0, off = 0; off < len; i++, off += chunk) {
		chunk = min_t(size_t, len - off, PAGE_SIZE);
		if (!copy_from_iter_full(page_address(buf->pages[i]), chunk,
					 from))
			return -EFAULT;
	}
	return 0;
}

/**
 * vio9p_buf_copy_to_iter() - copy a message from a buffer to userspace
 * @to: room for @len bytes, in as many iovecs as the reader gave
 * @buf: the buffer
 * @len: bytes of message in it
 *
 * Return: 0, or -EFAULT if any byte could not be copied.
 */
int vio9p_buf_copy_to_iter(struct iov_iter *to, struct vio9p_buf *buf,
			   size_t len)
{
	size_t off, chunk;
	unsigned int i;

	for (i = 0, off = 0; off < len; i++, off += chunk) {
		chunk = min_t(size_t, len - off, PAGE_SIZE);
		if (copy_to_iter(page_address(buf->pages[i]), chunk, to) !=
		    chunk)
			return -EFAULT;
	}
	return 0;
}

/**
 * vio9p_req_alloc() - allocate a request slot with its two buffers
 * @msize: room in each buffer, in bytes
 *
 * Return: the slot, or NULL when memory is short.
 */
struct vio9p_req *vio9p_req_alloc(u32 msize)
{
	struct vio9p_req *req;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return NULL;
	if (vio9p_buf_alloc(&req->tx, msize, 0))
		goto out_free_req;
	if (vio9p_buf_alloc(&req->rx, msize, __GFP_ZERO))
		goto out_free_tx;
	INIT_LIST_HEAD(&req->node);
	return req;

out_free_tx:
	vio9p_buf_free(&req->tx);
out_free_req:
	kfree(req);
	return NULL;
}

void vio9p_req_free(struct vio9p_req *req)
{
	vio9p_buf_free(&req->rx);
	vio9p_buf_free(&req->tx);
	kfree(req);
}

/**
 * vio9p_trim_slots() - free the idle slots beyond max_requests
 * @vd: the device
 *
 * Slots beyond vio9p_dev.max_reqs are allocated only while stale requests
 * hold others.  Once those have come back the memory is given back: by
 * vio9p_trim_work() when the last stale reply arrives, by close, and by
 * open.  Sleeps (it frees with the lock dropped), so not from interrupts.
 */
void vio9p_trim_slots(struct vio9p_dev *vd)
{
	struct vio9p_req *req, *tmp;
	LIST_HEAD(extra);

	spin_lock_irq(&vd->lock);
	while (vd->nr_reqs > vd->max_reqs && vd->nr_free) {
		req = list_first_entry(&vd->free, struct vio9p_req, node);
		list_move(&req->node, &extra);
		list_del(&req->all);
		vd->nr_free--;
		vd->nr_reqs--;
	}
	spin_unlock_irq(&vd->lock);
	list_for_each_entry_safe(req, tmp, &extra, node)
		vio9p_req_free(req);
}

static void vio9p_trim_work(struct work_struct *work)
{
	vio9p_trim_slots(container_of(work, struct vio9p_dev, trim_work));
}

static void vio9p_dev_release(struct kref *kref)
{
	struct vio9p_dev *vd = container_of(kref, struct vio9p_dev, kref);
	struct vio9p_req *req, *tmp;

	list_for_each_entry_safe(req, tmp, &vd->all_reqs, all)
		vio9p_req_free(req);
	kfree(vd);
}

/**
 * vio9p_dev_get() - find the device behind a minor number and pin it
 * @minor: the minor number of /dev/9p/<minor>
 *
 * Return: the device with a reference the caller drops with
 * vio9p_dev_put(), or NULL if no device has this minor.
 */
struct vio9p_dev *vio9p_dev_get(unsigned int minor)
{
	struct vio9p_dev *vd;

	mutex_lock(&vio9p_minor_lock);
	vd = idr_find(&vio9p_minors, minor);
	if (vd)
		kref_get(&vd->kref);
	mutex_unlock(&vio9p_minor_lock);
	return vd;
}

void vio9p_dev_put(struct vio9p_dev *vd)
{
	kref_put(&vd->kref, vio9p_dev_release);
}

/*
 * Mark the channel broken, with @vd->lock held; the caller wakes every
 * sleeper once it drops the lock.
 */
static void vio9p_mark_broken_locked(struct vio9p_dev *vd, const char *why)
{
	lockdep_assert_held(&vd->lock);
	if (!vd->broken)
		dev_warn(&vd->vdev->dev, "%s; /dev/9p/%d fails with EIO until reopened\n",
			 why, vd->minor);
	vd->broken = true;
}

/**
 * vio9p_mark_broken() - the device cannot go on until it is reset
 * @vd: the device
 * @why: what happened, for the kernel log
 *
 * Every sleeper wakes and finds the channel broken; the next open() resets
 * the device.
 */
void vio9p_mark_broken(struct vio9p_dev *vd, const char *why)
{
	unsigned long flags;

	spin_lock_irqsave(&vd->lock, flags);
	vio9p_mark_broken_locked(vd, why);
	spin_unlock_irqrestore(&vd->lock, flags);
	wake_up_interruptible_all(&vd->wq);
}

/**
 * vio9p_vq_done() - virtqueue callback: move finished requests to done
 * @vq: the request virtqueue
 *
 * Runs in interrupt context.  The used length comes from the device and is
 * clamped to the reply buffer here, where it enters the driver.  When the
 * last stale request comes back, the slots grown beyond max_requests are
 * freed in process context (vio9p_trim_work()).  A used ring the virtio
 * core found corrupt marks the channel broken, so that nobody waits for
 * replies that cannot come.
 */
static void vio9p_vq_done(struct virtqueue *vq)
{
	struct vio9p_dev *vd = vq->vdev->priv;
	struct vio9p_req *req;
	unsigned long flags;
	unsigned int len;
	bool trim = false;

	spin_lock_irqsave(&vd->lock, flags);
	while ((req = virtqueue_get_buf(vq, &len))) {
		vd->ring_full = false;
		vd->nr_busy--;
		vd->stats.completed++;
		req->len = min(len, req->room);
		if (req->gen == vd->gen) {
			list_add_tail(&req->node, &vd->done);
		} else {
			vd->stats.stale++;
			list_add(&req->node, &vd->free);
			vd->nr_free++;
			vd->nr_stale--;
			trim = vd->nr_reqs > vd->max_reqs;
		}
	}
	if (virtqueue_is_broken(vq))
		vio9p_mark_broken_locked(vd, "virtqueue is broken");
	spin_unlock_irqrestore(&vd->lock, flags);
	if (trim)
		schedule_work(&vd->trim_work);
	wake_up_interruptible_all(&vd->wq);
}

/**
 * vio9p_config_work() - did the device ask for a reset?
 * @work: vio9p_dev.config_work
 *
 * The status read may sleep on some transports (virtio-ccw), so it happens
 * here rather than in the configuration interrupt.  It takes reset_lock so
 * that it does not read the status of a reset in progress and mark the
 * new set-up broken.  The reset itself waits for the next open().
 * remove() and freeze cancel this work, with reset_lock not held, after
 * the virtio core has stopped delivering configuration interrupts.
 */
static void vio9p_config_work(struct work_struct *work)
{
	struct vio9p_dev *vd = container_of(work, struct vio9p_dev,
					    config_work);
	struct virtio_device *vdev;

	mutex_lock(&vd->reset_lock);
	vdev = vd->vdev;
	if (vd->vq && vdev->config->get_status(vdev) &
	    VIRTIO_CONFIG_S_NEEDS_RESET)
		vio9p_mark_broken(vd, "device needs a reset");
	mutex_unlock(&vd->reset_lock);
}

/* Configuration interrupt: atomic context, so only schedule the work. */
static void vio9p_config_changed(struct virtio_device *vdev)
{
	struct vio9p_dev *vd = vdev->priv;

	schedule_work(&vd->config_work);
}

/*
 * Reset the device and take back every buffer it held.  The slots return
 * to the free list; their replies will never come.  The caller holds
 * vio9p_dev.reset_lock.
 */
static void vio9p_stop(struct vio9p_dev *vd)
{
	struct vio9p_req *req;
	struct virtqueue *vq;

	lockdep_assert_held(&vd->reset_lock);
	virtio_reset_device(vd->vdev);
	spin_lock_irq(&vd->lock);
	vq = vd->vq;
	vd->vq = NULL;
	while ((req = virtqueue_detach_unused_buf(vq))) {
		list_add(&req->node, &vd->free);
		vd->nr_free++;
		vd->nr_busy--;
		vd->stats.stale++;
	}
	vd->nr_stale = 0;
	vd->ring_full = false;
	vd->gen++;
	spin_unlock_irq(&vd->lock);
	vd->vdev->config->del_vqs(vd->vdev);
}

/*
 * A new virtqueue for a device that has been reset and had its features
 * negotiated again.  It must be as large as the one the limits were fixed
 * for at probe.
 */
static struct virtqueue *vio9p_find_vq(struct vio9p_dev *vd)
{
	struct virtio_device *vdev = vd->vdev;
	struct virtqueue *vq;

	vq = virtio_find_single_vq(vdev, vio9p_vq_done, "requests");
	if (IS_ERR(vq))
		return vq;
	if (virtqueue_get_vring_size(vq) < vd->ring) {
		dev_err(&vdev->dev, "virtqueue shrank from %u to %u entries\n",
			vd->ring, virtqueue_get_vring_size(vq));
		vdev->config->del_vqs(vdev);
		return ERR_PTR(-EIO);
	}
	return vq;
}

/**
 * vio9p_reset() - reset a broken device and set it up again
 * @vd: the device; the caller has claimed the channel, so no file uses it
 *
 * Repeats the steps of the virtio core's probe: a reset, status
 * ACKNOWLEDGE and DRIVER, the features already negotiated, FEATURES_OK, a
 * new virtqueue, DRIVER_OK.  The device is reset first even when an earlier
 * attempt failed and left no virtqueue, so that it never sees the steps
 * out of order.
 *
 * Return: 0, -ENODEV if the device is gone, or -EIO if it will not come
 * back (it stays broken).
 */
int vio9p_reset(struct vio9p_dev *vd)
{
	struct virtio_device *vdev;
	struct virtqueue *vq;
	bool broken;
	int ret = 0;

	mutex_lock(&vd->reset_lock);
	spin_lock_irq(&vd->lock);
	if (vd->gone)
		ret = -ENODEV;
	broken = vd->broken || !vd->vq || virtqueue_is_broken(vd->vq);
	spin_unlock_irq(&vd->lock);
	if (ret || !broken)
		goto out_unlock;

	vdev = vd->vdev;
	if (vd->vq)
		vio9p_stop(vd);
	else
		virtio_reset_device(vdev);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER);
	if (vdev->config->finalize_features(vdev))
		goto out_failed;
	if (virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
		virtio_add_status(vdev, VIRTIO_CONFIG_S_FEATURES_OK);
		if (!(vdev->config->get_status(vdev) &
		      VIRTIO_CONFIG_S_FEATURES_OK))
			goto out_failed;
	}
	vq = vio9p_find_vq(vd);
	if (IS_ERR(vq))
		goto out_failed;

	spin_lock_irq(&vd->lock);
	vd->vq = vq;
	vd->broken = false;
	vd->stats.resets++;
	spin_unlock_irq(&vd->lock);
	virtio_device_ready(vdev);
	dev_info(&vdev->dev, "device reset; /dev/9p/%d works again\n",
		 vd->minor);
	goto out_unlock;

out_failed:
	spin_lock_irq(&vd->lock);
	vd->broken = true;
	spin_unlock_irq(&vd->lock);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_FAILED);
	dev_err(&vdev->dev, "device did not come back from a reset\n");
	ret = -EIO;
out_unlock:
	mutex_unlock(&vd->reset_lock);
	return ret;
}

static char *vio9p_devnode(vio9p_devnode_dev *dev, umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return kasprintf(GFP_KERNEL, "9p/%u", MINOR(dev->devt));
}

static ssize_t mount_tag_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	struct vio9p_dev *vd = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", vd->tag);
}
static DEVICE_ATTR_RO(mount_tag);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct vio9p_dev *vd = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n",
			  READ_ONCE(vd->broken) ? "needs-reset" : "ready");
}
static DEVICE_ATTR_RO(state);

static ssize_t max_requests_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct vio9p_dev *vd = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", vd->max_reqs);
}
static DEVICE_ATTR_RO(max_requests);

static ssize_t max_msize_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	struct vio9p_dev *vd = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", vd->msize);
}
static DEVICE_ATTR_RO(max_msize);

static ssize_t msize_limit_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct vio9p_dev *vd = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", vd->msize_limit);
}
static DEVICE_ATTR_RO(msize_limit);

/*
 * The statistics/ group: one counter a file, as sysfs wants.  Each value
 * is read under the lock; two files read one after the other may come
 * from different moments.
 */
#define VIO9P_STAT_ATTR(name, type, fmt, expr)				\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	struct vio9p_dev *vd = dev_get_drvdata(dev);			\
	type val;							\
									\
	spin_lock_irq(&vd->lock);					\
	val = (expr);							\
	spin_unlock_irq(&vd->lock);					\
	return sysfs_emit(buf, fmt "\n", val);				\
}									\
static DEVICE_ATTR_RO(name)

VIO9P_STAT_ATTR(submitted, u64, "%llu", vd->stats.submitted);
VIO9P_STAT_ATTR(completed, u64, "%llu", vd->stats.completed);
VIO9P_STAT_ATTR(stale, u64, "%llu", vd->stats.stale);
VIO9P_STAT_ATTR(bytes_out, u64, "%llu", vd->stats.bytes_out);
VIO9P_STAT_ATTR(bytes_in, u64, "%llu", vd->stats.bytes_in);
VIO9P_STAT_ATTR(resets, u64, "%llu", vd->stats.resets);
VIO9P_STAT_ATTR(slots, unsigned int, "%u", vd->nr_reqs);
VIO9P_STAT_ATTR(slots_in_use, unsigned int, "%u", vd->nr_reqs - vd->nr_free);
VIO9P_STAT_ATTR(in_flight, unsigned int, "%u", vd->nr_busy);
VIO9P_STAT_ATTR(stale_in_flight, unsigned int, "%u", vd->nr_stale);

static struct attribute *vio9p_attrs[] = {
	&dev_attr_mount_tag.attr,
	&dev_attr_state.attr,
	&dev_attr_max_requests.attr,
	&dev_attr_max_msize.attr,
	&dev_attr_msize_limit.attr,
	NULL,
};

static const struct attribute_group vio9p_group = {
	.attrs = vio9p_attrs,
};

static struct attribute *vio9p_stat_attrs[] = {
	&dev_attr_submitted.attr,
	&dev_attr_completed.attr,
	&dev_attr_stale.attr,
	&dev_attr_bytes_out.attr,
	&dev_attr_bytes_in.attr,
	&dev_attr_resets.attr,
	&dev_attr_slots.attr,
	&dev_attr_slots_in_use.attr,
	&dev_attr_in_flight.attr,
	&dev_attr_stale_in_flight.attr,
	NULL,
};

static const struct attribute_group vio9p_stat_group = {
	.name = "statistics",
	.attrs = vio9p_stat_attrs,
};

static const struct attribute_group *vio9p_groups[] = {
	&vio9p_group,
	&vio9p_stat_group,
	NULL,
};

static struct class vio9p_class = {
	.name = "vio9p",
	.devnode = vio9p_devnode,
};

/**
 * vio9p_read_tag() - read the mount tag from the device's config space
 * @vd: the device being probed
 *
 * The tag length comes from the device: it is clamped to VIRTIO_9P_TAGLEN
 * and the tag is cut at its first NUL, so that vio9p_dev.tag is always a
 * C string with zeroes after it.
 */
static void vio9p_read_tag(struct vio9p_dev *vd)
{
	u16 len;

	if (!virtio_has_feature(vd->vdev, VIRTIO_9P_MOUNT_TAG))
		return;
	virtio_cread(vd->vdev, struct virtio_9p_config, tag_len, &len);
	len = min_t(u16, len, VIRTIO_9P_TAGLEN);
	virtio_cread_bytes(vd->vdev, offsetof(struct virtio_9p_config, tag),
			   vd->tag, len);
	len = strnlen(vd->tag, len);
	memset(vd->tag + len, 0, sizeof(vd->tag) - len);
}

/**
 * vio9p_claims() - does the tags parameter let us take this device?
 * @tag: the device's mount tag
 *
 * Tags are separated by commas; a newline ends one too, so that a value
 * written with echo(1) to /sys/module/vio9p/parameters/tags works.
 *
 * Return: true if tags names no tag at all, or names @tag.
 */
static bool vio9p_claims(const char *tag)
{
	size_t len = strlen(tag);
	const char *p, *end;
	bool claim;

	kernel_param_lock(THIS_MODULE);
	p = tags ? tags : "";
	claim = !p[strspn(p, ",\n")];
	while (!claim && *p) {
		end = p + strcspn(p, ",\n");
		claim = end - p == len && !strncmp(p, tag, len);
		p = *end ? end + 1 : end;
	}
	kernel_param_unlock(THIS_MODULE);
	return claim;
}

/**
 * vio9p_set_limits() - fix the device's msize and slot count at probe
 * @vd: the device being probed, with its virtqueue
 *
 * A request takes one descriptor per page of the request and of its reply
 * room, each at most msize.  The virtio spec forbids a chain longer than
 * the queue, even through an indirect table (2.7.5.3.1), so the ring size
 * bounds the msize: two pages per ring entry, 256 KiB on QEMU's 128-entry
 * virtio-pci queue.  The bound also keeps a chain addable when the GFP_ATOMIC
 * indirect table cannot be had and the core falls back to the ring.
 * Through an indirect table a request takes one ring entry (counted as
 * two, for that fall-back of a short chain); without one, the whole chain
 * sits in the ring, which then bounds the slots too.  What the ring can
 * carry beyond max_requests is left to the requests of closed files that a
 * stalled device still holds.
 *
 * Return: 0, or -EINVAL if the ring is too small for the 8192 bytes of the
 * illumos contract.
 */
static int vio9p_set_limits(struct vio9p_dev *vd)
{
	unsigned int segs, want = READ_ONCE(max_msize);
	bool indirect;

	vd->ring = virtqueue_get_vring_size(vd->vq);
	vd->msize_limit = min_t(unsigned int, VIO9P_MSIZE_LIMIT,
				vd->ring / 2 * PAGE_SIZE);
	if (vd->msize_limit < VIO9P_MAX_MSG_SIZE) {
		dev_err(&vd->vdev->dev, "a virtqueue of %u entries cannot carry %u-byte messages\n",
			vd->ring, VIO9P_MAX_MSG_SIZE);
		return -EINVAL;
	}
	vd->msize = clamp_t(unsigned int, want, VIO9P_MAX_MSG_SIZE,
			    vd->msize_limit);
	if (vd->msize != want)
		dev_info(&vd->vdev->dev, "max_msize %u is out of reach (a queue of %u entries allows %u); using %u\n",
			 want, vd->ring, vd->msize_limit, vd->msize);

	indirect = virtio_has_feature(vd->vdev, VIRTIO_RING_F_INDIRECT_DESC);
	segs = indirect ? 2 : 2 * DIV_ROUND_UP(vd->msize, PAGE_SIZE);
	vd->max_slots = max(vd->ring / segs, 1U);
	vd->max_reqs = clamp_t(unsigned int, READ_ONCE(max_requests), 1,
			       vd->max_slots);
	return 0;
}

/**
 * vio9p_shutdown() - mark a device gone, take it down and drop its reference
 * @vd: a device no longer in vio9p_minors
 *
 * Every sleeper wakes with -ENODEV; open files keep vio9p_dev until their
 * last close.
 */
static void vio9p_shutdown(struct vio9p_dev *vd)
{
	mutex_lock(&vd->reset_lock);
	spin_lock_irq(&vd->lock);
	vd->gone = true;
	spin_unlock_irq(&vd->lock);
	wake_up_interruptible_all(&vd->wq);

	/* A failed reset may have left no virtqueue to take down. */
	if (vd->vq)
		vio9p_stop(vd);
	else
		virtio_reset_device(vd->vdev);
	vd->vdev = NULL;
	mutex_unlock(&vd->reset_lock);
	/* No virtqueue, so no interrupt can schedule it again. */
	cancel_work_sync(&vd->trim_work);
	vio9p_dev_put(vd);
}

/**
 * vio9p_probe() - bind a virtio-9p device and publish /dev/9p/<minor>
 * @vdev: the device
 *
 * Return: 0, or -errno with everything undone.
 */
static int vio9p_probe(struct virtio_device *vdev)
{
	struct vio9p_dev *vd;
	struct vio9p_req *req;
	int ret;

	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd)
		return -ENOMEM;
	kref_init(&vd->kref);
	mutex_init(&vd->reset_lock);
	spin_lock_init(&vd->lock);
	init_waitqueue_head(&vd->wq);
	INIT_WORK(&vd->config_work, vio9p_config_work);
	INIT_WORK(&vd->trim_work, vio9p_trim_work);
	INIT_LIST_HEAD(&vd->free);
	INIT_LIST_HEAD(&vd->done);
	INIT_LIST_HEAD(&vd->all_reqs);
	vd->vdev = vdev;
	vdev->priv = vd;

	/*
	 * Leave the devices the tags parameter does not name to others, as
	 * the bus found them: reset and acknowledged, with none of our
	 * feature negotiation.  The core adds FAILED when probe fails.
	 */
	vio9p_read_tag(vd);
	if (!vio9p_claims(vd->tag)) {
		dev_info(&vdev->dev, "mount tag \"%*pE\" is not in vio9p.tags\n",
			 (int)strlen(vd->tag), vd->tag);
		virtio_reset_device(vdev);
		virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
		ret = -ENODEV;
		goto out_free_dev;
	}

	vd->vq = virtio_find_single_vq(vdev, vio9p_vq_done, "requests");
	if (IS_ERR(vd->vq)) {
		ret = PTR_ERR(vd->vq);
		goto out_free_dev;
	}

	ret = vio9p_set_limits(vd);
	if (ret)
		goto out_del_vqs;
	req = vio9p_req_alloc(vd->msize);
	if (!req) {
		ret = -ENOMEM;
		goto out_del_vqs;
	}
	list_add(&req->all, &vd->all_reqs);
	list_add(&req->node, &vd->free);
	vd->nr_reqs = 1;
	vd->nr_free = 1;

	/* Reserve the minor; open() finds nothing until the device is ready. */
	mutex_lock(&vio9p_minor_lock);
	ret = idr_alloc(&vio9p_minors, NULL, 0, VIO9P_MINORS, GFP_KERNEL);
	mutex_unlock(&vio9p_minor_lock);
	if (ret < 0)
		goto out_free_reqs;
	vd->minor = ret;

	virtio_device_ready(vdev);

	/*
	 * Publish the device before its node appears, so that an open() as
	 * soon as udev hears of the node finds it.  From here on an open
	 * file may hold a reference, so failure goes the way of remove().
	 */
	mutex_lock(&vio9p_minor_lock);
	idr_replace(&vio9p_minors, vd, vd->minor);
	mutex_unlock(&vio9p_minor_lock);

	vd->dev = device_create_with_groups(&vio9p_class, &vdev->dev,
					    MKDEV(MAJOR(vio9p_devt), vd->minor),
					    vd, vio9p_groups, "vio9p%d",
					    vd->minor);
	if (IS_ERR(vd->dev)) {
		ret = PTR_ERR(vd->dev);
		mutex_lock(&vio9p_minor_lock);
		idr_remove(&vio9p_minors, vd->minor);
		mutex_unlock(&vio9p_minor_lock);
		vio9p_shutdown(vd);
		return ret;
	}

	dev_info(&vdev->dev, "/dev/9p/%d, mount tag \"%*pE\", %u slots of %u bytes\n",
		 vd->minor, (int)strlen(vd->tag), vd->tag, vd->max_reqs,
		 vd->msize);
	return 0;

out_free_reqs:
	vio9p_req_free(req);
out_del_vqs:
	vdev->config->del_vqs(vdev);
out_free_dev:
	kfree(vd);
	return ret;
}

/**
 * vio9p_remove() - the device is going: wake everyone and let go of it
 * @vdev: the device
 *
 * The class device goes before the minor is freed, so that a device probed
 * meanwhile cannot get the minor while its name is still in sysfs.  The
 * virtio core has stopped configuration interrupts before calling this, so
 * the config work, once cancelled, cannot come back.  Open files keep
 * vio9p_dev alive (see UNPLUG above); this never waits for them.
 */
static void vio9p_remove(struct virtio_device *vdev)
{
	struct vio9p_dev *vd = vdev->priv;

	cancel_work_sync(&vd->config_work);
	device_destroy(&vio9p_class, MKDEV(MAJOR(vio9p_devt), vd->minor));
	mutex_lock(&vio9p_minor_lock);
	idr_remove(&vio9p_minors, vd->minor);
	mutex_unlock(&vio9p_minor_lock);
	vio9p_shutdown(vd);
}

#ifdef CONFIG_PM_SLEEP
/**
 * vio9p_freeze() - suspend or hibernation: take the virtqueue down
 * @vdev: the device
 *
 * Userspace is frozen, so no call is inside the driver: a task that slept
 * in read(2) or write(2) was made to leave it and will restart the call
 * once thawed.  The device is reset, which ends its 9P session (QEMU clunks every fid), and the
 * requests it held are taken back: their replies will never come.  The
 * file open across the suspend is told so: once it has read the replies
 * that arrived before, its reads and writes fail with -ECONNRESET and
 * poll() reports EPOLLERR until it is closed (see SUSPEND AND RESUME).
 *
 * Return: 0.
 */
static int vio9p_freeze(struct virtio_device *vdev)
{
	struct vio9p_dev *vd = vdev->priv;

	cancel_work_sync(&vd->config_work);
	mutex_lock(&vd->reset_lock);
	spin_lock_irq(&vd->lock);
	if (vd->open)
		vd->lost = true;
	spin_unlock_irq(&vd->lock);
	if (vd->vq)
		vio9p_stop(vd);
	mutex_unlock(&vd->reset_lock);
	cancel_work_sync(&vd->trim_work);
	wake_up_interruptible_all(&vd->wq);
	return 0;
}

/**
 * vio9p_restore() - resume or thaw: set the virtqueue up again
 * @vdev: the device, reset by the virtio core, features negotiated again
 *
 * The device starts afresh, so a channel that was broken before the
 * suspend is not any more.  If no virtqueue can be had, the channel stays
 * broken and the next open() tries a reset.
 *
 * Return: 0, or the error of the virtqueue's set-up.
 */
static int vio9p_restore(struct virtio_device *vdev)
{
	struct vio9p_dev *vd = vdev->priv;
	struct virtqueue *vq;
	int ret = 0;

	mutex_lock(&vd->reset_lock);
	vq = vio9p_find_vq(vd);
	spin_lock_irq(&vd->lock);
	if (IS_ERR(vq)) {
		ret = PTR_ERR(vq);
		vd->broken = true;
	} else {
		vd->vq = vq;
		vd->broken = false;
	}
	spin_unlock_irq(&vd->lock);
	if (!ret)
		virtio_device_ready(vdev);
	mutex_unlock(&vd->reset_lock);
	return ret;
}
#endif

static const struct virtio_device_id vio9p_id_table[] = {
	{ VIRTIO_ID_9P, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, vio9p_id_table);

static unsigned int vio9p_features[] = {
	VIRTIO_9P_MOUNT_TAG,
};

static struct virtio_driver vio9p_driver = {
	.driver.name = KBUILD_MODNAME,
	.driver.owner = THIS_MODULE,
	.id_table = vio9p_id_table,
	.feature_table = vio9p_features,
	.feature_table_size = ARRAY_SIZE(vio9p_features),
	.probe = vio9p_probe,
	.remove = vio9p_remove,
	.config_changed = vio9p_config_changed,
#ifdef CONFIG_PM_SLEEP
	.freeze = vio9p_freeze,
	.restore = vio9p_restore,
#endif
};

static int __init vio9p_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&vio9p_devt, 0, VIO9P_MINORS, "vio9p");
	if (ret)
		return ret;
	cdev_init(&vio9p_cdev, &vio9p_fops);
	vio9p_cdev.owner = THIS_MODULE;
	ret = cdev_add(&vio9p_cdev, vio9p_devt, VIO9P_MINORS);
	if (ret)
		goto out_unregister_region;
	ret = class_register(&vio9p_class);
	if (ret)
		goto out_del_cdev;
	ret = register_virtio_driver(&vio9p_driver);
	if (ret)
		goto out_unregister_class;
	return 0;

out_unregister_class:
	class_unregister(&vio9p_class);
out_del_cdev:
	cdev_del(&vio9p_cdev);
out_unregister_region:
	unregister_chrdev_region(vio9p_devt, VIO9P_MINORS);
	return ret;
}

static void __exit vio9p_exit(void)
{
	unregister_virtio_driver(&vio9p_driver);
	class_unregister(&vio9p_class);
	cdev_del(&vio9p_cdev);
	unregister_chrdev_region(vio9p_devt, VIO9P_MINORS);
	idr_destroy(&vio9p_minors);
}

module_init(vio9p_init);
module_exit(vio9p_exit);

MODULE_DESCRIPTION("Raw 9P channel to userspace over virtio-9p devices");
MODULE_LICENSE("GPL");
