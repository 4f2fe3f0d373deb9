// SPDX-License-Identifier: MIT
/*
 * test_diod.c - every verb against a real diod, checked against the host
 * file system, plus pipelining, Tflush, errors and threads.
 */
#include <dirent.h>
#include <pthread.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include "diod_fixture.h"
#if defined(__SANITIZE_ADDRESS__)
/* The ASan runtime's (sanitizer/allocator_interface.h, not installed). */
size_t __sanitizer_get_current_allocated_bytes(void);
#else
#include <malloc.h>
#endif
#include "rpc.h" /* white box: struct v9p_fid and the session's fid pool */

#define P(rel) hp(self->exp, rel, pathbuf, sizeof(pathbuf))

TEST_F(diod, version_negotiates_msize)
{
	struct v9p_session *s2;

	ASSERT_EQ(v9p_msize(self->s), (uint32_t)V9P_SOCK_MSIZE);
	ASSERT_EQ(v9p_window(self->s), (uint32_t)V9P_SOCK_WINDOW);
	s2 = v9p_connect(self->addr, 8192);
	ASSERT_NONNULL(s2);
	ASSERT_EQ(v9p_msize(s2), 8192u);
	v9p_close(s2);
}

TEST_F(diod, attach_gives_directory_qid_of_export)
{
	struct stat st;

	ASSERT_EQ(stat(self->exp, &st), 0);
	ASSERT_EQ(v9p_fid_qid(self->root)->type & 0x80, 0x80);
	ASSERT_EQ(v9p_fid_qid(self->root)->path, (uint64_t)st.st_ino);
}

TEST_F(diod, attach_to_unexported_path_fails)
{
	ASSERT_NULL(v9p_attach(self->s, self->uname, self->uid, "/etc"));
	ASSERT_NE(errno, 0);
}

TEST_F(diod, walk_missing_name_is_enoent)
{
	char pathbuf[256];

	ASSERT_EQ(mkdir(P("a"), 0755), 0);
	ASSERT_ERRNO(v9p_walk(self->root, "nope"), ENOENT);
	/* Stops part way: the first name exists. */
	ASSERT_ERRNO(v9p_walk(self->root, "a/nope/x"), ENOENT);
}

TEST_F(diod, walk_of_more_than_16_names)
{
	char pathbuf[512], rel[256] = "", got[8];
	struct v9p_fid *f;
	struct stat st;

	for (int i = 0; i < 20; i++) {
		size_t l = strlen(rel);

		snprintf(rel + l, sizeof(rel) - l, "%sd%d", i ? "/" : "", i);
		ASSERT_EQ(mkdir(P(rel), 0755), 0);
	}
	strcat(rel, "/file");
	ASSERT_EQ(host_write(P(rel), "deep", 4), 0);
	ASSERT_EQ(stat(P(rel), &st), 0);
	f = v9p_walk(self->root, rel); /* 21 names: Twalks of 16 and 5 */
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_fid_qid(f)->path, (uint64_t)st.st_ino);
	ASSERT_EQ(v9p_lopen(f, O_RDONLY), 0);
	ASSERT_EQ(v9p_pread(f, got, sizeof(got), 0), 4);
	ASSERT_MEM_EQ(got, "deep", 4);
	ASSERT_EQ(v9p_clunk(f), 0);
	/* Missing name in the second Twalk. */
	strcpy(strrchr(rel, '/'), "/nothere");
	ASSERT_ERRNO(v9p_walk(self->root, rel), ENOENT);
}

TEST_F(diod, walk_of_nothing_clones)
{
	struct v9p_fid *f = v9p_walk(self->root, "");

	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_fid_qid(f)->path, v9p_fid_qid(self->root)->path);
	ASSERT_EQ(v9p_clunk(f), 0);
}

TEST_F(diod, lcreate_pwrite_pread_roundtrip)
{
	char pathbuf[256], got[64];
	struct v9p_fid *f = v9p_walk(self->root, NULL);
	int fd;

	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_lcreate(f, "new", O_RDWR | O_CREAT, 0640, 0), 0);
	ASSERT_EQ(v9p_pwrite(f, "hello, world", 12, 0), 12);
	ASSERT_EQ(v9p_pwrite(f, "HELLO", 5, 0), 5);
	ASSERT_EQ(v9p_pread(f, got, sizeof(got), 0), 12);
	ASSERT_MEM_EQ(got, "HELLO, world", 12);
	ASSERT_EQ(v9p_pread(f, got, sizeof(got), 12), 0);
	ASSERT_EQ(v9p_fsync(f, 0), 0);
	ASSERT_EQ(v9p_fsync(f, 1), 0);
	ASSERT_EQ(v9p_clunk(f), 0);
	fd = open(P("new"), O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(read(fd, got, sizeof(got)), 12);
	close(fd);
	ASSERT_MEM_EQ(got, "HELLO, world", 12);
}

TEST_F(diod, getattr_matches_host_stat)
{
	char pathbuf[256];
	struct v9p_attr a;
	struct v9p_fid *f;
	struct stat st;

	ASSERT_EQ(host_write(P("g"), "12345", 5), 0);
	ASSERT_EQ(chmod(P("g"), 0604), 0);
	ASSERT_EQ(stat(P("g"), &st), 0);
	f = v9p_walk(self->root, "g");
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_getattr(f, V9P_GETATTR_BASIC, &a), 0);
	ASSERT_EQ(a.valid & V9P_GETATTR_BASIC, V9P_GETATTR_BASIC);
	ASSERT_EQ(a.mode, (uint32_t)st.st_mode);
	ASSERT_EQ(a.size, 5u);
	ASSERT_EQ(a.uid, (uint32_t)st.st_uid);
	ASSERT_EQ(a.gid, (uint32_t)st.st_gid);
	ASSERT_EQ(a.nlink, (uint64_t)st.st_nlink);
	ASSERT_EQ(a.qid.path, (uint64_t)st.st_ino);
	ASSERT_EQ(a.mtime_sec, (uint64_t)st.st_mtim.tv_sec);
	ASSERT_EQ(a.mtime_nsec, (uint64_t)st.st_mtim.tv_nsec);
	ASSERT_EQ(v9p_clunk(f), 0);
}

