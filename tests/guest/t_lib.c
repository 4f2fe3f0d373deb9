// SPDX-License-Identifier: GPL-2.0
/*
 * The library (lib/, linked in statically) against QEMU's 9P server
 * through /dev/9p: the calls Debian 12's diod answers with EOPNOTSUPP, so
 * that the library's tests against diod (tests/lib/test_diod.c) cannot
 * check them: v9p_renameat() and v9p_unlinkat(), what they do and the
 * errno of each way they fail, with the result looked at through 9P
 * (walks, reads, Tgetattr); and v9p_put_fd() of a file, which splices
 * its data into the channel.  Each test works in a folder of its own under
 * LIB_DIR in TAG_MAIN's share; the last leaves a tree that the runner
 * (tests/run-guest) compares on the host after the guest ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <v9p.h>

#include "asserts.h"
#include "p9.h"
#include "rig.h"

/* A session on TAG_MAIN's channel, its root, and the test's folder. */
FIXTURE(lib)
{
	struct v9p_session *s;
	struct v9p_fid *root;
	struct v9p_fid *dir;
};

static FIXTURE_SETUP(lib)
{
	char path[256];

	ASSERT_EQ(0, chan_path(TAG_MAIN, path, sizeof(path)))
		TH_LOG("no channel with tag %s", TAG_MAIN);
	self->s = v9p_connect(path, 0);
	ASSERT_NONNULL(self->s);
	self->root = v9p_attach(self->s, "root", 0, "");
	ASSERT_NONNULL(self->root);
	/* LIB_DIR, then a folder named after the test, both new. */
	if (v9p_mkdir(self->root, LIB_DIR, 0755, 0, NULL) < 0)
		ASSERT_EQ(EEXIST, errno);
	self->dir = v9p_walk(self->root, LIB_DIR);
	ASSERT_NONNULL(self->dir);
	ASSERT_OK(v9p_mkdir(self->dir, _metadata->name, 0755, 0, NULL));
	ASSERT_OK(v9p_clunk(self->dir));
	snprintf(path, sizeof(path), "%s/%s", LIB_DIR, _metadata->name);
	self->dir = v9p_walk(self->root, path);
	ASSERT_NONNULL(self->dir);
}

static FIXTURE_TEARDOWN(lib)
{
	if (self->dir)
		v9p_clunk(self->dir);
	if (self->root)
		v9p_clunk(self->root);
	v9p_close(self->s);
}

/*
 * A fid for the folder holding @path ("a/b/name") from @dir, and in
 * *@name the last name of @path; the caller clunks it.
 */
static struct v9p_fid *parent(METADATA, struct v9p_fid *dir,
			      const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	char up[128];
	struct v9p_fid *f;

	*name = slash ? slash + 1 : path;
	snprintf(up, sizeof(up), "%.*s", slash ? (int)(slash - path) : 0,
		 path);
	f = v9p_walk(dir, up);
	ASSERT_NE(NULL, f) TH_LOG("walk to the folder of %s: %s", path,
				  strerror(errno));
	return f;
}

/* Make folder @path from @dir with Tmkdir. */
static void mkdir_at(METADATA, struct v9p_fid *dir, const char *path)
{
	const char *name;
	struct v9p_fid *f = parent(_metadata, dir, path, &name);

	ASSERT_EQ(0, v9p_mkdir(f, name, 0755, 0, NULL))
		TH_LOG("mkdir %s: %s", path, strerror(errno));
	ASSERT_OK(v9p_clunk(f));
}

/* Create file @path from @dir holding the string @data. */
static void put(METADATA, struct v9p_fid *dir, const char *path,
		const char *data)
{
	const char *name;
	struct v9p_fid *f = parent(_metadata, dir, path, &name);

	ASSERT_OK(v9p_lcreate(f, name, O_WRONLY | O_CREAT | O_EXCL, 0644, 0));
	ASSERT_EQ((ssize_t)strlen(data), v9p_pwrite(f, data, strlen(data), 0));
	ASSERT_OK(v9p_clunk(f));
}

/*
 * The file at @path from @dir holds exactly the string @data; its qid
 * path (the host's inode) in *@ino unless NULL.
 */
static void holds(METADATA, struct v9p_fid *dir, const char *path,
		  const char *data, uint64_t *ino)
{
	char buf[64];
	struct v9p_fid *f = v9p_walk(dir, path);
	ssize_t n;

	ASSERT_NE(NULL, f) TH_LOG("walk to %s: %s", path, strerror(errno));
	ASSERT_OK(v9p_lopen(f, O_RDONLY));
	n = v9p_pread(f, buf, sizeof(buf), 0);
	ASSERT_EQ((ssize_t)strlen(data), n) TH_LOG("%s", path);
	ASSERT_MEM_EQ(buf, data, (size_t)n);
	if (ino)
		*ino = v9p_fid_qid(f)->path;
	ASSERT_OK(v9p_clunk(f));
}

