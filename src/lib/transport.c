// SPDX-License-Identifier: GPL-2.0
/* Reassembly of multi-record events, and the transport kinds. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/perf_event.h>
#include "lib/bpfutil.h"
#include "lib/opts.h"
#include "lib/transport.h"

/* ---------------- reassembly ---------------- */

#define MAX_PENDING 256
#define MAX_EVENT_BYTES (PS_ARGS_MAX + PS_PATH_MAX + 4096)

struct pending {
	uint64_t id;
	uint64_t born_ns;
	uint8_t *buf; /* struct, then data */
	size_t rec_len, len, cap;
	bool incomplete;
};

#define MAX_SPARE 4
/* first allocation of a multi-record event's buffer, doubled as it grows */
#define PENDING_BUF_MIN (64 * 1024)

struct ps_stream {
	size_t rec_len[PS_REC_NR];
	ps_event_fn fn;
	void *ctx;
	struct pending p[MAX_PENDING];
	int n;
	uint64_t bad, delivered, incomplete;
	uint64_t late; /* chunks of an event no longer pending: discarded */
	/* buffers of delivered events, reused: a big event's buffer is past
	 * malloc's mmap threshold, and a fresh mmap costs page faults and
	 * zeroing for every 100 KiB command line */
	struct {
		uint8_t *buf;
		size_t cap;
	} spare[MAX_SPARE];
	int nspare;
};

struct ps_stream *ps_stream_new(const size_t rec_len[PS_REC_NR], ps_event_fn fn, void *ctx)
{
	struct ps_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	memcpy(s->rec_len, rec_len, sizeof(s->rec_len));
	s->fn = fn;
	s->ctx = ctx;
	return s;
}

uint64_t ps_stream_bad(const struct ps_stream *s)
{
	return s->bad;
}

uint64_t ps_stream_late(const struct ps_stream *s)
{
	return s->late;
}

uint64_t ps_stream_delivered(const struct ps_stream *s)
{
	return s->delivered;
}

uint64_t ps_stream_incomplete(const struct ps_stream *s)
{
	return s->incomplete;
}

static void deliver(struct ps_stream *s, const void *rec, size_t rec_len, const uint8_t *data,
		    size_t data_len, const struct ps_chunk *last, bool incomplete)
{
	struct ps_event ev = {
		.rec = rec,
		.rec_len = rec_len,
		.data = data,
		.data_len = data_len,
		.last = last,
		.incomplete = incomplete,
	};

	s->delivered++;
	s->incomplete += incomplete;
	s->fn(s->ctx, &ev);
}

static void pending_drop(struct ps_stream *s, int i)
{
	if (s->nspare < MAX_SPARE && s->p[i].buf) {
		s->spare[s->nspare].buf = s->p[i].buf;
		s->spare[s->nspare++].cap = s->p[i].cap;
	} else {
		free(s->p[i].buf);
	}
	s->p[i] = s->p[--s->n];
}

static void pending_deliver(struct ps_stream *s, int i, const struct ps_chunk *last, bool inc)
{
	struct pending *p = &s->p[i];

	deliver(s, p->buf, p->rec_len, p->buf + p->rec_len, p->len - p->rec_len, last,
		inc || p->incomplete);
	pending_drop(s, i);
}

static int pending_find(struct ps_stream *s, uint64_t id)
{
	for (int i = 0; i < s->n; i++)
		if (s->p[i].id == id)
			return i;
	return -1;
}

static bool append(struct pending *p, const void *data, size_t n)
{
	if (p->len + n > MAX_EVENT_BYTES) {
		p->incomplete = true;
		return false;
	}
	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap : PENDING_BUF_MIN;
		uint8_t *nb;

		while (cap < p->len + n)
			cap *= 2;
		nb = realloc(p->buf, cap);
		if (!nb) {
			p->incomplete = true;
			return false;
		}
		p->buf = nb;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	return true;
}

