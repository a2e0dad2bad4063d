// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "events/exec.h"

/*
 * A script's exe: the name exec was called with (bprm->filename, the
 * kernel's copy), made absolute with the cwd walked at the same moment;
 * "./" prefixes dropped, nothing else normalized (no symlink resolution:
 * the kernel no longer holds the script's file at sched_process_exec).
 */
static void exe_from_name(struct exec_view *v)
{
	const uint8_t *f = v->fname;
	size_t n = v->fname_len, len = 0;

	v->exe_from_name = true;
	if (n && f[0] != '/' && v->cwd) {
		while (n >= 2 && f[0] == '.' && f[1] == '/') {
			f += 2;
			n -= 2;
		}
		memcpy(v->exe_buf, v->cwd, v->cwd_len);
		len = v->cwd_len;
		if (len && v->exe_buf[len - 1] != '/')
			v->exe_buf[len++] = '/';
		if (v->xflags & PS_EXEC_X_CWD_TRUNC)
			v->xflags |= PS_EXEC_X_EXE_TRUNC;
	}
	if (n > sizeof(v->exe_buf) - len)
		n = sizeof(v->exe_buf) - len;
	memcpy(v->exe_buf + len, f, n);
	v->exe = v->exe_buf;
	v->exe_len = len + n;
}

bool exec_view_init(struct exec_view *v, const struct ps_event *ev, uint32_t max_args)
{
	const struct ps_exec *e = ev->rec;
	size_t pos = 0, n = 0, paths, anc;
	const uint8_t *base;

	memset(v, 0, offsetof(struct exec_view, exe_buf));
	if (ev->rec_len < sizeof(*e) || e->nanc > PS_ANC_MAX)
		return false;
	anc = (size_t)e->nanc * sizeof(struct ps_ancestor);
	paths = (size_t)e->exe_len + e->interp_len + e->cwd_len;
	if (e->fname_len > ev->data_len || anc > ev->data_len - e->fname_len ||
	    paths > ev->data_len - e->fname_len - anc || e->exe_len > PS_XPATH_MAX ||
	    e->interp_len > PS_XPATH_MAX || e->cwd_len > PS_XPATH_MAX)
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
	v->anc = ev->data + e->fname_len;
	v->nanc = e->nanc;
	/* the paths follow the ancestors */
	base = ev->data + e->fname_len + anc;
	v->xflags = e->xflags;
	if (e->xflags & PS_EXEC_X_EXE) {
		v->exe = base;
		v->exe_len = e->exe_len;
		/* a pseudo file's name: a path always starts with '/' */
		v->exe_memfd = v->exe_len >= 6 && !memcmp(v->exe, "memfd:", 6);
		v->exe_dev = makedev(e->exe_dev >> 20, e->exe_dev & 0xfffff);
	}
	if (e->xflags & PS_EXEC_X_INTERP) {
		v->interp = base + e->exe_len;
		v->interp_len = e->interp_len;
	}
	if (e->xflags & PS_EXEC_X_CWD) {
		v->cwd = base + e->exe_len + e->interp_len;
		v->cwd_len = e->cwd_len;
	}
	if ((e->xflags & PS_EXEC_X_INTERP) && !(e->xflags & PS_EXEC_X_EXE))
		exe_from_name(v);
	v->args = base + paths;
	v->args_len = ev->data_len - e->fname_len - anc - paths;
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

void exec_view_ancestor(const struct exec_view *v, uint32_t i, struct ps_ancestor *a)
{
	memcpy(a, v->anc + (size_t)i * sizeof(*a), sizeof(*a));
}

static const char *const errnames[] = {
	[EPERM] = "EPERM",
	[ENOENT] = "ENOENT",
	[ESRCH] = "ESRCH",
	[EINTR] = "EINTR",
	[EIO] = "EIO",
	[ENXIO] = "ENXIO",
	[E2BIG] = "E2BIG",
	[ENOEXEC] = "ENOEXEC",
	[EBADF] = "EBADF",
	[ECHILD] = "ECHILD",
	[EAGAIN] = "EAGAIN",
	[ENOMEM] = "ENOMEM",
	[EACCES] = "EACCES",
	[EFAULT] = "EFAULT",
	[EBUSY] = "EBUSY",
	[EEXIST] = "EEXIST",
	[ENOTDIR] = "ENOTDIR",
	[EISDIR] = "EISDIR",
	[EINVAL] = "EINVAL",
	[ENFILE] = "ENFILE",
	[EMFILE] = "EMFILE",
	[ETXTBSY] = "ETXTBSY",
	[ENAMETOOLONG] = "ENAMETOOLONG",
	[ELOOP] = "ELOOP",
	[ELIBBAD] = "ELIBBAD",
	/* errors a PATH search goes on after (path_tried_errors) */
	[ENODEV] = "ENODEV",
	[ETIMEDOUT] = "ETIMEDOUT",
	[ESTALE] = "ESTALE",
};

const char *errno_name(int err)
{
	if (err <= 0 || (size_t)err >= sizeof(errnames) / sizeof(errnames[0]))
		return NULL;
	return errnames[err];
}
