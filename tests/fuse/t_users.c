// SPDX-License-Identifier: GPL-2.0
/*
 * t_users - `vio9p mount -o allow_other` as several users: run as root on
 * such a mount ($VIO9P_MNT), each test forks children that become user A
 * (65534:65534) or user B (1:1) with no supplementary groups and make
 * system calls there.  What a user creates must be theirs, and the
 * permission errors and sticky-directory rules must be those of a local
 * file system (and of v9fs with access=user).  Each test works in a
 * folder of its own and removes it at the end, so that the share holds
 * only what tests/fuse/t_fuse leaves.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asserts.h"

/* statfs(2)'s f_type of a FUSE mount. */
#define FUSE_MAGIC 0x65735546

#define UID_A 65534
#define GID_A 65534
#define UID_B 1
#define GID_B 1

/* "$VIO9P_MNT/@name", in one of four rotating buffers; the mount must be
 * FUSE, this process root. */
static const char *P(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	const char *mnt = getenv("VIO9P_MNT");
	char *b = bufs[next++ % 4];
	struct statfs sf;

	if (!mnt || !*mnt || statfs(mnt, &sf) != 0 || sf.f_type != FUSE_MAGIC) {
		printf("# VIO9P_MNT is not set to a FUSE mount\n");
		exit(1);
	}
	snprintf(b, sizeof(bufs[0]), "%s/%s", mnt, name);
	return b;
}

/*
 * The whole program needs root, to act as other users: without it, it
 * skips, kselftest's way, before the harness's main() runs a test.
 */
static void __attribute__((constructor)) need_root(void)
{
	if (geteuid() == 0)
		return;
	ksft_print_header();
	ksft_exit_skip("needs root, to act as other users\n");
}

/* Fork a child that is @uid:@gid with umask 0: its pid in the parent, 0
 * in the child. */
static pid_t as_start(uid_t uid, gid_t gid)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
			printf("# cannot become %u:%u: %s\n", (unsigned)uid,
			       (unsigned)gid, strerror(errno));
			_exit(1);
		}
		umask(0);
	}
	return pid;
}

