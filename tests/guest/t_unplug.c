// SPDX-License-Identifier: GPL-2.0
/*
 * The device going away under an open channel: driver unbind through
 * sysfs, and removal of the PCI device, with a reader blocked, a writer
 * blocked on a full slot pool, and requests in flight.  Blocked and later
 * calls get ENODEV, poll reports a hang-up, close works, and the device
 * comes back as a new node.  Uses the TAG_UNPLUG device only.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "rig.h"

#define DRV	"/sys/bus/virtio/drivers/vio9p"

static void unbind(METADATA, const char *virtio)
{
	ASSERT_OK(write_file(DRV "/unbind", virtio));
}

static void bind_back(METADATA, const char *virtio)
{
	ASSERT_OK(write_file(DRV "/bind", virtio));
	ASSERT_EQ(chan_wait(TAG_UNPLUG, 5000), 0);
}

/* Every call on a channel whose device is gone fails with ENODEV. */
static void assert_dead(METADATA, int fd)
{
	char tag[VIO9P_MOUNT_TAG_SIZE];
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };
	struct p9msg req, rep;

	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), ENODEV);
	p9_tversion(&req, P9_NOTAG, 8192, "9P2000.L");
	ASSERT_ERRNO(write(fd, req.buf, req.len), ENODEV);
	ASSERT_ERRNO(ioctl(fd, VIO9P_IOC_MOUNT_TAG, tag), ENODEV);
	ASSERT_EQ(poll(&pfd, 1, 0), 1);
	ASSERT_EQ(pfd.revents, POLLHUP | POLLERR);
}

/* A new open of the device that came back carries a whole session. */
static void assert_alive(METADATA)
{
	int fd = chan_open(_metadata, TAG_UNPLUG, 0);
	struct p9msg req, rep;

	chan_session(_metadata, fd);
	ASSERT_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	ASSERT_ERRNO(read(fd, rep.buf, sizeof(rep.buf)), EAGAIN);
	p9_tversion(&req, P9_NOTAG, 8192, "9P2000.L");
	chan_send(_metadata, fd, &req);
	ASSERT_OK(fcntl(fd, F_SETFL, 0));
	chan_recv(_metadata, fd, &rep);
	ASSERT_EQ(p9_tag(&rep), P9_NOTAG);
	close(fd);
}

/* Fork a child that blocks in read (or write) and must see ENODEV. */
static pid_t blocked_child(METADATA, int fd, int do_write)
{
	struct p9msg m;
	pid_t pid;
	ssize_t n;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid)
		return pid;
	if (do_write) {
		p9_tclunk(&m, 99, 0xdeadbeef);
		n = write(fd, m.buf, m.len);
	} else {
		n = read(fd, m.buf, sizeof(m.buf));
	}
	_exit(n == -1 && errno == ENODEV ? 0 : 1);
}

static void assert_child_saw_enodev(METADATA, pid_t pid)
{
	int status;

	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
}

/*
 * A request to the hotplug agent of tests/vm.sh, which acts on lines
 * "# qmp device_del ID" and "# qmp device_add DRIVER ID FSDEV TAG" on the
 * TAP port: printed as they are, not as TH_LOG's file:line lines.
 */
#define QMP(req) ksft_print_msg("qmp %s\n", req)

/*
 * The suite's tests, in order; each sets up what it needs itself.  The
 * teardown ends what a test that failed part way left running.
 */
FIXTURE(unplug) {};
static FIXTURE_SETUP(unplug) {}
static FIXTURE_TEARDOWN(unplug)
{
	end_test_children();
}

TEST_F(unplug, unbind_wakes_blocked_reader_with_enodev)
{
	char virtio[64], path[64];
	struct stat st;
	pid_t pid;
	int fd;

	chan_virtio(_metadata, TAG_UNPLUG, virtio, sizeof(virtio));
	ASSERT_EQ(chan_path(TAG_UNPLUG, path, sizeof(path)), 0);
	fd = chan_open(_metadata, TAG_UNPLUG, 0);
	pid = blocked_child(_metadata, fd, 0);
	ASSERT_OK(wait_asleep_in_driver(pid, 60000));
	ASSERT_EQ(waitpid(pid, NULL, WNOHANG), 0);
	unbind(_metadata, virtio);
	assert_child_saw_enodev(_metadata, pid);
	assert_dead(_metadata, fd);
	ASSERT_ERRNO(stat(path, &st), ENOENT);
	ASSERT_OK(close(fd));
	bind_back(_metadata, virtio);
	assert_alive(_metadata);
}

