/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the VM runner (tests/run-guest) gives the guest tests: the devices'
 * mount tags and the files in the first share.  Keep in step with it.
 */
#ifndef VIO9P_TEST_RIG_H
#define VIO9P_TEST_RIG_H

/* A modern virtio-9p-pci device sharing tests' scratch folder. */
#define TAG_MAIN	"vio9p-main"
/* A second modern device whose tag is the longest QEMU accepts (31). */
#define TAG_LONG	"a-mount-tag-of-31-bytes-exactly"
/* A transitional device (disable-modern=on): the legacy interface. */
#define TAG_LEGACY	"vio9p-legacy"
/* A device the unplug tests unbind, remove and bring back. */
#define TAG_UNPLUG	"vio9p-unplug"
#define NR_DEVICES	4

/* In TAG_MAIN: a 1 MiB file holding pattern stream BIG_SEED. */
#define BIG_FILE	"big.bin"
#define BIG_SEED	1
#define BIG_SIZE	(1024 * 1024)
/* Written by the guest through the channel, checked on the host. */
#define OUT_FILE	"written.bin"
#define OUT_SEED	2
#define OUT_SIZE	300000
/* Written by the guest through v9fs on TAG_LONG, checked on the host. */
#define V9FS_FILE	"v9fs.bin"
#define V9FS_SEED	3
#define V9FS_SIZE	200000
/* In TAG_MAIN: t_lib's folder, checked on the host after the guest ends. */
#define LIB_DIR		"t_lib"

#endif /* VIO9P_TEST_RIG_H */
