// SPDX-License-Identifier: MIT
/*
 * nomount.c - `vio9p mount` in a build without libfuse3 (make MOUNT=no):
 * the verb stays in the table and its usage, and says why it cannot run.
 */
#include "cmd.h"

int cmd_mount(struct vctx *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	xwarnx("%s: this vio9p was built without FUSE (libfuse3)", c->verb);
	return 1;
}