TEST_F(diod, setattr_truncates_chmods_and_sets_mtime)
{
	char pathbuf[256];
	struct v9p_setattr sa = {
		.valid = V9P_SETATTR_SIZE | V9P_SETATTR_MODE |
			 V9P_SETATTR_MTIME | V9P_SETATTR_MTIME_SET,
		.mode = 0600,
		.size = 3,
		.mtime_sec = 1000000000,
		.mtime_nsec = 5,
	};
	struct v9p_fid *f;
	struct stat st;

	ASSERT_EQ(host_write(P("t"), "abcdef", 6), 0);
	f = v9p_walk(self->root, "t");
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_setattr(f, &sa), 0);
	ASSERT_EQ(stat(P("t"), &st), 0);
	ASSERT_EQ(st.st_size, 3);
	ASSERT_EQ(st.st_mode & 07777, 0600u);
	ASSERT_EQ(st.st_mtim.tv_sec, 1000000000);
	ASSERT_EQ(st.st_mtim.tv_nsec, 5);
	ASSERT_EQ(v9p_clunk(f), 0);
}

TEST_F(diod, readdir_lists_every_entry)
{
	char pathbuf[256], name[32];
	int seen[40] = { 0 }, dots = 0, n = 0;
	uint8_t buf[1024]; /* small, so several Treaddirs are needed */
	struct v9p_fid *d;
	uint64_t off = 0;
	ssize_t len;

	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "entry-with-long-name-%02d", i);
		ASSERT_EQ(host_write(P(name), "", 0), 0);
	}
	d = v9p_walk(self->root, NULL);
	ASSERT_NONNULL(d);
	ASSERT_EQ(v9p_lopen(d, O_RDONLY | O_DIRECTORY), 0);
	while ((len = v9p_readdir(d, off, buf, sizeof(buf))) > 0) {
		struct v9p_dirent de;
		size_t pos = 0;
		int rc;

		while ((rc = v9p_dirent_next(buf, (size_t)len, &pos, &de)) > 0) {
			int i;

			off = de.offset;
			n++;
			if (!strcmp(de.name, ".") || !strcmp(de.name, "..")) {
				dots++;
				continue;
			}
			ASSERT_EQ(sscanf(de.name, "entry-with-long-name-%d", &i),
				  1);
			ASSERT_EQ(de.type, DT_REG);
			seen[i]++;
		}
		ASSERT_EQ(rc, 0);
	}
	ASSERT_EQ(len, 0);
	ASSERT_EQ(dots, 2);
	ASSERT_EQ(n, 42);
	for (int i = 0; i < 40; i++)
		ASSERT_EQ(seen[i], 1);
	ASSERT_EQ(v9p_clunk(d), 0);
}

TEST_F(diod, mkdir_symlink_readlink_link)
{
	char pathbuf[256], tgt[64];
	struct v9p_fid *f;
	struct v9p_qid q;
	struct stat st;
	char *t;

	ASSERT_EQ(v9p_mkdir(self->root, "sub", 0750, 0, &q), 0);
	ASSERT_EQ(stat(P("sub"), &st), 0);
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(st.st_mode & 0777, 0750u);
	ASSERT_EQ(q.path, (uint64_t)st.st_ino);
	ASSERT_EQ(q.type, 0x80);

	ASSERT_EQ(v9p_symlink(self->root, "ln", "sub/target", 0, &q), 0);
	ASSERT_EQ(readlink(P("ln"), tgt, sizeof(tgt)), 10);
	ASSERT_MEM_EQ(tgt, "sub/target", 10);
	ASSERT_EQ(q.type, 0x02); /* QTSYMLINK */
	f = v9p_walk(self->root, "ln");
	ASSERT_NONNULL(f);
	t = v9p_readlink(f);
	ASSERT_NONNULL(t);
	ASSERT_EQ(strcmp(t, "sub/target"), 0);
	free(t);
	ASSERT_EQ(v9p_clunk(f), 0);

	ASSERT_EQ(host_write(P("orig"), "x", 1), 0);
	f = v9p_walk(self->root, "orig");
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_link(self->root, f, "hard"), 0);
	ASSERT_EQ(stat(P("hard"), &st), 0);
	ASSERT_EQ(st.st_nlink, 2u);
	ASSERT_EQ(v9p_fid_qid(f)->path, (uint64_t)st.st_ino);
	ASSERT_EQ(v9p_clunk(f), 0);
}

TEST_F(diod, rename_moves_host_file)
{
	char pathbuf[256];
	struct v9p_fid *f, *d;

	ASSERT_EQ(mkdir(P("dir"), 0755), 0);
	ASSERT_EQ(host_write(P("a"), "A", 1), 0);
	f = v9p_walk(self->root, "a");
	d = v9p_walk(self->root, "dir");
	ASSERT_NONNULL(f);
	ASSERT_NONNULL(d);
	ASSERT_EQ(v9p_rename(f, d, "a2"), 0);
	ASSERT_EQ(access(P("a"), F_OK), -1);
	ASSERT_EQ(access(P("dir/a2"), F_OK), 0);
	ASSERT_EQ(v9p_clunk(f), 0);
	ASSERT_EQ(v9p_clunk(d), 0);
}

/*
 * Debian 12's diod (1.0.24) answers Trenameat and Tunlinkat with
 * EOPNOTSUPP.  The library gives the caller that errno as it came (vio9p's
 * mv and rm then fall back to Trename and Tremove: tests/cmd/run.sh), the
 * host's files stay as they were, and the session goes on.  What the two
 * calls do on a server that has them is checked against QEMU's, in the
 * guests (tests/guest/t_lib.c).  A diod that implements them fails these
 * two cases: then their checks belong here again.
 */
