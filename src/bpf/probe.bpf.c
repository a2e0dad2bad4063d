// SPDX-License-Identifier: GPL-2.0
/*
 * procsnoop probe kernel side: one program per probe kind, each attached
 * once per SPEC. The attach cookie (bpf_usdt_cookie for USDT, where
 * libbpf owns the BPF cookie) is the probe index: it selects the
 * probe's config (which values are strings) and names the probe in
 * the record, so any number of specs share three programs.
 *
 * --count: hits are counted here, in a per-CPU hash, and user space
 * reads the totals each interval; nothing crosses the ring per hit.
 */
#include "ident.bpf.h"
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 targ_tgid = 0; /* -p: 0 = every process */
const volatile __u32 str_max = PS_PROBE_STR_DEFAULT;
const volatile bool count_mode = false;
const volatile bool count_per_pid = false;
/*
 * Set when user space loaded the programs sleepable: a string whose page
 * is not resident yet (a literal in .rodata nobody touched, a fresh
 * malloc) cannot be read without faulting it in, which only a sleepable
 * program may do.
 */
const volatile bool can_fault = false;
/*
 * --container: the id of the container's cgroup and its depth (the root
 * is 0): a task is inside when its ancestor at that depth is it. Not the
 * cgroup-array filter of common.bpf.h: sleepable programs may not use a
 * cgroup array map (the verifier refuses the load).
 */
const volatile __u64 filter_cg_id = 0;
const volatile __u32 filter_cg_level = 0;

extern int bpf_copy_from_user_str(void *dst, __u32 dst__sz, const void *unsafe_ptr__ign,
				  __u64 flags) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PS_PROBE_MAX);
	__type(key, __u32);
	__type(value, struct ps_probe_cfg);
} probe_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ps_probe_count_key);
	__type(value, __u64);
} counts SEC(".maps");

/* Hits --count could not count because "counts" was full: reported, not hidden. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} count_missed SEC(".maps");

static __always_inline void count_hit(__u32 idx, __u32 tgid)
{
	struct ps_probe_count_key k = { .probe = idx, .pid = count_per_pid ? tgid : 0 };
	__u64 one = 1, *v;
	__u32 zero = 0;

	v = bpf_map_lookup_elem(&counts, &k);
	if (!v) {
		if (bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST) == 0)
			return;
		/* lost a race with another CPU creating it, or the map is full */
		v = bpf_map_lookup_elem(&counts, &k);
		if (!v) {
			v = bpf_map_lookup_elem(&count_missed, &zero);
			if (v)
				__sync_fetch_and_add(v, 1);
			return;
		}
	}
	/* atomic: a preempted program on this CPU may hold the same value */
	__sync_fetch_and_add(v, 1);
}

/* libbpf 1.1's bpf_tracing.h stops at PT_REGS_PARM5 */
#if defined(__TARGET_ARCH_x86)
#define PS_PARM6(x) ((x)->r9)
#elif defined(__TARGET_ARCH_arm64)
#define PS_PARM6(x) ((x)->regs[5])
#endif

static __always_inline __u64 entry_arg(struct pt_regs *ctx, int i)
{
	switch (i) {
	case 0:
		return PT_REGS_PARM1(ctx);
	case 1:
		return PT_REGS_PARM2(ctx);
	case 2:
		return PT_REGS_PARM3(ctx);
	case 3:
		return PT_REGS_PARM4(ctx);
	case 4:
		return PT_REGS_PARM5(ctx);
	default:
		return PS_PARM6(ctx);
	}
}

static __always_inline int on_hit(struct pt_regs *ctx, __u32 idx, int kind)
{
	__u64 pt = bpf_get_current_pid_tgid();
	__u32 tgid = pt >> 32, pos, mask, nargs;
	struct ps_probe_cfg *cfg;
	struct ps_slot *slot;
	struct ps_probe *e;

	/* the perf event is per process with -p, but a uprobe is per inode: be exact */
	if (targ_tgid && tgid != targ_tgid)
		return 0;
	/* --container: counts too */
	if (filter_cg_id && bpf_get_current_ancestor_cgroup_id(filter_cg_level) != filter_cg_id)
		return 0;
	if (count_mode) {
		count_hit(idx, tgid);
		return 0;
	}
	cfg = bpf_map_lookup_elem(&probe_cfg, &idx);
	if (!cfg)
		return 0;
	mask = cfg->str_mask;
	nargs = cfg->nargs;
	slot = ps_slot_get();
	if (!slot)
		return 0; /* counted as lost by ps_slot_get() */
	e = (void *)slot->buf;
	__builtin_memset(e, 0, sizeof(*e));
	e->hdr.type = PS_REC_PROBE;
	e->hdr.flags = PS_F_FIRST | PS_F_LAST;
	e->hdr.id = ps_record_id();
	ps_ident_fill(&e->id, (void *)bpf_get_current_task());
	e->probe = idx;

	if (kind == PS_PROBE_RETURN) {
		e->vals[PS_PROBE_RET] = PT_REGS_RC(ctx);
	} else {
		for (int i = 0; i < PS_PROBE_NARGS; i++) {
			long v = 0;

			if (i >= nargs)
				break;
			if (kind == PS_PROBE_USDT) {
				if (bpf_usdt_arg(ctx, i, &v))
					e->arg_fault |= 1 << i;
			} else {
				v = entry_arg(ctx, i);
			}
			e->vals[i] = v;
			e->nargs = i + 1;
		}
	}

	pos = sizeof(*e);
	for (int i = 0; i < PS_PROBE_NVALS; i++) {
		__u32 sz = str_max + 2, len;
		long n;

		if (!(mask & (1u << i)))
			continue;
		/* bounds for the verifier; never true at run time */
		if (pos > sizeof(*e) + (PS_PROBE_NVALS - 1) * PS_PROBE_STR_MAX)
			break;
		if (sz > PS_PROBE_STR_MAX + 2)
			sz = PS_PROBE_STR_MAX + 2;
		/* str_max + 2: a result of str_max + 2 (with NUL) proves the string was longer */
		n = bpf_probe_read_user_str(slot->buf + pos, sz, (void *)e->vals[i]);
		if (n < 0 && can_fault)
			n = bpf_copy_from_user_str(slot->buf + pos, sz, (void *)e->vals[i], 0);
		if (n <= 0) {
			e->str_fault |= 1 << i;
			continue;
		}
		len = n - 1;
		if (len > str_max) {
			len = str_max;
			e->str_trunc |= 1 << i;
		}
		if (len > PS_PROBE_STR_MAX)
			len = PS_PROBE_STR_MAX;
		e->str_len[i] = len;
		pos += len;
	}
	if (pos > sizeof(*e) + PS_PROBE_NVALS * PS_PROBE_STR_MAX)
		pos = sizeof(*e);
	e->hdr.size = pos;
	ps_emit_event(ctx, slot->buf, pos);
	ps_slot_put(slot);
	return 0;
}

SEC("uprobe")
int probe_entry(struct pt_regs *ctx)
{
	return on_hit(ctx, bpf_get_attach_cookie(ctx), PS_PROBE_ENTRY);
}

SEC("uretprobe")
int probe_return(struct pt_regs *ctx)
{
	return on_hit(ctx, bpf_get_attach_cookie(ctx), PS_PROBE_RETURN);
}

SEC("usdt")
int probe_usdt(struct pt_regs *ctx)
{
	return on_hit(ctx, bpf_usdt_cookie(ctx), PS_PROBE_USDT);
}
