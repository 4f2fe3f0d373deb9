/* SPDX-License-Identifier: MIT */
/*
 * v9p.h - userspace 9P2000.L client over a vio9p device or a stream socket.
 *
 * A session (struct v9p_session) owns one channel: a /dev/9p/<N> device
 * file descriptor (one whole message per write(2)/read(2)) or a unix/TCP
 * stream socket (messages framed by their size[4]).  A fid (struct v9p_fid)
 * names a file on the server; it belongs to one session.
 *
 * Threads: every function may be called from several threads on the same
 * session at once.  Replies are matched to requests by tag in any order.
 * One fid must not be used by two threads at once unless the call does
 * not change it (reads, writes at explicit offsets, getattr are fine).
 *
 * Errors: functions return -1 (or NULL) and set errno.  An Rlerror from
 * the server passes its ecode through as errno.  A malformed reply (wrong
 * size[4], type or tag, truncated body, count larger than asked, ...) is
 * EPROTO.  When the channel dies, every pending request and every later
 * call fails with ECONNABORTED.  Functions that clunk or free never fail in
 * a way that leaks: their argument is always released.
 */
#ifndef V9P_H
#define V9P_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define V9P_API __attribute__((visibility("default")))

/* Protocol version string negotiated by v9p_connect(). */
#define V9P_VERSION "9P2000.L"
/* Tag used by Tversion only. */
#define V9P_NOTAG 0xffffu
/* Fid value meaning "no fid" (afid of an unauthenticated Tattach). */
#define V9P_NOFID 0xffffffffu
/* Most names in one Twalk; v9p_walk() splits longer paths. */
#define V9P_MAXWELEM 16
/* Bytes of a Tread/Twrite header; data per message is msize - this. */
#define V9P_IOHDRSZ 24
/* Default msize on a vio9p device (the driver's limit). */
#define V9P_DEV_MSIZE 8192
/* Default msize on a stream socket. */
#define V9P_SOCK_MSIZE 65536
/* Default requests in flight on a vio9p device. */
#define V9P_DEV_WINDOW 8
/* Default requests in flight on a stream socket. */
#define V9P_SOCK_WINDOW 32
/* Longest name in a struct v9p_dirent, without the NUL. */
#define V9P_NAME_MAX 255

/* Getattr request_mask / valid bits (9P2000.L P9_GETATTR_*). */
#define V9P_GETATTR_MODE 0x00000001ull
#define V9P_GETATTR_NLINK 0x00000002ull
#define V9P_GETATTR_UID 0x00000004ull
#define V9P_GETATTR_GID 0x00000008ull
#define V9P_GETATTR_RDEV 0x00000010ull
#define V9P_GETATTR_ATIME 0x00000020ull
#define V9P_GETATTR_MTIME 0x00000040ull
#define V9P_GETATTR_CTIME 0x00000080ull
#define V9P_GETATTR_INO 0x00000100ull
#define V9P_GETATTR_SIZE 0x00000200ull
#define V9P_GETATTR_BLOCKS 0x00000400ull
#define V9P_GETATTR_BASIC 0x000007ffull
#define V9P_GETATTR_ALL 0x00003fffull

/* Setattr valid bits (9P2000.L P9_SETATTR_*). */
#define V9P_SETATTR_MODE 0x001u
#define V9P_SETATTR_UID 0x002u
#define V9P_SETATTR_GID 0x004u
#define V9P_SETATTR_SIZE 0x008u
#define V9P_SETATTR_ATIME 0x010u
#define V9P_SETATTR_MTIME 0x020u
#define V9P_SETATTR_CTIME 0x040u
#define V9P_SETATTR_ATIME_SET 0x080u
#define V9P_SETATTR_MTIME_SET 0x100u

/* Tlock type and Rlock status values. */
#define V9P_LOCK_TYPE_RDLCK 0
#define V9P_LOCK_TYPE_WRLCK 1
#define V9P_LOCK_TYPE_UNLCK 2
#define V9P_LOCK_SUCCESS 0
#define V9P_LOCK_BLOCKED 1
#define V9P_LOCK_ERROR 2
#define V9P_LOCK_GRACE 3
/* Tlock flags. */
#define V9P_LOCK_FLAGS_BLOCK 1u

