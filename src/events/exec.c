// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <time.h>
#include "lib/bpfutil.h"
#include "lib/out.h"
#include "events/exec.h"

bool exec_view_init(struct exec_view *v, const struct ps_event *ev, uint32_t max_args)
{
	const struct ps_exec *e = ev->rec;
	size_t pos = 0, n = 0;

	memset(v, 0, sizeof(*v));
	if (ev->rec_len < sizeof(*e) || e->fname_len > ev->data_len)
		return false;
	v->e = e;
	v->eflags = e->eflags;
	v->kargc = e->argc;
	v->args_cut = e->args_cut;
	if (ev->last) {
		v->eflags = ev->last->eflags;
		v->kargc = ev->last->argc;
		v->args_cut = ev->last->args_cut;
	}
	v->incomplete = ev->incomplete;
	v->fname = ev->data;
	v->fname_len = e->fname_len;
	v->args = ev->data + e->fname_len;
	v->args_len = ev->data_len - e->fname_len;
	/* count, and apply --max-args */
	while (pos < v->args_len) {
		const uint8_t *z = memchr(v->args + pos, 0, v->args_len - pos);
		size_t end = z ? (size_t)(z - v->args) + 1 : v->args_len;

		if (max_args && n == max_args) {
			/* what --max-args drops is cut too: count it with the kernel's cut */
			v->eflags |= PS_EXEC_COUNT_TRUNC;
			v->args_cut += v->args_len - pos;
			v->args_len = pos;
			break;
		}
		n++;
		pos = end;
	}
	v->argc = n;
	v->truncated = v->incomplete || (v->eflags & (PS_EXEC_ARGS_TRUNC | PS_EXEC_COUNT_TRUNC |
						      PS_EXEC_ARGS_FAULT));
	return true;
}

bool exec_view_next_arg(const struct exec_view *v, size_t *pos, const uint8_t **arg, size_t *len)
{
	const uint8_t *z;

	if (*pos >= v->args_len)
		return false;
	*arg = v->args + *pos;
	z = memchr(*arg, 0, v->args_len - *pos);
	*len = z ? (size_t)(z - *arg) : v->args_len - *pos;
	*pos += *len + 1;
	return true;
}

void exec_print_header(const struct exec_print_opts *o)
{
	if (o->time)
		out_str("TIME     ");
	if (o->timestamp)
		out_str("TIME(s)  ");
	if (o->print_uid)
		out_str("UID    ");
	out_str("PCOMM            PID     PPID    RET  ARGS\n");
}

