// SPDX-License-Identifier: GPL-2.0
/*
 * storm: the benchmark's load generator and ground truth.
 *
 * Storm mode: N fork+execs of EXE by P worker threads. Child i runs
 * "EXE PREFIX<i> [K arguments of L bytes]" so a tracer's output can be
 * checked marker by marker, not estimated. At the end it writes the
 * ground truth (one "i pid status" line per child) and prints one JSON
 * line: throughput and the children's own CPU time per exec
 * (RUSAGE_CHILDREN: BPF programs run in the exec'ing task's context, so
 * a tracer's in-kernel cost lands there).
 *
 * Workers are threads, not processes, so RUSAGE_CHILDREN holds only the
 * exec'd children (exec, run, exit) and not the fork side, which lands
 * in RUSAGE_SELF and is reported apart.
 *
 * Canary mode (--canary): one exec every INTERVAL us until SIGTERM or
 * SIGINT, each line "k pid t_ns" (CLOCK_MONOTONIC at fork) flushed at
 * once, so the harness can tell when a tracer starts capturing.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct cfg {
	unsigned long n, workers, nargs, arglen, interval_us, max_canaries;
	const char *exe, *prefix, *truth;
	bool canary;
};

static struct cfg cfg = {
	.n = 1000,
	.workers = 2,
	.exe = "/bin/true",
	.prefix = "STORM-",
	.interval_us = 1000,
	.max_canaries = 100000,
};
static char **fixed_args; /* the K shared argument strings */
static pid_t *pids;
static int *status;
static atomic_ulong next_i, failed;
static volatile sig_atomic_t stop;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "storm: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static unsigned long num(const char *opt, const char *s, unsigned long lo, unsigned long hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi || *s == '-') {
		fprintf(stderr, "storm: invalid %s '%s': expected %lu..%lu\n", opt, s, lo, hi);
		exit(2);
	}
	return v;
}