/* Tunlinkat flag: remove a directory (Linux AT_REMOVEDIR). */
#define V9P_AT_REMOVEDIR 0x200u

/* Server's unique identity of a file. */
struct v9p_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

/* Rgetattr body; fields not in @valid are undefined. */
struct v9p_attr {
	uint64_t valid;
	struct v9p_qid qid;
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	uint64_t nlink;
	uint64_t rdev;
	uint64_t size;
	uint64_t blksize;
	uint64_t blocks;
	uint64_t atime_sec, atime_nsec;
	uint64_t mtime_sec, mtime_nsec;
	uint64_t ctime_sec, ctime_nsec;
	uint64_t btime_sec, btime_nsec;
	uint64_t gen;
	uint64_t data_version;
};

/* Tsetattr body; only fields named in @valid are applied. */
struct v9p_setattr {
	uint32_t valid;
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	uint64_t size;
	uint64_t atime_sec, atime_nsec;
	uint64_t mtime_sec, mtime_nsec;
};

/* Rstatfs body. */
struct v9p_statfs {
	uint32_t type;
	uint32_t bsize;
	uint64_t blocks;
	uint64_t bfree;
	uint64_t bavail;
	uint64_t files;
	uint64_t ffree;
	uint64_t fsid;
	uint32_t namelen;
};

/* One directory entry decoded from Rreaddir data. */
struct v9p_dirent {
	struct v9p_qid qid;
	uint64_t offset; /* pass to the next Treaddir to continue after it */
	uint8_t type;	 /* DT_* value */
	char name[V9P_NAME_MAX + 1];
};

/* Tlock / Tgetlock / Rgetlock body. */
struct v9p_flock {
	uint8_t type; /* V9P_LOCK_TYPE_* */
	uint32_t flags; /* Tlock only: V9P_LOCK_FLAGS_* */
	uint64_t start;
	uint64_t length; /* 0 means "to the end of the file" */
	uint32_t proc_id;
	char client_id[V9P_NAME_MAX + 1];
};

struct v9p_session;
struct v9p_fid;
struct v9p_op;

/* ---- Sessions ---------------------------------------------------------- */

/*
 * v9p_connect() - open a channel and negotiate 9P2000.L with Tversion.
 * @addr: "unix:PATH", "tcp:HOST:PORT", or a device path ("dev:PATH" or
 *        any path starting with '/'), opened O_RDWR|O_EXCL|O_CLOEXEC.
 * @msize: proposed msize; 0 picks the default: on a device the driver's
 *         limit from VIO9P_IOC_LIMITS (V9P_DEV_MSIZE if the driver has no
 *         such ioctl), on a socket V9P_SOCK_MSIZE.  On a device a larger
 *         @msize is lowered to the driver's limit.  The server may lower
 *         it; v9p_msize() tells the result.
 * Sends Tversion (tag NOTAG).  Returns a session the caller frees with
 * v9p_close(), or NULL with errno (EPROTO if the server does not speak
 * 9P2000.L or its reply is malformed, EINVAL for a bad @addr).
 */
V9P_API struct v9p_session *v9p_connect(const char *addr, uint32_t msize);

/* Kinds of file descriptor for v9p_session_new(). */
enum v9p_trans_kind {
	V9P_TRANS_DEV,	  /* vio9p device: one message per read/write (a
			   * read of 0 bytes, a reply dropped after a
			   * Tflush, is skipped) */
	V9P_TRANS_STREAM, /* byte stream framed by size[4] */
};

/*
 * v9p_session_new() - like v9p_connect() on an already open @fd, which the
 * session then owns (closed by v9p_close(), also when this fails).
 * @window: most requests in flight; 0 picks the default (on a device the
 *          driver's request slots, else V9P_DEV_WINDOW; on a socket
 *          V9P_SOCK_WINDOW).  On a device it is lowered to the slots.
 *          The fd may be O_NONBLOCK: the library poll(2)s when it would
 *          block.
 */
V9P_API struct v9p_session *v9p_session_new(int fd, enum v9p_trans_kind kind,
					    uint32_t msize, uint32_t window);

