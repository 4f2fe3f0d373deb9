// SPDX-License-Identifier: MIT
/*
 * setup.c - what `vio9p relay' does before its loop: open the channel (a
 * vio9p device, or a unix or TCP socket) and negotiate 9P2000.L on it
 * through libvio9p, which then hands the fd over; listen on the unix
 * socket with its mode; drop privileges.  Every failure here exits with a
 * message naming the thing.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd.h"
#include "setup.h"

/* Requests in flight on a stream channel (a device says its own). */
#define STREAM_WINDOW 64
/* Seconds to wait for the channel's Rversion. */
#define VERSION_TIMEOUT 30

/* What to say if the Rversion does not come (set before the alarm). */
static char timeout_msg[256];

static void version_timeout(int sig)
{
	(void)sig;
	if (write(STDERR_FILENO, timeout_msg, strlen(timeout_msg)) < 0)
		_exit(1);
	_exit(1);
}

void relay_open_channel(struct relay *r, const struct vctx *c)
{
	struct sigaction sa = { .sa_handler = version_timeout }, old;
	enum v9p_trans_kind kind;
	struct v9p_session *s;

	snprintf(timeout_msg, sizeof(timeout_msg),
		 "vio9p: relay: channel %s: no Rversion in %d s\n", c->addr,
		 VERSION_TIMEOUT);
	sigaction(SIGALRM, &sa, &old);
	alarm(VERSION_TIMEOUT);
	s = v9p_connect(c->addr, c->msize);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	if (!s)
		xerr("relay: %s", c->addr);
	r->msize = v9p_msize(s);
	r->window = v9p_window(s);
	r->chfd = v9p_session_detach(s, &kind);
	r->dev = kind == V9P_TRANS_DEV;
	if (!r->dev)
		r->window = STREAM_WINDOW; /* the library's own is smaller */
	if (fcntl(r->chfd, F_SETFL, fcntl(r->chfd, F_GETFL) | O_NONBLOCK) < 0)
		xerr("relay: %s", c->addr);
}

/* Does a server listen on the unix socket at @sun? */
static bool someone_listens(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool yes = fd >= 0 &&
		   connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;

	if (fd >= 0)
		close(fd);
	return yes;
}

/* The unix socket at @path with @mode; exits on error. */
int relay_listen(const char *path, mode_t mode)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		xerrx("relay: %s: socket path too long", path);
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			xerrx("relay: %s: exists and is not a socket", path);
		if (someone_listens(&sun))
			xerrx("relay: %s: another server listens there", path);
		unlink(path); /* left by a relay that died */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		xerr("relay: socket");
	old = umask(~mode & 0777);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		xerr("relay: %s", path);
	umask(old);
	if (chmod(path, mode) < 0 || listen(fd, 128) < 0)
		xerr("relay: %s", path);
	return fd;
}

void relay_drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (!pw)
		xerrx("relay: -u %s: no such user", user);
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		xerr("relay: -u %s", user);
	if (pw->pw_uid != 0 && setuid(0) == 0)
		xerrx("relay: -u %s: root could be regained", user);
}

/* Octal mode up to 0777. */
int relay_parse_mode(const char *s, mode_t *out)
{
	unsigned v = 0;

	if (!*s || strlen(s) > 4)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return -1;
		v = v * 8 + (unsigned)(*s - '0');
	}
	if (v > 0777)
		return -1;
	*out = (mode_t)v;
	return 0;
}
