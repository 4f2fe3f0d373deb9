// SPDX-License-Identifier: MIT
/*
 * mount.c - vio9p mount: the share as a directory through FUSE (libfuse3),
 * for a user without v9fs or root.
 *
 * WHICH FUSE API
 *	The high-level, path-based API (fuse.h).  Every operation walks from
 *	the attached root along the path libfuse hands it, does its work on
 *	that fresh fid and clunks it.  The low-level API would let an inode
 *	keep a fid for as long as the kernel remembers it, saving the Twalk
 *	and the Tclunk, but a fid held across a rename of a directory above it
 *	goes stale on servers that keep a path per fid and fix only the fid
 *	that was renamed (diod does so), and stat(2) would then fail for
 *	files that exist.  Paths are always right: libfuse renames its own
 *	tree when a rename succeeds.  The cost is two more round trips per
 *	metadata operation, which the kernel's attribute and entry caches
 *	(1 s by default, -o attr_timeout=, -o entry_timeout=) mostly hide.
 *
 * OPERATIONS
 *	getattr		Tgetattr on a fid the fid cache keeps for the path
 *			(fidcache.c), else Twalk, Tgetattr (the fid is kept
 *			then), or Tgetattr on the open fid when the kernel
 *			sends the file handle; st_ino is the qid's path
 *			(use_ino).  Right after a setattr, the attributes it
 *			fetched (fresh_keep() in attr.c).
 *	readlink	Twalk, Treadlink, Tclunk
 *	mkdir, mknod	Twalk to the parent, Tmkdir or Tmknod, Tclunk
 *	symlink		Twalk to the parent, Tsymlink, Tclunk.  When one of
 *			these three fails, the kernel's cached attributes of
 *			the parent are dropped: the server may have changed
 *			it anyway (QEMU 7.2 makes a node, fails to set its
 *			mode with ENXIO and removes it: a new mtime)
 *	link		Twalk to both, Tlink, Tclunk both
 *	unlink, rmdir	Twalk to the parent, Tunlinkat; on a server without it
 *			(EOPNOTSUPP: diod 1.0.24) Twalk to the file, Tremove
 *	rename		Twalk to both parents, Trenameat; without it Twalk to
 *			the file, Trename.  RENAME_NOREPLACE is a Twalk that
 *			must fail with ENOENT first (not atomic: 9P2000.L has
 *			no such flag); RENAME_EXCHANGE is EINVAL.
 *	chmod, chown,	Tsetattr on the open fid when there is one, else on a
 *	truncate,	kept or walked one, then Tgetattr on it for the
 *	utimens		getattr libfuse sends next; UTIME_NOW sends the time
 *			bit without its _SET bit (the server's clock)
 *	open, opendir	Twalk, Tlopen; the fid, and whether it was opened
 *			O_APPEND, are the file handle (struct ofile, fi->fh).
 *			open sends Tlopen on the fid its own lookup walked,
 *			when that is at most 10 ms old (fidcache_take()),
 *			without a Twalk of its own
 *	create		Twalk to the parent, Tlcreate (the fid becomes the
 *			open file), fi->fh
 *	read, write	Tread/Twrite on fi->fh, up to v9p_window() (at most
 *			64) in flight; a short Rread is the end of the file.
 *			O_APPEND goes to the server, which puts every Twrite
 *			at the end of the file, as v9fs has it: writes to a
 *			file opened so go one at a time, in order (in flight
 *			at once, they would land in whatever order the
 *			server's threads took them).
 *	readdir		Treaddir on fi->fh from the kernel's offset, which is
 *			the 9P entry offset.  For readdirplus (libfuse asks
 *			for it, adaptively: the first reply of a listing, and
 *			later ones while the kernel uses their entries), each
 *			batch of up to 64 entries of an Rreaddir is walked,
 *			Tgetattr'd and clunked with every request of a step
 *			in flight at once (attrs_fetch(), shared with ls -l),
 *			and filled with its attributes; ".", ".." and an entry
 *			whose walk or getattr fails go without, as in readdir.
 *			A batch holds no more entries than the last full reply
 *			took (m->rd_room), so that few attributes are fetched
 *			for entries that do not fit.  With -o entry_timeout=0
 *			the kernel would look every entry up again anyway:
 *			m_init() turns readdirplus off then.
 *	fsync		Tfsync on fi->fh
 *	flush		none: writes are not buffered here, so the first
 *			close(2) of the mount answers ENOSYS, and the kernel
 *			sends no FUSE_FLUSH after it (a round trip through
 *			the daemon less on every close)
 *	release(dir)	Tclunk of fi->fh, not waited for (FIDS)
 *	statfs		Tstatfs on the root
 *	No xattrs or locks: the kernel keeps POSIX and flock locks local
 *	to this machine.
 *
 * FIDS
 *	The root fid lives as long as the mount.  Every other fid is either
 *	an operation's own (walked and clunked in the same call) or an open
 *	file's (walked in open/opendir/create, clunked in release).  Tclunk
 *	goes out without waiting for its reply (clunk_later()): nothing is
 *	done with the answer, so the operation replies to the kernel a round
 *	trip sooner (getattr: Twalk, Tgetattr and a Tclunk sent, two waited
 *	for).  The replies are collected as later clunks go out; at most
 *	CLUNKS_MAX are outstanding (the oldest is waited for then), and all
 *	of them are collected before the session ends.  A fid's number is
 *	reused only after its Rclunk (the library's rule).  An open
 *	file keeps working when it is renamed, as the server keeps the file
 *	open.  An open file that is unlinked is renamed to .fuse_hidden*
 *	instead and removed at its last close (libfuse's default): fstat(2)
 *	reaches the daemon by path, without the file handle, and that path
 *	must still exist.  Tgetattr and Tsetattr go to the open fid when
 *	there is one, and by path when that fails with ENOENT: a server
 *	that keeps a path per fid (diod) loses an open file renamed through
 *	another fid, though its reads and writes go on working.
 *
 * THREADS
 *	libfuse's multi-threaded loop: one request per worker thread, and
 *	the library's session is shared by all of them (its tags match
 *	replies in any order).  Threads never share a walked fid; open fids
 *	are shared only by calls the library allows on one fid at once
 *	(reads and writes at explicit offsets, Tgetattr, Tsetattr, Tfsync;
 *	the kernel serialises readdir on one open directory).  A read or
 *	write keeps up to v9p_window() requests in flight, each at most
 *	msize - 24 bytes (or the iounit): the msize is the channel's,
 *	negotiated by v9p_connect() from the driver's VIO9P_IOC_LIMITS.
 *
 * WHEN THE CHANNEL DIES
 *	The library fails every pending and later request with ECONNABORTED.
 *	Each operation that sees it (and finds that a clone of the root
 *	fails the same way, so it was not the server's own errno) answers
 *	EIO without blocking; the first one prints "vio9p: mount ADDR: channel died" and stops the loop;
 *	the file system is then unmounted (lazily: processes inside keep
 *	their working directories, and their calls fail with ENOTCONN) and
 *	vio9p exits with status 1.  A session cannot come back: every fid
 *	died with it.  A server that stops answering without closing the
 *	channel blocks the operations waiting for it, as with any network
 *	file system; /sys/fs/fuse/connections/N/abort ends them.
 *
 * PERMISSIONS
 *	The session attaches as the user running vio9p, and the server
 *	checks every access as that user.  Like every FUSE mount, only that
 *	user may enter it.  -o allow_other (or allow_root) lets others in,
 *	and then each user is themself, as with v9fs's access=user: root_of()
 *	attaches once per uid, at the user's first request (Tattach with
 *	n_uname = the caller's uid, uname empty, as v9fs sends it), keeps
 *	that root fid for the mount's life, and walks all of that user's
 *	requests from it; Tlcreate, Tmkdir, Tmknod and Tsymlink carry the
 *	caller's gid.  Files a user creates are theirs, and vio9p adds
 *	default_permissions so that the kernel checks access, chown, chmod
 *	and sticky directories against the files' owners and modes, as v9fs
 *	does with its cached attributes (QEMU's server checks nothing
 *	itself; diod checks again as the user).
 *
 * NAMES AND LINKS
 *	A name longer than NAME_MAX fails with ENAMETOOLONG before anything
 *	is sent (the kernel passes FUSE names of up to 1024 bytes).  libfuse
 *	gives every name its own kernel inode, so the hard links of a file
 *	are separate inodes with separate attribute caches: the paths seen
 *	naming a file of more than one link (m->links, the last LINKS_MAX)
 *	have their cached attributes dropped (fuse_invalidate_path()) when a
 *	link, unlink, rename or setattr through another name changes the
 *	file, so that stat(2) shows the link count and ctime v9fs would.
 *
 * ERRORS
 *	Errno values from the server pass through when they are valid
 *	(1..511; the kernel refuses others); anything else becomes EIO.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mount.h"

/* A malloc'd copy of @s with ',' and '\' escaped, for a -o list. */
static char *opt_escape(const char *s)
{
	char *out = malloc(2 * strlen(s) + 1), *p = out;

	if (!out)
		xerr("out of memory");
	for (; *s; s++) {
		if (*s == ',' || *s == '\\')
			*p++ = '\\';
		*p++ = *s;
	}
	*p = '\0';
	return out;
}

