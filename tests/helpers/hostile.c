// SPDX-License-Identifier: GPL-2.0
/*
 * hostile: a traced world that misbehaves, for tests/e2e/test_hostile_world.py.
 *
 *   hostile threads N PATH ARG...   start N threads (all blocked), print "ready N",
 *                                   wait for a line on stdin, then execve(PATH, ARG...)
 *                                   from main: the kernel ends the N threads at exec
 *   hostile forkbomb                fork without end; one refused fork in eight exits,
 *                                   every fourth child execs /bin/true bomb (bound it with a
 *                                   pids cgroup; end it with cgroup.kill)
 *   hostile argvkill N BYTES MARKER N times: fork, the child execs /bin/true MARKER pad...
 *                                   (BYTES of argv), the parent SIGKILLs it at once,
 *                                   racing the exec and the tracer's argv read; prints
 *                                   "done N"
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int block[2];

static void *sleeper(void *arg)
{
	char c;

	/* never written: the thread waits until exec ends it */
	while (read(block[0], &c, 1) < 0)
		;
	return NULL;
}

static int threads(int n, char **argv)
{
	pthread_attr_t a;
	char line[16];
	int started = 0;

	if (pipe(block) || pthread_attr_init(&a) ||
	    pthread_attr_setstacksize(&a, PTHREAD_STACK_MIN))
		return 1;
	for (int i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, &a, sleeper, NULL))
			break;
		started++;
	}
	printf("ready %d\n", started);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	execv(argv[0], argv);
	perror("execv");
	return 1;
}

static int forkbomb(void)
{
	for (unsigned long i = 0;; i++) {
		pid_t p = fork();

		if (p < 0 && i % 8 == 0)
			_exit(0); /* the cgroup is full: make room sometimes, others go on */
		if (p == 0 && i % 4 == 0)
			execl("/bin/true", "true", "bomb", (char *)NULL);
	}
}

static int argvkill(int n, size_t bytes, const char *marker)
{
	size_t npad = bytes / 4096 + 1;
	char **argv = calloc(npad + 3, sizeof(*argv));
	char *pad = malloc(4096);

	if (!argv || !pad)
		return 1;
	memset(pad, 'k', 4095);
	pad[4095] = 0;
	argv[0] = "/bin/true";
	argv[1] = (char *)marker;
	for (size_t i = 0; i < npad; i++)
		argv[2 + i] = pad;
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		int st;

		if (p == 0) {
			execv(argv[0], argv);
			_exit(127);
		}
		if (p < 0)
			return 1;
		/* a little later each round, to land anywhere in the exec */
		for (volatile int spin = 0; spin < (i % 50) * 20000; spin++)
			;
		kill(p, SIGKILL);
		waitpid(p, &st, 0);
	}
	printf("done %d\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "threads"))
		return threads(atoi(argv[2]), argv + 3);
	if (argc == 2 && !strcmp(argv[1], "forkbomb"))
		return forkbomb();
	if (argc == 5 && !strcmp(argv[1], "argvkill"))
		return argvkill(atoi(argv[2]), strtoul(argv[3], NULL, 10), argv[4]);
	fprintf(stderr, "usage: see the comment in tests/helpers/hostile.c\n");
	return 2;
}
