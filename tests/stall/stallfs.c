// SPDX-License-Identifier: GPL-2.0
/*
 * stallfs: a host file system whose reads hang, so that QEMU's 9P server
 * holds a guest's requests for as long as a test wants: a virtio-9p
 * device that stops answering, made on purpose (tests/guest/t_stall.c).
 *
 *   stallfs MOUNTPOINT [SECONDS]
 *
 * Runs in the foreground until unmounted (fusermount3 -u).  Four files:
 *   stall	a read waits until "release" is written, then returns
 *		bytes 's'; a read that waited SECONDS (default 120) fails
 *		with EIO instead, so that nothing stays stuck for good
 *   release	writing anything to it lets every read of "stall" through,
 *		those waiting now and those to come, until "hold" is written
 *   hold	writing anything to it makes the reads of "stall" that come
 *		after it wait again, as at the start (those a release let
 *		through stay let through), so that several tests in one
 *		guest can each hold reads in their turn (t_session, t_stall)
 *   stalled	the number of reads of "stall" waiting right now, in decimal
 * Every file is direct I/O, so each read reaches this program.
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define STALL_SIZE	4096

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t released_cond;
static bool released;
/* Bumped by each write to "release": a read waiting across one goes. */
static unsigned long releases;
static unsigned int waiting;
static unsigned int timeout_s = 120;

enum { F_ROOT, F_STALL, F_RELEASE, F_HOLD, F_STALLED, F_NONE };

static int lookup(const char *path)
{
	if (!strcmp(path, "/"))
		return F_ROOT;
	if (!strcmp(path, "/stall"))
		return F_STALL;
	if (!strcmp(path, "/release"))
		return F_RELEASE;
	if (!strcmp(path, "/hold"))
		return F_HOLD;
	if (!strcmp(path, "/stalled"))
		return F_STALLED;
	return F_NONE;
}

static void *sfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->direct_io = 1;
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	return NULL;
}

static int sfs_getattr(const char *path, struct stat *st,
		       struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	st->st_nlink = 1;
	switch (lookup(path)) {
	case F_ROOT:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	case F_STALL:
	case F_STALLED:
		st->st_mode = S_IFREG | 0444;
		st->st_size = STALL_SIZE;
		return 0;
	case F_RELEASE:
	case F_HOLD:
		st->st_mode = S_IFREG | 0666;
		return 0;
	default:
		return -ENOENT;
	}
}

static int sfs_readdir(const char *path, void *buf, fuse_fill_dir_t fill,
		       off_t off, struct fuse_file_info *fi,
		       enum fuse_readdir_flags flags)
{
	static const char *const names[] = {
		".", "..", "stall", "release", "hold", "stalled",
	};

	(void)off;
	(void)fi;
	(void)flags;
	if (lookup(path) != F_ROOT)
		return -ENOTDIR;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		fill(buf, names[i], NULL, 0, 0);
	return 0;
}

static int sfs_open(const char *path, struct fuse_file_info *fi)
{
	int f = lookup(path);

	if (f == F_NONE)
		return -ENOENT;
	if (f != F_RELEASE && f != F_HOLD &&
	    (fi->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	fi->direct_io = 1;
	return 0;
}

/* Wait for "release", at most timeout_s seconds: 0, or -EIO. */
static int wait_released(void)
{
	struct timespec until;
	unsigned long gen;
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_s;
	pthread_mutex_lock(&lock);
	gen = releases;
	waiting++;
	while (!released && releases == gen && ret == 0)
		if (pthread_cond_timedwait(&released_cond, &lock, &until))
			ret = -EIO;
	waiting--;
	pthread_mutex_unlock(&lock);
	if (ret)
		fprintf(stderr, "stallfs: a read waited %u s; failing it\n",
			timeout_s);
	return ret;
}

/* Copy @len bytes of @src, a file of @size bytes, from @off into @buf. */
static int serve(char *buf, size_t len, off_t off, const char *src,
		 size_t size)
{
	if (off < 0 || (size_t)off >= size)
		return 0;
	if (len > size - (size_t)off)
		len = size - (size_t)off;
	memcpy(buf, src + off, len);
	return (int)len;
}

static int sfs_read(const char *path, char *buf, size_t len, off_t off,
		    struct fuse_file_info *fi)
{
	static char fill[STALL_SIZE];
	char text[32];
	int n, ret;

	(void)fi;
	switch (lookup(path)) {
	case F_STALL:
		ret = wait_released();
		if (ret)
			return ret;
		memset(fill, 's', sizeof(fill));
		return serve(buf, len, off, fill, sizeof(fill));
	case F_STALLED:
		pthread_mutex_lock(&lock);
		n = snprintf(text, sizeof(text), "%u\n", waiting);
		pthread_mutex_unlock(&lock);
		return serve(buf, len, off, text, (size_t)n);
	case F_RELEASE:
	case F_HOLD:
		return 0;
	default:
		return -ENOENT;
	}
}

static int sfs_write(const char *path, const char *buf, size_t len,
		     off_t off, struct fuse_file_info *fi)
{
	(void)buf;
	(void)off;
	(void)fi;
	switch (lookup(path)) {
	case F_RELEASE:
		pthread_mutex_lock(&lock);
		released = true;
		releases++;
		pthread_cond_broadcast(&released_cond);
		pthread_mutex_unlock(&lock);
		return (int)len;
	case F_HOLD:
		pthread_mutex_lock(&lock);
		released = false;
		pthread_mutex_unlock(&lock);
		return (int)len;
	default:
		return -EACCES;
	}
}

static int sfs_truncate(const char *path, off_t size,
			struct fuse_file_info *fi)
{
	(void)size;
	(void)fi;
	return lookup(path) == F_RELEASE || lookup(path) == F_HOLD ?
	       0 : -EACCES;
}

static const struct fuse_operations sfs_ops = {
	.init = sfs_init,
	.getattr = sfs_getattr,
	.readdir = sfs_readdir,
	.open = sfs_open,
	.read = sfs_read,
	.write = sfs_write,
	.truncate = sfs_truncate,
};

int main(int argc, char **argv)
{
	/* Every waiting read holds a thread: leave room for many. */
	char *fargv[] = {
		argv[0], "-f", "-o", "max_threads=256,fsname=stallfs",
		argc > 1 ? argv[1] : NULL, NULL,
	};
	pthread_condattr_t ca;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: stallfs MOUNTPOINT [SECONDS]\n");
		return 2;
	}
	if (argc == 3) {
		char *end;
		unsigned long s = strtoul(argv[2], &end, 10);

		if (*end || !s || s > 86400) {
			fprintf(stderr, "stallfs: bad SECONDS: %s\n", argv[2]);
			return 2;
		}
		timeout_s = (unsigned int)s;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&released_cond, &ca);
	return fuse_main(5, fargv, &sfs_ops, NULL);
}