void exec_print_table(const struct exec_view *v, const struct exec_print_opts *o)
{
	const struct ps_exec *e = v->e;
	uint64_t real = ps_ktime_to_realtime(e->ktime_ns);
	const uint8_t *a;
	size_t pos = 0, len;
	char buf[64];

	if (o->time) {
		time_t s = real / 1000000000ull;
		struct tm tm;

		localtime_r(&s, &tm);
		strftime(buf, sizeof(buf), "%H:%M:%S ", &tm);
		out_str(buf);
	}
	if (o->timestamp) {
		/* events from between attach and the start stamp would wrap to 2^64 ns */
		int64_t d = (int64_t)(e->ktime_ns - o->start_ns);

		out_fmt("%-8.3f ", (double)(d > 0 ? d : 0) / 1e9);
	}
	if (o->print_uid)
		out_fmt("%-6u ", e->uid);
	/* comm is hostile: escape, then pad to the column by what was printed */
	out_term_col(e->comm, sizeof(e->comm), 16);
	out_fmt(" %-7u %-7u %4d ", e->pid, e->ppid, e->ret);
	if (v->eflags & PS_EXEC_COMPAT)
		out_str("[compat] ");
	if (e->eflags & PS_EXEC_ARGV_EMPTY) {
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

static const char *const errnames[] = {
	[EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR",
	[EIO] = "EIO", [ENXIO] = "ENXIO", [E2BIG] = "E2BIG", [ENOEXEC] = "ENOEXEC",
	[EBADF] = "EBADF", [ECHILD] = "ECHILD", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM",
	[EACCES] = "EACCES", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST",
	[ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR", [EINVAL] = "EINVAL", [ENFILE] = "ENFILE",
	[EMFILE] = "EMFILE", [ETXTBSY] = "ETXTBSY", [ENAMETOOLONG] = "ENAMETOOLONG",
	[ELOOP] = "ELOOP", [ELIBBAD] = "ELIBBAD",
	/* errors a PATH search goes on after (path_tried_errors) */
	[ENODEV] = "ENODEV", [ETIMEDOUT] = "ETIMEDOUT", [ESTALE] = "ESTALE",
};

const char *errno_name(int err)
{
	if (err <= 0 || (size_t)err >= sizeof(errnames) / sizeof(errnames[0]))
		return NULL;
	return errnames[err];
}

void exec_print_json(const struct exec_view *v)
{
	const struct ps_exec *e = v->e;
	const uint8_t *a;
	size_t pos = 0, len;
	char ts[48];
	bool first = true;

	fmt_rfc3339(ts, sizeof(ts), ps_ktime_to_realtime(e->ktime_ns));
	out_fmt("{\"type\":\"exec\",\"time\":\"%s\",\"ktime_ns\":%llu,\"pid\":%u,\"tid\":%u,"
		"\"ppid\":%u,\"uid\":%u,\"gid\":%u,\"euid\":%u,\"comm\":", ts,
		(unsigned long long)e->ktime_ns, e->pid, e->tid, e->ppid, e->uid, e->gid, e->euid);
	out_json_cstr(e->comm, sizeof(e->comm));
	out_str(",\"pcomm\":");
	out_json_cstr(e->pcomm, sizeof(e->pcomm));
	out_str(",\"filename\":");
	out_json_str(v->fname, v->fname_len);
	out_str(",\"args\":[");
	while (exec_view_next_arg(v, &pos, &a, &len)) {
		if (!first)
			out_char(',');
		first = false;
		out_json_str(a, len);
	}
	out_fmt("],\"argc\":%u,\"args_truncated\":%s,\"args_cut_bytes\":%u,\"ret\":%d", v->argc,
		v->truncated ? "true" : "false", v->args_cut, e->ret);
	/* every flag the kernel side sets reaches the output */
	out_fmt(",\"args_cut_bytes_exact\":%s,\"args_unreadable\":%s",
		v->eflags & PS_EXEC_CUT_LOWER ? "false" : "true",
		v->eflags & PS_EXEC_ARGS_FAULT ? "true" : "false");
	/* absent when unknown: a success whose syscall entry no hook saw */
	if (v->eflags & PS_EXEC_ABI_KNOWN)
		out_fmt(",\"compat\":%s", v->eflags & PS_EXEC_COMPAT ? "true" : "false");
	if (v->eflags & PS_EXEC_FNAME_TRUNC)
		out_str(",\"filename_truncated\":true");
	if (e->ret < 0 && errno_name(-e->ret))
		out_fmt(",\"error\":\"%s\"", errno_name(-e->ret));
	if (v->eflags & PS_EXEC_EXECVEAT)
		out_fmt(",\"execveat\":{\"fd\":%d,\"flags\":%u}", e->fd, e->at_flags);
	out_fmt(",\"cgroup_id\":%llu", (unsigned long long)e->cgroup_id);
	if (v->nmisses) {
		bool other = false;

		out_str(",\"path_tried\":[");
		for (size_t i = 0; i < v->nmisses; i++) {
			if (i)
				out_char(',');
			out_json_str(v->misses[i].path, v->misses[i].len);
			other |= v->misses[i].err != ENOENT;
		}
		out_char(']');
		/* the errors only when one is not ENOENT: the common case stays short */
		if (other) {
			out_str(",\"path_tried_errors\":[");
			for (size_t i = 0; i < v->nmisses; i++) {
				const char *n = errno_name(v->misses[i].err);

				if (i)
					out_char(',');
				if (n)
					out_fmt("\"%s\"", n);
				else
					out_fmt("\"errno %d\"", v->misses[i].err);
			}
			out_char(']');
		}
	}
	if (v->incomplete)
		out_str(",\"incomplete\":true");
	out_str("}\n");
}
