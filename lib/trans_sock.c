// SPDX-License-Identifier: MIT
/*
 * trans_sock.c - stream transport (unix or TCP socket, or any byte
 * stream): messages are framed by their own size[4].  recv reads the four
 * size bytes, checks 7 <= size <= cap, and only then reads the rest into
 * the caller's buffer.  Also parses "unix:PATH" / "tcp:HOST:PORT" /
 * device addresses for v9p_connect().
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "marshal.h"
#include "trans.h"

static int sock_send(struct v9p_transport *t, const void *msg, size_t len)
{
	const uint8_t *p = msg;

	while (len) {
		ssize_t n = send(t->fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == ENOTSOCK)
			n = write(t->fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN &&
		    v9p__trans_wait(t->fd, POLLOUT) == 0)
			continue;
		if (n == 0 || errno == EPIPE)
			errno = ECONNABORTED;
		return -1;
	}
	return 0;
}

/* Read exactly @len bytes; EOF is ECONNABORTED. */
static int read_full(int fd, uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = read(fd, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0) {
			errno = ECONNABORTED;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && v9p__trans_wait(fd, POLLIN) == 0)
			continue;
		return -1;
	}
	return 0;
}

static ssize_t sock_recv(struct v9p_transport *t, void *buf, size_t cap)
{
	uint8_t *p = buf;
	uint32_t size;

	if (cap < V9P_HDRSZ) {
		errno = EINVAL;
		return -1;
	}
	if (read_full(t->fd, p, 4) < 0)
		return -1;
	size = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
	if (size < V9P_HDRSZ || size > cap) {
		errno = EPROTO; /* checked before reading (or allocating) */
		return -1;
	}
	if (read_full(t->fd, p + 4, size - 4) < 0)
		return -1;
	return (ssize_t)size;
}

static const struct v9p_trans_ops sock_ops = {
	.send = sock_send,
	.recv = sock_recv,
};

int v9p__trans_init(struct v9p_transport *t, int fd, enum v9p_trans_kind kind)
{
	t->fd = fd;
	t->max_window = 0;
	t->max_msize = 0;
	t->pipe[0] = t->pipe[1] = -1;
	t->no_splice = false;
	switch (kind) {
	case V9P_TRANS_DEV:
		t->ops = &v9p__dev_ops;
		return v9p__dev_limits(t);
	case V9P_TRANS_STREAM:
		t->ops = &sock_ops;
		t->window = V9P_SOCK_WINDOW;
		t->msize = V9P_SOCK_MSIZE;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

static int open_unix(const char *path)
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
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int open_tcp(const char *hostport)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	char *host = strdup(hostport);
	char *port;
	int fd = -1, e = ECONNREFUSED, one = 1;

	if (!host)
		return -1;
	port = strrchr(host, ':');
	if (!port || port == host) {
		free(host);
		errno = EINVAL;
		return -1;
	}
	*port++ = '\0';
	if (getaddrinfo(host, port, &hints, &res) != 0) {
		free(host);
		errno = EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	free(host);
	if (fd < 0) {
		errno = e;
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int v9p__trans_open(const char *addr, enum v9p_trans_kind *kind)
{
	if (!addr) {
		errno = EINVAL;
		return -1;
	}
	if (strncmp(addr, "unix:", 5) == 0) {
		*kind = V9P_TRANS_STREAM;
		return open_unix(addr + 5);
	}
	if (strncmp(addr, "tcp:", 4) == 0) {
		*kind = V9P_TRANS_STREAM;
		return open_tcp(addr + 4);
	}
	if (strncmp(addr, "dev:", 4) == 0)
		addr += 4;
	if (addr[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	*kind = V9P_TRANS_DEV;
	return open(addr, O_RDWR | O_EXCL | O_CLOEXEC);
}
