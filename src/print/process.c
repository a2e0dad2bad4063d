// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include "events/exec.h"
#include "events/exit.h"
#include "lib/bpfutil.h"
#include "lib/json.h"
#include "lib/out.h"
#include "print/exec.h"
#include "print/ident.h"
#include "print/process.h"

/* bytes of each ancestor's command line in a record */
#define PROC_ANC_ARGS 128
/* bytes of the top-level copy of the final program's args */
#define PROC_TOP_ARGS 4096

/* The identity of the life as printed: its parent is the one at fork. */
static void life_ident(const struct trace_life *l, struct ps_ident *id)
{
	*id = l->id;
	id->pid = id->tid = l->pid;
	id->start_ns = l->start_ns;
	id->ktime_ns = l->have_exit ? l->exit.id.ktime_ns : l->end_ns;
	if (l->ppid) {
		id->ppid = l->ppid;
		id->pstart_ns = l->pstart_ns;
		memcpy(id->pcomm, l->pcomm, sizeof(id->pcomm));
	}
}

/* "args" up to @max bytes (whole arguments; the one that crosses it is cut),
 * and "args_truncated" when that left something out */
static void json_args_cut(struct jw *w, const struct tt_prog *p, size_t max)
{
	const char *a = p->args;
	size_t used = 0;
	bool cut = p->args_truncated;

	jw_arr(w, "args");
	for (unsigned i = 0; a && i < p->argc; i++) {
		size_t n = strlen(a);

		if (used + n > max) {
			jw_str(w, NULL, a, max - used);
			cut = true;
			break;
		}
		jw_str(w, NULL, a, n);
		used += n;
		a += n + 1;
	}
	jw_arr_end(w);
	if (cut)
		jw_bool(w, "args_truncated", true);
}

