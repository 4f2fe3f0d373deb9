// SPDX-License-Identifier: MIT
/*
 * fdmount.c - mount v9fs on a socketpair whose other end a command serves
 * (the kernel's trans=fd), for the relay's guest tests.
 *
 *   fdmount MOUNTPOINT OPTIONS COMMAND [ARG ...]
 *
 * Makes a unix socketpair, starts COMMAND ARG ... --fd N with one end as
 * fd N, and mounts the other end on MOUNTPOINT with
 * `-t 9p -o trans=fd,rfdno=M,wfdno=M,OPTIONS'.  Prints the command's pid
 * and exits; the command goes on serving the mount, and sees EOF when it
 * is unmounted (only the kernel then holds the other end).  Exit status
 * 0, or 1 with a message when something failed (the command is killed).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char opts[4096], fdarg[16], **av;
	int sv[2];
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: fdmount MOUNTPOINT OPTIONS COMMAND "
				"[ARG ...]\n");
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("fdmount: socketpair");
		return 1;
	}
	snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
	av = calloc((size_t)argc, sizeof(*av));
	if (!av) {
		perror("fdmount");
		return 1;
	}
	for (int i = 3; i < argc; i++)
		av[i - 3] = argv[i];
	av[argc - 3] = "--fd";
	av[argc - 2] = fdarg;
	av[argc - 1] = NULL;
	pid = fork();
	if (pid < 0) {
		perror("fdmount: fork");
		return 1;
	}
	if (pid == 0) {
		/* Only this end crosses exec; the kernel's stays behind.
		 * Our stdout is the caller's (often a pipe that it reads
		 * to the end): the command writes to stderr only. */
		if (fcntl(sv[1], F_SETFD, 0) < 0 || dup2(2, 1) < 0)
			_exit(126);
		execv(av[0], av);
		fprintf(stderr, "fdmount: %s: %s\n", av[0], strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	if ((size_t)snprintf(opts, sizeof(opts),
			     "trans=fd,rfdno=%d,wfdno=%d,%s", sv[0], sv[0],
			     argv[2]) >= sizeof(opts)) {
		fprintf(stderr, "fdmount: options too long\n");
		kill(pid, SIGTERM);
		return 1;
	}
	if (mount("relay", argv[1], "9p", 0, opts) < 0) {
		fprintf(stderr, "fdmount: mount %s -o %s: %s\n", argv[1], opts,
			strerror(errno));
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return 1;
	}
	close(sv[0]);
	printf("%d\n", (int)pid);
	return fflush(stdout) == 0 ? 0 : 1;
}
