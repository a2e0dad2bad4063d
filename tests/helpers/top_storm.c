// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture for procsnoop top: a storm with a known mix, under two
 * parents, each child waited for (its status and rusage are the truth).
 *   top_storm N M K L
 * Parent "tsparent_a" (a forked child that renamed itself) runs N
 * burners ("ts_burn": 20 ms of CPU each) and M sleepers ("ts_sleep":
 * 10 ms asleep); parent "tsparent_b" runs K failing execs ("ts_fail":
 * the exec of a missing file fails, exit 127) and L processes killed by
 * a signal ("ts_killed": SIGUSR1). Burners, sleepers and the killed are
 * exec'd copies of this program (one exec each). Each parent prints one
 * JSON line of what its children did:
 *   {"parent":"tsparent_a","kind":"ts_burn","n":N,"cpu_ns":[...],"status":[...]}
 * The internal modes: top_storm burn MS | sleep MS | die.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

static const char *self;

static long long thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int child_mode(int argc, char **argv)
{
	if (!strcmp(argv[1], "burn") && argc > 2) {
		long long t0 = thread_cpu_ns(), ms = atoll(argv[2]);
		volatile unsigned long x = 0;

		prctl(PR_SET_NAME, "ts_burn");
		while (thread_cpu_ns() - t0 < ms * 1000000LL)
			for (int i = 0; i < 10000; i++)
				x += i;
		return 0;
	}
	if (!strcmp(argv[1], "sleep") && argc > 2) {
		struct timespec ts = { 0, atol(argv[2]) * 1000000L };

		prctl(PR_SET_NAME, "ts_sleep");
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		return 0;
	}
	if (!strcmp(argv[1], "die")) {
		prctl(PR_SET_NAME, "ts_killed");
		signal(SIGUSR1, SIG_DFL);
		raise(SIGUSR1);
		return 3; /* not reached */
	}
	fprintf(stderr, "top_storm: unknown mode %s\n", argv[1]);
	return 2;
}

/* One child of @kind; returns its CPU (ns, from wait4) and status. */
static void one(const char *kind, long long *cpu, int *status)
{
	struct rusage ru;
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		if (!strcmp(kind, "ts_burn"))
			execl(self, self, "burn", "20", (char *)NULL);
		else if (!strcmp(kind, "ts_sleep"))
			execl(self, self, "sleep", "10", (char *)NULL);
		else if (!strcmp(kind, "ts_killed"))
			execl(self, self, "die", (char *)NULL);
		else {
			prctl(PR_SET_NAME, "ts_fail");
			execl("/nonexistent/ts_missing", "ts_missing", (char *)NULL);
			_exit(127);
		}
		_exit(126);
	}
	if (wait4(pid, status, 0, &ru) != pid) {
		perror("wait4");
		exit(1);
	}
	*cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static void run_kind(const char *parent, const char *kind, int n)
{
	long long cpu;
	int st;

	printf("{\"parent\":\"%s\",\"kind\":\"%s\",\"n\":%d,\"cpu_ns\":[", parent, kind, n);
	for (int i = 0; i < n; i++) {
		one(kind, &cpu, &st);
		printf("%s%lld", i ? "," : "", cpu);
		fflush(stdout);
	}
	printf("]}\n");
	fflush(stdout);
}

/* A forked parent, renamed, that runs its children and exits 0. */
static pid_t parent(const char *name, const char *k1, int n1, const char *k2, int n2)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid)
		return pid;
	prctl(PR_SET_NAME, name);
	run_kind(name, k1, n1);
	run_kind(name, k2, n2);
	exit(0);
}

int main(int argc, char **argv)
{
	int st, rc = 0;
	pid_t a, b;

	self = "/proc/self/exe";
	if (argc > 1 && argc < 5)
		return child_mode(argc, argv);
	if (argc != 5) {
		fprintf(stderr, "usage: top_storm N M K L\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	a = parent("tsparent_a", "ts_burn", atoi(argv[1]), "ts_sleep", atoi(argv[2]));
	if (waitpid(a, &st, 0) != a || st)
		rc = 1;
	b = parent("tsparent_b", "ts_fail", atoi(argv[3]), "ts_killed", atoi(argv[4]));
	if (waitpid(b, &st, 0) != b || st)
		rc = 1;
	return rc;
}