/*
 * v9p_restart() - start a new protocol session on the same channel by
 * sending Tversion again.  The server clunks every fid; fids of the old
 * session fail with ESTALE afterwards (free them with v9p_fid_free()).
 * Fails with EBUSY while requests are in flight.
 */
V9P_API int v9p_restart(struct v9p_session *s);

/*
 * v9p_close() - free the session and close its channel.  On a device it
 * first sends Tversion so the host drops its session state.  Every fid of
 * the session must have been clunked or freed before.
 */
V9P_API void v9p_close(struct v9p_session *s);

/* v9p_msize() - negotiated msize. */
V9P_API uint32_t v9p_msize(const struct v9p_session *s);

/* v9p_window() - most requests the session keeps in flight. */
V9P_API uint32_t v9p_window(const struct v9p_session *s);

/*
 * v9p_session_fd() - the channel's file descriptor, for poll(2) (POLLIN
 * means a reply can be read; call v9p_op_done() to collect it).
 */
V9P_API int v9p_session_fd(const struct v9p_session *s);

/*
 * v9p_session_detach() - free the session but keep its channel: returns
 * the channel's fd, and its kind in *@kind, for a program that speaks 9P
 * on it by itself from now on (vio9p relay opens the channel and
 * negotiates the version with v9p_connect(), then takes it).  Nothing is
 * sent.  No fid may be left and no request in flight.  The caller closes
 * the fd.
 */
V9P_API int v9p_session_detach(struct v9p_session *s,
			       enum v9p_trans_kind *kind);

/* ---- Fids ------------------------------------------------------------- */

/*
 * v9p_attach() - send Tattach (afid NOFID) and return a fid for the root
 * of export @aname as user @uname / @n_uname.  Free it with v9p_clunk().
 */
V9P_API struct v9p_fid *v9p_attach(struct v9p_session *s, const char *uname,
				   uint32_t n_uname, const char *aname);

/*
 * v9p_walk() - walk from @from along @path ("a/b/c"; empty components and
 * "." are skipped; "" or NULL clones @from).  Paths of more than 16 names
 * are sent as several Twalks.  Returns a new fid the caller clunks, or NULL:
 * a missing component gives the server's errno (ENOENT) also when the
 * walk stopped part way (the partial fid is clunked).
 */
V9P_API struct v9p_fid *v9p_walk(struct v9p_fid *from, const char *path);

/* v9p_walkv() - like v9p_walk() with @n names already split. */
V9P_API struct v9p_fid *v9p_walkv(struct v9p_fid *from, size_t n,
				  const char *const *names);

/*
 * v9p_clunk() - send Tclunk and free @f (always, also on error).
 * Returns 0 or -1 with errno from the server.  NULL is a no-op.
 */
V9P_API int v9p_clunk(struct v9p_fid *f);

/*
 * v9p_remove() - send Tremove: remove the file @f names and free @f
 * (always: the server clunks it even when the remove fails).  For servers
 * without Tunlinkat (diod 1.0.24 answers EOPNOTSUPP).  Returns 0 or -1
 * with errno from the server (ENOTEMPTY for a full directory).
 */
V9P_API int v9p_remove(struct v9p_fid *f);

/*
 * v9p_fid_free() - free @f without sending anything (after v9p_restart()
 * or when the channel is dead).
 */
V9P_API void v9p_fid_free(struct v9p_fid *f);

/* v9p_fid_qid() - qid of the file as last reported by the server. */
V9P_API const struct v9p_qid *v9p_fid_qid(const struct v9p_fid *f);

/* v9p_fid_iounit() - iounit reported by Rlopen/Rlcreate (0: none). */
V9P_API uint32_t v9p_fid_iounit(const struct v9p_fid *f);

/* ---- Metadata ---------------------------------------------------------- */

/* v9p_getattr() - send Tgetattr with @mask (V9P_GETATTR_*) into @out. */
V9P_API int v9p_getattr(struct v9p_fid *f, uint64_t mask,
			struct v9p_attr *out);