TEST_F(diod, renameat_eopnotsupp_reaches_the_caller_and_moves_nothing)
{
	char pathbuf[256], got[2];
	struct v9p_fid *d, *f;
	int fd;

	ASSERT_EQ(mkdir(P("dir"), 0755), 0);
	ASSERT_EQ(host_write(P("b"), "B", 1), 0);
	d = v9p_walk(self->root, "dir");
	ASSERT_NONNULL(d);
	ASSERT_ERRNO(v9p_renameat(self->root, "b", d, "b2"), EOPNOTSUPP);
	ASSERT_ERRNO(v9p_renameat(self->root, "missing", d, "b3"), EOPNOTSUPP);
	ASSERT_EQ(access(P("dir/b2"), F_OK), -1);
	ASSERT_EQ(access(P("dir/b3"), F_OK), -1);
	fd = open(P("b"), O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(read(fd, got, sizeof(got)), 1);
	close(fd);
	ASSERT_EQ(got[0], 'B');
	/* The session goes on: Trename, which this diod has, moves it. */
	f = v9p_walk(self->root, "b");
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_rename(f, d, "b2"), 0);
	ASSERT_EQ(access(P("b"), F_OK), -1);
	ASSERT_EQ(access(P("dir/b2"), F_OK), 0);
	ASSERT_EQ(v9p_clunk(f), 0);
	ASSERT_EQ(v9p_clunk(d), 0);
}

TEST_F(diod, remove_deletes_file_and_frees_fid_on_error)
{
	char pathbuf[256];
	struct v9p_fid *f;

	ASSERT_EQ(mkdir(P("d"), 0755), 0);
	ASSERT_EQ(host_write(P("d/f"), "x", 1), 0);
	f = v9p_walk(self->root, "d");
	ASSERT_NONNULL(f);
	ASSERT_ERRNO(v9p_remove(f), ENOTEMPTY); /* f is freed all the same */
	f = v9p_walk(self->root, "d/f");
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_remove(f), 0);
	ASSERT_EQ(access(P("d/f"), F_OK), -1);
	f = v9p_walk(self->root, "d");
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_remove(f), 0);
	ASSERT_EQ(access(P("d"), F_OK), -1);
}

/* See renameat_eopnotsupp_reaches_the_caller_and_moves_nothing. */
TEST_F(diod, unlinkat_eopnotsupp_reaches_the_caller_and_removes_nothing)
{
	char pathbuf[256];
	struct v9p_fid *d, *f;

	ASSERT_EQ(mkdir(P("d"), 0755), 0);
	ASSERT_EQ(mkdir(P("e"), 0755), 0);
	ASSERT_EQ(host_write(P("d/f"), "", 0), 0);
	d = v9p_walk(self->root, "d");
	ASSERT_NONNULL(d);
	ASSERT_ERRNO(v9p_unlinkat(d, "f", 0), EOPNOTSUPP);
	ASSERT_ERRNO(v9p_unlinkat(self->root, "e", V9P_AT_REMOVEDIR),
		     EOPNOTSUPP);
	ASSERT_ERRNO(v9p_unlinkat(self->root, "missing", 0), EOPNOTSUPP);
	ASSERT_EQ(access(P("d/f"), F_OK), 0);
	ASSERT_EQ(access(P("e"), F_OK), 0);
	ASSERT_EQ(v9p_clunk(d), 0);
	/* The session goes on: Tremove, which this diod has, removes them. */
	f = v9p_walk(self->root, "d/f");
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_remove(f), 0);
	ASSERT_EQ(access(P("d/f"), F_OK), -1);
	f = v9p_walk(self->root, "e");
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_remove(f), 0);
	ASSERT_EQ(access(P("e"), F_OK), -1);
}

TEST_F(diod, statfs_matches_host)
{
	struct v9p_statfs sf;
	struct statvfs sv;

	ASSERT_EQ(statvfs(self->exp, &sv), 0);
	ASSERT_EQ(v9p_statfs(self->root, &sf), 0);
	ASSERT_EQ(sf.type, 0x01021997u); /* V9FS_MAGIC without diod -p */
	ASSERT_EQ(sf.bsize, (uint32_t)sv.f_bsize);
	ASSERT_EQ(sf.blocks, (uint64_t)sv.f_blocks);
	ASSERT_EQ(sf.files, (uint64_t)sv.f_files);
	ASSERT_EQ(sf.namelen, (uint32_t)sv.f_namemax);
}

TEST_F(diod, lock_and_getlock)
{
	struct v9p_flock fl = {
		.type = V9P_LOCK_TYPE_WRLCK, .start = 0, .length = 10,
		.proc_id = 1234, .client_id = "tester",
	};
	struct v9p_fid *f = v9p_walk(self->root, NULL);
	uint8_t status = 0xff;

	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_lcreate(f, "lk", O_RDWR | O_CREAT, 0644, 0), 0);
	ASSERT_EQ(v9p_lock(f, &fl, &status), 0);
	ASSERT_EQ(status, V9P_LOCK_SUCCESS);
	fl.type = V9P_LOCK_TYPE_WRLCK;
	ASSERT_EQ(v9p_getlock(f, &fl), 0);
	/* Held by the same server process: the range reads as free. */
	ASSERT_EQ(fl.type, V9P_LOCK_TYPE_UNLCK);
	fl.type = V9P_LOCK_TYPE_UNLCK;
	ASSERT_EQ(v9p_lock(f, &fl, &status), 0);
	ASSERT_EQ(status, V9P_LOCK_SUCCESS);
	ASSERT_EQ(v9p_clunk(f), 0);
}

