// SPDX-License-Identifier: GPL-2.0
/*
 * Sharing the devices with the kernel's 9P client: vio9p.tags limits the
 * devices vio9p takes, 9pnet_virtio takes the others, v9fs mounts one while
 * /dev/9p drives another, and a device moves between the two drivers
 * through sysfs unbind and bind.  Runs last: it leaves 9pnet_virtio loaded.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "pattern.h"
#include "rig.h"

#define VIO9P_KO	"/lib/vio9p/vio9p.ko"
#define V9FS_DIR	"/lib/modules/v9fs"
#define VIRTIO_DRV	"/sys/bus/virtio/drivers"
#define MNT		"/mnt"

static void load_v9fs(METADATA)
{
	static const char *const mods[] = {
		"netfs", "fscache", "9pnet", "9pnet_virtio", "9p",
	};
	char path[128];

	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		snprintf(path, sizeof(path), V9FS_DIR "/%s.ko", mods[i]);
		/* Missing: built in, or not needed by this kernel. */
		if (module_load(path, "") != 0 && errno != EEXIST &&
		    errno != ENOENT)
			ASSERT_TRUE(0) TH_LOG("load %s: %s", path,
					      strerror(errno));
	}
}

/* The virtio device whose 9P mount tag (config space) is @tag. */
static void virtio_by_tag(METADATA, const char *tag, char *name, size_t size)
{
	char path[128], buf[64];
	FILE *f;

	for (int i = 0; i < 32; i++) {
		snprintf(path, sizeof(path),
			 "/sys/bus/virtio/devices/virtio%d/mount_tag", i);
		f = fopen(path, "r");
		if (!f)
			continue;
		/* 9pnet_virtio's attribute: the tag, no newline. */
		if (fgets(buf, sizeof(buf), f) &&
		    strncmp(buf, tag, strlen(tag)) == 0 &&
		    (buf[strlen(tag)] == '\0' || buf[strlen(tag)] == '\n')) {
			fclose(f);
			snprintf(name, size, "virtio%d", i);
			return;
		}
		fclose(f);
	}
	ASSERT_TRUE(0) TH_LOG("no 9pnet_virtio device with tag %s", tag);
}

/* Read a sysfs file of virtio device @virtio as a number. */
static unsigned long virtio_attr(METADATA, const char *virtio, const char *attr)
{
	char path[128], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/%s", virtio,
		 attr);
	f = fopen(path, "r");
	ASSERT_NE(f, NULL);
	ASSERT_NE(fgets(buf, sizeof(buf), f), NULL);
	fclose(f);
	return strtoul(buf, NULL, 0);
}

/*
 * The virtio-9p devices no driver holds are as the bus left them:
 * ACKNOWLEDGE (and the FAILED the core adds after any refused probe), not
 * DRIVER or FEATURES_OK, so that the next driver negotiates from scratch.
 * Returns how many there are.
 */
static int unbound_devices_are_reset(METADATA)
{
	char path[128], name[32];
	int n = 0;

	for (int i = 0; i < 32; i++) {
		snprintf(name, sizeof(name), "virtio%d", i);
		snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s", name);
		if (access(path, F_OK) != 0 ||
		    virtio_attr(_metadata, name, "device") != 9)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/driver",
			 name);
		if (access(path, F_OK) == 0)
			continue;
		TH_LOG("%s: status %#lx", name,
		       virtio_attr(_metadata, name, "status"));
		/* VIRTIO_CONFIG_S_ACKNOWLEDGE 1, FAILED 0x80 */
		ASSERT_EQ(virtio_attr(_metadata, name, "status") & ~0x80ul, 1);
		n++;
	}
	return n;
}

/*
 * The suite's tests, in order; each sets up what it needs itself.  The
 * teardown ends what a test that failed part way left running.
 */
FIXTURE(choose) {};
static FIXTURE_SETUP(choose) {}
static FIXTURE_TEARDOWN(choose)
{
	end_test_children();
}