/* True when the comma-separated list @opts (may be NULL) holds option
 * @name. */
static bool has_opt(const char *opts, const char *name)
{
	size_t n = strlen(name);
	const char *p = opts;

	while (p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

int cmd_mount(struct vctx *c, int argc, char **argv)
{
	struct mnt m = { .c = c, .owner = geteuid(),
			 .users_lock = PTHREAD_MUTEX_INITIALIZER,
			 .links_lock = PTHREAD_MUTEX_INITIALIZER,
			 .clunks_lock = PTHREAD_MUTEX_INITIALIZER,
			 .fc_lock = PTHREAD_MUTEX_INITIALIZER,
			 .dirs_lock = PTHREAD_MUTEX_INITIALIZER };
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	char *user = NULL, *ours, *fsname, *dir;
	bool fg = false;
	int ch, rc;

	while ((ch = getopt(argc, argv, "+fo:")) != -1) {
		switch (ch) {
		case 'f':
			fg = true;
			break;
		case 'o':
			if (!user) {
				user = strdup(optarg);
			} else {
				char *both;

				if (asprintf(&both, "%s,%s", user, optarg) < 0)
					both = NULL;
				free(user);
				user = both;
			}
			if (!user)
				xerr("out of memory");
			break;
		default:
			return usage_verb(c->verb);
		}
	}
	if (argc - optind != 1) {
		free(user);
		return usage_verb(c->verb);
	}
	/* libfuse unmounts by this name after fuse_daemonize()'s chdir("/"). */
	dir = realpath(argv[optind], NULL);
	if (!dir) {
		xwarn("mount %s", argv[optind]);
		free(user);
		return 1;
	}
	m.per_user = has_opt(user, "allow_other") || has_opt(user, "allow_root");
	fsname = opt_escape(c->addr);
	if (asprintf(&ours, "fsname=%s,subtype=vio9p%s", fsname,
		     m.per_user ? ",default_permissions" : "") < 0)
		xerr("out of memory");
	free(fsname);
	if (fuse_opt_add_arg(&args, "vio9p") || fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, ours) ||
	    (user && (fuse_opt_add_arg(&args, "-o") ||
		      fuse_opt_add_arg(&args, user))))
		xerr("out of memory");
	free(ours);
	free(user);

	m.chunk_max = v9p_msize(c->s) - V9P_IOHDRSZ;
	m.window = v9p_window(c->s);
	rc = 1;
	m.fuse = fuse_new(&args, &mount_ops, sizeof(mount_ops), &m);
	fuse_opt_free_args(&args);
	if (!m.fuse) {
		xwarnx("mount %s: bad options", dir); /* libfuse said which */
		goto out;
	}
	if (fuse_mount(m.fuse, dir) != 0) {
		xwarnx("mount %s: cannot mount", dir); /* libfuse said why */
		goto out_destroy;
	}
	if (fuse_daemonize(fg) != 0 ||
	    fuse_set_signal_handlers(fuse_get_session(m.fuse)) != 0) {
		xwarnx("mount %s: cannot start", dir);
		goto out_unmount;
	}
	/* The loop returns 0 after an unmount, the number of the signal
	 * that ended it (SIGTERM...), or -1: the first two are clean ends. */
	rc = fuse_loop_mt(m.fuse, 0) < 0 || atomic_load(&m.dead);
	fuse_remove_signal_handlers(fuse_get_session(m.fuse));
out_unmount:
	fuse_unmount(m.fuse);
out_destroy:
	fuse_destroy(m.fuse);
out:
	fidcache_flush(&m);
	clunks_collect(&m);
	for (size_t i = 0; i < m.nusers; i++)
		v9p_clunk(m.users[i].root);
	free(m.users);
	for (size_t i = 0; i < m.nlinks; i++)
		free(m.links[i].path);
	free(dir);
	return rc;
}