TEST_F(diod, errors_pass_through_exact_errno)
{
	char pathbuf[256];
	struct v9p_fid *f;

	ASSERT_EQ(mkdir(P("d"), 0755), 0);
	ASSERT_EQ(host_write(P("file"), "x", 1), 0);
	ASSERT_ERRNO(v9p_mkdir(self->root, "d", 0755, 0, NULL), EEXIST);
	f = v9p_walk(self->root, "d");
	ASSERT_NONNULL(f);
	ASSERT_ERRNO(v9p_lopen(f, O_WRONLY), EISDIR);
	ASSERT_EQ(v9p_clunk(f), 0);
	f = v9p_walk(self->root, NULL);
	ASSERT_NONNULL(f);
	ASSERT_ERRNO(v9p_lcreate(f, "file", O_RDWR | O_CREAT | O_EXCL, 0644,
				 0), EEXIST);
	ASSERT_EQ(v9p_clunk(f), 0);
	f = v9p_walk(self->root, "file");
	ASSERT_NONNULL(f);
	ASSERT_ERRNO(v9p_readlink(f), EINVAL);
	ASSERT_ERRNO(v9p_walk(f, "x"), ENOTDIR);
	ASSERT_EQ(v9p_clunk(f), 0);
}

/* Pipelined get/put of a 5 MiB file on a session of @msize / @window. */
static void pipelined_copy(METADATA, FIXTURE_DATA(diod) *self, uint32_t msize,
			   uint32_t window)
{
	const size_t size = 5 * 1024 * 1024 + 777;
	char pathbuf[256];
	uint8_t *data = malloc(size), *back = malloc(size + 1);
	struct v9p_session *s;
	struct v9p_fid *root, *f;
	int sfd, in, out, fd;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	ASSERT_NONNULL(data);
	ASSERT_NONNULL(back);
	fill_pattern(data, size, msize);
	sfd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sun.sun_path, self->sock);
	ASSERT_EQ(connect(sfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	s = v9p_session_new(sfd, V9P_TRANS_STREAM, msize, window);
	ASSERT_NONNULL(s);
	ASSERT_EQ(v9p_window(s), window);
	root = v9p_attach(s, self->uname, self->uid, self->exp);
	ASSERT_NONNULL(root);

	/* put: memfd -> server file, then compare the host file. */
	in = memfd_create("in", 0);
	ASSERT_EQ(write(in, data, size), (ssize_t)size);
	ASSERT_EQ(lseek(in, 0, SEEK_SET), 0);
	f = v9p_walk(root, NULL);
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_lcreate(f, "big", O_WRONLY | O_CREAT, 0644, 0), 0);
	ASSERT_EQ(v9p_put_fd(f, in), (int64_t)size);
	ASSERT_EQ(v9p_clunk(f), 0);
	fd = open(P("big"), O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(read(fd, back, size + 1), (ssize_t)size);
	close(fd);
	ASSERT_MEM_EQ(back, data, size);

	/* get: server file -> memfd, compare with what the host wrote. */
	fill_pattern(data, size, msize + 1);
	ASSERT_EQ(host_write(P("big2"), data, size), 0);
	f = v9p_walk(root, "big2");
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_lopen(f, O_RDONLY), 0);
	out = memfd_create("out", 0);
	ASSERT_EQ(v9p_get_fd(f, out), (int64_t)size);
	ASSERT_EQ(pread(out, back, size + 1, 0), (ssize_t)size);
	ASSERT_MEM_EQ(back, data, size);
	ASSERT_EQ(v9p_clunk(f), 0);
	ASSERT_EQ(v9p_clunk(root), 0);
	v9p_close(s);
	close(in);
	close(out);
	free(data);
	free(back);
}

TEST_F(diod, pipelined_5mib_get_put_device_sized)
{
	pipelined_copy(_metadata, self, V9P_DEV_MSIZE, V9P_DEV_WINDOW);
}

TEST_F(diod, pipelined_5mib_get_put_socket_sized)
{
	pipelined_copy(_metadata, self, V9P_SOCK_MSIZE, V9P_SOCK_WINDOW);
}

/*
 * put reads its source straight into the Twrites, several at a time with
 * readv(2): a pipe that gives a few bytes at a time (short reads that are
 * not the end) must still fill every Twrite in order, and only the end
 * may send a short one.
 */
