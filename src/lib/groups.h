/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-group aggregates of the events a tool emits (the group is the comm),
 * exported by --metrics: execs by result, processes, failures, CPU seconds,
 * a lifetime histogram with fixed log2 buckets. Any tool feeds it from a
 * sink (lib/tool.h: ps_tool_groups()); the collector renders the families
 * the tool asked for.
 *
 * Bounded, whatever the traced processes call themselves: PS_GROUPS_TOP
 * groups have series of their own, everything else is summed in
 * comm="other". The first PS_GROUPS_TOP comms seen get a slot; later ones
 * are tracked as candidates (PS_GROUPS_CAND, the least active evicted),
 * scored by activity (events, CPU time weighted in) with a one-minute
 * half-life, and a candidate twice as active as the least active exported
 * group (and at least PS_GROUPS_MIN_SCORE) takes its slot. Every series
 * stays a true counter: a demoted group's totals move into "other" (which
 * only grows), a promoted one starts from zero (what it did before is
 * already in "other"). A real process named "other" is counted in "other".
 */
#ifndef PROCSNOOP_GROUPS_H
#define PROCSNOOP_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ps_prom;
struct ps_groups;

#define PS_GROUPS_TOP 64
#define PS_GROUPS_CAND 192
#define PS_GROUPS_MIN_SCORE 8.0
/* lifetime buckets: le = 2^-10 s (~1 ms) .. 2^16 s (~18 h), then +Inf */
#define PS_GROUPS_LE_MIN (-10)
#define PS_GROUPS_LE_MAX 16
#define PS_GROUPS_NB (PS_GROUPS_LE_MAX - PS_GROUPS_LE_MIN + 2)

/* What a tool feeds, so its families exist (at 0) from the start. */
enum { PS_GROUPS_EXEC = 1, PS_GROUPS_EXIT = 2 };

struct ps_groups *ps_groups_new(unsigned int what);
void ps_groups_free(struct ps_groups *g);
/* An exec attempt by @comm (at most @max bytes, NUL-terminated if shorter). */
void ps_groups_exec(struct ps_groups *g, const char *comm, size_t max, bool ok);
/* A process exit: not a clean exit 0 (@failed), its CPU time, its lifetime. */
void ps_groups_exit(struct ps_groups *g, const char *comm, size_t max, bool failed,
		    uint64_t user_ns, uint64_t sys_ns, uint64_t life_ns);
/* @g's families (ps_collector.render, on a copy from ps_groups_snap()). */
void ps_groups_collect(void *g, struct ps_prom *p);
/* ps_collector.snap: a copy of @g (a memcpy), or NULL; freed with ps_groups_free(). */
void *ps_groups_snap(void *g);
/* Groups with series of their own (for tests). */
int ps_groups_exported(const struct ps_groups *g);
/* For tests: maintain as if @ns more had passed since the last time. */
void ps_groups_age(struct ps_groups *g, uint64_t ns);

#endif
