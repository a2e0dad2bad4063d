// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture for procsnoop exit: ends in a chosen way.
 *   exit_status [name HEX] code N     exit(N)
 *   exit_status [name HEX] raise SIG  die by SIG (default action)
 *   exit_status [name HEX] segv       write through NULL
 *   exit_status [name HEX] wait       print "ready", then wait to be killed
 *   exit_status [name HEX] stdin      print "ready", then exit(0) at EOF on stdin
 *   exit_status [name HEX] sleep MS   sleep, then exit(0)
 *   exit_status [name HEX] rss MB     touch MB of memory, then exit(0)
 * "name HEX" sets comm to the hex-encoded bytes first (hostile names).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>

static void set_name(const char *hex)
{
	char name[17] = { 0 };
	size_t n = strlen(hex) / 2;

	if (n > 16)
		n = 16;
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		sscanf(hex + 2 * i, "%2x", &b);
		name[i] = (char)b;
	}
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

int main(int argc, char **argv)
{
	int i = 1;

	if (argc > 3 && !strcmp(argv[1], "name")) {
		set_name(argv[2]);
		i = 3;
	}
	if (i + 1 > argc)
		return 100;
	const char *what = argv[i], *arg = i + 1 < argc ? argv[i + 1] : "0";

	if (!strcmp(what, "code"))
		exit(atoi(arg));
	if (!strcmp(what, "raise")) {
		int sig = atoi(arg);
		sigset_t s;

		signal(sig, SIG_DFL);
		sigemptyset(&s);
		sigaddset(&s, sig);
		sigprocmask(SIG_UNBLOCK, &s, NULL);
		raise(sig);
		return 101;
	}
	if (!strcmp(what, "segv")) {
		signal(SIGSEGV, SIG_DFL);
		*(volatile int *)0 = 1;
		return 102;
	}
	if (!strcmp(what, "wait")) {
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	if (!strcmp(what, "stdin")) {
		char buf[256];

		printf("ready\n");
		fflush(stdout);
		while (read(0, buf, sizeof(buf)) > 0)
			;
		exit(0);
	}
	if (!strcmp(what, "sleep")) {
		long ms = atol(arg);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		while (nanosleep(&ts, &ts))
			;
		return 0;
	}
	if (!strcmp(what, "rss")) {
		size_t n = (size_t)atol(arg) << 20;
		volatile char *p = malloc(n);

		if (!p)
			return 103;
		for (size_t k = 0; k < n; k += 4096)
			p[k] = 1;
		return 0;
	}
	return 104;
}
