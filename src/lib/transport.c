// SPDX-License-Identifier: GPL-2.0
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
#include "lib/out.h"
#include "lib/transport.h"

uint64_t ps_events_seen, ps_records_lost;

/* How often the consumer drains when producers do not wake it. */
#define PS_POLL_MS 50

/* ---------------- reassembly ---------------- */

#define MAX_PENDING 256
#define MAX_EVENT_BYTES (PS_ARGS_MAX + PS_PATH_MAX + 4096)

struct pending {
	uint64_t id;
	uint64_t born_ns;
	uint8_t *buf;		/* struct, then data */
	size_t rec_len, len, cap;
	bool incomplete;
};

#define MAX_SPARE 4

struct ps_stream {
	size_t rec_len[8];
	ps_event_fn fn;
	void *ctx;
	struct pending p[MAX_PENDING];
	int n;
	uint64_t bad;
	/* buffers of delivered events, reused: a big event's buffer is past
	 * malloc's mmap threshold, and a fresh mmap costs page faults and
	 * zeroing for every 100 KiB command line */
	struct { uint8_t *buf; size_t cap; } spare[MAX_SPARE];
	int nspare;
};

struct ps_stream *ps_stream_new(const size_t rec_len[8], ps_event_fn fn, void *ctx)
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

static void deliver(struct ps_stream *s, const void *rec, size_t rec_len, const uint8_t *data,
		    size_t data_len, const struct ps_chunk *last, bool incomplete)
{
	struct ps_event ev = {
		.rec = rec, .rec_len = rec_len, .data = data, .data_len = data_len,
		.last = last, .incomplete = incomplete,
	};

	ps_events_seen++;
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
		size_t cap = p->cap ? p->cap : 64 * 1024;
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
		if (i < 0)
			return;		/* its first record was lost (counted by the kernel) */
		if (c->offset != s->p[i].len - s->p[i].rec_len)
			s->p[i].incomplete = true;	/* a chunk in between was lost */
		else
			append(&s->p[i], c->data, c->len);
		if (h->flags & PS_F_LAST)
			pending_deliver(s, i, c, false);
		return;
	}
	if (h->type >= 8 || !(rl = s->rec_len[h->type]) || size < rl) {
		s->bad++;
		return;
	}
	if ((h->flags & (PS_F_FIRST | PS_F_LAST)) == (PS_F_FIRST | PS_F_LAST)) {
		deliver(s, rec, rl, (const uint8_t *)rec + rl, size - rl, NULL, false);
		return;
	}
	if (s->n == MAX_PENDING)	/* far more in flight than CPUs: oldest is stuck */
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
	if (!append(p, rec, size))
		pending_drop(s, s->n - 1);
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

static size_t perf_pages_per_cpu;

int ps_transport_prepare(struct bpf_object *obj, enum ps_transport_kind want, size_t bytes)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "events");
	struct bpf_map *scratch = bpf_object__find_map_by_name(obj, "scratch");
	bool have_rb = ps_kernel_has_ringbuf();

	if (!map)
		return -ENOENT;
	/* scratch slots: PS_NSLOTS per possible CPU (see common.bpf.h) */
	if (scratch && libbpf_num_possible_cpus() > 0)
		bpf_map__set_max_entries(scratch, libbpf_num_possible_cpus() * 4);

	if (want == PS_TRANSPORT_RINGBUF && !have_rb) {
		fprintf(stderr, "this kernel has no BPF ring buffer (Linux 5.8+): use --transport perf\n");
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
	perf_pages_per_cpu = p2 < 8 ? 8 : p2;
	if (bpf_map__set_type(map, BPF_MAP_TYPE_PERF_EVENT_ARRAY) ||
	    bpf_map__set_key_size(map, sizeof(int)) || bpf_map__set_value_size(map, sizeof(int)) ||
	    bpf_map__set_max_entries(map, ncpu > 0 ? ncpu : 1))
		return -EINVAL;
	return PS_TRANSPORT_PERF;
}

struct runner {
	struct ps_run_opts *o;
	struct ps_stream *st;
	uint64_t perf_lost;
};

static int rb_cb(void *ctx, void *data, size_t size)
{
	struct runner *r = ctx;

	ps_stream_feed(r->st, data, size);
	return 0;
}

/* Raw perf records: we set the wakeup watermark ourselves (see ps_run). */
static enum bpf_perf_event_ret pb_raw(void *ctx, int cpu, struct perf_event_header *e)
{
	struct runner *r = ctx;

	if (e->type == PERF_RECORD_SAMPLE) {
		struct { struct perf_event_header h; __u32 size; __u8 data[]; } *s = (void *)e;

		ps_stream_feed(r->st, s->data, s->size);
	} else if (e->type == PERF_RECORD_LOST) {
		struct { struct perf_event_header h; __u64 id; __u64 lost; } *l = (void *)e;

		r->perf_lost += l->lost;
	}
	return LIBBPF_PERF_EVENT_CONT;
}

static uint64_t kernel_lost(struct ps_run_opts *o)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[1024], sum = 0;
	__u32 key = PS_STAT_LOST;

	if (!o->stats || ncpu <= 0 || ncpu > 1024)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(o->stats), &key, vals))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