/* Nothing at @path from @dir: a walk to it fails with ENOENT. */
static void absent(METADATA, struct v9p_fid *dir, const char *path)
{
	struct v9p_fid *f;

	errno = 0;
	f = v9p_walk(dir, path);
	ASSERT_EQ(NULL, f) TH_LOG("%s is there", path);
	ASSERT_EQ(ENOENT, errno) TH_LOG("walk to %s: %s", path,
					strerror(errno));
}

/* @path from @dir is a directory of @nlink links (2 + subfolders). */
static void is_dir(METADATA, struct v9p_fid *dir, const char *path,
		   uint64_t nlink)
{
	struct v9p_fid *f = v9p_walk(dir, path);
	struct v9p_attr a;

	ASSERT_NE(NULL, f) TH_LOG("walk to %s: %s", path, strerror(errno));
	ASSERT_OK(v9p_getattr(f, V9P_GETATTR_MODE | V9P_GETATTR_NLINK, &a));
	ASSERT_EQ(0040000u, a.mode & 0170000u) TH_LOG("%s", path);
	ASSERT_EQ(nlink, a.nlink) TH_LOG("%s", path);
	ASSERT_OK(v9p_clunk(f));
}

TEST_F(lib, renameat_moves_a_file_to_another_folder)
{
	struct v9p_fid *a, *b;
	uint64_t ino, ino2;

	mkdir_at(_metadata, self->dir, "a");
	mkdir_at(_metadata, self->dir, "b");
	put(_metadata, self->dir, "a/f", "moved");
	holds(_metadata, self->dir, "a/f", "moved", &ino);
	a = v9p_walk(self->dir, "a");
	b = v9p_walk(self->dir, "b");
	ASSERT_NONNULL(a);
	ASSERT_NONNULL(b);
	ASSERT_OK(v9p_renameat(a, "f", b, "g"));
	absent(_metadata, self->dir, "a/f");
	holds(_metadata, self->dir, "b/g", "moved", &ino2);
	/* The same file, not a copy. */
	ASSERT_EQ(ino, ino2);
	/* Within one folder, and back. */
	ASSERT_OK(v9p_renameat(b, "g", b, "h"));
	absent(_metadata, self->dir, "b/g");
	holds(_metadata, self->dir, "b/h", "moved", NULL);
	ASSERT_OK(v9p_renameat(b, "h", a, "f"));
	holds(_metadata, self->dir, "a/f", "moved", NULL);
	absent(_metadata, self->dir, "b/h");
	ASSERT_OK(v9p_clunk(a));
	ASSERT_OK(v9p_clunk(b));
}

TEST_F(lib, renameat_moves_a_folder_with_its_files)
{
	mkdir_at(_metadata, self->dir, "d");
	mkdir_at(_metadata, self->dir, "d/e");
	put(_metadata, self->dir, "d/e/f", "deep");
	mkdir_at(_metadata, self->dir, "into");
	{
		struct v9p_fid *into = v9p_walk(self->dir, "into");

		ASSERT_NONNULL(into);
		ASSERT_OK(v9p_renameat(self->dir, "d", into, "d2"));
		ASSERT_OK(v9p_clunk(into));
	}
	absent(_metadata, self->dir, "d");
	is_dir(_metadata, self->dir, "into", 3);
	is_dir(_metadata, self->dir, "into/d2", 3);
	holds(_metadata, self->dir, "into/d2/e/f", "deep", NULL);
}

TEST_F(lib, renameat_replaces_the_file_it_is_given_as_target)
{
	uint64_t ino, ino2;

	put(_metadata, self->dir, "new", "NEW");
	put(_metadata, self->dir, "old", "OLD");
	holds(_metadata, self->dir, "new", "NEW", &ino);
	ASSERT_OK(v9p_renameat(self->dir, "new", self->dir, "old"));
	absent(_metadata, self->dir, "new");
	holds(_metadata, self->dir, "old", "NEW", &ino2);
	ASSERT_EQ(ino, ino2);
}

