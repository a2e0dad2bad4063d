// SPDX-License-Identifier: GPL-2.0
/*
 * A known process tree for the views of trace (tests/e2e/test_trace_views.py).
 * Run as `views_tree FILE`: one child at a time (so the order of start is
 * the order below), each waited for; every pid goes to FILE as "ROLE PID".
 *
 *   mid          forks grandchild (execs `--leaf 0 grandchild`)
 *   same x3      `--leaf 0 same`: identical siblings, folded in the tree
 *   three        `--leaf 3 three`: exit 3
 *   killed       `--sleep`, killed by SIGKILL
 *   noexec       exec of a path that does not exist (ENOENT), exit 127
 *   forkonly     forks and never execs, exit 0
 *   hostile      `--leaf 0 ESC]0;x BEL 0xff`: bytes a terminal acts on
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

static const char *self;
static FILE *out;

static void note(const char *role, pid_t pid)
{
	fprintf(out, "%s %d\n", role, (int)pid);
	fflush(out);
}

/* Fork a child that execs self with @args (NULL-terminated), or runs @fn. */
static pid_t spawn(const char *role, const char *const *args, void (*fn)(void))
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		char *argv[8] = { (char *)self };
		int k = 1;

		if (fn)
			fn();
		for (; args[k - 1] && k < 7; k++)
			argv[k] = (char *)args[k - 1];
		argv[k] = NULL;
		execv(self, argv);
		_exit(126);
	}
	note(role, pid);
	return pid;
}

static int reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		;
	return st;
}

static void noexec(void)
{
	char *argv[] = { "views-nope", NULL };

	execv("/nonexistent/views-nope", argv);
	_exit(127);
}

static void forkonly(void)
{
	_exit(0);
}

int main(int argc, char **argv)
{
	static const char *const same[] = { "--leaf", "0", "same", NULL },
				 *const three[] = { "--leaf", "3", "three", NULL },
				 *const grand[] = { "--leaf", "0", "grandchild", NULL },
				 *const hostile[] = { "--leaf", "0", "\033]0;x\a", "\xff", NULL };
	int pfd[2];
	pid_t pid;
	char c;

	/* exec'd by its path, not /proc/self/exe: the command lines name the helper */
	self = realpath("/proc/self/exe", NULL);
	if (!self)
		return 1;
	if (argc >= 3 && !strcmp(argv[1], "--leaf"))
		return atoi(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "--sleep")) {
		close(1); /* the parent waits for EOF on it: we are running */
		pause();
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--mid")) {
		out = fopen(argv[2], "a");
		if (!out)
			return 1;
		reap(spawn("grandchild", grand, NULL));
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: views_tree FILE\n");
		return 2;
	}
	out = fopen(argv[1], "a");
	if (!out)
		return 1;
	note("root", getpid());
	{
		const char *const m[] = { "--mid", argv[1], NULL };

		reap(spawn("mid", m, NULL));
	}
	for (int i = 0; i < 3; i++)
		reap(spawn("same", same, NULL));
	reap(spawn("three", three, NULL));
	if (pipe(pfd))
		return 1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execv(self, (char *const[]){ (char *)self, "--sleep", NULL });
		_exit(126);
	}
	note("killed", pid);
	close(pfd[1]);
	/* EOF: the child closed its end after exec, so it runs the program */
	while (read(pfd[0], &c, 1) > 0)
		;
	close(pfd[0]);
	kill(pid, SIGKILL);
	reap(pid);
	reap(spawn("noexec", NULL, noexec));
	reap(spawn("forkonly", NULL, forkonly));
	reap(spawn("hostile", hostile, NULL));
	return 0;
}
