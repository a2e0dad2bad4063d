// SPDX-License-Identifier: GPL-2.0
/*
 * usdt_demo: the target `procsnoop probe` is tested against.
 *
 *   usdt_demo N STRING [thread]   wait for a line on stdin, then run N rounds, exit 0
 *
 * With "thread", the rounds run in a second thread, whose tid is printed
 * first ("worker TID"), so a test can check tid against pid.
 *
 * Waiting for stdin lets a test attach first: it starts the tracer, waits
 * for its ready line, then releases the demo. Every value below is a pure
 * function of the round number i and STRING, so a test can predict each
 * hit exactly:
 *
 *   add(i, 2*i)          returns 3*i
 *   sub(i, 1000)         returns i - 1000 (negative)
 *   mul64(i, 1<<40)      returns i << 40 (needs 64 bits)
 *   greet(STRING, i)     returns strlen(STRING) + i
 *   name_of(i)           returns "even" or "odd"
 *   USDT demo:tick       (i, i * 1000)
 *   USDT demo:order      (i, STRING)
 *   USDT demo:neg        (-i, (char)-1) signed 4 and 1 byte arguments
 *   USDT demo:fixed      (42) a constant operand ("-4@$42")
 *   getenv("USDT_DEMO_MARKER") once, before the rounds (a libc call)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/sdt.h>
#include <sys/syscall.h>
#include <unistd.h>

/* noinline + a compiler barrier keep each call a real call with real arguments */
#define DEMO_FN __attribute__((noinline, used))
#define BARRIER() __asm__ volatile("" ::: "memory")

DEMO_FN int add(int a, int b)
{
	BARRIER();
	return a + b;
}

DEMO_FN int sub(int a, int b)
{
	BARRIER();
	return a - b;
}

DEMO_FN long mul64(long a, long b)
{
	BARRIER();
	return a * b;
}

DEMO_FN int greet(const char *who, int n)
{
	BARRIER();
	return (int)strlen(who) + n;
}

DEMO_FN const char *name_of(int i)
{
	BARRIER();
	return (i & 1) ? "odd" : "even";
}

DEMO_FN void round_probes(int i, const char *s)
{
	signed char minus_one = -1;

	DTRACE_PROBE2(demo, tick, i, (long)i * 1000);
	DTRACE_PROBE2(demo, order, i, s);
	DTRACE_PROBE2(demo, neg, -i, minus_one);
	DTRACE_PROBE1(demo, fixed, 42);
}

static int n_rounds;
static const char *str_arg;

static void *rounds(void *arg)
{
	volatile long sink = 0;

	if (arg)
		printf("worker %ld\n", (long)syscall(SYS_gettid));
	sink += getenv("USDT_DEMO_MARKER") != NULL;
	for (int i = 0; i < n_rounds; i++) {
		sink += add(i, 2 * i);
		sink += sub(i, 1000);
		sink += mul64(i, 1L << 40);
		sink += greet(str_arg, i);
		sink += strlen(name_of(i));
		round_probes(i, str_arg);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	char line[64];
	pthread_t th;

	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "thread"))) {
		fprintf(stderr,
			"usage: usdt_demo N STRING [thread] (then a line on stdin starts it)\n");
		return 2;
	}
	n_rounds = atoi(argv[1]);
	str_arg = argv[2];
	/* the release: any line, or EOF */
	if (!fgets(line, sizeof(line), stdin))
		line[0] = 0;
	if (argc == 4) {
		if (pthread_create(&th, NULL, rounds, (void *)1) || pthread_join(th, NULL))
			return 1;
	} else {
		rounds(NULL);
	}
	printf("done %d\n", n_rounds);
	return 0;
}