static void json_ancestors(struct jw *w, const struct trace_life *l, const struct trace_table *t)
{
	char eid[PS_ENTITY_ID_LEN];

	jw_arr(w, "ancestors");
	for (unsigned i = 0; i < l->nanc; i++) {
		const struct ps_ancestor *a = &l->anc[i];
		const struct trace_life *al = tt_find(t, a->pid, a->start_ns);

		ps_entity_id(eid, sizeof(eid), a->pid, a->start_ns);
		jw_obj(w, NULL);
		jw_u64(w, "pid", a->pid);
		jw_strn(w, "comm", a->comm, sizeof(a->comm));
		jw_cstr(w, "entity_id", eid);
		/*
		 * Its command line, while the table still has it: the first
		 * PROC_ANC_ARGS bytes (every record repeats its ancestors: a
		 * service with a long command line would dominate the output).
		 */
		if (al && al->prog.args)
			json_args_cut(w, &al->prog, PROC_ANC_ARGS);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_bool(w, "ancestors_truncated", l->anc_truncated);
}

static void json_execs(struct jw *w, const struct trace_life *l)
{
	static struct exec_view v, next; /* 8 KiB each */
	static struct exec_miss miss[TT_EXECS_MAX];
	size_t nmiss = 0;
	bool have = l->nexecs && tt_exec_view(l, 0, &v);

	jw_arr(w, "execs");
	for (unsigned i = 0; have; i++) {
		bool more = i + 1 < l->nexecs && tt_exec_view(l, i + 1, &next);

		if (more && tt_exec_folds(&v, &next)) {
			miss[nmiss++] = (struct exec_miss){ v.fname, v.fname_len, -v.e->ret };
		} else {
			v.misses = miss;
			v.nmisses = nmiss;
			jw_obj(w, NULL);
			jw_time(w, "time", ps_ktime_to_realtime(v.e->id.ktime_ns));
			jw_u64(w, "ktime_ns", v.e->id.ktime_ns);
			jw_u64(w, "tid", v.e->id.tid);
			exec_json_attempt(w, &v, false);
			jw_obj_end(w);
			nmiss = 0;
		}
		if (!more)
			break;
		/* the misses point into the events, which stay: only the view moves */
		memcpy(&v, &next, offsetof(struct exec_view, exe_buf));
		if (next.exe == next.exe_buf) {
			memcpy(v.exe_buf, next.exe_buf, sizeof(v.exe_buf));
			v.exe = v.exe_buf;
		}
	}
	jw_arr_end(w);
	if (l->execs_dropped)
		jw_u64(w, "execs_dropped", l->execs_dropped);
}

static void json_missing(struct jw *w, uint32_t m)
{
	static const char *const names[] = { "fork", "exit", "exec", "exec_args" };

	jw_bool(w, "incomplete", m != 0);
	if (!m)
		return;
	jw_arr(w, "missing");
	for (unsigned i = 0; i < 4; i++)
		if (m & (1u << i))
			jw_cstr(w, NULL, names[i]);
	jw_arr_end(w);
}

/* Members /proc refused for a process already running (present only then):
 * without CAP_SYS_PTRACE, another user's or a more privileged one's */
static void json_unreadable(struct jw *w, const struct trace_life *l)
{
	if (!l->prog.exe_denied && !l->ns_denied)
		return;
	jw_arr(w, "proc_unreadable");
	if (l->prog.exe_denied)
		jw_cstr(w, NULL, "exe");
	if (l->ns_denied) {
		jw_cstr(w, NULL, "pidns");
		jw_cstr(w, NULL, "mntns");
	}
	jw_arr_end(w);
}

void process_print_json(const struct trace_life *l, const struct trace_table *t, uint64_t page_size)
{
	struct ps_ident id;
	struct jw w;

	life_ident(l, &id);
	jw_begin(&w, "process");
	ps_ident_json(&w, &id);
	jw_bool(&w, "start_observed", l->have_fork);
	jw_bool(&w, "running", !l->have_exit && !(l->missing & TL_MISS_EXIT));
	if (l->have_exit && l->ppid && l->exit.id.ppid != l->ppid)
		jw_u64(&w, "reparented_to", l->exit.id.ppid);
	json_ancestors(&w, l, t);
	json_execs(&w, l);
	if (l->prog.exe)
		jw_strn(&w, "exe", l->prog.exe, SIZE_MAX);
	else
		jw_null(&w, "exe");
	/* a copy for jq, bounded: the whole argv is in the exec that ran it */
	json_args_cut(&w, &l->prog, PROC_TOP_ARGS);
	if (l->have_exit) {
		struct ps_event ev = { .rec = &l->exit, .rec_len = sizeof(l->exit) };
		struct exit_view v;

		exit_view_init(&v, &ev, page_size);
		if (v.exit_code >= 0)
			jw_s64(&w, "exit_code", v.exit_code);
		else
			jw_null(&w, "exit_code");
		jw_s64(&w, "signal", v.signal);
		jw_bool(&w, "core_dumped", v.core_dumped);
		jw_u64(&w, "status", l->exit.status & 0xffff);
		if (v.signal) {
			char nb[16];
			const char *name = exit_signal_name(v.signal, nb, sizeof(nb));

			if (name)
				jw_cstr(&w, "signal_name", name);
		}
		jw_u64(&w, "duration_ns", v.duration_ns);
		jw_u64(&w, "cpu_user_ns", v.cpu_user_ns);
		jw_u64(&w, "cpu_sys_ns", v.cpu_sys_ns);
		jw_u64(&w, "max_rss_kb", v.max_rss_kb);
		jw_u64(&w, "threads", l->exit.nr_threads);
		if (v.cpu_approx)
			jw_bool(&w, "cpu_approximate", true);
	} else {
		/* still running (or its end was lost): what /proc said at the end */
		jw_null(&w, "exit_code");
		jw_null(&w, "signal");
		jw_u64(&w, "duration_ns", l->end_ns > l->start_ns ? l->end_ns - l->start_ns : 0);
		jw_u64(&w, "cpu_user_ns", l->proc_user_ns);
		jw_u64(&w, "cpu_sys_ns", l->proc_sys_ns);
	}
	if (l->evicted)
		jw_bool(&w, "evicted", true);
	json_missing(&w, l->missing);
	json_unreadable(&w, l);
	jw_end(&w);
}

void process_print_header(void)
{
	out_str("TIME     PID     PPID    AGE(s)   CPU(ms)   EXIT                 COMMAND\n");
}

void process_print_table(const struct trace_life *l, uint64_t page_size)
{
	uint64_t age, cpu;
	struct ps_ident id;
	char st[64];
	const char *a = l->prog.args;
	unsigned nf;

	life_ident(l, &id);
	ps_ident_col_time(&id);
	if (l->have_exit) {
		struct ps_event ev = { .rec = &l->exit, .rec_len = sizeof(l->exit) };
		struct exit_view v;

		exit_view_init(&v, &ev, page_size);
		age = v.duration_ns;
		cpu = v.cpu_user_ns + v.cpu_sys_ns;
		exit_fmt_status(st, sizeof(st), l->exit.status);
	} else {
		age = l->end_ns > l->start_ns ? l->end_ns - l->start_ns : 0;
		cpu = l->proc_user_ns + l->proc_sys_ns;
		snprintf(st, sizeof(st), "%s", l->missing & TL_MISS_EXIT ? "?" : "running");
	}
	out_fmt("%-7u %-7u %-8.3f %-9.3f %-20s ", l->pid, l->ppid, (double)age / 1e9,
		(double)cpu / 1e6, st);
	if (!l->prog.argc) {
		out_char('[');
		out_term_str(id.comm, sizeof(id.comm));
		out_char(']');
	}
	for (unsigned i = 0; a && i < l->prog.argc; i++) {
		size_t n = strlen(a);

		if (i)
			out_char(' ');
		out_term(a, n, false);
		a += n + 1;
	}
	if ((nf = tt_exec_failures(l)))
		out_fmt(" [%u failed exec%s]", nf, nf == 1 ? "" : "s");
	if (l->missing)
		out_str(" [incomplete]");
	out_char('\n');
}