/* v9p_setattr() - send Tsetattr with the fields @in->valid names. */
V9P_API int v9p_setattr(struct v9p_fid *f, const struct v9p_setattr *in);

/* v9p_statfs() - send Tstatfs for the file system holding @f. */
V9P_API int v9p_statfs(struct v9p_fid *f, struct v9p_statfs *out);

/* ---- Files ------------------------------------------------------------- */

/*
 * v9p_lopen() - send Tlopen; @flags are the host's open(2) flags
 * (O_RDONLY...), sent as their 9P2000.L values.  A flag 9P2000.L has no
 * value for (O_PATH, O_TMPFILE) fails with EINVAL and sends nothing.
 */
V9P_API int v9p_lopen(struct v9p_fid *f, uint32_t flags);

/*
 * v9p_lcreate() - send Tlcreate: create @name in directory @dir and open
 * it with @flags (open(2) flags, converted as for v9p_lopen()).  As in 9P,
 * @dir itself then refers to the new open file.
 */
V9P_API int v9p_lcreate(struct v9p_fid *dir, const char *name, uint32_t flags,
			uint32_t mode, uint32_t gid);

/*
 * v9p_pread() - read up to @n bytes at @off with as many Treads as needed
 * (each at most msize - V9P_IOHDRSZ, or the iounit).  Stops early at end
 * of file.  Returns bytes read (0 at EOF) or -1 with errno.
 */
V9P_API ssize_t v9p_pread(struct v9p_fid *f, void *buf, size_t n,
			  uint64_t off);

/*
 * v9p_pwrite() - write all @n bytes at @off in Twrite chunks.  Returns @n
 * or -1; a short Rwrite ends the loop and returns the bytes written.
 */
V9P_API ssize_t v9p_pwrite(struct v9p_fid *f, const void *buf, size_t n,
			   uint64_t off);

/* v9p_fsync() - send Tfsync (@datasync nonzero: data only). */
V9P_API int v9p_fsync(struct v9p_fid *f, int datasync);

/*
 * v9p_lock() - send Tlock; stores the Rlock status (V9P_LOCK_*) in
 * @status.
 */
V9P_API int v9p_lock(struct v9p_fid *f, const struct v9p_flock *fl,
		     uint8_t *status);

/*
 * v9p_getlock() - send Tgetlock with @fl and overwrite it with Rgetlock
 * (type V9P_LOCK_TYPE_UNLCK means the range is free).
 */
V9P_API int v9p_getlock(struct v9p_fid *f, struct v9p_flock *fl);

/*
 * v9p_readlink() - send Treadlink; returns the target, malloc'd, NUL
 * terminated; the caller free()s it.
 */
V9P_API char *v9p_readlink(struct v9p_fid *f);

/* ---- Directories --------------------------------------------------------- */

/*
 * v9p_readdir() - send one Treaddir for at most @n bytes at directory
 * offset @off (0 to start) into @buf.  Returns the byte count (0 at the
 * end) for v9p_dirent_next(), or -1.
 */
V9P_API ssize_t v9p_readdir(struct v9p_fid *dir, uint64_t off, void *buf,
			    size_t n);

/*
 * v9p_dirent_next() - decode the entry at *@pos of @buf (@len bytes from
 * v9p_readdir()) into @de and advance *@pos.  Returns 1 for an entry, 0 at
 * the end, -1 with EPROTO if the data is malformed.
 */
V9P_API int v9p_dirent_next(const void *buf, size_t len, size_t *pos,
			    struct v9p_dirent *de);

/* v9p_mkdir() - send Tmkdir; stores the new qid in @qid unless NULL. */
V9P_API int v9p_mkdir(struct v9p_fid *dir, const char *name, uint32_t mode,
		      uint32_t gid, struct v9p_qid *qid);

/* v9p_symlink() - send Tsymlink: @name in @dir pointing to @target. */
V9P_API int v9p_symlink(struct v9p_fid *dir, const char *name,
			const char *target, uint32_t gid, struct v9p_qid *qid);

/*
 * v9p_mknod() - send Tmknod: @name in @dir, a device (major, minor),
 * FIFO, socket or regular file as @mode's type bits (S_IFCHR...) say,
 * with @mode's permission bits, group @gid; stores the new qid in @qid
 * unless NULL.  0, or -1 with errno.
 */
