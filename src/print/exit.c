// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include "lib/json.h"
#include "lib/out.h"
#include "print/exit.h"
#include "print/ident.h"

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

void exit_print_table(const struct exit_view *v, const struct exit_print_opts *o)
{
	const struct ps_exit *e = v->e;
	char st[64];

	/* the time of the exit itself, not of the printing */
	if (o->timestamp)
		ps_ident_col_time(&e->id);
	if (o->since_start)
		ps_ident_col_elapsed(&e->id, o->start_ns);
	ps_col_comm(e->id.comm);
	/* ms resolution: at 10 ms (%.2f) every short-lived process read 0.00 */
	out_fmt(" %-7u %-7u %-7u %-8.3f ", e->id.pid, e->id.ppid, e->id.tid,
		(double)v->duration_ns / 1e9);
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
	struct jw w;

	jw_begin(&w, "exit");
	ps_ident_json(&w, &e->id);
	jw_cstr(&w, "scope", v->process ? "process" : "thread");
	if (v->exit_code >= 0)
		jw_s64(&w, "exit_code", v->exit_code);
	else
		jw_null(&w, "exit_code");
	jw_s64(&w, "signal", v->signal);
	jw_bool(&w, "core_dumped", v->core_dumped);
	jw_u64(&w, "status", e->status & 0xffff);
	jw_u64(&w, "duration_ns", v->duration_ns);
	jw_u64(&w, "cpu_user_ns", v->cpu_user_ns);
	jw_u64(&w, "cpu_sys_ns", v->cpu_sys_ns);
	jw_u64(&w, "max_rss_kb", v->max_rss_kb);
	if (v->signal) {
		char nb[16];
		const char *name = exit_signal_name(v->signal, nb, sizeof(nb));

		if (name)
			jw_cstr(&w, "signal_name", name);
	}
	if (v->cpu_approx)
		jw_bool(&w, "cpu_approximate", true);
	if (e->xflags & PS_EXIT_KTHREAD)
		jw_bool(&w, "kernel_thread", true);
	jw_end(&w);
}