/* The exit status of child @pid, 128 + the signal that killed it. */
static int as_wait(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * AS(uid, gid) { ... } AS_END;: the block runs in a child that is
 * @uid:@gid, and must pass.  Only ASSERTs there: they end the child with
 * status 1 (an EXPECT's failure would be lost with it).
 */
#define AS(uid, gid) do {						\
	pid_t _p = as_start(uid, gid);					\
	ASSERT_GE(_p, 0);						\
	if (_p == 0) {
#define AS_END								\
		_exit(0);						\
	}								\
	ASSERT_EQ(as_wait(_p), 0);					\
} while (0)

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Remove the tree @path as root. */
static void rm_tree(METADATA, const char *path)
{
	ASSERT_EQ(nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* A folder of the test's own at the root of the share, made by root. */
static const char *test_dir(METADATA, const char *name, mode_t mode)
{
	const char *d = P(name);

	umask(0);
	ASSERT_EQ(mkdir(d, mode), 0);
	ASSERT_EQ(chmod(d, mode), 0);
	return d;
}

static void expect_owner(METADATA, const char *path, uid_t uid, gid_t gid)
{
	struct stat st;

	ASSERT_EQ(lstat(path, &st), 0);
	EXPECT_EQ(st.st_uid, uid);
	EXPECT_EQ(st.st_gid, gid);
}

/* @dir/@name into @buf (PATH_MAX bytes). */
static void J(METADATA, char *buf, const char *dir, const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);

	ASSERT_TRUE(n > 0 && n < PATH_MAX);
}

/* The suite's tests, in order; each sets up what it needs itself. */
FIXTURE(users) {};
static FIXTURE_SETUP(users) {}
static FIXTURE_TEARDOWN(users) {}

TEST_F(users, files_a_user_creates_are_theirs)
{
	const char *d = test_dir(_metadata, "own", 0777);
	char f[PATH_MAX], sub[PATH_MAX], l[PATH_MAX], h[PATH_MAX];
	struct stat st;

	J(_metadata, f, d, "f");
	J(_metadata, sub, d, "sub");
	J(_metadata, l, d, "l");
	J(_metadata, h, d, "h");
	AS(UID_A, GID_A) {
		int fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0640);

		ASSERT_GE(fd, 0);
		ASSERT_EQ(write(fd, "abc", 3), 3);
		ASSERT_EQ(close(fd), 0);
		ASSERT_EQ(mkdir(sub, 0750), 0);
		ASSERT_EQ(symlink("f", l), 0);
		ASSERT_EQ(stat(f, &st), 0);
		ASSERT_EQ(st.st_uid, UID_A);
		ASSERT_EQ(link(f, h), 0);
		ASSERT_EQ(stat(f, &st), 0);
		ASSERT_EQ(st.st_nlink, 2);
	} AS_END;
	expect_owner(_metadata, f, UID_A, GID_A);
	expect_owner(_metadata, sub, UID_A, GID_A);
	expect_owner(_metadata, l, UID_A, GID_A);
	/* Root's own files stay root's. */
	J(_metadata, f, d, "root");
	ASSERT_EQ(mkdir(f, 0755), 0);
	expect_owner(_metadata, f, 0, 0);
	rm_tree(_metadata, d);
}

/*
 * A FIFO made by a user (Tmknod) is theirs.  QEMU 7.2's 9P server fails
 * every mknod with ENXIO (through v9fs too): skipped then.
 */
TEST_F(users, fifos_a_user_makes_are_theirs)
{
	const char *d = test_dir(_metadata, "fifo", 0777);
	char p[PATH_MAX];
	struct stat st;
	pid_t pid;
	int e;

	J(_metadata, p, d, "p");
	pid = as_start(UID_A, GID_A);
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(mkfifo(p, 0600) ? errno : 0);
	e = as_wait(pid); /* mkfifo's errno */
	if (e == ENXIO) {
		rm_tree(_metadata, d);
		SKIP(return, "the server fails mknod with ENXIO (QEMU 7.2 does)");
	}
	ASSERT_EQ(e, 0);
	expect_owner(_metadata, p, UID_A, GID_A);
	ASSERT_EQ(lstat(p, &st), 0);
	EXPECT_TRUE(S_ISFIFO(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0600);
	rm_tree(_metadata, d);
}

/*
 * In a set-group-ID folder of group B, what user A makes belongs to group
 * B, and a folder A makes there is set-group-ID too (v9fs applies the rule
 * itself: QEMU's server sets the group the client sends).
 */
TEST_F(users, set_group_id_folder_gives_its_group)
{
	const char *d = test_dir(_metadata, "sgid", 0777);
	char f[PATH_MAX], sub[PATH_MAX], l[PATH_MAX];
	struct stat st;

	J(_metadata, f, d, "f");
	J(_metadata, sub, d, "sub");
	J(_metadata, l, d, "l");
	ASSERT_EQ(chown(d, 0, GID_B), 0);
	ASSERT_EQ(chmod(d, 02777), 0);
	AS(UID_A, GID_A) {
		int fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0644);

		ASSERT_GE(fd, 0);
		ASSERT_EQ(close(fd), 0);
		ASSERT_EQ(mkdir(sub, 0755), 0);
		ASSERT_EQ(symlink("f", l), 0);
	} AS_END;
	expect_owner(_metadata, f, UID_A, GID_B);
	expect_owner(_metadata, sub, UID_A, GID_B);
	expect_owner(_metadata, l, UID_A, GID_B);
	ASSERT_EQ(stat(sub, &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 02755);
	rm_tree(_metadata, d);
}

TEST_F(users, chown_chmod_and_access_as_another_user)
{
	const char *d = test_dir(_metadata, "perm", 0777);
	char f[PATH_MAX];
	struct timespec ts[2] = { { 1, 0 }, { 1, 0 } };
	struct stat st;

	J(_metadata, f, d, "f");
	AS(UID_A, GID_A) {
		int fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0600);

		ASSERT_GE(fd, 0);
		ASSERT_EQ(write(fd, "secret", 6), 6);
		ASSERT_EQ(close(fd), 0);
	} AS_END;
	AS(UID_B, GID_B) {
		ASSERT_ERRNO(open(f, O_RDONLY), EACCES);
		ASSERT_ERRNO(open(f, O_WRONLY | O_TRUNC), EACCES);
		ASSERT_ERRNO(truncate(f, 0), EACCES);
		ASSERT_ERRNO(chmod(f, 0666), EPERM);
		ASSERT_ERRNO(chown(f, UID_B, (gid_t)-1), EPERM);
		ASSERT_ERRNO(utimensat(AT_FDCWD, f, ts, 0), EPERM);
	} AS_END;
	AS(UID_A, GID_A) {
		ASSERT_ERRNO(chown(f, UID_B, (gid_t)-1), EPERM);
		ASSERT_ERRNO(chown(f, (uid_t)-1, GID_B), EPERM);
		ASSERT_EQ(chown(f, UID_A, GID_A), 0);
		ASSERT_EQ(chmod(f, 0604), 0);
	} AS_END;
	AS(UID_B, GID_B) {
		int fd = open(f, O_RDONLY);
		char buf[8];

		ASSERT_GE(fd, 0);
		ASSERT_EQ(read(fd, buf, sizeof(buf)), 6);
		ASSERT_EQ(close(fd), 0);
		ASSERT_ERRNO(open(f, O_WRONLY), EACCES);
	} AS_END;
	ASSERT_EQ(chown(f, UID_B, GID_B), 0);
	expect_owner(_metadata, f, UID_B, GID_B);
	ASSERT_EQ(stat(f, &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0604);
	AS(UID_B, GID_B) {
		ASSERT_EQ(chmod(f, 0600), 0);
		ASSERT_EQ(truncate(f, 2), 0);
	} AS_END;
	AS(UID_A, GID_A) {
		ASSERT_ERRNO(open(f, O_RDONLY), EACCES);
	} AS_END;
	rm_tree(_metadata, d);
}

TEST_F(users, search_permission_on_a_path_prefix)
{
	const char *d = test_dir(_metadata, "srch", 0777);
	char x[PATH_MAX], f[PATH_MAX], g[PATH_MAX];
	struct stat st;

	J(_metadata, x, d, "x");
	J(_metadata, f, x, "f");
	J(_metadata, g, x, "g");
	AS(UID_A, GID_A) {
		int fd;

		ASSERT_EQ(mkdir(x, 0700), 0);
		fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0644);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(close(fd), 0);
	} AS_END;
	AS(UID_B, GID_B) {
		ASSERT_ERRNO(stat(f, &st), EACCES);
		ASSERT_ERRNO(open(f, O_RDONLY), EACCES);
		ASSERT_ERRNO(open(g, O_WRONLY | O_CREAT, 0644), EACCES);
		ASSERT_ERRNO(unlink(f), EACCES);
	} AS_END;
	AS(UID_A, GID_A) {
		ASSERT_EQ(chmod(x, 0600), 0);
		ASSERT_ERRNO(stat(f, &st), EACCES);
		ASSERT_ERRNO(mkdir(g, 0755), EACCES);
		ASSERT_EQ(chmod(x, 0700), 0);
		ASSERT_EQ(stat(f, &st), 0);
	} AS_END;
	rm_tree(_metadata, d);
}

TEST_F(users, creating_in_a_folder_without_write_permission)
{
	const char *d = test_dir(_metadata, "ro", 0777);
	char f[PATH_MAX], ro[PATH_MAX], n[PATH_MAX];

	J(_metadata, f, d, "f");
	J(_metadata, ro, d, "ro");
	J(_metadata, n, ro, "n");
	ASSERT_EQ(mkdir(ro, 0755), 0);
	AS(UID_A, GID_A) {
		int fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0644);

		ASSERT_GE(fd, 0);
		ASSERT_EQ(close(fd), 0);
		ASSERT_ERRNO(link(f, n), EACCES);
		ASSERT_ERRNO(mkdir(n, 0755), EACCES);
		ASSERT_ERRNO(mkfifo(n, 0644), EACCES);
		ASSERT_ERRNO(symlink("f", n), EACCES);
		ASSERT_ERRNO(open(n, O_WRONLY | O_CREAT, 0644), EACCES);
		ASSERT_ERRNO(rename(f, n), EACCES);
	} AS_END;
	rm_tree(_metadata, d);
}

