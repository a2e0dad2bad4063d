/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-side core shared by every procsnoop BPF object:
 *  - the "events" map (ring buffer, or perf buffer when user space
 *    switches its type before load) and one emit() for both;
 *  - per-CPU "stats" counters (losses are counted, never silent);
 *  - per-CPU scratch slots claimed with cmpxchg, because fentry/fexit
 *    and (since 6.13) syscall tracepoint programs run preemptible:
 *    two tasks on one CPU must not share a buffer;
 *  - a stream writer that packs an event and its variable data into
 *    exactly-sized records of at most PS_CHUNK data bytes each.
 */
#ifndef PROCSNOOP_COMMON_BPF_H
#define PROCSNOOP_COMMON_BPF_H

#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "abi.h"

/* Set by user space before load (rodata is frozen: the verifier prunes
 * the branches these switch off). */
const volatile bool ps_use_perf = false;
const volatile bool ps_boottime = true;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PS_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* -c/--cgroup: user space puts the cgroup's fd at index 0 and sets filter_cg */
const volatile bool filter_cg = false;

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_map SEC(".maps");

/* Is the current task in the filter's cgroup v2 subtree (or no filter)? */
static __always_inline bool ps_cgroup_match(void)
{
	return !filter_cg || bpf_current_task_under_cgroup(&cgroup_map, 0) == 1;
}

#define PS_REC_MAX (PS_CHUNK + 128) /* header + data of one record */

/*
 * Stream writer state. It lives in the scratch slot (map memory), not
 * on the stack: the verifier then sees its fields as unknown-but-bounded
 * scalars, so bpf_loop callbacks using it converge at once instead of
 * being walked iteration by iteration.
 */
struct ps_sw {
	__u64 id;
	__u32 pos;    /* bytes used in the current record */
	__u32 sent;   /* variable-data bytes in records already sent */
	__u32 nrec;   /* records sent */
	__u32 failed; /* a record was lost: stop sending */
};

struct ps_slot {
	__u32 busy;
	__u32 pad;
	struct ps_sw sw;
	__u64 state[8];		  /* the tool's loop state, same reason */
	__u8 buf[2 * PS_REC_MAX]; /* twice: lets the verifier bound pos + len */
};

/* A plain array (per-CPU values are capped at 32 KiB), PS_NSLOTS per CPU;
 * user space sets max_entries to nr_cpus * PS_NSLOTS before load. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PS_NSLOTS);
	__type(key, __u32);
	__type(value, struct ps_slot);
} scratch SEC(".maps");

static __always_inline void ps_stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline __u64 ps_now(void)
{
	return ps_boottime ? bpf_ktime_get_boot_ns() : bpf_ktime_get_ns();
}

/* An event id, unique among events in flight: the CPU, then the time. */
static __always_inline __u64 ps_record_id(void)
{
	return ((__u64)bpf_get_smp_processor_id() << 56) |
	       (bpf_ktime_get_ns() & ((1ULL << 56) - 1));
}

/* Claim a free scratch slot on this CPU; NULL when all are in use. For
 * callers that have another way to send their event. */
static __always_inline struct ps_slot *ps_slot_try(void)
{
	__u32 base = bpf_get_smp_processor_id() * PS_NSLOTS;

	for (__u32 i = 0; i < PS_NSLOTS; i++) {
		__u32 k = base + i;
		struct ps_slot *s = bpf_map_lookup_elem(&scratch, &k);

		if (s && __sync_val_compare_and_swap(&s->busy, 0, 1) == 0)
			return s;
	}
	return 0;
}

/* Claim a slot; when none is free the event is lost: count it where losses
 * are reported (and why), so no tool drops an event silently. */
static __always_inline struct ps_slot *ps_slot_get(void)
{
	struct ps_slot *s = ps_slot_try();

	if (!s) {
		ps_stat_inc(PS_STAT_SCRATCH_BUSY);
		ps_stat_inc(PS_STAT_LOST);
		ps_stat_inc(PS_STAT_LOST_EVENTS);
	}
	return s;
}