TEST_F(diod, pipelined_put_from_a_pipe_fed_in_small_pieces)
{
	const size_t size = 300 * 1000 + 123;
	uint8_t *data = malloc(size), *back = malloc(size + 1);
	char pathbuf[256];
	struct v9p_fid *f;
	int p[2], fd, status;
	pid_t pid;

	ASSERT_NONNULL(data);
	ASSERT_NONNULL(back);
	fill_pattern(data, size, 5);
	ASSERT_EQ(pipe(p), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(p[0]);
		/* 997 bytes a write, pausing now and then so that the
		 * reader finds the pipe empty before the end. */
		for (size_t at = 0; at < size; at += 997) {
			size_t n = size - at < 997 ? size - at : 997;

			if (write(p[1], data + at, n) != (ssize_t)n)
				_exit(1);
			if (at % (997 * 16) == 0)
				usleep(1000);
		}
		_exit(0);
	}
	close(p[1]);
	f = v9p_walk(self->root, NULL);
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_lcreate(f, "piped", O_WRONLY | O_CREAT, 0644, 0), 0);
	ASSERT_EQ(v9p_put_fd(f, p[0]), (int64_t)size);
	ASSERT_EQ(v9p_clunk(f), 0);
	close(p[0]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fd = open(P("piped"), O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(read(fd, back, size + 1), (ssize_t)size);
	close(fd);
	ASSERT_MEM_EQ(back, data, size);
	free(data);
	free(back);
}

/* put with Tfsyncs in flight among the Twrites (one after every reply
 * whenever none is in flight, here): the copy is whole and in order. */
TEST_F(diod, put_fd_sync_sends_tfsyncs_among_the_twrites)
{
	const size_t size = 1024 * 1024 + 555;
	uint8_t *data = malloc(size), *back = malloc(size + 1);
	struct v9p_copy cp = { .fd_error = 99 };
	char pathbuf[256];
	struct v9p_fid *f;
	int in, fd;

	ASSERT_NONNULL(data);
	ASSERT_NONNULL(back);
	fill_pattern(data, size, 9);
	in = memfd_create("in", 0);
	ASSERT_EQ(write(in, data, size), (ssize_t)size);
	ASSERT_EQ(lseek(in, 0, SEEK_SET), 0);
	f = v9p_walk(self->root, NULL);
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_lcreate(f, "synced", O_WRONLY | O_CREAT, 0644, 0), 0);
	ASSERT_EQ(v9p_put_fd_sync(f, in, &cp, 1), (int64_t)size);
	ASSERT_EQ(cp.fd_error, 0);
	ASSERT_EQ(v9p_fsync(f, 0), 0);
	ASSERT_EQ(v9p_clunk(f), 0);
	fd = open(P("synced"), O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(read(fd, back, size + 1), (ssize_t)size);
	close(fd);
	ASSERT_MEM_EQ(back, data, size);
	close(in);
	free(data);
	free(back);
}

/* What a struct v9p_copy progress callback was given. */
struct progress_log {
	uint64_t done[64];
	size_t n;
};

static void log_progress(uint64_t done, void *arg)
{
	struct progress_log *log = arg;

	if (log->n < 64)
		log->done[log->n] = done;
	log->n++;
}

/* One call per @chunk bytes, each counting one chunk more, the last the
 * whole @size. */
static void check_progress(METADATA, const struct progress_log *log,
			   uint64_t size, uint64_t chunk)
{
	ASSERT_EQ(log->n, (size + chunk - 1) / chunk);
	for (size_t i = 0; i < log->n; i++) {
		uint64_t want = (i + 1) * chunk < size ? (i + 1) * chunk : size;

		ASSERT_EQ(log->done[i], want);
	}
}

TEST_F(diod, pipelined_copies_report_increasing_progress_up_to_the_size)
{
	const size_t size = 1024 * 1024 + 777;
	uint8_t *data = malloc(size), *back = malloc(size + 1);
	struct progress_log log = { .n = 0 };
	struct v9p_copy cp = { .progress = log_progress, .arg = &log,
			       .fd_error = 99 };
	uint64_t chunk = V9P_SOCK_MSIZE - V9P_IOHDRSZ;
	struct v9p_fid *f;
	int in, out;

	ASSERT_NONNULL(data);
	ASSERT_NONNULL(back);
	fill_pattern(data, size, 11);
	in = memfd_create("in", 0);
	ASSERT_EQ(write(in, data, size), (ssize_t)size);
	ASSERT_EQ(lseek(in, 0, SEEK_SET), 0);
	f = v9p_walk(self->root, NULL);
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_lcreate(f, "p", O_WRONLY | O_CREAT, 0644, 0), 0);
	if (v9p_fid_iounit(f) && v9p_fid_iounit(f) < chunk)
		chunk = v9p_fid_iounit(f);
	ASSERT_EQ(v9p_put_fd2(f, in, &cp), (int64_t)size);
	ASSERT_EQ(cp.fd_error, 0);
	check_progress(_metadata, &log, size, chunk);
	ASSERT_EQ(v9p_clunk(f), 0);

	log.n = 0;
	cp.fd_error = 99;
	chunk = V9P_SOCK_MSIZE - V9P_IOHDRSZ;
	f = v9p_walk(self->root, "p");
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_lopen(f, O_RDONLY), 0);
	if (v9p_fid_iounit(f) && v9p_fid_iounit(f) < chunk)
		chunk = v9p_fid_iounit(f);
	out = memfd_create("out", 0);
	ASSERT_EQ(v9p_get_fd2(f, out, &cp), (int64_t)size);
	ASSERT_EQ(cp.fd_error, 0);
	check_progress(_metadata, &log, size, chunk);
	ASSERT_EQ(pread(out, back, size + 1, 0), (ssize_t)size);
	ASSERT_MEM_EQ(back, data, size);
	ASSERT_EQ(v9p_clunk(f), 0);
	close(in);
	close(out);
	free(data);
	free(back);
}

TEST_F(diod, pipelined_copies_tell_which_side_failed)
{
	char pathbuf[256];
	uint8_t data[5000];
	struct v9p_copy cp = { .fd_error = 99 };
	struct v9p_fid *f;
	int rd = open("/dev/null", O_RDONLY), wr = open("/dev/null", O_WRONLY);
	int in;

	ASSERT_GE(rd, 0);
	ASSERT_GE(wr, 0);
	fill_pattern(data, sizeof(data), 3);
	ASSERT_EQ(host_write(P("f"), data, sizeof(data)), 0);
	f = v9p_walk(self->root, "f");
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_lopen(f, O_RDONLY), 0);
	/* get into an fd that cannot be written: our side. */
	ASSERT_ERRNO(v9p_get_fd2(f, rd, &cp), EBADF);
	ASSERT_EQ(cp.fd_error, 1);
	/* put from an fd that cannot be read: our side. */
	ASSERT_ERRNO(v9p_put_fd2(f, wr, &cp), EBADF);
	ASSERT_EQ(cp.fd_error, 1);
	/* put into a file opened read-only: the server's side. */
	in = memfd_create("in", 0);
	ASSERT_EQ(write(in, data, sizeof(data)), (ssize_t)sizeof(data));
	ASSERT_EQ(lseek(in, 0, SEEK_SET), 0);
	ASSERT_ERRNO(v9p_put_fd2(f, in, &cp), EBADF);
	ASSERT_EQ(cp.fd_error, 0);
	ASSERT_EQ(v9p_clunk(f), 0);
	close(in);
	close(rd);
	close(wr);
}

/* Bytes the program has allocated and not freed. */
static size_t heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return __sanitizer_get_current_allocated_bytes();
#else
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
#endif
}

/*
 * Ops started in a batch wait with their replies until they are collected
 * (vio9p ls -l starts 64 walks, then 64 getattrs): a request must not hold
 * an msize buffer for its message once sent, nor for a small reply, or a
 * batch at a raised msize costs a batch of msize buffers (128 of 64 KiB
 * each here, twice: 16 MiB).  At most a window of them may be in use.
 */