/* Each failure is the server's errno, and leaves both names as they were. */
TEST_F(lib, renameat_fails_with_the_errno_of_each_case_and_moves_nothing)
{
	put(_metadata, self->dir, "f", "F");
	mkdir_at(_metadata, self->dir, "d");
	mkdir_at(_metadata, self->dir, "full");
	put(_metadata, self->dir, "full/x", "X");

	ASSERT_ERRNO(v9p_renameat(self->dir, "missing", self->dir, "g"),
		     ENOENT);
	absent(_metadata, self->dir, "g");
	/* A folder onto a folder that is not empty. */
	ASSERT_ERRNO(v9p_renameat(self->dir, "d", self->dir, "full"),
		     ENOTEMPTY);
	/* A file onto a folder, a folder onto a file. */
	ASSERT_ERRNO(v9p_renameat(self->dir, "f", self->dir, "d"), EISDIR);
	ASSERT_ERRNO(v9p_renameat(self->dir, "d", self->dir, "f"), ENOTDIR);
	/* A folder into itself. */
	{
		struct v9p_fid *d = v9p_walk(self->dir, "d");

		ASSERT_NONNULL(d);
		ASSERT_ERRNO(v9p_renameat(self->dir, "d", d, "d"), EINVAL);
		ASSERT_OK(v9p_clunk(d));
	}
	holds(_metadata, self->dir, "f", "F", NULL);
	is_dir(_metadata, self->dir, "d", 2);
	holds(_metadata, self->dir, "full/x", "X", NULL);
	absent(_metadata, self->dir, "d/d");
	/* A name is one name: QEMU refuses one holding a '/'. */
	ASSERT_ERRNO(v9p_renameat(self->dir, "f", self->dir, "d/f"), ENOENT);
	absent(_metadata, self->dir, "d/f");
	holds(_metadata, self->dir, "f", "F", NULL);
	/* The session goes on: a rename that can work, works. */
	{
		struct v9p_fid *d = v9p_walk(self->dir, "d");

		ASSERT_NONNULL(d);
		ASSERT_OK(v9p_renameat(self->dir, "f", d, "f"));
		ASSERT_OK(v9p_clunk(d));
	}
	holds(_metadata, self->dir, "d/f", "F", NULL);
	absent(_metadata, self->dir, "f");
}

TEST_F(lib, unlinkat_removes_files_and_directories)
{
	struct v9p_fid *d;

	mkdir_at(_metadata, self->dir, "d");
	put(_metadata, self->dir, "d/f", "");
	put(_metadata, self->dir, "g", "G");

	ASSERT_ERRNO(v9p_unlinkat(self->dir, "d", V9P_AT_REMOVEDIR),
		     ENOTEMPTY);
	ASSERT_ERRNO(v9p_unlinkat(self->dir, "d", 0), EISDIR);
	ASSERT_ERRNO(v9p_unlinkat(self->dir, "g", V9P_AT_REMOVEDIR), ENOTDIR);
	ASSERT_ERRNO(v9p_unlinkat(self->dir, "missing", 0), ENOENT);
	/* Nothing went. */
	holds(_metadata, self->dir, "d/f", "", NULL);
	holds(_metadata, self->dir, "g", "G", NULL);

	d = v9p_walk(self->dir, "d");
	ASSERT_NONNULL(d);
	ASSERT_OK(v9p_unlinkat(d, "f", 0));
	absent(_metadata, self->dir, "d/f");
	ASSERT_ERRNO(v9p_unlinkat(d, "f", 0), ENOENT);
	ASSERT_OK(v9p_clunk(d));
	ASSERT_OK(v9p_unlinkat(self->dir, "d", V9P_AT_REMOVEDIR));
	absent(_metadata, self->dir, "d");
	ASSERT_OK(v9p_unlinkat(self->dir, "g", 0));
	absent(_metadata, self->dir, "g");
	/* The test's folder is empty again: only "." and "..". */
	is_dir(_metadata, self->dir, "", 2);
}

TEST_F(lib, unlinkat_of_an_open_file_leaves_its_fid_readable)
{
	struct v9p_fid *f;
	char buf[8];

	put(_metadata, self->dir, "f", "still");
	f = v9p_walk(self->dir, "f");
	ASSERT_NONNULL(f);
	ASSERT_OK(v9p_lopen(f, O_RDONLY));
	ASSERT_OK(v9p_unlinkat(self->dir, "f", 0));
	absent(_metadata, self->dir, "f");
	ASSERT_EQ(5, v9p_pread(f, buf, sizeof(buf), 0));
	ASSERT_MEM_EQ(buf, "still", 5);
	ASSERT_OK(v9p_clunk(f));
}

/*
 * A tree for the host to check after the guest ends (tests/run-guest):
 * LIB_DIR/<this test>/ holds kept/moved ("renamed") and kept/sub/ with
 * one file, "stays"; what was removed or renamed away is gone.
 */
