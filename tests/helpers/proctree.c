// SPDX-License-Identifier: GPL-2.0
/*
 * A known process tree for the trace tests, with its ground truth: every
 * process of it appends JSON lines to OUT (one write each, O_APPEND):
 *   {"ev":"start","role":R,"pid":..,"ppid":..,"start":TICKS,"pstart":TICKS}
 *     (the process itself, first thing; TICKS: /proc/PID/stat field 22)
 *   {"ev":"end","role":R,"pid":..,"ppid":..}     (itself, last thing: its parent now)
 *   {"ev":"status","role":R,"pid":..,"status":S} (its parent, from waitpid)
 *   {"ev":"tid","role":R,"tid":..}               (the thread that execs)
 *   {"ev":"reuse","ok":0|1}                      (the pid was reused or not)
 *
 * proctree tree OUT      the whole tree (see main_tree)
 * proctree daemon OUT    a grandchild that outlives this process
 * proctree wide OUT N    N children alive at once
 * proctree leaf OUT R C  exits C (what the tree execs)
 * proctree sleeper OUT R FD  writes a byte to FD, then waits for a signal
 * proctree child OUT R C forks one fork-only child (role R.kid, exit C+1),
 *                        waits for it, exits C
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static const char *out_path;
static const char *self_exe;
static int close_in_child = -1; /* an fd the double fork's children must not hold */

static unsigned long long start_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 1,
		       " %*c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s"
		       " %llu",
		       &v);
	fclose(f);
	return v;
}

static void line(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	buf[n++] = '\n';
	fd = open(out_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, n) != n)
		_exit(99);
	close(fd);
}

static void started(const char *role)
{
	pid_t ppid = getppid();

	line("{\"ev\":\"start\",\"role\":\"%s\",\"pid\":%d,\"ppid\":%d,\"start\":%llu,"
	     "\"pstart\":%llu}",
	     role, getpid(), ppid, start_ticks(getpid()), start_ticks(ppid));
}

static void ended(const char *role)
{
	line("{\"ev\":\"end\",\"role\":\"%s\",\"pid\":%d,\"ppid\":%d}", role, getpid(), getppid());
}

static void reap(const char *role, pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		_exit(98);
	line("{\"ev\":\"status\",\"role\":\"%s\",\"pid\":%d,\"status\":%d}", role, pid, st);
}

static void exec_self(const char *mode, const char *role, const char *code)
{
	execl(self_exe, "proctree", mode, out_path, role, code, (char *)NULL);
	_exit(97);
}

/* A fork-only child: records itself, exits @code. */
static pid_t fork_only(const char *role, int code)
{
	pid_t pid = fork();

	if (pid == 0) {
		started(role);
		ended(role);
		_exit(code);
	}
	return pid;
}

static void *thread_exec(void *arg)
{
	line("{\"ev\":\"tid\",\"role\":\"threadexec\",\"tid\":%ld}", (long)syscall(SYS_gettid));
	exec_self("leaf", "threadexec", "12");
	return NULL;
}

/* d1 forks d2 and exits; d2 goes on under init (or the nearest subreaper). */
static pid_t double_fork(const char *r1, const char *r2, int code, int hold_fd)
{
	pid_t d1 = fork();

	if (d1 == 0) {
		int gone[2], ready[2];
		pid_t d2, parent = getpid();
		char c;

		if (close_in_child >= 0)
			close(close_in_child);
		started(r1);
		if (pipe(gone) || pipe(ready))
			_exit(96);
		d2 = fork();
		if (d2 == 0) {
			close(gone[1]);
			close(ready[0]);
			started(r2);
			/* its parent at start is written: d1 may go */
			close(ready[1]);
			/* EOF once d1 (the only writer) is exiting; reparented a
			 * moment later, in its exit_notify() */
			while (read(gone[0], &c, 1) > 0)
				;
			while (getppid() == parent)
				sched_yield();
			/* the daemon test: also outlive the main process */
			if (hold_fd >= 0)
				while (read(hold_fd, &c, 1) > 0)
					;
			ended(r2);
			_exit(code);
		}
		close(ready[1]);
		while (read(ready[0], &c, 1) > 0)
			;
		ended(r1);
		_exit(0);
	}
	return d1;
}

