// SPDX-License-Identifier: GPL-2.0
/*
 * exec32: a 32-bit (i386, gcc -m32 -static) process fixture for the
 * execsnoop compat tests. Its syscalls are compat syscalls: the i386 table.
 *
 *   exec32 exec PATH ARG...           execve(PATH, ARG..., env); on failure
 *                                     prints "-ERRNO" and exits 0
 *   exec32 execveat DIR NAME ARG...   execveat(dirfd, NAME, ARG..., env, 0);
 *                                     prints "FD -ERRNO" on failure
 *   exec32 badargv PATH               execve(PATH, (char **)4, env): EFAULT
 *   exec32 nr59 / nr322               the i386 syscalls 59 (oldolduname) and
 *                                     322 (timerfd_create), whose numbers are
 *                                     execve/execveat in the x86-64 table,
 *                                     made to fail (a NULL buffer, clock -1);
 *                                     prints their results
 *
 * ARG... is the whole argv, argv[0] included.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "exec") && argc >= 4) {
		execve(argv[2], argv + 3, environ);
		printf("%d\n", -errno);
		return 0;
	}
	if (!strcmp(mode, "execveat") && argc >= 5) {
		int fd = open(argv[2], O_RDONLY | O_DIRECTORY);

		if (fd < 0)
			return 126;
		syscall(358, fd, argv[3], argv + 4, environ, 0);
		printf("%d %d\n", fd, -errno);
		return 0;
	}
	if (!strcmp(mode, "badargv") && argc == 3) {
		syscall(11, argv[2], (char **)4, environ);
		printf("%d\n", -errno);
		return 0;
	}
	if (!strcmp(mode, "nr59") && argc == 2) {
		long r = syscall(59, NULL);

		printf("%ld\n", r < 0 ? -errno : r);
		return 0;
	}
	if (!strcmp(mode, "nr322") && argc == 2) {
		long r = syscall(322, -1, 0);

		printf("%ld\n", r < 0 ? -errno : r);
		return 0;
	}
	fprintf(stderr, "exec32: bad usage (see the comment at the top of exec32.c)\n");
	return 2;
}
