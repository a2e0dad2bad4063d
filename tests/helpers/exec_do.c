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
 *                                      BYTES bytes (NULs included); a PATH
 *                                      that cannot be run makes N failed execs
 *
 *   exec_do badargv PATH               execve(PATH, (char **)8, env): EFAULT
 *   exec_do manyargs N PATH            execve(PATH, {PATH, "" x N}, env)
 *   exec_do int80 PATH ARG...          execve through int $0x80 (the i386 ABI,
 *                                      from 64-bit code), strings and argv
 *                                      copied below 4 GiB; prints the result
 *   exec_do race N PATH ARG...         N threads execve at once (one wins, the
 *                                      others are killed by its de_thread)
 *
 * ARG... is the whole argv, argv[0] included. A failed exec prints
 * nothing and exits 126 with the error on stderr, unless said otherwise.
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
#include <stdint.h>
#include <sys/mman.h>
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
		long len = bytes - used - 1; /* chars, the NUL is the other byte */
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

#ifdef __x86_64__
/* execve(2) via int $0x80: eax 11, ebx path, ecx argv (32-bit pointers), edx envp */
static long int80_execve(const char *path, char **argv)
{
	size_t n = 0, len = 0;
	char *base, *p;
	uint32_t *v;
	long ret;

	while (argv[n])
		len += strlen(argv[n++]) + 1;
	len += strlen(path) + 1 + (n + 2) * 4;
	base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1,
		    0);
	if (base == MAP_FAILED)
		die("mmap MAP_32BIT");
	v = (uint32_t *)base;
	p = base + (n + 2) * 4;
	for (size_t i = 0; i < n; i++) {
		v[i] = (uint32_t)(uintptr_t)p;
		p = stpcpy(p, argv[i]) + 1;
	}
	v[n] = 0;
	v[n + 1] = 0; /* envp: empty */
	strcpy(p, path);
	/* garbage in the upper halves: the kernel uses only the low 32 bits */
	asm volatile("int $0x80"
		     : "=a"(ret)
		     : "a"(11L), "b"((uintptr_t)p | 0xdead00000000ul),
		       "c"((uintptr_t)v | 0xbeef00000000ul), "d"((uintptr_t)(v + n + 1))
		     : "memory");
	return ret;
}
#endif

static pthread_barrier_t race_bar;

struct race {
	const char *path;
	char **argv;
};

static void *race_exec(void *p)
{
	struct race *r = p;

	pthread_barrier_wait(&race_bar);
	execve(r->path, r->argv, environ);
	/* only a failure that the caller sees gets here */
	_exit(126);
}

static int burst(long n, const char *path, char **argv)
{
	/* a path that cannot be run: every exec must fail, each child exits 127 */
	int want = access(path, X_OK) ? 127 : 0;

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execve(path, argv, environ);
			_exit(127);
		}
		if (wait_child(pid) != want) {
			fprintf(stderr, "exec_do: burst: child %ld: not exit status %d\n", i, want);
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
	if (!strcmp(mode, "badargv") && argc == 3) {
		syscall(SYS_execve, argv[2], (char **)8, environ);
		die("execve");
	}
	if (!strcmp(mode, "manyargs") && argc == 4) {
		long n = atol(argv[2]);
		char **v = calloc(n + 2, sizeof(*v));

		if (!v)
			die("calloc");
		v[0] = argv[3];
		for (long i = 1; i <= n; i++)
			v[i] = "";
		execve(argv[3], v, environ);
		die("execve");
	}
#ifdef __x86_64__
	if (!strcmp(mode, "int80") && argc >= 4) {
		long r = int80_execve(argv[2], argv + 3);

		say("%ld\n", r, 0);
		return 0;
	}
#endif
	if (!strcmp(mode, "race") && argc >= 5) {
		long n = atol(argv[2]);
		struct race r = { argv[3], argv + 4 };
		pthread_t th;

		if (n < 2 || pthread_barrier_init(&race_bar, NULL, n))
			die("race: N");
		for (long i = 0; i < n; i++)
			if (pthread_create(&th, NULL, race_exec, &r))
				die("pthread_create");
		for (;;)
			pause();
	}
	if (!strcmp(mode, "burst") && argc >= 5)
		return burst(atol(argv[2]), argv[3], argv + 4);
	if (!strcmp(mode, "bigburst") && argc == 6)
		return burst(atol(argv[2]), argv[4], big_argv(argv[4], argv[5], atol(argv[3])));
	fprintf(stderr, "exec_do: bad usage (see the comment at the top of exec_do.c)\n");
	return 2;
}
