// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include "events/exec.h"

bool exec_view_init(struct exec_view *v, const struct ps_event *ev, uint32_t max_args)
{
	const struct ps_exec *e = ev->rec;
	size_t pos = 0, n = 0;

	memset(v, 0, sizeof(*v));
	if (ev->rec_len < sizeof(*e) || e->fname_len > ev->data_len || e->nanc > PS_ANC_MAX ||
	    e->nanc * sizeof(struct ps_ancestor) > ev->data_len - e->fname_len)
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
	v->args = v->anc + e->nanc * sizeof(struct ps_ancestor);
	v->args_len = ev->data_len - e->fname_len - e->nanc * sizeof(struct ps_ancestor);
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
