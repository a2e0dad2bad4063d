/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transport: the "events" map as a ring buffer or a perf buffer (chosen
 * by probing, or forced), and reassembly of multi-record events (abi.h).
 * The run loop that reads them is lib/session.c.
 */
#ifndef PROCSNOOP_TRANSPORT_H
#define PROCSNOOP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>
#include "abi.h"

/* --buffer-size: bounds (a power of two) and the default of the tools that
 * stream large events (exec, exit); probe's hits are bigger per event. */
#define PS_BUFFER_MIN (64u * 1024)
#define PS_BUFFER_MAX (1u << 30)
#define PS_BUFFER_DEFAULT (4u << 20)
#define PS_BUFFER_PROBE_DEFAULT (8u << 20)

enum ps_transport_kind {
	PS_TRANSPORT_AUTO = 0,
	PS_TRANSPORT_RINGBUF,
	PS_TRANSPORT_PERF,
};

/* A whole event, reassembled. */
struct ps_event {
	const void *rec; /* the first record's struct (rec_len bytes) */
	size_t rec_len;
	const uint8_t *data; /* variable data, all records concatenated */
	size_t data_len;
	const struct ps_chunk *last; /* final chunk with totals, or NULL */
	bool incomplete;	     /* records were lost: data ends early */
};

typedef void (*ps_event_fn)(void *ctx, const struct ps_event *ev);

/*
 * Before load: resolve AUTO by probing and set the type and size of the
 * object's "events" map (and size its "scratch" slots, if it has them).
 * @bytes: ring buffer size (power of two) or total perf buffer size;
 * *@perf_pages gets the pages per CPU of a perf buffer.
 * Returns the kind chosen, or -errno with a message on stderr.
 */
int ps_transport_prepare(struct bpf_object *obj, enum ps_transport_kind want, size_t bytes,
			 size_t *perf_pages);
const char *ps_transport_name(enum ps_transport_kind kind);
/* Parse "ringbuf"/"perf"/"auto"; -EINVAL if none. */
int ps_transport_parse(const char *s);
/* --transport: the kind, or a usage error (exit 2). */
enum ps_transport_kind ps_transport_opt(const char *tool, const char *arg);

/* Stream reassembly, exposed for unit tests: feed records, get events. */
struct ps_stream;
struct ps_stream *ps_stream_new(const size_t rec_len[PS_REC_NR], ps_event_fn fn, void *ctx);
/* @rec: 8-byte aligned (the records hold u64s), @size bytes, any content. */
void ps_stream_feed(struct ps_stream *s, const void *rec, size_t size);
/* Deliver pending events older than @max_age_ns (all if 0) as incomplete. */
void ps_stream_expire(struct ps_stream *s, uint64_t now_ns, uint64_t max_age_ns);
void ps_stream_free(struct ps_stream *s);
/* Records that were malformed (bad size/type): never trusted, counted. */
uint64_t ps_stream_bad(const struct ps_stream *s);
/* Chunks that came after their event was delivered incomplete: discarded, counted. */
uint64_t ps_stream_late(const struct ps_stream *s);
/* Events delivered, and how many of them incomplete. */
uint64_t ps_stream_delivered(const struct ps_stream *s);
uint64_t ps_stream_incomplete(const struct ps_stream *s);

#endif