TEST_F(diod, replies_waiting_to_be_collected_hold_no_msize_buffers)
{
	enum { N = 128 };
	size_t msize = v9p_msize(self->s), before, held;
	char pathbuf[256];
	struct v9p_op **op = calloc(N, sizeof(*op));

	ASSERT_NONNULL(op);
	ASSERT_EQ(host_write(P("w"), "w", 1), 0);
	before = heap_in_use();
	for (int i = 0; i < N; i++) {
		op[i] = v9p_walk_start(self->root, "w");
		ASSERT_NONNULL(op[i]);
	}
	held = heap_in_use() - before;
	for (int i = 0; i < N; i++) {
		struct v9p_fid *f = v9p_op_wait_fid(op[i]);

		ASSERT_NONNULL(f);
		ASSERT_EQ(v9p_clunk(f), 0);
	}
	free(op);
	TH_LOG("%d walks started: %zu bytes held (msize %zu, window %u)", N,
	       held, msize, v9p_window(self->s));
	ASSERT_LT(held, (size_t)(v9p_window(self->s) + 8) * msize);
}

TEST_F(diod, async_reads_complete_in_any_order)
{
	char pathbuf[256];
	uint8_t data[8 * 1000], got[1000];
	struct v9p_op *op[8];
	struct v9p_fid *f;

	fill_pattern(data, sizeof(data), 7);
	ASSERT_EQ(host_write(P("a"), data, sizeof(data)), 0);
	f = v9p_walk(self->root, "a");
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_lopen(f, O_RDONLY), 0);
	for (int i = 0; i < 8; i++) {
		op[i] = v9p_read_start(f, (uint64_t)i * 1000, 1000);
		ASSERT_NONNULL(op[i]);
	}
	for (int i = 7; i >= 0; i--) {
		ASSERT_EQ(v9p_op_wait(op[i], got, sizeof(got)), 1000);
		ASSERT_MEM_EQ(got, data + i * 1000, 1000);
	}
	op[0] = v9p_read_start(f, 0, 10);
	ASSERT_NONNULL(op[0]);
	for (int i = 0; i < 500 && !v9p_op_done(op[0]); i++)
		sleep_ms(2);
	ASSERT_EQ(v9p_op_done(op[0]), 1);
	ASSERT_EQ(v9p_op_wait(op[0], got, sizeof(got)), 10);
	ASSERT_EQ(v9p_clunk(f), 0);
}

TEST_F(diod, flush_right_after_send_keeps_session_in_sync)
{
	char pathbuf[256], got[64];
	int flushed = 0, completed = 0;
	struct v9p_attr a;
	struct v9p_fid *f;

	ASSERT_EQ(host_write(P("x"), "0123456789", 10), 0);
	f = v9p_walk(self->root, "x");
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_lopen(f, O_RDONLY), 0);
	/* The server may answer the read before or after the Tflush; both
	 * must leave the tag table consistent. */
	for (int i = 0; i < 200; i++) {
		struct v9p_op *op = v9p_read_start(f, 0, sizeof(got));
		int rc;

		ASSERT_NONNULL(op);
		rc = v9p_op_flush(op);
		ASSERT_TRUE(rc == 0 || rc == 1);
		if (rc)
			completed++;
		else
			flushed++;
	}
	TH_LOG("%d flushed before reply, %d replied first", flushed,
	       completed);
	/* Every tag is usable again and replies still match. */
	for (int i = 0; i < 2 * V9P_SOCK_WINDOW; i++) {
		ASSERT_EQ(v9p_pread(f, got, sizeof(got), 2), 8);
		ASSERT_MEM_EQ(got, "23456789", 8);
	}
	ASSERT_EQ(v9p_getattr(self->root, V9P_GETATTR_BASIC, &a), 0);
	ASSERT_EQ(v9p_clunk(f), 0);
}

TEST_F(diod, flush_of_completed_op_reports_it_happened)
{
	struct v9p_op *op = v9p_read_start(self->root, 0, 0);
	struct v9p_attr a;

	ASSERT_NONNULL(op);
	/* Tread on an unopened fid fails at once on the server. */
	for (int i = 0; i < 500 && !v9p_op_done(op); i++)
		sleep_ms(2);
	ASSERT_EQ(v9p_op_flush(op), 1);
	ASSERT_EQ(v9p_getattr(self->root, V9P_GETATTR_BASIC, &a), 0);
}

/* Fid numbers the session has handed out and not taken back. */
static uint32_t live_fids(const struct v9p_session *s)
{
	return s->next_fid - (uint32_t)s->nfree;
}

#define NBATCH 70 /* more than twice V9P_SOCK_WINDOW */

