// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "lib/json.h"
#include "lib/out.h"
#include "print/ancestors.h"
#include "print/exec.h"
#include "print/ident.h"

void exec_print_header(const struct exec_print_opts *o)
{
	if (o->time)
		out_str("TIME     ");
	if (o->timestamp)
		out_str("TIME(s)  ");
	if (o->print_uid)
		out_str("UID    ");
	out_str("PCOMM            PID     PPID    RET  ");
	if (o->ancestors)
		out_str("ANCESTORS ");
	out_str("ARGS\n");
}

void exec_print_table(const struct exec_view *v, const struct exec_print_opts *o)
{
	const struct ps_exec *e = v->e;
	const uint8_t *a;
	size_t pos = 0, len;

	if (o->time)
		ps_ident_col_time(&e->id);
	if (o->timestamp)
		ps_ident_col_elapsed(&e->id, o->start_ns);
	if (o->print_uid)
		out_fmt("%-6u ", e->id.uid);
	ps_col_comm(e->id.comm);
	out_fmt(" %-7u %-7u %4d ", e->id.pid, e->id.ppid, e->ret);
	if (o->ancestors)
		ps_ancestors_col(v);
	if (v->eflags & PS_EXEC_COMPAT)
		out_str("[compat] ");
	if (v->eflags & PS_EXEC_ARGV_EMPTY) {
		out_str("[argc=0] ");
		out_term(v->fname, v->fname_len, o->quote);
	} else if ((v->eflags & PS_EXEC_ARGS_FAULT) && !v->argc) {
		/* not an empty argv: one that could not be read */
		out_str("[args unreadable] ");
		out_term(v->fname, v->fname_len, o->quote);
	}
	while (exec_view_next_arg(v, &pos, &a, &len)) {
		if (pos > len + 1)
			out_char(' ');
		out_term(a, len, o->quote);
	}
	if (v->truncated) {
		if (v->args_cut)
			out_fmt(" ...[%s%u bytes cut]", v->eflags & PS_EXEC_CUT_LOWER ? ">= " : "",
				v->args_cut);
		else if ((v->eflags & PS_EXEC_ARGS_FAULT) && v->argc)
			out_str(" ...[rest unreadable]");
		else if (!(v->eflags & PS_EXEC_ARGS_FAULT))
			out_str(" ...");
	}
	if (v->nmisses)
		out_fmt(" [+%zu PATH miss%s]", v->nmisses, v->nmisses == 1 ? "" : "es");
	out_char('\n');
}

static void json_errno(struct jw *w, const char *name, int err)
{
	const char *n = errno_name(err);
	char buf[24];

	if (!n) {
		snprintf(buf, sizeof(buf), "errno %d", err);
		n = buf;
	}
	jw_cstr(w, name, n);
}

/*
 * The kernel names a pty slave "pts3" (tty_line_name(): driver name and
 * index); its device node, and what ps and tty(1) show, is "pts/3".
 * Other names (tty1, ttyS0) are their /dev names already.
 */
static void json_tty(struct jw *w, const char *name)
{
	char buf[PS_TTY_LEN + 2];
	size_t n = strnlen(name, PS_TTY_LEN);

	if (n > 3 && !memcmp(name, "pts", 3) && strspn(name + 3, "0123456789") == n - 3) {
		snprintf(buf, sizeof(buf), "pts/%.*s", (int)(n - 3), name + 3);
		jw_cstr(w, "tty", buf);
		return;
	}
	jw_str(w, "tty", name, n);
}