TEST_F(unplug, unbind_wakes_writer_blocked_on_full_pool_with_enodev)
{
	char virtio[64];
	pid_t pid;
	int fd;

	chan_virtio(_metadata, TAG_UNPLUG, virtio, sizeof(virtio));
	fd = chan_open(_metadata, TAG_UNPLUG, 0);
	chan_fill(_metadata, fd, 100);
	pid = blocked_child(_metadata, fd, 1);
	ASSERT_OK(wait_asleep_in_driver(pid, 60000));
	ASSERT_EQ(waitpid(pid, NULL, WNOHANG), 0);
	unbind(_metadata, virtio);
	assert_child_saw_enodev(_metadata, pid);
	assert_dead(_metadata, fd);
	ASSERT_OK(close(fd));
	bind_back(_metadata, virtio);
	assert_alive(_metadata);
}

TEST_F(unplug, unbind_with_requests_in_flight_then_new_device_reuses_the_minor)
{
	char virtio[64], before[64], after[64];
	struct p9msg req;
	int fd, fd2;

	chan_virtio(_metadata, TAG_UNPLUG, virtio, sizeof(virtio));
	ASSERT_EQ(chan_path(TAG_UNPLUG, before, sizeof(before)), 0);
	fd = chan_open(_metadata, TAG_UNPLUG, 0);
	for (int i = 0; i < 8; i++) {
		p9_tgetattr(&req, i, 0);
		chan_send(_metadata, fd, &req);
	}
	unbind(_metadata, virtio);
	assert_dead(_metadata, fd);
	/* The old file is still open while the device comes back. */
	bind_back(_metadata, virtio);
	ASSERT_EQ(chan_path(TAG_UNPLUG, after, sizeof(after)), 0);
	ASSERT_EQ(strcmp(before, after), 0);
	assert_dead(_metadata, fd);
	fd2 = chan_open(_metadata, TAG_UNPLUG, 0);
	close(fd2);
	assert_alive(_metadata);
	ASSERT_OK(close(fd));
}

/*
 * The sysfs folder of the PCI device under TAG_UNPLUG's virtio device, in
 * @pci (PATH_MAX bytes), and the virtio device's name; 0 when the device
 * is not on PCI (the test then skips).
 */
static int unplug_pci_path(METADATA, char *pci, char *virtio, size_t size)
{
	char link[128];

	chan_virtio(_metadata, TAG_UNPLUG, virtio, size);
	snprintf(link, sizeof(link), "/sys/bus/virtio/devices/%s/..", virtio);
	ASSERT_TRUE(realpath(link, pci) != NULL);
	return strstr(pci, "/pci") != NULL;
}

TEST_F_TIMEOUT(unplug, pci_removal_and_rescan_with_a_blocked_reader, 240)
{
	char virtio[64], pci[PATH_MAX], node[64];
	struct stat st;
	pid_t pid;
	int fd;

	/*
	 * With ACPI PCI hotplug, removal and rescan run the firmware's AML,
	 * which a debug kernel under a loaded TCG host was seen to take 30 s
	 * over (ACPICA's loop timeout) each way.
	 */
	if (!unplug_pci_path(_metadata, pci, virtio, sizeof(virtio)))
		SKIP(return, "the device is not on PCI");
	ASSERT_EQ(chan_path(TAG_UNPLUG, node, sizeof(node)), 0);
	TH_LOG("removing %s (%s)", pci, virtio);

	fd = chan_open(_metadata, TAG_UNPLUG, 0);
	pid = blocked_child(_metadata, fd, 0);
	ASSERT_OK(wait_asleep_in_driver(pid, 60000));
	strncat(pci, "/remove", sizeof(pci) - strlen(pci) - 1);
	ASSERT_OK(write_file(pci, "1"));
	assert_child_saw_enodev(_metadata, pid);
	assert_dead(_metadata, fd);
	ASSERT_ERRNO(stat(node, &st), ENOENT);
	ASSERT_NE(chan_wait(TAG_UNPLUG, 0), 0);
	ASSERT_OK(close(fd));

	ASSERT_OK(write_file("/sys/bus/pci/rescan", "1"));
	ASSERT_EQ(chan_wait(TAG_UNPLUG, 10000), 0);
	assert_alive(_metadata);
}

