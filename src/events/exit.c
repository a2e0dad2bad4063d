// SPDX-License-Identifier: GPL-2.0
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "events/exit.h"

void exit_cputime_split(uint64_t rtime, uint64_t utime, uint64_t stime, uint64_t *user,
			uint64_t *sys)
{
	/* same special cases as cputime_adjust(): no ratio, all to one side */
	if (stime == 0) {
		*user = rtime;
		*sys = 0;
		return;
	}
	if (utime == 0) {
		*user = 0;
		*sys = rtime;
		return;
	}
	*sys = (uint64_t)((unsigned __int128)stime * rtime / ((unsigned __int128)stime + utime));
	*user = rtime - *sys;
}

bool exit_view_init(struct exit_view *v, const struct ps_event *ev, uint64_t page_size)
{
	const struct ps_exit *e = ev->rec;
	uint32_t st;

	memset(v, 0, sizeof(*v));
	if (ev->rec_len < sizeof(*e))
		return false;
	v->e = e;
	st = e->status & 0xffff;
	v->process = e->xflags & PS_EXIT_GROUP_DEAD;
	v->signal = st & 0x7f;
	v->core_dumped = v->signal && (st & 0x80);
	v->exit_code = v->signal ? -1 : (int)((st >> 8) & 0xff);
	v->duration_ns = e->duration_ns;
	exit_cputime_split(e->rtime_ns, e->utime_ns, e->stime_ns, &v->cpu_user_ns, &v->cpu_sys_ns);
	v->max_rss_kb = e->maxrss_pages * (page_size / 1024);
	v->cpu_approx = e->xflags & (PS_EXIT_CPU_RACY | PS_EXIT_CPU_PARTIAL);
	return true;
}

static const char *const signames[] = {
	[SIGHUP] = "HUP",   [SIGINT] = "INT",	    [SIGQUIT] = "QUIT", [SIGILL] = "ILL",
	[SIGTRAP] = "TRAP", [SIGABRT] = "ABRT",	    [SIGBUS] = "BUS",	[SIGFPE] = "FPE",
	[SIGKILL] = "KILL", [SIGUSR1] = "USR1",	    [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2",
	[SIGPIPE] = "PIPE", [SIGALRM] = "ALRM",	    [SIGTERM] = "TERM", [SIGSTKFLT] = "STKFLT",
	[SIGCHLD] = "CHLD", [SIGCONT] = "CONT",	    [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP",
	[SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU",	    [SIGURG] = "URG",	[SIGXCPU] = "XCPU",
	[SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH",
	[SIGIO] = "IO",	    [SIGPWR] = "PWR",	    [SIGSYS] = "SYS",
};

const char *exit_signal_name(int sig, char *buf, size_t cap)
{
	if (sig > 0 && (size_t)sig < sizeof(signames) / sizeof(signames[0]) && signames[sig])
		return signames[sig];
	/*
	 * Real-time signals as bash's `kill -l` and glibc's SIGRTMIN/SIGRTMAX
	 * name them: glibc keeps the kernel's 32 and 33 for itself, so its
	 * RTMIN is 34; the lower half counts up from RTMIN, the upper half
	 * (50-64) down from RTMAX. 32 and 33 have no user-visible name.
	 */
	if (sig == 34) {
		snprintf(buf, cap, "RTMIN");
		return buf;
	}
	if (sig == 64) {
		snprintf(buf, cap, "RTMAX");
		return buf;
	}
	if (sig > 34 && sig <= 49) {
		snprintf(buf, cap, "RTMIN+%d", sig - 34);
		return buf;
	}
	if (sig >= 50 && sig < 64) {
		snprintf(buf, cap, "RTMAX-%d", 64 - sig);
		return buf;
	}
	return NULL;
}

size_t exit_fmt_status(char *buf, size_t cap, uint32_t status)
{
	int sig = status & 0x7f;
	char nb[16];
	const char *name;
	int n;

	/* libbpf-tools exitsnoop: "0", else "code N" */
	if (!sig && !((status >> 8) & 0xff))
		n = snprintf(buf, cap, "0");
	else if (!sig)
		n = snprintf(buf, cap, "code %u", (status >> 8) & 0xff);
	else if ((name = exit_signal_name(sig, nb, sizeof(nb))))
		n = snprintf(buf, cap, "signal %d (%s)%s", sig, name,
			     (status & 0x80) ? ", core dumped" : "");
	else
		n = snprintf(buf, cap, "signal %d%s", sig, (status & 0x80) ? ", core dumped" : "");
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}