TEST_F(diod, async_walks_getattrs_clunks_in_batches)
{
	char pathbuf[256], name[32];
	static uint8_t data[NBATCH * 37];
	struct v9p_op *op[NBATCH];
	struct v9p_fid *f[NBATCH];
	uint32_t num[NBATCH];
	const int miss = NBATCH / 2; /* "missing", then "sub/missing" */
	uint64_t ino[NBATCH];
	struct v9p_fid *g;

	fill_pattern(data, sizeof(data), 3);
	ASSERT_EQ(mkdir(P("sub"), 0755), 0);
	for (int i = 0; i < NBATCH; i++) {
		struct stat st;

		snprintf(name, sizeof(name), "f%02d", i);
		ASSERT_EQ(host_write(P(name), data, (size_t)i * 37), 0);
		ASSERT_EQ(chmod(P(name), 0600u | (unsigned int)(i % 8)), 0);
		ASSERT_EQ(stat(P(name), &st), 0);
		ino[i] = st.st_ino;
	}
	/* Every walk in flight at once (the start waits while the window is
	 * full), collected in order. */
	for (int i = 0; i < NBATCH; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		op[i] = v9p_walk_start(self->root, i == miss ? "missing" :
					i == miss + 1 ? "sub/missing" : name);
		ASSERT_NONNULL(op[i]);
	}
	for (int i = 0; i < NBATCH; i++) {
		if (i == miss || i == miss + 1) {
			/* Stopped at the first or the second name. */
			ASSERT_ERRNO(f[i] = v9p_op_wait_fid(op[i]), ENOENT);
			continue;
		}
		f[i] = v9p_op_wait_fid(op[i]);
		ASSERT_NONNULL(f[i]);
		ASSERT_EQ(v9p_fid_qid(f[i])->path, ino[i]);
	}
	/* The failed walks left no fid behind. */
	ASSERT_EQ(live_fids(self->s), 1u + NBATCH - 2);
	for (int i = 0; i < NBATCH; i++) {
		if (!f[i])
			continue;
		op[i] = v9p_getattr_start(f[i], V9P_GETATTR_BASIC);
		ASSERT_NONNULL(op[i]);
	}
	for (int i = 0; i < NBATCH; i++) {
		struct v9p_attr a;

		if (!f[i])
			continue;
		ASSERT_EQ(v9p_op_wait_attr(op[i], &a), 0);
		ASSERT_EQ(a.size, (uint64_t)i * 37);
		ASSERT_EQ(a.mode, S_IFREG | 0600u | (uint32_t)(i % 8));
		ASSERT_EQ(a.qid.path, ino[i]);
		ASSERT_EQ(a.uid, self->uid);
	}
	for (int i = 0; i < NBATCH; i++) {
		if (!f[i])
			continue;
		num[i] = f[i]->fid;
		op[i] = v9p_clunk_start(f[i]);
		ASSERT_NONNULL(op[i]);
	}
	/* No fid number is reused while its Tclunk is in flight. */
	g = v9p_walk(self->root, "f00");
	ASSERT_NONNULL(g);
	for (int i = 0; i < NBATCH; i++)
		if (f[i])
			ASSERT_NE(g->fid, num[i]);
	ASSERT_EQ(v9p_clunk(g), 0);
	for (int i = NBATCH - 1; i >= 0; i--)
		if (f[i])
			ASSERT_EQ(v9p_op_wait(op[i], NULL, 0), 0);
	ASSERT_EQ(live_fids(self->s), 1u);
	/* Their numbers walk again (diod does not refuse a newfid in use,
	 * so test_rpc checks on the wire that no fid is left open). */
	for (int i = 0; i < NBATCH; i++) {
		f[i] = v9p_walk(self->root, "sub");
		ASSERT_NONNULL(f[i]);
	}
	for (int i = 0; i < NBATCH; i++)
		ASSERT_EQ(v9p_clunk(f[i]), 0);
}

TEST_F(diod, async_walk_start_clones_splits_and_refuses_long_paths)
{
	char pathbuf[256], path[64] = "";
	struct v9p_attr a;
	struct v9p_fid *f;
	struct stat st;

	ASSERT_EQ(mkdir(P("d"), 0755), 0);
	ASSERT_EQ(host_write(P("d/x"), "abc", 3), 0);
	ASSERT_EQ(stat(P("d/x"), &st), 0);
	f = v9p_op_wait_fid(v9p_walk_start(self->root, "./d//x"));
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_fid_qid(f)->path, (uint64_t)st.st_ino);
	ASSERT_EQ(v9p_op_wait_attr(v9p_getattr_start(f, V9P_GETATTR_SIZE), &a),
		  0);
	ASSERT_EQ(a.size, 3u);
	ASSERT_EQ(v9p_op_wait(v9p_clunk_start(f), NULL, 0), 0);
	f = v9p_op_wait_fid(v9p_walk_start(self->root, NULL));
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_fid_qid(f)->path, v9p_fid_qid(self->root)->path);
	ASSERT_EQ(v9p_clunk(f), 0);
	for (int i = 0; i <= V9P_MAXWELEM; i++)
		strcat(path, "a/");
	ASSERT_ERRNO(v9p_walk_start(self->root, path), E2BIG);
	ASSERT_ERRNO(v9p_clunk_start(NULL), EBADF);
	ASSERT_EQ(live_fids(self->s), 1u);
}

/* 200 times: start a walk of "x" (or "nope"), or with @clunk the clunk of
 * a fid walked to "x", and flush it at once; count in @n[1] the ops that
 * happened, in @n[0] those flushed.  No fid may stay. */
static void flush_200(METADATA, FIXTURE_DATA(diod) *self, int n[2], bool clunk)
{
	n[0] = n[1] = 0;
	for (int i = 0; i < 200; i++) {
		struct v9p_fid *g = clunk ? v9p_walk(self->root, "x") : NULL;
		struct v9p_op *op;
		int rc;

		if (clunk) {
			ASSERT_NONNULL(g);
			op = v9p_clunk_start(g);
		} else {
			op = v9p_walk_start(self->root,
					    i % 4 == 3 ? "nope" : "x");
		}
		ASSERT_NONNULL(op);
		rc = v9p_op_flush(op);
		ASSERT_TRUE(rc == 0 || rc == 1);
		n[rc]++;
		ASSERT_EQ(live_fids(self->s), 1u);
	}
}

TEST_F(diod, async_flush_of_walks_and_clunks_leaks_no_fid)
{
	char pathbuf[256];
	struct v9p_fid *f[40];
	int n[2];

	ASSERT_EQ(host_write(P("x"), "0123456789", 10), 0);
	flush_200(_metadata, self, n, false);
	TH_LOG("walks: %d flushed, %d happened", n[0], n[1]);
	flush_200(_metadata, self, n, true);
	TH_LOG("clunks: %d flushed, %d happened", n[0], n[1]);
	/* The numbers given back walk again; test_rpc checks on the wire
	 * that the fid of a walk that happened, or of a clunk that was
	 * flushed, is clunked. */
	for (int i = 0; i < 40; i++) {
		f[i] = v9p_walk(self->root, "x");
		ASSERT_NONNULL(f[i]);
	}
	for (int i = 0; i < 40; i++)
		ASSERT_EQ(v9p_clunk(f[i]), 0);
}