TEST_F(lib, renameat_and_unlinkat_leave_a_tree_for_the_host)
{
	mkdir_at(_metadata, self->dir, "kept");
	mkdir_at(_metadata, self->dir, "kept/sub");
	mkdir_at(_metadata, self->dir, "gone");
	put(_metadata, self->dir, "kept/orig", "renamed");
	put(_metadata, self->dir, "kept/sub/stays", "stays");
	put(_metadata, self->dir, "kept/removed", "x");
	{
		struct v9p_fid *k = v9p_walk(self->dir, "kept");

		ASSERT_NONNULL(k);
		ASSERT_OK(v9p_renameat(k, "orig", k, "moved"));
		ASSERT_OK(v9p_unlinkat(k, "removed", 0));
		ASSERT_OK(v9p_clunk(k));
	}
	ASSERT_OK(v9p_unlinkat(self->dir, "gone", V9P_AT_REMOVEDIR));
	holds(_metadata, self->dir, "kept/moved", "renamed", NULL);
	holds(_metadata, self->dir, "kept/sub/stays", "stays", NULL);
	absent(_metadata, self->dir, "kept/orig");
	absent(_metadata, self->dir, "kept/removed");
	absent(_metadata, self->dir, "gone");
}

/* /proc/self/io's @name: the bytes this process moved with read(2) and
 * write(2) and their like (splice(2) is not counted). */
static uint64_t io_count(METADATA, const char *name)
{
	FILE *f = fopen("/proc/self/io", "r");
	unsigned long long v = 0;
	char key[32];
	int found = 0;

	ASSERT_NE(NULL, f) TH_LOG("/proc/self/io: %s", strerror(errno));
	while (!found && fscanf(f, "%31[^:]: %llu\n", key, &v) == 2)
		found = strcmp(key, name) == 0;
	fclose(f);
	ASSERT_TRUE(found) TH_LOG("no %s in /proc/self/io", name);
	return v;
}

/*
 * v9p_put_fd() of a regular file sends it from the fd's offset to its
 * end, and leaves the offset there, as a read(2) loop would; on vio9p its
 * data goes from the file into the channel by splice(2) (trans_dev.c),
 * never through this process: the bytes it read (rchar) are the replies'.
 * Three Twrites and a bit, the first one starting mid-page.
 */
TEST_F(lib, put_fd_of_a_file_sends_it_from_its_offset_without_reading_it)
{
	size_t size = 3 * (size_t)v9p_msize(self->s) + 1000, from = 777;
	size_t want = size - from, done = 0;
	char tmp[] = "/tmp/t_lib.XXXXXX";
	uint8_t *src = malloc(size), *back = malloc(size);
	struct v9p_fid *f;
	uint64_t rchar;
	int fd;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, back);
	for (size_t i = 0; i < size; i++)
		src[i] = (uint8_t)(i * 7 + i / 4093);
	fd = mkstemp(tmp);
	ASSERT_LE(0, fd) TH_LOG("mkstemp: %s", strerror(errno));
	ASSERT_OK(unlink(tmp));
	ASSERT_EQ((ssize_t)size, write(fd, src, size));
	ASSERT_EQ((off_t)from, lseek(fd, (off_t)from, SEEK_SET));
	f = v9p_walk(self->dir, "");
	ASSERT_NE(NULL, f);
	ASSERT_OK(v9p_lcreate(f, "put.bin", O_WRONLY | O_CREAT | O_EXCL, 0644,
			      0));
	rchar = io_count(_metadata, "rchar");
	ASSERT_EQ((int64_t)want, v9p_put_fd(f, fd))
		TH_LOG("v9p_put_fd: %s", strerror(errno));
	ASSERT_GT(4096, io_count(_metadata, "rchar") - rchar)
		TH_LOG("the file's %zu bytes went through this process", want);
	ASSERT_EQ((off_t)size, lseek(fd, 0, SEEK_CUR));
	ASSERT_OK(v9p_clunk(f));
	f = v9p_walk(self->dir, "put.bin");
	ASSERT_NE(NULL, f);
	ASSERT_OK(v9p_lopen(f, O_RDONLY));
	while (done < want) {
		ssize_t n = v9p_pread(f, back + done, want - done, done);

		ASSERT_LT(0, n) TH_LOG("read back at %zu: %s", done,
				       strerror(errno));
		done += (size_t)n;
	}
	ASSERT_EQ(0, v9p_pread(f, back, 1, want));
	ASSERT_MEM_EQ(src + from, back, want);
	ASSERT_OK(v9p_clunk(f));
	close(fd);
	free(src);
	free(back);
}

TEST_HARNESS_MAIN