void ps_stream_feed(struct ps_stream *s, const void *rec, size_t size)
{
	const struct ps_hdr *h = rec;
	size_t rl;

	/* The kernel is trusted to be ours, but never index past what we got. */
	if (size < sizeof(*h) || h->size > size || h->size < sizeof(*h)) {
		s->bad++;
		return;
	}
	size = h->size;
	if (h->type == PS_REC_CHUNK) {
		const struct ps_chunk *c = rec;
		int i;

		if (size < sizeof(*c) || c->len > size - sizeof(*c)) {
			s->bad++;
			return;
		}
		i = pending_find(s, h->id);
		/*
		 * Not a kernel loss: the kernel stops sending an event at its
		 * first lost record, so a chunk always follows its first record.
		 * Its event was delivered incomplete (expired, evicted) or could
		 * not be held: the data came but is discarded, so count it.
		 */
		if (i < 0) {
			s->late++;
			return;
		}
		if (c->offset != s->p[i].len - s->p[i].rec_len)
			s->p[i].incomplete = true; /* a chunk in between was lost */
		else
			append(&s->p[i], c->data, c->len);
		if (h->flags & PS_F_LAST)
			pending_deliver(s, i, c, false);
		return;
	}
	if (h->type >= PS_REC_NR || !(rl = s->rec_len[h->type]) || size < rl) {
		s->bad++;
		return;
	}
	if ((h->flags & (PS_F_FIRST | PS_F_LAST)) == (PS_F_FIRST | PS_F_LAST)) {
		deliver(s, rec, rl, (const uint8_t *)rec + rl, size - rl, NULL, false);
		return;
	}
	if (s->n == MAX_PENDING) /* far more in flight than CPUs: oldest is stuck */
		pending_deliver(s, 0, NULL, true);
	struct pending *p = &s->p[s->n++];
	memset(p, 0, sizeof(*p));
	if (s->nspare) {
		s->nspare--;
		p->buf = s->spare[s->nspare].buf;
		p->cap = s->spare[s->nspare].cap;
	}
	p->id = h->id;
	p->born_ns = ps_ktime_now();
	p->rec_len = rl;
	if (!append(p, rec, size)) {
		/* no memory to hold it: deliver what came, flagged, never drop it */
		pending_drop(s, s->n - 1);
		deliver(s, rec, rl, (const uint8_t *)rec + rl, size - rl, NULL, true);
	}
}

void ps_stream_expire(struct ps_stream *s, uint64_t now, uint64_t max_age)
{
	for (int i = 0; i < s->n;) {
		if (!max_age || now - s->p[i].born_ns > max_age)
			pending_deliver(s, i, NULL, true);
		else
			i++;
	}
}

void ps_stream_free(struct ps_stream *s)
{
	if (!s)
		return;
	while (s->n)
		pending_drop(s, 0);
	while (s->nspare)
		free(s->spare[--s->nspare].buf);
	free(s);
}

/* ---------------- transport ---------------- */

const char *ps_transport_name(enum ps_transport_kind k)
{
	return k == PS_TRANSPORT_PERF ? "perf" : "ringbuf";
}

int ps_transport_parse(const char *s)
{
	if (!strcmp(s, "auto"))
		return PS_TRANSPORT_AUTO;
	if (!strcmp(s, "ringbuf") || !strcmp(s, "ring"))
		return PS_TRANSPORT_RINGBUF;
	if (!strcmp(s, "perf") || !strcmp(s, "perfbuf"))
		return PS_TRANSPORT_PERF;
	return -EINVAL;
}

enum ps_transport_kind ps_transport_opt(const char *tool, const char *arg)
{
	int k = ps_transport_parse(arg);

	if (k < 0)
		usage_error(tool, "invalid --transport '%s': expected ringbuf, perf or auto", arg);
	return k;
}

int ps_transport_prepare(struct bpf_object *obj, enum ps_transport_kind want, size_t bytes,
			 size_t *perf_pages)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "events");
	struct bpf_map *scratch = bpf_object__find_map_by_name(obj, "scratch");
	bool have_rb = ps_kernel_has_ringbuf();

	if (!map)
		return -ENOENT;
	/* scratch slots: PS_NSLOTS per possible CPU (see common.bpf.h) */
	if (scratch && libbpf_num_possible_cpus() > 0 &&
	    bpf_map__set_max_entries(scratch, libbpf_num_possible_cpus() * PS_NSLOTS))
		return -EINVAL;

	if (want == PS_TRANSPORT_RINGBUF && !have_rb) {
		fprintf(stderr,
			"this kernel has no BPF ring buffer (Linux 5.8+): use --transport perf\n");
		return -EOPNOTSUPP;
	}
	if (want == PS_TRANSPORT_AUTO)
		want = have_rb ? PS_TRANSPORT_RINGBUF : PS_TRANSPORT_PERF;
	if (want == PS_TRANSPORT_RINGBUF)
		return bpf_map__set_max_entries(map, bytes) ?: PS_TRANSPORT_RINGBUF;

	int ncpu = libbpf_num_possible_cpus();
	size_t page = sysconf(_SC_PAGESIZE), per = bytes / (ncpu > 0 ? ncpu : 1) / page, p2 = 1;

	while (p2 * 2 <= per)
		p2 *= 2;
	*perf_pages = p2 < 8 ? 8 : p2;
	if (bpf_map__set_type(map, BPF_MAP_TYPE_PERF_EVENT_ARRAY) ||
	    bpf_map__set_key_size(map, sizeof(int)) || bpf_map__set_value_size(map, sizeof(int)) ||
	    bpf_map__set_max_entries(map, ncpu > 0 ? ncpu : 1))
		return -EINVAL;
	return PS_TRANSPORT_PERF;
}
