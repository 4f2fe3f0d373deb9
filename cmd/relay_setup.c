// SPDX-License-Identifier: MIT
/*
 * relay_setup.c - what `vio9p relay' does before its loop: open the
 * channel (a vio9p device, with its limits from VIO9P_IOC_LIMITS, or a
 * unix or TCP socket), negotiate 9P2000.L on it, listen on the unix
 * socket with its mode, and drop privileges.  Every failure here exits
 * with a message naming the thing.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "relay.h"
#include "vio9p.h"

/* Requests in flight on a stream channel (a device says its own). */
#define STREAM_WINDOW 64
/* Most request slots used on a device. */
#define MAX_WINDOW 1024
/* msize proposed on a stream channel without -m. */
#define STREAM_MSIZE 65536
/* Seconds to wait for the channel's Rversion. */
#define VERSION_TIMEOUT 30

static int connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	int e = errno;

	close(fd);
	errno = e;
	return -1;
}

static int connect_tcp(const char *hostport)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char *host = strdup(hostport), *port;
	int fd = -1, e = EINVAL;

	if (!host)
		xerr("relay: out of memory");
	port = strrchr(host, ':');
	if (port && port != host) {
		*port++ = '\0';
		if (getaddrinfo(host, port, &hints, &res) != 0) {
			e = EHOSTUNREACH;
		} else {
			for (ai = res; ai && fd < 0; ai = ai->ai_next) {
				fd = socket(ai->ai_family,
					    ai->ai_socktype | SOCK_CLOEXEC,
					    ai->ai_protocol);
				if (fd >= 0 &&
				    connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
					e = errno;
					close(fd);
					fd = -1;
				}
			}
			freeaddrinfo(res);
		}
	}
	free(host);
	errno = e;
	return fd;
}

/* Open the channel and learn its limits; exits on error. */
void relay_open_channel(struct relay *r, const struct vctx *c)
{
	const char *a = c->addr;
	struct vio9p_limits lim = { 0 };

	r->window = STREAM_WINDOW;
	r->msize = c->msize ? c->msize : STREAM_MSIZE;
	if (!strncmp(a, "unix:", 5)) {
		r->chfd = connect_unix(a + 5);
	} else if (!strncmp(a, "tcp:", 4)) {
		r->chfd = connect_tcp(a + 4);
	} else {
		if (!strncmp(a, "dev:", 4))
			a += 4;
		r->dev = true;
		r->chfd = open(a, O_RDWR | O_EXCL | O_CLOEXEC | O_NONBLOCK);
	}
	if (r->chfd < 0)
		xerr("relay: %s", c->addr);
	if (!r->dev) {
		fcntl(r->chfd, F_SETFL, fcntl(r->chfd, F_GETFL) | O_NONBLOCK);
		return;
	}
	/* The driver's limits, never a constant: they grow. */
	r->msize = VIO9P_MAX_MSG_SIZE;
	r->window = 8;
	if (ioctl(r->chfd, VIO9P_IOC_LIMITS, &lim) == 0) {
		if (lim.msize >= R_MIN_MSIZE)
			r->msize = lim.msize;
		if (lim.requests)
			r->window = lim.requests;
	} else if (errno != ENOTTY && errno != EINVAL) {
		xerr("relay: %s: VIO9P_IOC_LIMITS", a);
	}
	if (r->window > MAX_WINDOW)
		r->window = MAX_WINDOW;
	if (c->msize && c->msize < r->msize)
		r->msize = c->msize;
}

/* Wait up to the deadline for @events on the channel. */
static void chan_wait(struct relay *r, short events, time_t deadline)
{
	struct pollfd p = { .fd = r->chfd, .events = events };
	int left = (int)(deadline - time(NULL));

	if (left <= 0 || poll(&p, 1, left * 1000) == 0)
		xerrx("relay: channel %s: no Rversion in %d s", r->addr,
		      VERSION_TIMEOUT);
}

/* Tversion on the channel, synchronously; exits on error. */
void relay_version(struct relay *r)
{
	static const char v[] = "9P2000.L";
	size_t vl = sizeof(v) - 1, have = 0, want = 4;
	uint8_t *m = malloc(r->msize), t[R_HDRSZ + 6 + sizeof(v)];
	time_t deadline = time(NULL) + VERSION_TIMEOUT;
	uint32_t len = R_HDRSZ + 6 + (uint32_t)vl, msize;
	ssize_t n;

	if (!m)
		xerr("relay: out of memory");
	r_put32(t, len);
	t[4] = R_TVERSION;
	r_put16(t + 5, R_NOTAG);
	r_put32(t + R_HDRSZ, r->msize);
	r_put16(t + R_HDRSZ + 4, (uint16_t)vl);
	memcpy(t + R_HDRSZ + 6, v, vl);
	for (size_t off = 0; off < len;) {
		n = write(r->chfd, t + off, len - off);
		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && (errno == EAGAIN || errno == EINTR))
			chan_wait(r, POLLOUT, deadline);
		else
			xerr("relay: channel %s: Tversion", r->addr);
	}
	for (;;) {
		if (r->dev) {
			n = read(r->chfd, m, r->msize);
			if (n >= R_HDRSZ && r_get16(m + 5) != R_NOTAG)
				continue; /* left over from someone else */
			if (n >= 0 && n < R_HDRSZ)
				continue;
			have = n > 0 ? (size_t)n : 0;
		} else {
			n = read(r->chfd, m + have, want - have);
			if (n == 0) {
				errno = ECONNRESET;
				n = -1;
			}
			if (n > 0)
				have += (size_t)n;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			xerr("relay: channel %s: Rversion", r->addr);
		if (n < 0) {
			chan_wait(r, POLLIN, deadline);
			continue;
		}
		if (r->dev)
			break;
		if (have == 4) {
			want = r_get32(m);
			if (want < R_HDRSZ || want > r->msize)
				xerrx("relay: channel %s: Rversion of %zu "
				      "bytes", r->addr, want);
		}
		if (have == want)
			break;
	}
	msize = have >= R_HDRSZ + 6 ? r_get32(m + R_HDRSZ) : 0;
	if (have < R_HDRSZ + 6 || r_get32(m) != have || m[4] != R_RVERSION ||
	    r_get16(m + R_HDRSZ + 4) != vl || have != R_HDRSZ + 6 + vl ||
	    memcmp(m + R_HDRSZ + 6, v, vl) != 0)
		xerrx("relay: channel %s: the server does not speak 9P2000.L",
		      r->addr);
	if (msize < R_MIN_MSIZE || msize > r->msize)
		xerrx("relay: channel %s: msize %u out of range", r->addr,
		      msize);
	r->msize = msize;
	free(m);
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
		int probe;

		if (!S_ISSOCK(st.st_mode))
			xerrx("relay: %s: exists and is not a socket", path);
		probe = connect_unix(path);
		if (probe >= 0)
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