TEST_F(diod, async_wait_of_the_wrong_kind_is_einval)
{
	char pathbuf[256], got[16];
	struct v9p_op *rd, *wk, *ga, *cl;
	struct v9p_fid *f, *g;
	struct v9p_attr a;

	ASSERT_EQ(host_write(P("x"), "0123456789", 10), 0);
	f = v9p_walk(self->root, "x");
	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_lopen(f, O_RDONLY), 0);
	rd = v9p_read_start(f, 0, 5);
	wk = v9p_walk_start(self->root, "x");
	ga = v9p_getattr_start(f, V9P_GETATTR_BASIC);
	ASSERT_NONNULL(rd);
	ASSERT_NONNULL(wk);
	ASSERT_NONNULL(ga);
	ASSERT_ERRNO(v9p_op_wait_attr(rd, &a), EINVAL);
	ASSERT_ERRNO(v9p_op_wait_fid(rd), EINVAL);
	ASSERT_ERRNO(v9p_op_wait(wk, got, sizeof(got)), EINVAL);
	ASSERT_ERRNO(v9p_op_wait_attr(wk, &a), EINVAL);
	ASSERT_ERRNO(v9p_op_wait(ga, got, sizeof(got)), EINVAL);
	ASSERT_ERRNO(v9p_op_wait_fid(ga), EINVAL);
	/* Each op is still whole and completes with the right wait. */
	ASSERT_EQ(v9p_op_wait(rd, got, sizeof(got)), 5);
	ASSERT_MEM_EQ(got, "01234", 5);
	g = v9p_op_wait_fid(wk);
	ASSERT_NONNULL(g);
	ASSERT_EQ(v9p_op_wait_attr(ga, &a), 0);
	ASSERT_EQ(a.size, 10u);
	cl = v9p_clunk_start(g);
	ASSERT_NONNULL(cl);
	ASSERT_ERRNO(v9p_op_wait_fid(cl), EINVAL);
	ASSERT_ERRNO(v9p_op_wait_attr(cl, &a), EINVAL);
	ASSERT_EQ(v9p_op_wait(cl, NULL, 0), 0);
	ASSERT_ERRNO(v9p_op_wait(NULL, got, sizeof(got)), EINVAL);
	ASSERT_ERRNO(v9p_op_wait_fid(NULL), EINVAL);
	ASSERT_ERRNO(v9p_op_wait_attr(NULL, &a), EINVAL);
	ASSERT_ERRNO(v9p_op_done(NULL), EINVAL);
	ASSERT_ERRNO(v9p_op_flush(NULL), EINVAL);
	ASSERT_EQ(v9p_clunk(f), 0);
	ASSERT_EQ(live_fids(self->s), 1u);
}

struct worker {
	FIXTURE_DATA(diod) *self;
	int id;
	int ok;
};

/* In a worker thread: log and give up if @x is false. */
#define CHECK(x)                                                           \
	do {                                                               \
		if (!(x)) {                                                \
			ksft_print_msg("%s:%d: worker: %s failed (errno %d)\n", \
				       __FILE__, __LINE__, #x, errno);     \
			goto out;                                          \
		}                                                          \
	} while (0)

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const size_t size = 1024 * 1024 + (size_t)w->id;
	uint8_t *data = malloc(size), *back = malloc(size);
	int in = memfd_create("w", 0), out = memfd_create("w", 0);
	struct v9p_fid *f;
	char name[16];

	snprintf(name, sizeof(name), "t%d", w->id);
	CHECK(data && back && in >= 0 && out >= 0);
	fill_pattern(data, size, 100 + (uint64_t)w->id);
	CHECK(write(in, data, size) == (ssize_t)size);
	for (int round = 0; round < 3; round++) {
		struct v9p_attr a;

		CHECK((f = v9p_walk(w->self->root, NULL)) != NULL);
		CHECK(v9p_lcreate(f, name, O_RDWR | O_CREAT | O_TRUNC, 0644,
				  0) == 0);
		CHECK(lseek(in, 0, SEEK_SET) == 0);
		CHECK(v9p_put_fd(f, in) == (int64_t)size);
		CHECK(v9p_clunk(f) == 0);
		CHECK((f = v9p_walk(w->self->root, name)) != NULL);
		CHECK(v9p_getattr(f, V9P_GETATTR_SIZE, &a) == 0);
		CHECK(a.size == size);
		CHECK(v9p_lopen(f, O_RDONLY) == 0);
		CHECK(ftruncate(out, 0) == 0 && lseek(out, 0, SEEK_SET) == 0);
		CHECK(v9p_get_fd(f, out) == (int64_t)size);
		CHECK(v9p_clunk(f) == 0);
		CHECK(pread(out, back, size, 0) == (ssize_t)size);
		CHECK(memcmp(back, data, size) == 0);
	}
	w->ok = 1;
out:
	free(data);
	free(back);
	close(in);
	close(out);
	return NULL;
}

TEST_F(diod, four_threads_share_one_session)
{
	struct worker w[4];
	pthread_t th[4];

	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .self = self, .id = i };
		ASSERT_EQ(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(w[i].ok, 1);
}

TEST_F(diod, restart_makes_old_fids_stale)
{
	struct v9p_fid *f = v9p_walk(self->root, NULL);
	struct v9p_attr a;

	ASSERT_NONNULL(f);
	ASSERT_EQ(v9p_restart(self->s), 0);
	ASSERT_ERRNO(v9p_getattr(f, V9P_GETATTR_BASIC, &a), ESTALE);
	ASSERT_ERRNO(v9p_walk(self->root, NULL), ESTALE);
	v9p_fid_free(f);
	v9p_fid_free(self->root);
	self->root = v9p_attach(self->s, self->uname, self->uid, self->exp);
	ASSERT_NONNULL(self->root);
	ASSERT_EQ(v9p_getattr(self->root, V9P_GETATTR_BASIC, &a), 0);
}

TEST_F(diod, dead_server_fails_with_econnaborted)
{
	struct v9p_attr a;

	kill(self->pid, SIGKILL);
	waitpid(self->pid, NULL, 0);
	self->pid = 0;
	ASSERT_ERRNO(v9p_getattr(self->root, V9P_GETATTR_BASIC, &a),
		     ECONNABORTED);
	ASSERT_ERRNO(v9p_walk(self->root, NULL), ECONNABORTED);
	v9p_fid_free(self->root);
	self->root = NULL;
}

TEST_HARNESS_MAIN
