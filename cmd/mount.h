/* SPDX-License-Identifier: MIT */
/*
 * mount.h - private to `vio9p mount`: the state one mount shares with its
 * FUSE operations.  mount.c runs the verb (its top comment is the
 * design), mount_ops.c holds the operations.
 */
#ifndef VIO9P_CMD_MOUNT_H
#define VIO9P_CMD_MOUNT_H

#define FUSE_USE_VERSION 31

#include <fuse.h>
#include <stdatomic.h>

#include "cmd.h"

/* State of one mount: fuse's private_data. */
struct mnt {
	struct vctx *c;
	struct fuse *fuse;
	uint32_t chunk_max;	/* data bytes per Tread/Twrite: msize - 24 */
	uint32_t window;	/* most requests one call keeps in flight */
	atomic_bool dead;	/* the channel died; the loop is stopping */
	atomic_size_t rd_room;	/* bytes of entries the last readdirplus
				 * reply that came back full held, or 0 */
};

/* The operations, for fuse_new(). */
extern const struct fuse_operations mount_ops;

#endif
