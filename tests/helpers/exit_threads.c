// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture for procsnoop exit: multi-threaded endings. Prints
 * "main=TID worker=TID[,TID...]" before the process ends.
 *   exit_threads nonleader-exit N    a worker calls exit(N) (exit_group)
 *                                    while main waits in pthread_join
 *   exit_threads main-exit N         main calls pthread_exit; the worker
 *                                    waits for it, then calls exit(N)
 *   exit_threads main-exit-raw N     main calls pthread_exit; the worker
 *                                    then ends with the raw exit syscall,
 *                                    not exit_group (since 5.19 the parent
 *                                    sees N: synchronize_group_exit();
 *                                    before, the leader's 0)
 *   exit_threads threads K N         K workers start and end one by one,
 *                                    then main calls exit(N)
 *   exit_threads stdin K N           K workers start and wait; "ready" is
 *                                    printed; at EOF on stdin the workers
 *                                    end one by one, then main calls exit(N)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int code;
static const char *mode;
static pthread_t main_thread;
static pid_t main_tid;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go;

static void *worker(void *arg)
{
	if (!strcmp(mode, "nonleader-exit")) {
		printf("main=%d worker=%ld\n", main_tid, (long)syscall(SYS_gettid));
		fflush(stdout);
		exit(code);
	}
	if (!strcmp(mode, "main-exit") || !strcmp(mode, "main-exit-raw")) {
		/* glibc lets a thread join the initial thread: returns once it has ended */
		pthread_join(main_thread, NULL);
		printf("main=%d worker=%ld\n", main_tid, (long)syscall(SYS_gettid));
		fflush(stdout);
		if (!strcmp(mode, "main-exit"))
			exit(code);
		syscall(SYS_exit, code);
	}
	/* "threads": report the tid and end; "stdin": first wait for EOF */
	*(long *)arg = syscall(SYS_gettid);
	if (!strcmp(mode, "stdin")) {
		pthread_mutex_lock(&mu);
		while (!go)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc < 3)
		return 100;
	mode = argv[1];
	main_thread = pthread_self();
	main_tid = getpid();
	if (!strcmp(mode, "threads") || !strcmp(mode, "stdin")) {
		int k = atoi(argv[2]);
		pthread_t ts[64];
		long tids[64];
		char buf[256];

		if (argc < 4 || k < 1 || k > 64)
			return 100;
		code = atoi(argv[3]);
		for (int i = 0; i < k; i++) {
			if (pthread_create(&ts[i], NULL, worker, &tids[i]))
				return 101;
			if (!strcmp(mode, "threads"))
				pthread_join(ts[i], NULL);
		}
		if (!strcmp(mode, "stdin")) {
			printf("ready\n");
			fflush(stdout);
			while (read(0, buf, sizeof(buf)) > 0)
				;
			pthread_mutex_lock(&mu);
			go = 1;
			pthread_cond_broadcast(&cv);
			pthread_mutex_unlock(&mu);
			for (int i = 0; i < k; i++)
				pthread_join(ts[i], NULL);
		}
		printf("main=%d worker=", main_tid);
		for (int i = 0; i < k; i++)
			printf("%s%ld", i ? "," : "", tids[i]);
		printf("\n");
		fflush(stdout);
		exit(code);
	}
	code = atoi(argv[2]);
	if (pthread_create(&t, NULL, worker, NULL))
		return 101;
	if (!strcmp(mode, "nonleader-exit")) {
		pthread_join(t, NULL);
		return 102; /* not reached: the worker's exit ends the process */
	}
	pthread_exit(NULL);
}