V9P_API int v9p_mknod(struct v9p_fid *dir, const char *name, uint32_t mode,
		      uint32_t major, uint32_t minor, uint32_t gid,
		      struct v9p_qid *qid);

/* v9p_link() - send Tlink: hard link @name in @dir to the file @f. */
V9P_API int v9p_link(struct v9p_fid *dir, struct v9p_fid *f,
		     const char *name);

/* v9p_rename() - send Trename: move @f to @name in @dir. */
V9P_API int v9p_rename(struct v9p_fid *f, struct v9p_fid *dir,
		       const char *name);

/* v9p_renameat() - send Trenameat. */
V9P_API int v9p_renameat(struct v9p_fid *olddir, const char *oldname,
			 struct v9p_fid *newdir, const char *newname);

/* v9p_unlinkat() - send Tunlinkat (@flags 0 or V9P_AT_REMOVEDIR). */
V9P_API int v9p_unlinkat(struct v9p_fid *dir, const char *name,
			 uint32_t flags);

/* ---- Asynchronous requests ------------------------------------------------ */

/*
 * An op is one request sent and not yet collected.  A *_start() call
 * sends it and returns at once; it blocks only while the session's
 * window of requests in flight (v9p_window()) is full, reading replies
 * meanwhile.  Replies may come in any order.  Each op is freed by exactly
 * one call: the wait of its kind (v9p_op_wait() for reads, writes and
 * clunks, v9p_op_wait_fid() for walks, v9p_op_wait_attr() for getattrs)
 * or v9p_op_flush().  A wait of the wrong kind, or on NULL, fails with
 * EINVAL and leaves the op as it was.  A *_start() that fails returns
 * NULL with errno and sends nothing.
 */

/*
 * v9p_read_start() - send Tread for @count bytes at @off (@count is
 * clamped to msize - V9P_IOHDRSZ).
 */
V9P_API struct v9p_op *v9p_read_start(struct v9p_fid *f, uint64_t off,
				      uint32_t count);

/*
 * v9p_write_start() - send Twrite of @count bytes (copied; at most
 * msize - V9P_IOHDRSZ, else EMSGSIZE) at @off.
 */
V9P_API struct v9p_op *v9p_write_start(struct v9p_fid *f, uint64_t off,
				       const void *buf, uint32_t count);

/*
 * v9p_walk_start() - send one Twalk from @from along @path, split as
 * v9p_walk() does ("" or NULL clones @from), of at most V9P_MAXWELEM
 * names (more: E2BIG).  v9p_op_wait_fid() gives the new fid.
 */
V9P_API struct v9p_op *v9p_walk_start(struct v9p_fid *from,
				      const char *path);

/*
 * v9p_getattr_start() - send Tgetattr with @mask (V9P_GETATTR_*) on @f;
 * v9p_op_wait_attr() gives the attributes.
 */
V9P_API struct v9p_op *v9p_getattr_start(struct v9p_fid *f, uint64_t mask);

/*
 * v9p_clunk_start() - send Tclunk of @f.  The op owns @f from here: do
 * not use it again.  Its fid number is reused only after the reply, when
 * v9p_op_wait() (0 or -1 with the server's errno) or v9p_op_flush() frees
 * @f.  @f is freed also when this fails (NULL: EBADF).
 */
V9P_API struct v9p_op *v9p_clunk_start(struct v9p_fid *f);

/*
 * v9p_op_wait() - wait for the reply of a read, write or clunk @op and
 * free @op.  For a read, copies the data into @buf (@len bytes of room,
 * at least the count asked).  Returns the Rread/Rwrite count (0 for a
 * clunk), or -1 with errno.
 */
V9P_API ssize_t v9p_op_wait(struct v9p_op *op, void *buf, size_t len);

/*
 * v9p_op_wait_fid() - wait for the reply of a walk @op and free @op.
 * Returns the new fid, which the caller clunks, or NULL with errno: the
 * server's (a name missing: ENOENT, also when the walk stopped part way);
 * no fid is left behind then.
 */