/* exe, interp, cwd and the credentials: README "What ran" */
static void json_what_ran(struct jw *w, const struct exec_view *v)
{
	const struct ps_exec *e = v->e;
	char cap[24];

	if (v->exe) {
		jw_str(w, "exe", v->exe, v->exe_len);
		jw_bool(w, "exe_truncated", v->xflags & PS_EXEC_X_EXE_TRUNC);
		if (v->exe_from_name) {
			jw_bool(w, "exe_from_name", true);
		} else {
			jw_bool(w, "exe_deleted", v->xflags & PS_EXEC_X_DELETED);
			jw_bool(w, "exe_memfd", v->exe_memfd);
			jw_u64(w, "exe_ino", e->exe_ino);
			jw_u64(w, "exe_dev", v->exe_dev);
		}
	}
	if (v->interp) {
		jw_str(w, "interp", v->interp, v->interp_len);
		jw_bool(w, "interp_truncated", v->xflags & PS_EXEC_X_INTERP_TRUNC);
	}
	if (v->cwd) {
		jw_str(w, "cwd", v->cwd, v->cwd_len);
		jw_bool(w, "cwd_truncated", v->xflags & PS_EXEC_X_CWD_TRUNC);
	}
	if (v->xflags & PS_EXEC_X_CREDS) {
		jw_u64(w, "egid", e->egid);
		jw_u64(w, "suid", e->suid);
		if (v->xflags & PS_EXEC_X_TTY)
			json_tty(w, e->tty);
		else
			jw_null(w, "tty");
		/* as /proc/PID/status CapEff shows it */
		snprintf(cap, sizeof(cap), "%016llx", (unsigned long long)e->cap_effective);
		jw_cstr(w, "cap_effective", cap);
	}
	if (v->xflags & PS_EXEC_X_PRIV_KNOWN)
		jw_bool(w, "privilege_change", v->xflags & PS_EXEC_X_PRIV_CHANGE);
}

void exec_print_json(const struct exec_view *v)
{
	struct jw w;

	jw_begin(&w, "exec");
	ps_ident_json(&w, &v->e->id);
	exec_json_attempt(&w, v, true);
	jw_end(&w);
}

void exec_json_attempt(struct jw *w, const struct exec_view *v, bool ancestors)
{
	const struct ps_exec *e = v->e;
	const uint8_t *a;
	size_t pos = 0, len;

	jw_str(w, "filename", v->fname, v->fname_len);
	jw_arr(w, "args");
	while (exec_view_next_arg(v, &pos, &a, &len))
		jw_str(w, NULL, a, len);
	jw_arr_end(w);
	jw_u64(w, "argc", v->argc);
	jw_bool(w, "args_truncated", v->truncated);
	jw_u64(w, "args_cut_bytes", v->args_cut);
	jw_s64(w, "ret", e->ret);
	if (ancestors)
		ps_ancestors_json(w, v);
	/* every flag the kernel side sets reaches the output */
	jw_bool(w, "args_cut_bytes_exact", !(v->eflags & PS_EXEC_CUT_LOWER));
	jw_bool(w, "args_unreadable", v->eflags & PS_EXEC_ARGS_FAULT);
	/* absent when unknown: a success whose syscall entry no hook saw */
	if (v->eflags & PS_EXEC_ABI_KNOWN)
		jw_bool(w, "compat", v->eflags & PS_EXEC_COMPAT);
	if (v->eflags & PS_EXEC_FNAME_TRUNC)
		jw_bool(w, "filename_truncated", true);
	if (e->ret < 0 && errno_name(-e->ret))
		jw_cstr(w, "error", errno_name(-e->ret));
	if (v->eflags & PS_EXEC_EXECVEAT) {
		jw_obj(w, "execveat");
		jw_s64(w, "fd", e->fd);
		jw_u64(w, "flags", e->at_flags);
		jw_obj_end(w);
	}
	if (v->nmisses) {
		bool other = false;

		jw_arr(w, "path_tried");
		for (size_t i = 0; i < v->nmisses; i++) {
			jw_str(w, NULL, v->misses[i].path, v->misses[i].len);
			other |= v->misses[i].err != ENOENT;
		}
		jw_arr_end(w);
		/* the errors only when one is not ENOENT: the common case stays short */
		if (other) {
			jw_arr(w, "path_tried_errors");
			for (size_t i = 0; i < v->nmisses; i++)
				json_errno(w, NULL, v->misses[i].err);
			jw_arr_end(w);
		}
	}
	json_what_ran(w, v);
	if (v->incomplete)
		jw_bool(w, "incomplete", true);
}
