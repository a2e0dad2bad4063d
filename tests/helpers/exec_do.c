// SPDX-License-Identifier: GPL-2.0
/*
 * exec_do: process fixtures for the execsnoop tests, for the exec shapes
 * Python's subprocess cannot make. Each mode prints what the test needs
 * to find its event (pids, fds) on stdout, one line, before it execs.
 *
 *   exec_do argc0 PATH                 execve(PATH, {NULL}, env)
 *   exec_do argvnull PATH              execve(PATH, NULL, env)
 *   exec_do thread PATH ARG...         execve from a non-leader thread;
 *                                      prints "PID TID"
 *   exec_do fexecve PATH ARG...        execveat(fd, "", argv, env, AT_EMPTY_PATH);
 *                                      prints "FD"
 *   exec_do execveat DIR NAME ARG...   execveat(dirfd, NAME, argv, env, 0);
 *                                      prints "FD"
 *   exec_do pidns PATH ARG...          exec in a new pid namespace; prints the
 *                                      child's host pid, exits with its status
 *   exec_do burst N PATH ARG...        fork + execve N times, one at a time
 *   exec_do bigburst N BYTES PATH MARKER
 *                                      fork + execve N times with argv
 *                                      [PATH, MARKER, pad...] of exactly
 *                                      BYTES bytes (NULs included)
 *
 * ARG... is the whole argv, argv[0] included.
 *
 *   exec_do gate MODE ...              first wait for one byte on stdin (so a
 *                                      tracer can be started with -P <our pid>)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void die(const char *what)
{
	fprintf(stderr, "exec_do: %s: %s\n", what, strerror(errno));
	exit(126);
}

static void say(const char *fmt, long a, long b)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), fmt, a, b);

	/* unbuffered: the exec must not discard it */
	if (write(STDOUT_FILENO, buf, n) != n)
		die("write");
}

struct thr {
	const char *path;
	char **argv;
};

static void *thread_exec(void *p)
{
	struct thr *t = p;

	say("%ld %ld\n", getpid(), syscall(SYS_gettid));
	execve(t->path, t->argv, environ);
	/* a failed exec from a thread: leave with the whole process */
	_exit(127);
}

static int wait_child(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* argv of exactly @bytes bytes: PATH, MARKER, then padding args of 'x' */
static char **big_argv(const char *path, const char *marker, long bytes)
{
	long used = strlen(path) + 1 + strlen(marker) + 1, n = 0, cap = 3 + bytes / 1000;
	char **v = calloc(cap + 1, sizeof(*v));

	if (!v || used > bytes)
		die("bigburst: BYTES too small");
	v[n++] = (char *)path;
	v[n++] = (char *)marker;
	while (used < bytes) {
		long len = bytes - used - 1;	/* chars, the NUL is the other byte */
		char *a;

		if (len > 100000)
			len = 100000;
		if (len < 0)
			len = 0;
		a = malloc(len + 1);
		if (!a)
			die("malloc");
		memset(a, 'x', len);
		a[len] = 0;
		v[n++] = a;
		used += len + 1;
		if (n >= cap)
			die("bigburst: argv table");
	}
	v[n] = NULL;
	return v;
}

static int burst(long n, const char *path, char **argv)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execve(path, argv, environ);
			_exit(127);
		}
		if (wait_child(pid) != 0) {
			fprintf(stderr, "exec_do: burst: child %ld failed\n", i);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode;
	char go;

	if (argc > 2 && !strcmp(argv[1], "gate")) {
		if (read(STDIN_FILENO, &go, 1) != 1)
			die("gate: read");
		argv++;
		argc--;
	}
	mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "argc0") && argc == 3) {
		char *none[] = { NULL };

		execve(argv[2], none, environ);
		die("execve");
	}
	if (!strcmp(mode, "argvnull") && argc == 3) {
		/* the raw syscall: glibc declares argv nonnull */
		syscall(SYS_execve, argv[2], NULL, environ);
		die("execve");
	}
	if (!strcmp(mode, "thread") && argc >= 4) {
		struct thr t = { argv[2], argv + 3 };
		pthread_t th;

		if (pthread_create(&th, NULL, thread_exec, &t))
			die("pthread_create");
		for (;;)
			pause();
	}
	if (!strcmp(mode, "fexecve") && argc >= 4) {
		int fd = open(argv[2], O_RDONLY);

		if (fd < 0)
			die("open");
		say("%ld\n", fd, 0);
		syscall(SYS_execveat, fd, "", argv + 3, environ, AT_EMPTY_PATH);
		die("execveat");
	}
	if (!strcmp(mode, "execveat") && argc >= 5) {
		int fd = open(argv[2], O_RDONLY | O_DIRECTORY);

		if (fd < 0)
			die("open");
		say("%ld\n", fd, 0);
		syscall(SYS_execveat, fd, argv[3], argv + 4, environ, 0);
		die("execveat");
	}
	if (!strcmp(mode, "pidns") && argc >= 4) {
		pid_t pid;

		if (unshare(CLONE_NEWPID))
			die("unshare");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			if (getpid() != 1)
				_exit(125);
			execve(argv[2], argv + 3, environ);
			_exit(127);
		}
		say("%ld\n", pid, 0);
		return wait_child(pid);
	}
	if (!strcmp(mode, "burst") && argc >= 5)
		return burst(atol(argv[2]), argv[3], argv + 4);
	if (!strcmp(mode, "bigburst") && argc == 6)
		return burst(atol(argv[2]), argv[4], big_argv(argv[4], argv[5], atol(argv[3])));
	fprintf(stderr, "exec_do: bad usage (see the comment at the top of exec_do.c)\n");
	return 2;
}
