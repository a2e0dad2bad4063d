// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture for procsnoop exit: burns a known amount of CPU.
 *   exit_burn USER_MS SYS_MS [THREADS [spin]]
 * Each of THREADS threads (default 1: just main) burns USER_MS of user
 * time (a loop) and SYS_MS of system time (reading /dev/zero), measured
 * on its own CPU clock. Without "spin" the workers end and are joined
 * before main exits; with "spin" they keep burning and main's exit(0)
 * kills them (they are still running when the process ends).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long user_ms, sys_ms;
static volatile int spin;

static long long thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void burn(void)
{
	static char buf[1 << 16];
	long long t0 = thread_cpu_ns();
	volatile unsigned long x = 0;
	int fd;

	while (thread_cpu_ns() - t0 < user_ms * 1000000LL)
		for (int i = 0; i < 10000; i++)
			x += i;
	fd = open("/dev/zero", O_RDONLY);
	t0 = thread_cpu_ns();
	while (fd >= 0 && thread_cpu_ns() - t0 < sys_ms * 1000000LL)
		if (read(fd, buf, sizeof(buf)) < 0)
			break;
	if (fd >= 0)
		close(fd);
}

static void *worker(void *arg)
{
	burn();
	while (spin)
		;
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 3 ? atoi(argv[3]) : 1;
	pthread_t t[64];

	if (argc < 3 || n < 1 || n > 64)
		return 100;
	user_ms = atol(argv[1]);
	sys_ms = atol(argv[2]);
	spin = argc > 4 && !strcmp(argv[4], "spin");
	for (int i = 1; i < n; i++)
		if (pthread_create(&t[i], NULL, worker, NULL))
			return 101;
	burn();
	if (!spin)
		for (int i = 1; i < n; i++)
			pthread_join(t[i], NULL);
	exit(0);
}
