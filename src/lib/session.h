/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A session: what one run of a tool owns. Its sources (BPF objects,
 * each with its "events" map and "stats" counters; several per process),
 * the transport that carries their records (one ring buffer for all, or
 * perf buffers), reassembly, the counters (lib/stats.h), and the sinks
 * that decoded events go to (table, JSON; later aggregates, exporters).
 *
 *	s = ps_session_new(&cfg);
 *	ps_session_prepare(s, obj);		// before each load
 *	... load ...
 *	ps_session_add(s, obj, rec_len, on_event, ctx);
 *	... attach ...
 *	ps_session_sink(s, &sink);
 *	ps_session_run(s, &hooks);		// ready, poll, drain, summary
 *	ps_session_free(s);
 *
 * A tool's on_event decodes a record into a view, filters it, and hands
 * it to ps_session_emit(), which passes it to every sink.
 */
#ifndef PROCSNOOP_SESSION_H
#define PROCSNOOP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>
#include "abi.h"
#include "lib/stats.h"
#include "lib/transport.h"

struct jw;
struct ps_session;

struct ps_session_cfg {
	const char *tool;	     /* "exec", ... */
	bool json;		     /* JSON Lines (else a table) */
	enum ps_transport_kind want; /* --transport */
	size_t bufsize;		     /* --buffer-size */
};

/* Where decoded events go. @kind tells the view's type (the tool's own enum). */
struct ps_sink {
	void (*header)(void *ctx); /* once attached (table mode: column names) */
	void (*event)(void *ctx, int kind, const void *view);
	void (*end)(void *ctx); /* after the final drain, before the summary */
	void *ctx;
};

/* What the tool adds to the run loop; every member may be NULL. */
struct ps_session_hooks {
	void (*ready)(void *ctx, struct jw *w);	  /* extra members of the ready line */
	void (*tick)(void *ctx, uint64_t now_ns); /* every ~100 ms */
	void (*end)(void *ctx);			  /* after the drain, before the sinks' end */
	void *ctx;
};

#define PS_SINKS 4
#define PS_SOURCES 4

/* NULL on allocation failure. */
struct ps_session *ps_session_new(const struct ps_session_cfg *cfg);
void ps_session_free(struct ps_session *s);

/*
 * Before loading @obj: resolve the transport (auto: ring buffer if the
 * kernel has one) and set the type and size of its "events" map, and size
 * its "scratch" slots. 0, or -errno with one line on stderr.
 */
int ps_session_prepare(struct ps_session *s, struct bpf_object *obj);
enum ps_transport_kind ps_session_kind(const struct ps_session *s);

/*
 * After load, before attach: read @obj's records. A perf record sent
 * before its buffer's perf events exist fails and counts as lost, so the
 * buffers are opened first. @rec_len: struct size of a first record, by type.
 */
int ps_session_add(struct ps_session *s, struct bpf_object *obj, const size_t rec_len[PS_REC_NR],
		   ps_event_fn fn, void *ctx);
/* Forget @obj's source (its loading is undone, e.g. a hook failed to attach). */
int ps_session_remove(struct ps_session *s, struct bpf_object *obj);
/* Where events go; the sink is copied. */
int ps_session_sink(struct ps_session *s, const struct ps_sink *sink);
/* Hand a decoded event to every sink. */
void ps_session_emit(struct ps_session *s, int kind, const void *view);

/* Print the ready line (or the sinks' headers), poll until signalled or
 * ps_exiting is set, drain everything buffered, summarize. 0 or -errno. */
int ps_session_run(struct ps_session *s, const struct ps_session_hooks *h);

/* Add @n to one of the counters (enum ps_counter) that the tool itself keeps. */
void ps_session_count(struct ps_session *s, int counter, uint64_t n);
/* Every counter now (kernel ones read from the maps). */
void ps_session_stats(struct ps_session *s, uint64_t out[PS_C_NR]);
/* Events delivered, by the type of their first record (enum ps_rec_type). */
void ps_session_events_by_type(struct ps_session *s, uint64_t out[PS_REC_NR]);

#endif