static __always_inline void ps_slot_put(struct ps_slot *s)
{
	__sync_lock_test_and_set(&s->busy, 0);
}

/* Send one record of exactly @size bytes; counts a loss on failure. */
static __always_inline int ps_emit(void *ctx, void *data, __u64 size)
{
	long err;

	if (ps_use_perf) {
		err = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, data, size);
	} else {
		/*
		 * Waking the consumer for every record costs it a context switch
		 * per event (most of its CPU in a storm). Wake it only once a
		 * quarter of the ring is filled; below that it drains on its own
		 * poll tick (see ps_session_run), so latency stays bounded.
		 */
		__u64 fill = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
		__u64 ring = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);

		err = bpf_ringbuf_output(&events, data, size,
					 fill + size >= ring / 4 ? BPF_RB_FORCE_WAKEUP :
								   BPF_RB_NO_WAKEUP);
	}
	if (err)
		ps_stat_inc(PS_STAT_LOST);
	return err;
}

/* Send an event that is one record: if it does not fit, the whole event is
 * lost, and counted so (multi-record events count theirs in ps_sw_flush). */
static __always_inline int ps_emit_event(void *ctx, void *data, __u64 size)
{
	int err = ps_emit(ctx, data, size);

	if (err)
		ps_stat_inc(PS_STAT_LOST_EVENTS);
	return err;
}

/*
 * Stream writer. The event struct (hdr_len bytes) is built at the start
 * of the slot buffer; variable data is appended after it. When a record
 * is full it is sent and the next one starts with a struct ps_chunk.
 */
static __always_inline void ps_sw_init(struct ps_slot *slot, __u32 hdr_len)
{
	slot->sw.id = ps_record_id();
	slot->sw.pos = hdr_len;
	slot->sw.sent = 0;
	slot->sw.nrec = 0;
	slot->sw.failed = 0;
}

/*
 * Send the current record. @last marks the end of the event; the totals
 * (argc, args_len, args_cut, eflags) go into a final chunk.
 */
static __always_inline void ps_sw_flush(void *ctx, struct ps_slot *slot, __u32 hdr_len, bool last,
					__u32 argc, __u32 args_len, __u32 args_cut, __u32 eflags)
{
	struct ps_sw *sw = &slot->sw;
	__u32 pos = sw->pos;

	if (pos > PS_REC_MAX)
		pos = PS_REC_MAX;
	if (pos < sizeof(struct ps_chunk))
		pos = sizeof(struct ps_chunk);
	if (sw->nrec == 0) {
		struct ps_hdr *h = (void *)slot->buf;

		h->flags = PS_F_FIRST | (last ? PS_F_LAST : 0);
		h->size = pos;
		h->id = sw->id;
		sw->sent = pos - hdr_len;
	} else {
		struct ps_chunk *c = (void *)slot->buf;

		c->hdr.type = PS_REC_CHUNK;
		c->hdr.flags = last ? PS_F_LAST : 0;
		c->hdr.size = pos;
		c->hdr.id = sw->id;
		c->offset = sw->sent;
		c->len = pos - sizeof(*c);
		c->argc = argc;
		c->args_len = args_len;
		c->args_cut = args_cut;
		c->eflags = eflags;
		sw->sent += c->len;
	}
	if (!sw->failed && ps_emit(ctx, slot->buf, pos) != 0) {
		sw->failed = 1;
		ps_stat_inc(PS_STAT_LOST_EVENTS);
	}
	sw->nrec++;
	sw->pos = sizeof(struct ps_chunk);
}

/* Room left in the current record. */
static __always_inline __u32 ps_sw_room(struct ps_slot *slot)
{
	__u32 pos = slot->sw.pos;

	return pos < PS_REC_MAX ? PS_REC_MAX - pos : 0;
}

#endif /* PROCSNOOP_COMMON_BPF_H */