/*
 * Records lost so far. Every failed bpf_perf_event_output() is counted
 * twice: by ps_emit() in the "stats" map and by perf in PERF_RECORD_LOST.
 * Both count the same records (and perf's count arrives late, once there
 * is room again), so they must not be added: take the larger.
 */
static uint64_t lost_now(struct ps_run_opts *o, struct runner *r)
{
	uint64_t k = kernel_lost(o);

	return k > r->perf_lost ? k : r->perf_lost;
}

static void report_lost(struct ps_run_opts *o, uint64_t delta, uint64_t total)
{
	if (o->json) {
		out_fmt("{\"type\":\"lost\",\"count\":%llu,\"total\":%llu}\n",
			(unsigned long long)delta, (unsigned long long)total);
		out_flush();
	} else {
		out_flush();
		fprintf(stderr, "%s: lost %llu records: the buffer was full (%llu in all)\n",
			o->tool, (unsigned long long)delta, (unsigned long long)total);
	}
}

int ps_run(struct ps_run_opts *o)
{
	struct runner r = { .o = o };
	struct ring_buffer *rb = NULL;
	struct perf_buffer *pb = NULL;
	uint64_t last_tick = 0, reported = 0, now;
	int err = 0;

	/* Loading parsed the kernel's BTF (~12 MB, now freed): hand the pages
	 * back, or the heap keeps them and buffer pages stack on top. */
	malloc_trim(0);
	r.st = ps_stream_new(o->rec_len, o->on_event, o->ctx);
	if (!r.st)
		return -ENOMEM;
	if (o->kind == PS_TRANSPORT_PERF) {
		size_t pages = perf_pages_per_cpu ?: 64;
		/* Wake us when a quarter of a CPU's buffer is used, not per record
		 * (the ring buffer side does the same in ps_emit). */
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_BPF_OUTPUT,
			.sample_type = PERF_SAMPLE_RAW,
			.sample_period = 1,
			.watermark = 1,
			.wakeup_watermark = pages * sysconf(_SC_PAGESIZE) / 4,
		};

		pb = perf_buffer__new_raw(bpf_map__fd(o->events), pages, &attr, pb_raw, &r, NULL);
	} else {
		rb = ring_buffer__new(bpf_map__fd(o->events), rb_cb, &r, NULL);
	}
	if (!rb && !pb) {
		err = -errno;
		fprintf(stderr, "%s: cannot open the %s buffer: %s\n", o->tool,
			ps_transport_name(o->kind), strerror(-err));
		goto out;
	}

	if (o->json) {
		out_fmt("{\"type\":\"ready\",\"tool\":\"%s\",\"version\":\"%s\",\"pid\":%d,"
			"\"transport\":\"%s\"%s}\n", o->tool, PS_VERSION, getpid(),
			ps_transport_name(o->kind), o->ready_extra ? o->ready_extra : "");
	} else if (o->print_header) {
		o->print_header(o->ctx);
	}
	out_flush();

	while (!ps_exiting) {
		/* Producers do not wake us per record: poll, then drain what is there. */
		err = rb ? ring_buffer__poll(rb, PS_POLL_MS) : perf_buffer__poll(pb, PS_POLL_MS);
		if (err == -EINTR) {
			err = 0;
			continue;
		}
		if (err >= 0)
			err = rb ? ring_buffer__consume(rb) : perf_buffer__consume(pb);
		if (err < 0) {
			fprintf(stderr, "%s: polling the buffer failed: %s\n", o->tool,
				strerror(-err));
			break;
		}
		err = 0;
		now = ps_ktime_now();
		if (now - last_tick >= 100000000ull) {
			uint64_t lost = lost_now(o, &r);

			last_tick = now;
			if (lost > reported) {
				/* a lost record can strand a partial event: deliver it now */
				ps_stream_expire(r.st, now, 200000000ull);
				report_lost(o, lost - reported, lost);
				reported = lost;
			}
			ps_stream_expire(r.st, now, 2000000000ull);
			if (o->on_tick)
				o->on_tick(o->ctx, now);
		}
		/*
		 * Into a pipe, waiting for half the output buffer (128K) could
		 * hold lines for hours (`| grep`), and a closed pipe (`| head -1`)
		 * would go unnoticed: write what this round produced, one write
		 * per round (none when idle).
		 */
		out_flush();
	}

	/* Drain: everything the kernel already buffered is still delivered. */
	if (rb)
		ring_buffer__consume(rb);
	else
		perf_buffer__consume(pb);
	ps_stream_expire(r.st, 0, 0);
	{
		uint64_t lost = lost_now(o, &r);

		if (lost > reported)
			report_lost(o, lost - reported, lost);
		ps_records_lost = lost;
	}
	if (o->on_end)
		o->on_end(o->ctx);
	if (o->json) {
		out_fmt("{\"type\":\"summary\",\"tool\":\"%s\",\"events\":%llu,\"lost\":%llu}\n",
			o->tool, (unsigned long long)ps_events_seen,
			(unsigned long long)ps_records_lost);
	}
	out_flush();
	if (!o->json)
		fprintf(stderr, "%s: %llu events, %llu lost\n", o->tool,
			(unsigned long long)ps_events_seen, (unsigned long long)ps_records_lost);
out:
	ring_buffer__free(rb);
	perf_buffer__free(pb);
	ps_stream_free(r.st);
	return err;
}
