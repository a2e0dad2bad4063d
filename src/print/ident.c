// SPDX-License-Identifier: GPL-2.0
#include "lib/bpfutil.h"
#include "lib/cgroup.h"
#include "lib/json.h"
#include "lib/out.h"
#include "print/ident.h"

void ps_ident_json(struct jw *w, const struct ps_ident *id)
{
	jw_time(w, "time", ps_ktime_to_realtime(id->ktime_ns));
	jw_u64(w, "ktime_ns", id->ktime_ns);
	jw_u64(w, "pid", id->pid);
	jw_u64(w, "tid", id->tid);
	jw_u64(w, "ppid", id->ppid);
	jw_u64(w, "uid", id->uid);
	jw_u64(w, "gid", id->gid);
	jw_u64(w, "euid", id->euid);
	jw_strn(w, "comm", id->comm, sizeof(id->comm));
	jw_strn(w, "thread_comm", id->tcomm, sizeof(id->tcomm));
	jw_strn(w, "pcomm", id->pcomm, sizeof(id->pcomm));
	jw_u64(w, "cgroup_id", id->cgroup_id);
	ps_cgroup_json(w, id->cgroup_id);
}

void ps_ident_col_time(const struct ps_ident *id)
{
	char buf[16];

	fmt_hms(buf, sizeof(buf), ps_ktime_to_realtime(id->ktime_ns));
	out_str(buf);
	out_char(' ');
}

void ps_ident_col_elapsed(const struct ps_ident *id, uint64_t start_ns)
{
	out_fmt("%-8.3f ", ps_elapsed_s(id->ktime_ns, start_ns));
}

void ps_col_comm(const char *comm)
{
	out_term_col(comm, PS_TASK_COMM_LEN, 16);
}
