// SPDX-License-Identifier: GPL-2.0
/*
 * t_fuse - the workload for `vio9p mount`: plain system calls on the
 * mounted share ($VIO9P_MNT, empty at the start), run as the user who
 * mounted it.  Each test works in a folder of its own and asserts bytes,
 * sizes, modes and exact errnos.  What the tests leave behind is listed in
 * tests/fuse/expected.tree, which the host checks in the share afterwards.
 *
 * Sizes straddle the 9P chunk of an 8192-byte msize (8168 data bytes) and
 * of diod's 65536, so reads and writes of one, two and many requests all
 * happen.  umask is 0 so that the modes asked for are the modes expected.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asserts.h"
#include "pattern.h"

/* statfs(2)'s f_type of a FUSE mount (linux/magic.h has no name for it). */
#define FUSE_MAGIC 0x65735546

/*
 * An absolute path under the mount, in one of four rotating buffers.  The
 * first call in each test checks that $VIO9P_MNT is a FUSE mount, so that
 * a failed mount does not let the workload pass on a plain folder.
 */
static const char *P(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *P(const char *fmt, ...)
{
	static char bufs[4][4096];
	static int next;
	static pid_t checked;
	const char *mnt = getenv("VIO9P_MNT");
	char *b = bufs[next++ % 4];
	struct statfs sf;
	va_list ap;
	int n;

	if (!mnt || !*mnt) {
		printf("# VIO9P_MNT is not set\n");
		exit(1);
	}
	if (checked != getpid()) {
		if (statfs(mnt, &sf) != 0 || sf.f_type != FUSE_MAGIC) {
			printf("# %s is not a FUSE mount\n", mnt);
			exit(1);
		}
		checked = getpid();
	}
	n = snprintf(b, sizeof(bufs[0]), "%s/", mnt);
	va_start(ap, fmt);
	vsnprintf(b + n, sizeof(bufs[0]) - (size_t)n, fmt, ap);
	va_end(ap);
	return b;
}

static void fill(uint8_t *buf, uint32_t seed, uint64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern_byte(seed, off + i);
}

/* Write @size bytes of pattern @seed to new file @path (mode @mode) in
 * write(2)s of @wsize bytes. */
static void put_pattern(METADATA, const char *path, mode_t mode, uint32_t seed,
			size_t size, size_t wsize)
{
	uint8_t *buf = malloc(wsize);
	size_t done = 0;
	int fd;

	ASSERT_TRUE(buf != NULL);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	ASSERT_GE(fd, 0);
	while (done < size) {
		size_t n = size - done < wsize ? size - done : wsize;

		fill(buf, seed, done, n);
		ASSERT_EQ(write(fd, buf, n), (ssize_t)n);
		done += n;
	}
	ASSERT_EQ(fsync(fd), 0);
	ASSERT_EQ(close(fd), 0);
	free(buf);
}

/* @path holds exactly @size bytes of pattern @seed, read in read(2)s of
 * @rsize bytes; read(2) then returns 0. */
static void check_pattern(METADATA, const char *path, uint32_t seed,
			  size_t size, size_t rsize)
{
	uint8_t *buf = malloc(rsize), *want = malloc(rsize);
	size_t done = 0;
	struct stat st;
	int fd;

	ASSERT_TRUE(buf && want);
	fd = open(path, O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(fstat(fd, &st), 0);
	ASSERT_EQ(st.st_size, (off_t)size);
	for (;;) {
		ssize_t n = read(fd, buf, rsize);

		ASSERT_GE(n, 0);
		if (n == 0)
			break;
		ASSERT_LE(done + (size_t)n, size);
		fill(want, seed, done, (size_t)n);
		ASSERT_MEM_EQ(buf, want, (size_t)n);
		done += (size_t)n;
	}
	ASSERT_EQ(done, size);
	ASSERT_EQ(close(fd), 0);
	free(buf);
	free(want);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return (mode_t)-1;
	return st.st_mode;
}

/* The suite's tests, in order; each sets up what it needs itself. */
FIXTURE(fuse) {};
static FIXTURE_SETUP(fuse) {}
static FIXTURE_TEARDOWN(fuse) {}

TEST_F_TIMEOUT(fuse, tree_written_and_read_back, 120)
{
	static const struct { const char *name; uint32_t seed; size_t size; }
	files[] = {
		{ "tree/empty", 10, 0 },
		{ "tree/d1/one", 11, 1 },
		{ "tree/d1/a8167", 12, 8167 },
		{ "tree/d1/a8168", 13, 8168 },
		{ "tree/d1/a8169", 14, 8169 },
		{ "tree/d1/a65513", 15, 65513 },
		{ "tree/d1/d2/big", 16, 3145733 },
	};
	static const size_t wsizes[] = { 4096, 5000, 1 << 20 };
	uint8_t buf[70000], want[70000];
	int fd;

	umask(0);
	ASSERT_EQ(mkdir(P("tree"), 0755), 0);
	ASSERT_EQ(mkdir(P("tree/d1"), 0750), 0);
	ASSERT_EQ(mkdir(P("tree/d1/d2"), 0700), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		put_pattern(_metadata, P("%s", files[i].name), 0644,
			    files[i].seed, files[i].size, wsizes[i % 3]);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		check_pattern(_metadata, P("%s", files[i].name), files[i].seed,
			      files[i].size, wsizes[(i + 1) % 3]);
	/* A read in the middle, across chunk boundaries. */
	fd = open(P("tree/d1/d2/big"), O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(pread(fd, buf, sizeof(buf), 1000003), (ssize_t)sizeof(buf));
	fill(want, 16, 1000003, sizeof(want));
	ASSERT_MEM_EQ(buf, want, sizeof(buf));
	/* And one that ends at the end of the file. */
	ASSERT_EQ(pread(fd, buf, sizeof(buf), 3145733 - 100), 100);
	fill(want, 16, 3145733 - 100, 100);
	ASSERT_MEM_EQ(buf, want, 100);
	ASSERT_EQ(pread(fd, buf, sizeof(buf), 3145733), 0);
	ASSERT_EQ(close(fd), 0);
	ASSERT_EQ(mode_of(P("tree/d1")), S_IFDIR | 0750);
	ASSERT_EQ(mode_of(P("tree/d1/one")), S_IFREG | 0644);
}

TEST_F(fuse, stat_and_setattr_round_trip)
{
	struct timespec ts[2] = { { 1000000000, 5 }, { 1234567890, 123456789 } };
	uint8_t buf[5000], want[1000];
	struct stat st;
	DIR *d;
	struct dirent *de;
	ino_t ino = 0;
	int fd;

	umask(0);
	ASSERT_EQ(mkdir(P("attr"), 0755), 0);
	put_pattern(_metadata, P("attr/f"), 0640, 50, 3000, 3000);
	ASSERT_EQ(stat(P("attr/f"), &st), 0);
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0640);
	EXPECT_EQ(st.st_size, 3000);
	EXPECT_EQ(st.st_nlink, 1);
	EXPECT_EQ(st.st_uid, getuid());
	d = opendir(P("attr"));
	ASSERT_TRUE(d != NULL);
	while ((de = readdir(d)))
		if (!strcmp(de->d_name, "f"))
			ino = de->d_ino;
	closedir(d);
	EXPECT_EQ(ino, st.st_ino);

	ASSERT_EQ(chmod(P("attr/f"), 0604), 0);
	ASSERT_EQ(stat(P("attr/f"), &st), 0);
	EXPECT_EQ(st.st_mode, S_IFREG | 0604);
	ASSERT_EQ(utimensat(AT_FDCWD, P("attr/f"), ts, 0), 0);
	ASSERT_EQ(stat(P("attr/f"), &st), 0);
	EXPECT_EQ(st.st_mtim.tv_sec, 1234567890);
	EXPECT_EQ(st.st_mtim.tv_nsec, 123456789);
	EXPECT_EQ(st.st_atim.tv_sec, 1000000000);

	/* Shrink by path, grow by descriptor: the new bytes are zeros. */
	ASSERT_EQ(truncate(P("attr/f"), 1000), 0);
	ASSERT_EQ(stat(P("attr/f"), &st), 0);
	EXPECT_EQ(st.st_size, 1000);
	fd = open(P("attr/f"), O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(ftruncate(fd, 5000), 0);
	ASSERT_EQ(fstat(fd, &st), 0);
	EXPECT_EQ(st.st_size, 5000);
	ASSERT_EQ(pread(fd, buf, sizeof(buf), 0), 5000);
	fill(want, 50, 0, 1000);
	ASSERT_MEM_EQ(buf, want, 1000);
	for (size_t i = 1000; i < 5000; i++)
		ASSERT_EQ(buf[i], 0);
	ASSERT_EQ(ftruncate(fd, 1000), 0);
	ASSERT_EQ(close(fd), 0);
	ASSERT_EQ(stat(P("attr"), &st), 0);
	EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST_F(fuse, rename_moves_and_replaces)
{
	struct stat st;

	umask(0);
	ASSERT_EQ(mkdir(P("ren"), 0755), 0);
	put_pattern(_metadata, P("ren/a"), 0644, 20, 1000, 1000);
	ASSERT_EQ(rename(P("ren/a"), P("ren/b")), 0);
	ASSERT_ERRNO(stat(P("ren/a"), &st), ENOENT);
	check_pattern(_metadata, P("ren/b"), 20, 1000, 4096);
	/* Over an existing file: it is replaced. */
	put_pattern(_metadata, P("ren/c"), 0600, 21, 500, 500);
	ASSERT_EQ(rename(P("ren/b"), P("ren/c")), 0);
	ASSERT_ERRNO(stat(P("ren/b"), &st), ENOENT);
	check_pattern(_metadata, P("ren/c"), 20, 1000, 4096);
	ASSERT_EQ(mode_of(P("ren/c")), S_IFREG | 0644);
	/* A directory with a file in it, then a file into it. */
	ASSERT_EQ(mkdir(P("ren/d"), 0755), 0);
	put_pattern(_metadata, P("ren/d/x"), 0644, 22, 10, 10);
	ASSERT_EQ(rename(P("ren/d"), P("ren/e")), 0);
	ASSERT_ERRNO(stat(P("ren/d/x"), &st), ENOENT);
	check_pattern(_metadata, P("ren/e/x"), 22, 10, 10);
	ASSERT_EQ(rename(P("ren/c"), P("ren/e/c")), 0);
	check_pattern(_metadata, P("ren/e/c"), 20, 1000, 999);
	ASSERT_ERRNO(rename(P("ren/missing"), P("ren/z")), ENOENT);
	/* A directory over a non-empty one. */
	ASSERT_EQ(mkdir(P("ren/empty"), 0755), 0);
	ASSERT_ERRNO(rename(P("ren/empty"), P("ren/e")), ENOTEMPTY);
	ASSERT_EQ(rmdir(P("ren/empty")), 0);
}

TEST_F(fuse, unlink_and_missing_files)
{
	struct stat st;

	umask(0);
	ASSERT_EQ(mkdir(P("unl"), 0755), 0);
	put_pattern(_metadata, P("unl/x"), 0644, 40, 100, 100);
	put_pattern(_metadata, P("unl/keep"), 0644, 41, 5, 5);
	ASSERT_EQ(unlink(P("unl/x")), 0);
	ASSERT_ERRNO(stat(P("unl/x"), &st), ENOENT);
	ASSERT_ERRNO(unlink(P("unl/x")), ENOENT);
	ASSERT_ERRNO(open(P("unl/x"), O_RDONLY), ENOENT);
	ASSERT_ERRNO(open(P("no/such/dir/file"), O_RDONLY), ENOENT);
	ASSERT_ERRNO(open(P("unl/keep"), O_RDWR | O_CREAT | O_EXCL, 0644),
		     EEXIST);
	ASSERT_ERRNO(open(P("unl/keep/below"), O_RDONLY), ENOTDIR);
	check_pattern(_metadata, P("unl/keep"), 41, 5, 5);
}

TEST_F(fuse, symlink_and_readlink)
{
	char buf[64];
	struct stat st;

	umask(0);
	ASSERT_EQ(mkdir(P("sym"), 0755), 0);
	put_pattern(_metadata, P("sym/t"), 0644, 30, 100, 100);
	ASSERT_EQ(symlink("t", P("sym/l")), 0);
	ASSERT_EQ(symlink("no/such", P("sym/dangling")), 0);
	ASSERT_ERRNO(symlink("t", P("sym/l")), EEXIST);
	ASSERT_EQ(readlink(P("sym/l"), buf, sizeof(buf)), 1);
	ASSERT_MEM_EQ(buf, "t", 1);
	ASSERT_EQ(readlink(P("sym/dangling"), buf, sizeof(buf)), 7);
	ASSERT_MEM_EQ(buf, "no/such", 7);
	ASSERT_EQ(lstat(P("sym/l"), &st), 0);
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_EQ(st.st_size, 1);
	check_pattern(_metadata, P("sym/l"), 30, 100, 100);
	ASSERT_ERRNO(open(P("sym/dangling"), O_RDONLY), ENOENT);
	ASSERT_ERRNO(readlink(P("sym/t"), buf, sizeof(buf)), EINVAL);
}

TEST_F(fuse, mkdir_and_rmdir)
{
	struct stat st;

	umask(0);
	ASSERT_EQ(mkdir(P("dirs"), 0755), 0);
	ASSERT_EQ(mkdir(P("dirs/x"), 0750), 0);
	ASSERT_EQ(mode_of(P("dirs/x")), S_IFDIR | 0750);
	ASSERT_ERRNO(mkdir(P("dirs/x"), 0755), EEXIST);
	ASSERT_ERRNO(mkdir(P("dirs/no/such"), 0755), ENOENT);
	put_pattern(_metadata, P("dirs/x/f"), 0644, 42, 1, 1);
	ASSERT_ERRNO(rmdir(P("dirs/x")), ENOTEMPTY);
	ASSERT_ERRNO(rmdir(P("dirs/x/f")), ENOTDIR);
	ASSERT_ERRNO(unlink(P("dirs/x")), EISDIR);
	ASSERT_EQ(unlink(P("dirs/x/f")), 0);
	ASSERT_EQ(rmdir(P("dirs/x")), 0);
	ASSERT_ERRNO(stat(P("dirs/x"), &st), ENOENT);
	ASSERT_ERRNO(rmdir(P("dirs/x")), ENOENT);
	ASSERT_EQ(mkdir(P("dirs/kept"), 0711), 0);
}

/* The next entry of @d but "." and "..", which add to *@dots; NULL at the
 * end (errno 0) or on an error (errno set). */
static struct dirent *next_entry(DIR *d, int *dots)
{
	struct dirent *de;

	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			break;
		(*dots)++;
	}
	return de;
}

/* 300 names of 40 bytes: more than one Treaddir at any msize up to 16k. */
#define NAME_FMT "many/entry-%03d-.............................."
TEST_F_TIMEOUT(fuse, readdir_lists_every_entry, 120)
{
	enum { N = 300 };
	static char seen[N];
	struct dirent *de;
	int n = 0, dots = 0;
	DIR *d;

	umask(0);
	ASSERT_EQ(mkdir(P("many"), 0755), 0);
	for (int i = 0; i < N; i++) {
		int fd = open(P(NAME_FMT, i), O_WRONLY | O_CREAT | O_EXCL,
			      0644);

		ASSERT_GE(fd, 0);
		ASSERT_EQ(close(fd), 0);
	}
	d = opendir(P("many"));
	ASSERT_TRUE(d != NULL);
	while ((de = next_entry(d, &dots))) {
		int i;

		ASSERT_EQ(sscanf(de->d_name, "entry-%3d-", &i), 1);
		ASSERT_TRUE(i >= 0 && i < N);
		ASSERT_EQ(seen[i], 0);
		ASSERT_EQ(strlen(de->d_name), 40);
		EXPECT_EQ(de->d_type, DT_REG);
		seen[i] = 1;
		n++;
	}
	ASSERT_EQ(errno, 0);
	closedir(d);
	EXPECT_EQ(dots, 2);
	ASSERT_EQ(n, N);
	for (int i = 0; i < N; i++)
		ASSERT_EQ(unlink(P(NAME_FMT, i)), 0);
	ASSERT_EQ(rmdir(P("many")), 0);
}

/*
 * readdirplus: 150 files (more than one batch of 64, and more than one
 * reply of the kernel's), a symlink and a folder, each with its own size,
 * mode and mtime, listed as ls -l does: readdir, then lstat of each entry
 * as it comes.  The files are made first and the test waits out the
 * kernel's 1 s entry and attribute caches, so that what lstat sees came
 * from the listing (or, without readdirplus, from lookups).
 */
#define PLUS_N 150
#define PLUS_MTIME(i) (1500000000 + (i) * 1001)

static mode_t plus_mode(int i)
{
	static const mode_t modes[] = { 0644, 0600, 0755, 0640, 0444, 0711 };

	return modes[i % 6];
}

TEST_F_TIMEOUT(fuse, readdirplus_gives_every_entry_its_attributes, 120)
{
	static char seen[PLUS_N];
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, 0 } };
	struct dirent *de;
	struct stat st;
	int n = 0, dots = 0, others = 0;
	DIR *d;

	umask(0);
	ASSERT_EQ(mkdir(P("plus"), 0755), 0);
	for (int i = 0; i < PLUS_N; i++) {
		uint8_t buf[PLUS_N];
		int fd = open(P("plus/f%03d", i), O_WRONLY | O_CREAT | O_EXCL,
			      0600);

		ASSERT_GE(fd, 0);
		memset(buf, 'x', sizeof(buf));
		ASSERT_EQ(write(fd, buf, (size_t)i), i);
		ASSERT_EQ(close(fd), 0);
		ASSERT_EQ(chmod(P("plus/f%03d", i), plus_mode(i)), 0);
		ts[1].tv_sec = PLUS_MTIME(i);
		ts[1].tv_nsec = i * 1000;
		ASSERT_EQ(utimensat(AT_FDCWD, P("plus/f%03d", i), ts, 0), 0);
	}
	ASSERT_EQ(mkdir(P("plus/sub"), 0750), 0);
	ASSERT_EQ(symlink("f001", P("plus/link")), 0);
	sleep(2); /* past the kernel's caches of what was just made */
	d = opendir(P("plus"));
	ASSERT_TRUE(d != NULL);
	while ((de = next_entry(d, &dots))) {
		int i;

		ASSERT_EQ(lstat(P("plus/%s", de->d_name), &st), 0);
		EXPECT_EQ(de->d_ino, st.st_ino);
		if (!strcmp(de->d_name, "sub")) {
			EXPECT_EQ(de->d_type, DT_DIR);
			EXPECT_EQ(st.st_mode, S_IFDIR | 0750);
			others++;
			continue;
		}
		if (!strcmp(de->d_name, "link")) {
			EXPECT_EQ(de->d_type, DT_LNK);
			EXPECT_TRUE(S_ISLNK(st.st_mode));
			EXPECT_EQ(st.st_size, 4);
			others++;
			continue;
		}
		ASSERT_EQ(sscanf(de->d_name, "f%3d", &i), 1);
		ASSERT_TRUE(i >= 0 && i < PLUS_N);
		ASSERT_EQ(seen[i], 0);
		seen[i] = 1;
		n++;
		EXPECT_EQ(de->d_type, DT_REG);
		EXPECT_EQ(st.st_mode, S_IFREG | plus_mode(i));
		EXPECT_EQ(st.st_size, i);
		EXPECT_EQ(st.st_nlink, 1);
		EXPECT_EQ(st.st_uid, getuid());
		EXPECT_EQ(st.st_mtim.tv_sec, PLUS_MTIME(i));
		EXPECT_EQ(st.st_mtim.tv_nsec, i * 1000);
	}
	ASSERT_EQ(errno, 0);
	closedir(d);
	EXPECT_EQ(dots, 2);
	EXPECT_EQ(others, 2);
	ASSERT_EQ(n, PLUS_N);
	for (int i = 0; i < PLUS_N; i++)
		ASSERT_EQ(unlink(P("plus/f%03d", i)), 0);
	ASSERT_EQ(unlink(P("plus/link")), 0);
	ASSERT_EQ(rmdir(P("plus/sub")), 0);
	ASSERT_EQ(rmdir(P("plus")), 0);
}

/* Entries of directory @path, with "." and "..", or -1. */
static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

TEST_F(fuse, open_file_survives_unlink)
{
	uint8_t buf[300], want[300];
	struct stat st;
	int fd, entries = -1;

	umask(0);
	ASSERT_EQ(mkdir(P("gone"), 0755), 0);
	put_pattern(_metadata, P("gone/f"), 0644, 43, 200, 200);
	fd = open(P("gone/f"), O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(unlink(P("gone/f")), 0);
	ASSERT_ERRNO(stat(P("gone/f"), &st), ENOENT);
	ASSERT_EQ(fstat(fd, &st), 0);
	EXPECT_EQ(st.st_size, 200);
	fill(want, 43, 200, 100);
	ASSERT_EQ(pwrite(fd, want, 100, 200), 100);
	ASSERT_EQ(pread(fd, buf, sizeof(buf), 0), 300);
	fill(want, 43, 0, 300);
	ASSERT_MEM_EQ(buf, want, 300);
	ASSERT_EQ(close(fd), 0);
	/*
	 * libfuse hid it as .fuse_hidden* while open; the hidden file goes
	 * when the release that follows close(2) (asynchronously) is done.
	 */
	for (int tries = 0; tries < 250; tries++) {
		entries = count_entries(P("gone"));
		if (entries == 2)
			break;
		usleep(20000);
	}
	EXPECT_EQ(entries, 2);
}

TEST_F(fuse, hard_link_shares_the_file)
{
	struct stat a, b;

	umask(0);
	ASSERT_EQ(mkdir(P("hl"), 0755), 0);
	put_pattern(_metadata, P("hl/a"), 0644, 60, 77, 77);
	ASSERT_EQ(link(P("hl/a"), P("hl/b")), 0);
	ASSERT_ERRNO(link(P("hl/a"), P("hl/b")), EEXIST);
	ASSERT_EQ(stat(P("hl/a"), &a), 0);
	ASSERT_EQ(stat(P("hl/b"), &b), 0);
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(b.st_nlink, 2);
	check_pattern(_metadata, P("hl/b"), 60, 77, 77);
}

TEST_F(fuse, append_writes_at_the_end)
{
	uint8_t buf[100];
	int fd;

	umask(0);
	ASSERT_EQ(mkdir(P("app"), 0755), 0);
	put_pattern(_metadata, P("app/f"), 0644, 70, 100, 100);
	fd = open(P("app/f"), O_WRONLY | O_APPEND);
	ASSERT_GE(fd, 0);
	fill(buf, 70, 100, 100);
	ASSERT_EQ(write(fd, buf, 60), 60);
	ASSERT_EQ(write(fd, buf + 60, 40), 40);
	ASSERT_EQ(close(fd), 0);
	check_pattern(_metadata, P("app/f"), 70, 200, 64);
}

/*
 * 16 MiB in 1 MiB write(2)s on a file opened O_APPEND: each write(2)
 * reaches the daemon in several FUSE writes and each of those in several
 * Twrites, which the server places at the end of the file as they come.
 * Every 4 KiB block must be where it was written; the count of blocks out
 * of place says how bad it is.  Disorder depends on the server's threads:
 * up to four rounds, each on a new file, so that it shows.
 */
TEST_F_TIMEOUT(fuse, append_writes_arrive_in_order, 600)
{
	enum { WSIZE = 1 << 20, TOTAL = 16 << 20, BLOCK = 4096, ROUNDS = 4 };
	uint8_t *buf = malloc(WSIZE), *want = malloc(BLOCK);
	size_t bad = 0, first_bad = 0;
	struct stat st;
	int fd, round;

	ASSERT_TRUE(buf && want);
	umask(0);
	ASSERT_EQ(mkdir(P("appo"), 0755), 0);
	for (round = 1; round <= ROUNDS && !bad; round++) {
		fd = open(P("appo/f"), O_WRONLY | O_CREAT | O_EXCL | O_APPEND,
			  0644);
		ASSERT_GE(fd, 0);
		for (size_t off = 0; off < TOTAL; off += WSIZE) {
			fill(buf, 71, off, WSIZE);
			ASSERT_EQ(write(fd, buf, WSIZE), WSIZE);
		}
		ASSERT_EQ(close(fd), 0);
		ASSERT_EQ(stat(P("appo/f"), &st), 0);
		ASSERT_EQ(st.st_size, TOTAL);
		fd = open(P("appo/f"), O_RDONLY);
		ASSERT_GE(fd, 0);
		for (size_t off = 0; off < TOTAL; off += BLOCK) {
			ASSERT_EQ(pread(fd, buf, BLOCK, (off_t)off), BLOCK);
			fill(want, 71, off, BLOCK);
			if (memcmp(buf, want, BLOCK) && !bad++)
				first_bad = off;
		}
		ASSERT_EQ(close(fd), 0);
		ASSERT_EQ(unlink(P("appo/f")), 0);
	}
	if (bad)
		TH_LOG("round %d: %zu of %d blocks out of place, the first at %zu",
		       round - 1, bad, TOTAL / BLOCK, first_bad);
	EXPECT_EQ(bad, 0);
	ASSERT_EQ(rmdir(P("appo")), 0);
	free(buf);
	free(want);
}

/* Four processes write and read their own files at once: the daemon's
 * threads share one session. */
TEST_F_TIMEOUT(fuse, parallel_writers_and_readers, 120)
{
	pid_t pids[4];
	int status;

	umask(0);
	ASSERT_EQ(mkdir(P("par"), 0755), 0);
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (pids[i] == 0) {
			put_pattern(_metadata, P("par/p%d", i), 0644,
				    80 + (uint32_t)i, 262151, 32768);
			check_pattern(_metadata, P("par/p%d", i),
				      80 + (uint32_t)i, 262151, 131072);
			_exit(0);
		}
	}
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

/*
 * Every call that takes a path fails with ENAMETOOLONG when one of its
 * names is longer than NAME_MAX (the kernel lets FUSE names up to 1024
 * bytes through): the last name, or one in the middle.  A name of
 * exactly NAME_MAX bytes works.
 */
TEST_F(fuse, names_longer_than_name_max_fail_with_enametoolong)
{
	char max[NAME_MAX + 1], over[NAME_MAX + 2], buf[16];
	static char paths[2][4096]; /* P()'s buffers are reused */
	struct stat st;
	int fd;

	umask(0);
	memset(max, 'm', NAME_MAX);
	max[NAME_MAX] = '\0';
	memset(over, 'o', NAME_MAX + 1);
	over[NAME_MAX + 1] = '\0';
	ASSERT_EQ(mkdir(P("long"), 0755), 0);
	put_pattern(_metadata, P("long/f"), 0644, 90, 10, 10);
	strcpy(paths[0], P("long/%s", over));
	strcpy(paths[1], P("long/%s/f", over));
	for (int i = 0; i < 2; i++) {
		const char *o = paths[i];

		ASSERT_ERRNO(stat(o, &st), ENAMETOOLONG);
		ASSERT_ERRNO(lstat(o, &st), ENAMETOOLONG);
		ASSERT_ERRNO(open(o, O_RDONLY), ENAMETOOLONG);
		ASSERT_ERRNO(open(o, O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);
		ASSERT_ERRNO(mkdir(o, 0755), ENAMETOOLONG);
		ASSERT_ERRNO(mkfifo(o, 0644), ENAMETOOLONG);
		ASSERT_ERRNO(symlink("f", o), ENAMETOOLONG);
		ASSERT_ERRNO(link(P("long/f"), o), ENAMETOOLONG);
		ASSERT_ERRNO(rename(P("long/f"), o), ENAMETOOLONG);
		ASSERT_ERRNO(rename(o, P("long/g")), ENAMETOOLONG);
		ASSERT_ERRNO(unlink(o), ENAMETOOLONG);
		ASSERT_ERRNO(rmdir(o), ENAMETOOLONG);
		ASSERT_ERRNO(chmod(o, 0644), ENAMETOOLONG);
		ASSERT_ERRNO(chown(o, getuid(), getgid()), ENAMETOOLONG);
		ASSERT_ERRNO(truncate(o, 0), ENAMETOOLONG);
		ASSERT_ERRNO(readlink(o, buf, sizeof(buf)), ENAMETOOLONG);
		ASSERT_ERRNO(utimensat(AT_FDCWD, o, NULL, 0), ENAMETOOLONG);
	}
	fd = open(P("long/%s", max), O_WRONLY | O_CREAT | O_EXCL, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(close(fd), 0);
	ASSERT_EQ(rename(P("long/%s", max), P("long/g")), 0);
	ASSERT_EQ(mkdir(P("long/%s", max), 0755), 0);
	ASSERT_EQ(rmdir(P("long/%s", max)), 0);
	ASSERT_EQ(unlink(P("long/g")), 0);
	ASSERT_EQ(unlink(P("long/f")), 0);
	ASSERT_EQ(rmdir(P("long")), 0);
}

/* Whether @b is later than @a. */
static bool later(const struct timespec *a, const struct timespec *b)
{
	return b->tv_sec > a->tv_sec ||
	       (b->tv_sec == a->tv_sec && b->tv_nsec > a->tv_nsec);
}

/* Sleep long enough for the server's clock (coarse, on Linux: a jiffy)
 * to tick between two changes. */
static void tick(void)
{
	usleep(30000);
}

/*
 * What stat(2) shows right after link, unlink and rename, without waiting
 * out the kernel's attribute cache: a file's link count and ctime, and
 * its folders' link counts, mtimes and ctimes, as a local file system and
 * v9fs show them.
 */
TEST_F(fuse, link_counts_and_ctime_follow_link_unlink_rename)
{
	struct stat f0, f1, d0, d1, s0, s1;

	umask(0);
	ASSERT_EQ(mkdir(P("nl"), 0755), 0);
	ASSERT_EQ(mkdir(P("nl/sub"), 0755), 0);
	put_pattern(_metadata, P("nl/f"), 0644, 91, 10, 10);
	ASSERT_EQ(stat(P("nl/f"), &f0), 0);
	ASSERT_EQ(stat(P("nl"), &d0), 0);
	ASSERT_EQ(stat(P("nl/sub"), &s0), 0);
	EXPECT_EQ(f0.st_nlink, 1);
	EXPECT_EQ(d0.st_nlink, 3);
	EXPECT_EQ(s0.st_nlink, 2);

	tick();
	ASSERT_EQ(link(P("nl/f"), P("nl/sub/g")), 0);
	ASSERT_EQ(stat(P("nl/f"), &f1), 0);
	ASSERT_EQ(stat(P("nl/sub"), &s1), 0);
	EXPECT_EQ(f1.st_nlink, 2);
	EXPECT_TRUE(later(&f0.st_ctim, &f1.st_ctim));
	EXPECT_TRUE(later(&s0.st_mtim, &s1.st_mtim));
	EXPECT_TRUE(later(&s0.st_ctim, &s1.st_ctim));
	/* A chmod through one name shows through the other. */
	ASSERT_EQ(chmod(P("nl/sub/g"), 0600), 0);
	ASSERT_EQ(stat(P("nl/f"), &f1), 0);
	EXPECT_EQ(f1.st_mode, S_IFREG | 0600);

	f0 = f1;
	s0 = s1;
	tick();
	ASSERT_EQ(unlink(P("nl/f")), 0);
	ASSERT_EQ(stat(P("nl/sub/g"), &f1), 0);
	ASSERT_EQ(stat(P("nl"), &d1), 0);
	EXPECT_EQ(f1.st_nlink, 1);
	EXPECT_TRUE(later(&f0.st_ctim, &f1.st_ctim));
	EXPECT_TRUE(later(&d0.st_mtim, &d1.st_mtim));

	f0 = f1;
	d0 = d1;
	tick();
	ASSERT_EQ(rename(P("nl/sub/g"), P("nl/h")), 0);
	ASSERT_EQ(stat(P("nl/h"), &f1), 0);
	ASSERT_EQ(stat(P("nl"), &d1), 0);
	ASSERT_EQ(stat(P("nl/sub"), &s1), 0);
	EXPECT_EQ(f1.st_nlink, 1);
	EXPECT_TRUE(later(&f0.st_ctim, &f1.st_ctim));
	EXPECT_TRUE(later(&d0.st_mtim, &d1.st_mtim));
	EXPECT_TRUE(later(&s0.st_mtim, &s1.st_mtim));

	/* A folder moved between folders: the link counts of both. */
	d0 = d1;
	ASSERT_EQ(mkdir(P("nl/sub/dd"), 0755), 0);
	ASSERT_EQ(stat(P("nl/sub"), &s1), 0);
	EXPECT_EQ(s1.st_nlink, 3);
	ASSERT_EQ(rename(P("nl/sub/dd"), P("nl/dd")), 0);
	ASSERT_EQ(stat(P("nl/sub"), &s1), 0);
	ASSERT_EQ(stat(P("nl"), &d1), 0);
	EXPECT_EQ(s1.st_nlink, 2);
	EXPECT_EQ(d1.st_nlink, 4);
	ASSERT_EQ(rmdir(P("nl/dd")), 0);
	ASSERT_EQ(stat(P("nl"), &d1), 0);
	EXPECT_EQ(d1.st_nlink, 3);
	ASSERT_EQ(unlink(P("nl/h")), 0);
	ASSERT_EQ(rmdir(P("nl/sub")), 0);
	ASSERT_EQ(rmdir(P("nl")), 0);
}

/*
 * A folder's mtime and ctime right after a mknod(2) in it, whether the
 * call worked or failed.  QEMU 7.2's server makes the node, fails to set
 * its mode (ENXIO) and removes it again: the folder changed on the
 * server, and stat(2) must say so at once, as with v9fs, which caches no
 * attributes (pjdfstest's mknod/00, mkfifo/00, mknod/11 and link/00 check
 * it).  Where mknod works (diod), the kernel itself drops the folder's
 * attributes.
 */
TEST_F(fuse, folder_times_move_after_mknod_that_works_or_fails)
{
	struct stat d0, d1, st;
	int rc;

	umask(0);
	ASSERT_EQ(mkdir(P("mk"), 0755), 0);
	ASSERT_EQ(stat(P("mk"), &d0), 0);
	tick();
	rc = mkfifo(P("mk/p"), 0644);
	if (rc != 0) {
		ASSERT_EQ(errno, ENXIO);
		ASSERT_ERRNO(lstat(P("mk/p"), &st), ENOENT);
	}
	ASSERT_EQ(stat(P("mk"), &d1), 0);
	EXPECT_TRUE(later(&d0.st_mtim, &d1.st_mtim));
	EXPECT_TRUE(later(&d0.st_ctim, &d1.st_ctim));
	if (rc == 0)
		ASSERT_EQ(unlink(P("mk/p")), 0);
	ASSERT_EQ(rmdir(P("mk")), 0);
}

TEST_F(fuse, statfs_reports_the_share)
{
	struct statvfs sv;

	ASSERT_EQ(statvfs(P("."), &sv), 0);
	EXPECT_TRUE(sv.f_bsize > 0);
	EXPECT_TRUE(sv.f_blocks > 0);
	EXPECT_TRUE(sv.f_bfree <= sv.f_blocks);
	EXPECT_TRUE(sv.f_bavail <= sv.f_bfree);
	EXPECT_TRUE(sv.f_namemax >= 255);
}

TEST_HARNESS_MAIN