static int has_hotplug_slots(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/sys/bus/pci/slots");
	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n > 0;
}

/*
 * A real hot-unplug: the host's QEMU removes the device (QMP device_del,
 * which the guest acknowledges through ACPI), then plugs it in again.
 * The runner (tests/vm.sh, vm_hotplug_agent) acts on the "# qmp" lines;
 * it retries device_add until QEMU has finished with the old device, which
 * is later than the node goes away here (the ACPI eject comes after the
 * driver's remove).
 */
TEST_F_TIMEOUT(unplug, qmp_device_del_with_a_blocked_reader_then_device_add, 240)
{
	char virtio[64], pci[PATH_MAX];
	pid_t pid;
	int fd;

	if (!unplug_pci_path(_metadata, pci, virtio, sizeof(virtio)))
		SKIP(return, "the device is not on PCI");
	/* QEMU's i440fx hotplug needs the kernel's ACPI PCI hotplug driver. */
	if (!has_hotplug_slots())
		SKIP(return, "no ACPI PCI hotplug slots (CONFIG_HOTPLUG_PCI_ACPI)");

	fd = chan_open(_metadata, TAG_UNPLUG, 0);
	pid = blocked_child(_metadata, fd, 0);
	ASSERT_OK(wait_asleep_in_driver(pid, 60000));
	QMP("device_del dev-fs3");
	assert_child_saw_enodev(_metadata, pid);
	assert_dead(_metadata, fd);
	for (int i = 0; i < 200 && chan_wait(TAG_UNPLUG, 0) == 0; i++)
		msleep(50);
	ASSERT_NE(chan_wait(TAG_UNPLUG, 0), 0);
	ASSERT_OK(close(fd));

	QMP("device_add virtio-9p-pci dev-fs3 fs3 " TAG_UNPLUG);
	ASSERT_EQ(chan_wait(TAG_UNPLUG, 90000), 0);
	assert_alive(_metadata);
}

/*
 * The mount tag comes from the host: the driver prints it escaped.  A
 * device plugged in with an escape sequence in its tag (QMP's JSON
 * "\u001b") must not put a raw ESC into the kernel log, where it would
 * drive the terminal of whoever reads it.  The device is then plugged in
 * again with its own tag.
 */
TEST_F_TIMEOUT(unplug, hostile_mount_tag_is_escaped_in_the_kernel_log, 480)
{
	static const char raw[] = "esc\x1b[2Jtag";
	static char log[1 << 20];
	char virtio[64], pci[PATH_MAX];
	int n;

	/* Two unplug and plug cycles: see the test above for their pace. */
	if (!unplug_pci_path(_metadata, pci, virtio, sizeof(virtio)))
		SKIP(return, "the device is not on PCI");
	if (!has_hotplug_slots())
		SKIP(return, "no ACPI PCI hotplug slots (CONFIG_HOTPLUG_PCI_ACPI)");

	QMP("device_del dev-fs3");
	for (int i = 0; i < 1200 && chan_wait(TAG_UNPLUG, 0) == 0; i++)
		msleep(50);
	ASSERT_NE(chan_wait(TAG_UNPLUG, 0), 0);
	QMP("device_add virtio-9p-pci dev-fs3 fs3 esc\\u001b[2Jtag");
	ASSERT_EQ(chan_wait(raw, 90000), 0);

	n = klogctl(3, log, sizeof(log) - 1);	/* SYSLOG_ACTION_READ_ALL */
	ASSERT_GT(n, 0);
	log[n] = '\0';
	ASSERT_NE(strstr(log, "mount tag \"esc\\e[2Jtag\""), NULL);
	ASSERT_EQ(strchr(log, '\x1b'), NULL);

	QMP("device_del dev-fs3");
	for (int i = 0; i < 1200 && chan_wait(raw, 0) == 0; i++)
		msleep(50);
	ASSERT_NE(chan_wait(raw, 0), 0);
	QMP("device_add virtio-9p-pci dev-fs3 fs3 " TAG_UNPLUG);
	ASSERT_EQ(chan_wait(TAG_UNPLUG, 90000), 0);
	assert_alive(_metadata);
}

TEST_HARNESS_MAIN
