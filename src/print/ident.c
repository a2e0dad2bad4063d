// SPDX-License-Identifier: GPL-2.0
#include "lib/bpfutil.h"
#include "lib/cgroup.h"
#include "lib/json.h"
#include "lib/out.h"
#include "print/ident.h"
#include <stdio.h>
#include <unistd.h>

/*
 * /proc/PID/stat field 22 (starttime): nsec_to_clock_t(start_boottime),
 * clock ticks since boot (fs/proc/array.c). The same integer division
 * here, so an event and /proc give the very same number.
 */
uint64_t ps_start_ticks(uint64_t start_ns)
{
	static uint64_t hz;

	if (!hz) {
		long t = sysconf(_SC_CLK_TCK);

		hz = t > 0 ? (uint64_t)t : 100;
	}
	if (1000000000ull % hz == 0)
		return start_ns / (1000000000ull / hz);
	return (uint64_t)((unsigned __int128)start_ns * hz / 1000000000ull);
}

void ps_entity_id(char *buf, size_t cap, uint32_t pid, uint64_t start_ns)
{
	snprintf(buf, cap, "%u:%llu", pid, (unsigned long long)ps_start_ticks(start_ns));
}

static void json_entity(struct jw *w, const char *name, uint32_t pid, uint64_t start_ns)
{
	char buf[PS_ENTITY_ID_LEN];

	ps_entity_id(buf, sizeof(buf), pid, start_ns);
	jw_cstr(w, name, buf);
}

/* The audit ids: null when unset ((u32)-1: never logged in, or no audit) */
static void json_audit(struct jw *w, const char *name, uint32_t v)
{
	if (v == UINT32_MAX)
		jw_null(w, name);
	else
		jw_u64(w, name, v);
}

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
	json_entity(w, "entity_id", id->pid, id->start_ns);
	/* the idle task (pid 0) is the parent of pid 1 and kthreadd: not a process */
	if (id->ppid)
		json_entity(w, "parent_entity_id", id->ppid, id->pstart_ns);
	else
		jw_null(w, "parent_entity_id");
	jw_time(w, "start_time", ps_boottime_to_realtime(id->start_ns));
	jw_u64(w, "nspid", id->nspid);
	jw_u64(w, "pidns", id->pidns);
	jw_u64(w, "mntns", id->mntns);
	json_audit(w, "auid", id->auid);
	json_audit(w, "sessionid", id->sessionid);
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
