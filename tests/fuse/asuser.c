// SPDX-License-Identifier: GPL-2.0
/*
 * asuser UID GID PROGRAM [ARG...] - run PROGRAM as UID:GID with no
 * supplementary groups (busybox guests may lack su).  Exits 127 when it
 * cannot, after checking that the ids really changed.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long id_arg(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 65535) {
		fprintf(stderr, "asuser: bad id: %s\n", s);
		exit(127);
	}
	return v;
}

int main(int argc, char **argv)
{
	uid_t uid;
	gid_t gid;

	if (argc < 4) {
		fprintf(stderr, "usage: asuser UID GID PROGRAM [ARG...]\n");
		return 127;
	}
	uid = (uid_t)id_arg(argv[1]);
	gid = (gid_t)id_arg(argv[2]);
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
		fprintf(stderr, "asuser: %s\n", strerror(errno));
		return 127;
	}
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid) {
		fprintf(stderr, "asuser: ids did not change\n");
		return 127;
	}
	execvp(argv[3], argv + 3);
	fprintf(stderr, "asuser: %s: %s\n", argv[3], strerror(errno));
	return 127;
}