V9P_API struct v9p_fid *v9p_op_wait_fid(struct v9p_op *op);

/*
 * v9p_op_wait_attr() - wait for the reply of a getattr @op into @out and
 * free @op.  0 or -1 with errno.
 */
V9P_API int v9p_op_wait_attr(struct v9p_op *op, struct v9p_attr *out);

/*
 * v9p_op_done() - without blocking, read replies that are ready and tell
 * whether @op has its reply (1) or not (0); -1 (EINVAL) for NULL.
 */
V9P_API int v9p_op_done(struct v9p_op *op);

/*
 * v9p_op_flush() - abandon @op: send Tflush for its tag, wait for Rflush
 * and free @op.  Returns 1 if the reply came before the flush took effect
 * (the operation happened), 0 if it was flushed, -1 with errno.  Fids are
 * never leaked: the fid a walk made on the server is clunked; a clunk
 * that was flushed is sent again (synchronously); the clunked fid is
 * freed in every case.
 */
V9P_API int v9p_op_flush(struct v9p_op *op);

/*
 * struct v9p_copy - optional arguments and result of v9p_get_fd2() and
 * v9p_put_fd2().  Zero-initialise it and set what you need.
 * @progress: called, unless NULL, after each reply that adds bytes to the
 *            copy, with the bytes copied so far (increasing; the last call
 *            has the whole count).  It runs in the copying thread and must
 *            not call into the library on the same file.
 * @arg:      passed to @progress.
 * @fd_error: set by the copy: 1 if it failed reading or writing @fd (errno
 *            from read(2)/write(2)), 0 if it succeeded or failed on the
 *            server side (or for lack of memory).
 */
struct v9p_copy {
	void (*progress)(uint64_t done, void *arg);
	void *arg;
	int fd_error;
};

/*
 * v9p_get_fd2() - copy the open file @f from offset 0 to its end into @fd,
 * keeping up to v9p_window() Treads in flight (each msize - V9P_IOHDRSZ
 * bytes, or the iounit).  The end is an empty Rread, or a short one at or
 * past the size a Tgetattr sent with the first Treads reports; after a
 * short Rread before that size, reading goes on from where it stopped.
 * @c may be NULL.
 * Returns bytes copied or -1 with errno (see @c->fd_error for the side).
 */
V9P_API int64_t v9p_get_fd2(struct v9p_fid *f, int fd, struct v9p_copy *c);

/*
 * v9p_put_fd2() - copy @fd from its current offset until EOF into the open
 * file @f from offset 0, keeping up to v9p_window() Twrites in flight.  The
 * rest of a short Rwrite is sent again, so that the server's own error
 * comes back (ENOSPC, EDQUOT...); ENOSPC if it is short again.  A regular
 * file on a vio9p device is spliced into the channel (its data never
 * passes through this process) up to the size it had when the copy began,
 * then read on to EOF; @fd's offset ends past what was copied either way.
 * @c may be NULL.  Returns bytes copied or -1 with errno.
 */
V9P_API int64_t v9p_put_fd2(struct v9p_fid *f, int fd, struct v9p_copy *c);

/*
 * v9p_put_fd_sync() - v9p_put_fd2(), and every @every bytes (0: never) a
 * Tfsync of the data so far (datasync), sent among the Twrites unless the
 * one before is still in flight, and waited for only at the end: the
 * server writes the file back while the copy goes on, so that a Tfsync
 * after the copy has little left to do.  It is no promise of durability: send v9p_fsync()
 * after it for that.  Fails as v9p_put_fd2() does, or with the errno of a
 * Tfsync.
 */
V9P_API int64_t v9p_put_fd_sync(struct v9p_fid *f, int fd,
				struct v9p_copy *c, uint64_t every);

/* v9p_get_fd() - v9p_get_fd2() without progress. */
V9P_API int64_t v9p_get_fd(struct v9p_fid *f, int fd);

/* v9p_put_fd() - v9p_put_fd2() without progress. */
V9P_API int64_t v9p_put_fd(struct v9p_fid *f, int fd);

#ifdef __cplusplus
}
#endif

#endif /* V9P_H */