TEST_F(choose, tags_parameter_leaves_other_devices_to_9pnet_virtio)
{
	struct p9msg req, rep;
	char virtio[64];
	int fd;

	ASSERT_OK(module_unload("vio9p"));
	ASSERT_OK(module_load(VIO9P_KO, "tags=nothing-here," TAG_MAIN));
	ASSERT_EQ(chan_wait(TAG_MAIN, 2000), 0);
	ASSERT_NE(chan_wait(TAG_LONG, 0), 0);
	ASSERT_NE(chan_wait(TAG_LEGACY, 0), 0);
	/* Declined: TAG_LONG, TAG_LEGACY, TAG_UNPLUG. */
	ASSERT_EQ(unbound_devices_are_reset(_metadata), 3);

	load_v9fs(_metadata);
	/* 9pnet_virtio took the three devices vio9p left. */
	virtio_by_tag(_metadata, TAG_LONG, virtio, sizeof(virtio));
	virtio_by_tag(_metadata, TAG_LEGACY, virtio, sizeof(virtio));
	virtio_by_tag(_metadata, TAG_UNPLUG, virtio, sizeof(virtio));

	fd = chan_open(_metadata, TAG_MAIN, 0);
	chan_session(_metadata, fd);
	p9_tgetattr(&req, 1, 0);
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	close(fd);
}

TEST_F_TIMEOUT(choose, v9fs_mount_and_vio9p_channel_work_at_once, 120)
{
	static uint8_t data[V9FS_SIZE];
	struct p9msg req, rep;
	int fd, out, status;
	pid_t pid;

	ASSERT_OK(mount(TAG_LONG, MNT, "9p", 0,
			"trans=virtio,version=9p2000.L,msize=65536,cache=none"));
	for (uint32_t i = 0; i < V9FS_SIZE; i++)
		data[i] = pattern_byte(V9FS_SEED, i);

	/* A child writes through v9fs while we drive /dev/9p. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		for (int round = 0; round < 5; round++) {
			out = open(MNT "/" V9FS_FILE,
				   O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (out < 0 ||
			    write(out, data, sizeof(data)) != sizeof(data) ||
			    close(out) != 0)
				_exit(1);
		}
		_exit(0);
	}
	fd = chan_open(_metadata, TAG_MAIN, 0);
	chan_session(_metadata, fd);
	for (int i = 0; i < 200; i++) {
		p9_tgetattr(&req, i, 0);
		ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	}
	close(fd);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_OK(umount(MNT));
}

TEST_F(choose, device_moves_from_9pnet_virtio_to_vio9p_and_back)
{
	char virtio[64], path[128];
	struct p9msg req, rep;
	int fd;

	virtio_by_tag(_metadata, TAG_LEGACY, virtio, sizeof(virtio));
	snprintf(path, sizeof(path), VIRTIO_DRV "/9pnet_virtio/%s", virtio);
	ASSERT_OK(access(path, F_OK));

	ASSERT_OK(write_file(VIRTIO_DRV "/9pnet_virtio/unbind", virtio));
	/* vio9p.tags does not name it: a bind is refused until it does. */
	ASSERT_ERRNO(write_file(VIRTIO_DRV "/vio9p/bind", virtio), ENODEV);
	/* With the newline echo(1) would write: it ends the last tag. */
	ASSERT_OK(write_file("/sys/module/vio9p/parameters/tags",
			     TAG_MAIN "," TAG_LEGACY "\n"));
	ASSERT_OK(write_file(VIRTIO_DRV "/vio9p/bind", virtio));
	ASSERT_EQ(chan_wait(TAG_LEGACY, 2000), 0);

	fd = chan_open(_metadata, TAG_LEGACY, 0);
	chan_session(_metadata, fd);
	p9_tgetattr(&req, 1, 0);
	ASSERT_EQ(chan_rpc(_metadata, fd, &req, &rep), 0);
	close(fd);

	ASSERT_OK(write_file(VIRTIO_DRV "/vio9p/unbind", virtio));
	ASSERT_NE(chan_wait(TAG_LEGACY, 0), 0);
	ASSERT_OK(write_file(VIRTIO_DRV "/9pnet_virtio/bind", virtio));
	ASSERT_OK(mount(TAG_LEGACY, MNT, "9p", 0,
			"trans=virtio,version=9p2000.L,cache=none"));
	ASSERT_OK(access(MNT, R_OK));
	ASSERT_OK(umount(MNT));
}

TEST_HARNESS_MAIN
