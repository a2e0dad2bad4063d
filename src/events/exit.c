// SPDX-License-Identifier: GPL-2.0
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "lib/bpfutil.h"
#include "lib/out.h"
#include "events/exit.h"

void exit_cputime_split(uint64_t rtime, uint64_t utime, uint64_t stime,
			uint64_t *user, uint64_t *sys)
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
	[SIGHUP] = "HUP", [SIGINT] = "INT", [SIGQUIT] = "QUIT", [SIGILL] = "ILL",
	[SIGTRAP] = "TRAP", [SIGABRT] = "ABRT", [SIGBUS] = "BUS", [SIGFPE] = "FPE",
	[SIGKILL] = "KILL", [SIGUSR1] = "USR1", [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2",
	[SIGPIPE] = "PIPE", [SIGALRM] = "ALRM", [SIGTERM] = "TERM", [SIGSTKFLT] = "STKFLT",
	[SIGCHLD] = "CHLD", [SIGCONT] = "CONT", [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP",
	[SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU", [SIGURG] = "URG", [SIGXCPU] = "XCPU",
	[SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH",
	[SIGIO] = "IO", [SIGPWR] = "PWR", [SIGSYS] = "SYS",
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

void exit_print_header(const struct exit_print_opts *o)
{
	if (o->timestamp)
		out_str("TIME     ");
	if (o->since_start)
		out_str("TIME(s)  ");
	out_str("PCOMM            PID     PPID    TID     AGE(s)   ");
	if (o->rusage)
		out_str("USER(ms)  SYS(ms)   MAXRSS(KB) ");
	out_str("EXIT_CODE\n");
}

/* comm is hostile: escape it, then pad by what was printed */
void exit_print_table(const struct exit_view *v, const struct exit_print_opts *o)
{
	const struct ps_exit *e = v->e;
	char st[64];

	if (o->timestamp) {
		/* wall clock of the exit itself, not of the printing */
		time_t t = ps_ktime_to_realtime(e->ktime_ns) / 1000000000ull;
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(st, sizeof(st), "%H:%M:%S ", &tm);
		out_str(st);
	}
	if (o->since_start) {
		/* a record of an exit from just before the start stamp: 0, not -0.000 */
		int64_t d = (int64_t)(e->ktime_ns - o->start_ns);

		out_fmt("%-8.3f ", (double)(d > 0 ? d : 0) / 1e9);
	}
	out_term_col(e->comm, sizeof(e->comm), 16);
	/* ms resolution: at 10 ms (%.2f) every short-lived process read 0.00 */
	out_fmt(" %-7u %-7u %-7u %-8.3f ", e->pid, e->ppid, e->tid, (double)v->duration_ns / 1e9);
	if (o->rusage) {
		/* '~': approximate (JSON: cpu_approximate), see docs/exit.md */
		snprintf(st, sizeof(st), "%.3f%s", (double)v->cpu_sys_ns / 1e6,
			 v->cpu_approx ? "~" : "");
		out_fmt("%-9.3f %-9s %-10llu ", (double)v->cpu_user_ns / 1e6, st,
			(unsigned long long)v->max_rss_kb);
	}
	exit_fmt_status(st, sizeof(st), e->status);
	out_str(st);
	out_char('\n');
}

void exit_print_json(const struct exit_view *v)
{
	const struct ps_exit *e = v->e;
	char ts[48];

	fmt_rfc3339(ts, sizeof(ts), ps_ktime_to_realtime(e->ktime_ns));
	out_fmt("{\"type\":\"exit\",\"time\":\"%s\",\"ktime_ns\":%llu,\"pid\":%u,\"tid\":%u,"
		"\"ppid\":%u,\"uid\":%u,\"comm\":", ts, (unsigned long long)e->ktime_ns, e->pid,
		e->tid, e->ppid, e->uid);
	out_json_cstr(e->comm, sizeof(e->comm));
	out_str(",\"thread_comm\":");
	out_json_cstr(e->tcomm, sizeof(e->tcomm));
	out_fmt(",\"scope\":\"%s\"", v->process ? "process" : "thread");
	if (v->exit_code >= 0)
		out_fmt(",\"exit_code\":%d", v->exit_code);
	else
		out_str(",\"exit_code\":null");
	out_fmt(",\"signal\":%d,\"core_dumped\":%s,\"status\":%u,\"duration_ns\":%llu,"
		"\"cpu_user_ns\":%llu,\"cpu_sys_ns\":%llu,\"max_rss_kb\":%llu,"
		"\"cgroup_id\":%llu", v->signal, v->core_dumped ? "true" : "false",
		e->status & 0xffff, (unsigned long long)v->duration_ns,
		(unsigned long long)v->cpu_user_ns, (unsigned long long)v->cpu_sys_ns,
		(unsigned long long)v->max_rss_kb, (unsigned long long)e->cgroup_id);
	if (v->signal) {
		char nb[16];
		const char *name = exit_signal_name(v->signal, nb, sizeof(nb));

		if (name)
			out_fmt(",\"signal_name\":\"%s\"", name);
	}
	if (v->cpu_approx)
		out_str(",\"cpu_approximate\":true");
	if (e->xflags & PS_EXIT_KTHREAD)
		out_str(",\"kernel_thread\":true");
	out_str("}\n");
}