/* fork+exec one child with marker PREFIX<i>; returns its pid, or -1. */
static pid_t spawn(unsigned long i, char **argv, char *mark, size_t mark_sz, int *st)
{
	pid_t pid;

	snprintf(mark, mark_sz, "%s%lu", cfg.prefix, i);
	pid = fork();
	if (pid == 0) {
		execv(cfg.exe, argv);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	while (waitpid(pid, st, 0) < 0 && errno == EINTR)
		;
	return pid;
}

static char **make_argv(char *mark)
{
	char **argv = calloc(cfg.nargs + 3, sizeof(*argv));

	if (!argv)
		die("%s", "out of memory");
	argv[0] = (char *)cfg.exe;
	argv[1] = mark;
	for (unsigned long k = 0; k < cfg.nargs; k++)
		argv[2 + k] = fixed_args[k];
	return argv;
}

static void *worker(void *unused)
{
	char mark[128];
	char **argv = make_argv(mark);

	for (;;) {
		unsigned long i = atomic_fetch_add(&next_i, 1);
		int st = 0;

		if (i >= cfg.n)
			break;
		pids[i] = spawn(i, argv, mark, sizeof(mark), &st);
		status[i] = st;
		if (pids[i] < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			atomic_fetch_add(&failed, 1);
	}
	free(argv);
	return NULL;
}

static void on_stop(int sig)
{
	stop = 1;
}

static int run_canary(void)
{
	char mark[128];
	char **argv = make_argv(mark);
	FILE *f = cfg.truth ? fopen(cfg.truth, "w") : stdout;
	struct sigaction sa = { .sa_handler = on_stop };

	if (!f)
		die("cannot write the truth file %s", cfg.truth);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (unsigned long k = 0; !stop && k < cfg.max_canaries; k++) {
		uint64_t t = now_ns();
		int st = 0;
		pid_t pid = spawn(k, argv, mark, sizeof(mark), &st);

		fprintf(f, "%lu %d %llu\n", k, (int)pid, (unsigned long long)t);
		fflush(f);
		if (cfg.interval_us && !stop)
			usleep(cfg.interval_us);
	}
	if (f != stdout)
		fclose(f);
	free(argv);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: storm [OPTIONS]\n"
		   "Fork+exec EXE N times from P worker threads; child i gets the marker\n"
		   "PREFIX<i> as argv[1]. Prints one JSON line of measurements.\n"
		   "\n"
		   "  -n N          children (default 1000)\n"
		   "  -P P          worker threads (default 2)\n"
		   "  -k K          extra arguments per child (default 0)\n"
		   "  -l L          bytes per extra argument (default 0)\n"
		   "  -m PREFIX     marker prefix (default STORM-)\n"
		   "  -t FILE       write the ground truth there: 'i pid status' per child\n"
		   "  -e EXE        program to exec (default /bin/true)\n"
		   "  --canary      one exec every -i us until SIGTERM; -t gets 'k pid t_ns'\n"
		   "  -i US         canary interval (default 1000)\n"
		   "\n"
		   "Examples:\n"
		   "  storm -n 20000 -P 8 -m MARK-1- -t truth.txt\n"
		   "  storm -n 20000 -P 2 -k 30 -l 200 -m MARK-2- -t truth.txt\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = { { "canary", no_argument, NULL, 'C' },
					    { "help", no_argument, NULL, 'h' },
					    {} };
	struct rusage ru_c, ru_s;
	uint64_t t0, t1, child_ns, self_ns;
	pthread_t *th;
	int opt;

	while ((opt = getopt_long(argc, argv, "n:P:k:l:m:t:e:i:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'n':
			cfg.n = num("-n", optarg, 1, 10000000);
			break;
		case 'P':
			cfg.workers = num("-P", optarg, 1, 1024);
			break;
		case 'k':
			cfg.nargs = num("-k", optarg, 0, 100000);
			break;
		case 'l':
			cfg.arglen = num("-l", optarg, 0, 128 * 1024 - 1);
			break;
		case 'm':
			cfg.prefix = optarg;
			break;
		case 't':
			cfg.truth = optarg;
			break;
		case 'e':
			cfg.exe = optarg;
			break;
		case 'i':
			cfg.interval_us = num("-i", optarg, 0, 10000000);
			break;
		case 'C':
			cfg.canary = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	if (strlen(cfg.prefix) > 64)
		die("marker prefix '%s' is longer than 64 bytes", cfg.prefix);
	if (access(cfg.exe, X_OK))
		die("cannot execute '%s'", cfg.exe);
	/*
	 * A string literal sits in a file-backed page that fork() does not
	 * map into the child: tracers reading argv at syscall entry (which
	 * cannot fault pages in) would then see nothing. Real exec'ers pass
	 * heap or stack strings, so do that.
	 */
	cfg.exe = strdup(cfg.exe);
	cfg.prefix = strdup(cfg.prefix);
	if (!cfg.exe || !cfg.prefix)
		die("%s", "out of memory");

	fixed_args = calloc(cfg.nargs + 1, sizeof(*fixed_args));
	if (!fixed_args)
		die("%s", "out of memory");
	for (unsigned long k = 0; k < cfg.nargs; k++) {
		fixed_args[k] = malloc(cfg.arglen + 1);
		if (!fixed_args[k])
			die("%s", "out of memory");
		for (unsigned long j = 0; j < cfg.arglen; j++)
			fixed_args[k][j] = 'a' + (k + j) % 26;
		fixed_args[k][cfg.arglen] = 0;
	}
	if (cfg.canary)
		return run_canary();

	pids = calloc(cfg.n, sizeof(*pids));
	status = calloc(cfg.n, sizeof(*status));
	th = calloc(cfg.workers, sizeof(*th));
	if (!pids || !status || !th)
		die("%s", "out of memory");

	t0 = now_ns();
	for (unsigned long w = 0; w < cfg.workers; w++)
		if (pthread_create(&th[w], NULL, worker, NULL))
			die("%s", "cannot create a worker thread");
	for (unsigned long w = 0; w < cfg.workers; w++)
		pthread_join(th[w], NULL);
	t1 = now_ns();
	getrusage(RUSAGE_CHILDREN, &ru_c);
	getrusage(RUSAGE_SELF, &ru_s);

	if (cfg.truth) {
		FILE *f = fopen(cfg.truth, "w");

		if (!f)
			die("cannot write the truth file %s", cfg.truth);
		for (unsigned long i = 0; i < cfg.n; i++)
			fprintf(f, "%lu %d %d\n", i, (int)pids[i], status[i]);
		if (fclose(f))
			die("cannot write the truth file %s", cfg.truth);
	}
	child_ns = tv_ns(ru_c.ru_utime) + tv_ns(ru_c.ru_stime);
	self_ns = tv_ns(ru_s.ru_utime) + tv_ns(ru_s.ru_stime);
	printf("{\"n\":%lu,\"workers\":%lu,\"nargs\":%lu,\"arglen\":%lu,\"failed\":%lu,"
	       "\"pid\":%d,\"wall_ns\":%llu,\"execs_per_s\":%.1f,"
	       "\"child_cpu_ns_per_exec\":%.0f,\"child_user_ns\":%llu,\"child_sys_ns\":%llu,"
	       "\"self_cpu_ns_per_exec\":%.0f}\n",
	       cfg.n, cfg.workers, cfg.nargs, cfg.arglen, (unsigned long)atomic_load(&failed),
	       (int)getpid(), (unsigned long long)(t1 - t0), cfg.n * 1e9 / (double)(t1 - t0),
	       (double)child_ns / cfg.n, (unsigned long long)tv_ns(ru_c.ru_utime),
	       (unsigned long long)tv_ns(ru_c.ru_stime), (double)self_ns / cfg.n);
	return atomic_load(&failed) ? 1 : 0;
}
