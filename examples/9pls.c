// SPDX-License-Identifier: MIT
/*
 * 9pls: a small 9P client over a vio9p channel, showing each step.
 *
 *	9pls [-q] CHANNEL [PATH]
 *
 * CHANNEL is /dev/9p/N (or unix:PATH / tcp:HOST:PORT for a 9P server).
 * Prints the device's mount tag, the Tversion and Tattach exchanges, then
 * lists PATH (default: the root of the share), one name per line.  -q
 * prints only the names.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <v9p.h>
#include <vio9p.h>

static int quiet;

#define step(...) do { if (!quiet) printf(__VA_ARGS__); } while (0)

static void show_tag(const char *chan)
{
	char tag[VIO9P_MOUNT_TAG_SIZE];
	int fd;

	if (strncmp(chan, "/dev/", 5) != 0)
		return;
	fd = open(chan, O_RDWR | O_EXCL);
	if (fd < 0) {
		fprintf(stderr, "9pls: %s: %s\n", chan, strerror(errno));
		exit(1);
	}
	if (ioctl(fd, VIO9P_IOC_MOUNT_TAG, tag) < 0) {
		fprintf(stderr, "9pls: %s: VIO9P_IOC_MOUNT_TAG: %s\n", chan,
			strerror(errno));
		exit(1);
	}
	close(fd);
	step("mount tag   \"%s\"\n", tag);
}

static int list(struct v9p_fid *dir)
{
	static char buf[8192];
	struct v9p_dirent de;
	uint64_t off = 0;
	ssize_t n;

	for (;;) {
		size_t pos = 0;
		int r;

		n = v9p_readdir(dir, off, buf, sizeof(buf));
		if (n <= 0)
			return n < 0 ? -1 : 0;
		while ((r = v9p_dirent_next(buf, n, &pos, &de)) > 0) {
			off = de.offset;
			if (strcmp(de.name, ".") && strcmp(de.name, ".."))
				printf("%s%s\n", de.name,
				       de.type == DT_DIR ? "/" : "");
		}
		if (r < 0)
			return -1;
	}
}

int main(int argc, char **argv)
{
	struct v9p_session *s;
	struct v9p_fid *root, *dir;
	const char *chan, *path;
	int c;

	while ((c = getopt(argc, argv, "q")) != -1) {
		if (c != 'q') {
			fprintf(stderr, "usage: 9pls [-q] CHANNEL [PATH]\n");
			return 2;
		}
		quiet = 1;
	}
	if (optind >= argc || argc - optind > 2) {
		fprintf(stderr, "usage: 9pls [-q] CHANNEL [PATH]\n");
		return 2;
	}
	chan = argv[optind];
	path = optind + 1 < argc ? argv[optind + 1] : "";

	show_tag(chan);
	s = v9p_connect(chan, 0);
	if (!s) {
		fprintf(stderr, "9pls: %s: %s\n", chan, strerror(errno));
		return 1;
	}
	step("Tversion    %s msize %u -> Rversion msize %u\n", V9P_VERSION,
	     V9P_DEV_MSIZE, v9p_msize(s));
	root = v9p_attach(s, "root", 0, "");
	if (!root) {
		fprintf(stderr, "9pls: attach: %s\n", strerror(errno));
		return 1;
	}
	step("Tattach     uname root aname \"\" -> Rattach qid path %#llx\n",
	     (unsigned long long)v9p_fid_qid(root)->path);
	dir = v9p_walk(root, path);
	if (!dir || v9p_lopen(dir, O_RDONLY) < 0) {
		fprintf(stderr, "9pls: %s: %s\n", *path ? path : "/",
			strerror(errno));
		return 1;
	}
	step("Treaddir    %s\n", *path ? path : "/");
	if (list(dir) < 0) {
		fprintf(stderr, "9pls: readdir %s: %s\n", *path ? path : "/",
			strerror(errno));
		return 1;
	}
	v9p_clunk(dir);
	v9p_clunk(root);
	v9p_close(s);
	return fclose(stdout) == 0 ? 0 : 1;
}
