// SPDX-License-Identifier: MIT
/*
 * vio9p_id - the mount tag of a vio9p channel, encoded for a device link.
 *
 *   vio9p_id SYSFS-DIR
 *
 * udev runs it from 60-vio9p.rules as IMPORT{program}="vio9p_id %S%p".  It
 * reads SYSFS-DIR/mount_tag and prints
 *
 *   VIO9P_TAG_ENC=<tag>
 *
 * where every byte other than a letter, a digit or one of "#+-.:=@_" is
 * written as \xHH (lowercase hex), as blkid encodes labels for
 * /dev/disk/by-label: a tag can hold '/', spaces or any other byte the
 * device chooses, and none of them may reach a path unencoded.  The names
 * "." and ".." are encoded whole.  An empty tag prints nothing, so the
 * device gets no link.  Exit status 0, or 1 with a message on stderr.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vio9p.h"

/* Bytes that stand for themselves in a link name (udev keeps them too). */
static int plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("#+-.:=@_", c));
}

/*
 * Read the tag of the channel at @dir into @tag (VIO9P_MOUNT_TAG_SIZE
 * bytes): the attribute's one trailing newline is dropped.  Returns its
 * length, or -1 after a message.
 */
static ssize_t read_tag(const char *dir, char *tag)
{
	char path[4096], buf[VIO9P_MOUNT_TAG_SIZE + 2];
	ssize_t n, len = 0;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/mount_tag", dir) >=
	    sizeof(path)) {
		fprintf(stderr, "vio9p_id: %s: path too long\n", dir);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vio9p_id: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((size_t)len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - (size_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "vio9p_id: %s: %s\n", path,
				strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	if (len == 0 || buf[len - 1] != '\n') {
		fprintf(stderr, "vio9p_id: %s: not a mount tag and a newline\n",
			path);
		return -1;
	}
	len--;
	if (len > VIRTIO_9P_TAGLEN || memchr(buf, '\0', (size_t)len)) {
		fprintf(stderr, "vio9p_id: %s: not a mount tag of at most %d bytes\n",
			path, VIRTIO_9P_TAGLEN);
		return -1;
	}
	memcpy(tag, buf, (size_t)len);
	tag[len] = '\0';
	return len;
}

int main(int argc, char **argv)
{
	char tag[VIO9P_MOUNT_TAG_SIZE];
	int whole_dots;
	ssize_t len;

	if (argc != 2) {
		fprintf(stderr, "usage: vio9p_id SYSFS-DIR\n");
		return 1;
	}
	len = read_tag(argv[1], tag);
	if (len < 0)
		return 1;
	if (len == 0)
		return 0;
	whole_dots = !strcmp(tag, ".") || !strcmp(tag, "..");
	fputs("VIO9P_TAG_ENC=", stdout);
	for (ssize_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)tag[i];

		if (plain(c) && !whole_dots)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	putchar('\n');
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "vio9p_id: stdout: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