static int main_tree(void)
{
	char tmpl[] = "/tmp/proctree-noexec-XXXXXX";
	int fd, sync[2];
	pid_t pid, r1, r2, s;
	char c;

	started("main");
	/* a child that execs, and its fork-only grandchild */
	pid = fork();
	if (pid == 0)
		exec_self("child", "leafparent", "7");
	reap("leafparent", pid);

	/* failing execs: ENOENT, EACCES (a file without the x bit) */
	pid = fork();
	if (pid == 0) {
		started("enoent");
		execl("/nonexistent/proctree-zz", "proctree-zz", (char *)NULL);
		_exit(errno == ENOENT ? 127 : 95);
	}
	reap("enoent", pid);
	fd = mkstemp(tmpl);
	if (fd < 0 || write(fd, "#!/bin/sh\n", 10) != 10)
		return 1;
	close(fd);
	pid = fork();
	if (pid == 0) {
		started("eacces");
		execl(tmpl, "noexec", (char *)NULL);
		_exit(errno == EACCES ? 126 : 95);
	}
	reap("eacces", pid);
	unlink(tmpl);

	/* SIGKILL, once it runs its program */
	if (pipe(sync))
		return 1;
	pid = fork();
	if (pid == 0) {
		char fdarg[16];

		close(sync[0]);
		snprintf(fdarg, sizeof(fdarg), "%d", sync[1]);
		execl(self_exe, "proctree", "sleeper", out_path, "killed", fdarg, (char *)NULL);
		_exit(97);
	}
	close(sync[1]);
	if (read(sync[0], &c, 1) != 1)
		return 1;
	close(sync[0]);
	kill(pid, SIGKILL);
	reap("killed", pid);

	/* double fork: the grandchild is reparented to init */
	pid = double_fork("daemon1", "daemon2", 4, -1);
	reap("daemon1", pid);

	/* reparented to a child subreaper */
	s = fork();
	if (s == 0) {
		pid_t s1;
		int st;

		started("subreaper");
		prctl(PR_SET_CHILD_SUBREAPER, 1);
		s1 = double_fork("sub1", "sub2", 6, -1);
		reap("sub1", s1);
		/* sub2 is ours now */
		while ((pid = waitpid(-1, &st, 0)) > 0)
			line("{\"ev\":\"status\",\"role\":\"sub2\",\"pid\":%d,\"status\":%d}", pid,
			     st);
		ended("subreaper");
		_exit(0);
	}
	reap("subreaper", s);

	/* fork only */
	pid = fork_only("forkonly", 9);
	reap("forkonly", pid);

	/* sh -c 'exec ...': two execs in one life */
	pid = fork();
	if (pid == 0) {
		char cmd[4096];

		started("shexec");
		snprintf(cmd, sizeof(cmd), "exec '%s' leaf '%s' shexec 11", self_exe, out_path);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(97);
	}
	reap("shexec", pid);

	/* a thread that is not the leader execs */
	pid = fork();
	if (pid == 0) {
		pthread_t th;

		started("threadexec");
		if (pthread_create(&th, NULL, thread_exec, NULL))
			_exit(94);
		pthread_join(th, NULL);
		_exit(93);
	}
	reap("threadexec", pid);

	/*
	 * pid reuse: the next fork gets the pid the last one had. The first
	 * lives 20 ms, so the two starts are in different clock ticks, which
	 * is the resolution of entity_id (/proc's start time).
	 */
	r1 = fork();
	if (r1 == 0) {
		struct timespec ts = { 0, 20000000 };

		started("reuse1");
		nanosleep(&ts, NULL);
		ended("reuse1");
		_exit(13);
	}
	reap("reuse1", r1);
	for (int tries = 0; tries < 50; tries++) {
		int f = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
		char num[16];
		int n = snprintf(num, sizeof(num), "%d", r1 - 1);

		if (f < 0 || write(f, num, n) != n)
			break;
		close(f);
		r2 = fork();
		if (r2 == 0) {
			if (getpid() != r1)
				_exit(0);
			started("reuse2");
			ended("reuse2");
			_exit(14);
		}
		if (r2 == r1) {
			reap("reuse2", r2);
			break;
		}
		/* someone else took the pid first: that child is not part of the tree */
		reap("reuse-miss", r2);
	}

	/* vfork, then exec */
	pid = vfork();
	if (pid == 0)
		exec_self("leaf", "vfork", "15");
	reap("vfork", pid);

	ended("main");
	return 0;
}

int main(int argc, char **argv)
{
	static char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (argc < 3 || n <= 0)
		return 2;
	exe[n] = 0;
	self_exe = exe;
	out_path = argv[2];
	if (!strcmp(argv[1], "tree"))
		return main_tree();
	if (!strcmp(argv[1], "wide")) {
		/* N fork-only children alive at once, ended together */
		int n = argc > 3 ? atoi(argv[3]) : 32, hold[2];
		pid_t kids[256];
		char c;

		if (n > 256 || pipe(hold))
			return 2;
		started("main");
		for (int i = 0; i < n; i++) {
			kids[i] = fork();
			if (kids[i] == 0) {
				close(hold[1]);
				while (read(hold[0], &c, 1) > 0)
					;
				_exit(0);
			}
		}
		close(hold[1]);
		for (int i = 0; i < n; i++)
			reap("wide", kids[i]);
		return 0;
	}
	if (!strcmp(argv[1], "daemon")) {
		int hold[2];
		pid_t pid;

		started("main");
		if (pipe(hold))
			return 1;
		/* daemon2 ends once this process (the only writer) has exited */
		close_in_child = hold[1];
		pid = double_fork("daemon1", "daemon2", 4, hold[0]);
		close(hold[0]);
		reap("daemon1", pid);
		ended("main");
		return 5;
	}
	if (argc < 5)
		return 2;
	if (!strcmp(argv[1], "leaf")) {
		started(argv[3]);
		ended(argv[3]);
		return atoi(argv[4]);
	}
	if (!strcmp(argv[1], "child")) {
		char kid[64];
		pid_t pid;

		started(argv[3]);
		snprintf(kid, sizeof(kid), "%s.kid", argv[3]);
		pid = fork_only(kid, atoi(argv[4]) - 2);
		reap(kid, pid);
		ended(argv[3]);
		return atoi(argv[4]);
	}
	if (!strcmp(argv[1], "sleeper")) {
		int fd = atoi(argv[4]);

		started(argv[3]);
		if (write(fd, "x", 1) != 1)
			return 1;
		close(fd);
		for (;;)
			pause();
	}
	return 2;
}
