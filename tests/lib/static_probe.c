// SPDX-License-Identifier: MIT
/*
 * static_probe.c - linked with -static against libvio9p.a by
 * "make -C lib static-check": the archive must resolve with libc and
 * pthreads alone.  Connecting to nothing must fail cleanly.
 */
#include <errno.h>
#include <stdio.h>

#include "v9p.h"

int main(void)
{
	struct v9p_session *s = v9p_connect("bogus", 0);

	if (s || errno != EINVAL) {
		fprintf(stderr, "static_probe: v9p_connect(\"bogus\") "
				"did not fail with EINVAL\n");
		return 1;
	}
	printf("static link ok\n");
	return 0;
}