TEST_F(users, sticky_folder_keeps_entries_to_their_owners)
{
	const char *d = test_dir(_metadata, "sticky", 01777);
	char a[PATH_MAX], ad[PATH_MAX], b[PATH_MAX], c[PATH_MAX];

	J(_metadata, a, d, "a");
	J(_metadata, ad, d, "ad");
	J(_metadata, b, d, "b");
	J(_metadata, c, d, "c");
	AS(UID_A, GID_A) {
		int fd = open(a, O_WRONLY | O_CREAT | O_EXCL, 0666);

		ASSERT_GE(fd, 0);
		ASSERT_EQ(close(fd), 0);
		ASSERT_EQ(mkdir(ad, 0777), 0);
	} AS_END;
	AS(UID_B, GID_B) {
		int fd = open(b, O_WRONLY | O_CREAT | O_EXCL, 0666);

		ASSERT_GE(fd, 0);
		ASSERT_EQ(close(fd), 0);
		ASSERT_ERRNO(unlink(a), EPERM);
		ASSERT_ERRNO(rename(a, c), EPERM);
		ASSERT_ERRNO(rename(b, a), EPERM);
		ASSERT_ERRNO(rmdir(ad), EPERM);
		ASSERT_EQ(rename(b, c), 0);
	} AS_END;
	AS(UID_A, GID_A) {
		ASSERT_ERRNO(unlink(c), EPERM);
		ASSERT_EQ(rename(a, b), 0);
		ASSERT_EQ(unlink(b), 0);
		ASSERT_EQ(rmdir(ad), 0);
	} AS_END;
	/* Root may remove anything. */
	ASSERT_EQ(unlink(c), 0);
	rm_tree(_metadata, d);
}

TEST_HARNESS_MAIN
