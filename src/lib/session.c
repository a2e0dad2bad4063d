// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/perf_event.h>
#include "lib/bpfutil.h"
#include "lib/cgroup.h"
#include "lib/json.h"
#include "lib/metrics.h"
#include "lib/out.h"
#include "lib/privs.h"
#include "lib/session.h"

/* How often the consumer drains when producers do not wake it. */
#define PS_POLL_MS 50
/* Losses are checked, and tools ticked, this often. */
#define PS_TICK_NS 100000000ull
/* An event whose records stopped coming is delivered incomplete after this
 * (sooner once a loss is seen: its missing records will never come). */
#define PS_STUCK_NS 2000000000ull
#define PS_STUCK_AFTER_LOSS_NS 200000000ull

/* Between a source's stream and the tool: counts events by type. */
struct tap {
	ps_event_fn fn;
	void *ctx;
	uint64_t by_type[PS_REC_NR]; /* by the type of the event's first record */
};

struct source {
	struct ps_session *s;
	struct bpf_object *obj;
	struct bpf_map *events, *stats;
	struct ps_stream *st;
	struct perf_buffer *pb;
	uint64_t perf_lost; /* PERF_RECORD_LOST counts */
	struct tap *tap;    /* the stream's callback (a source may move: see remove) */
};

struct ps_session {
	struct ps_session_cfg cfg;
	enum ps_transport_kind kind;
	bool kind_set;
	size_t perf_pages; /* per CPU */
	struct source src[PS_SOURCES];
	int nsrc;
	struct ring_buffer *rb; /* one for every source's ring */
	struct ps_sink sinks[PS_SINKS];
	int nsinks;
	uint64_t lost_reported;
	uint64_t counted[PS_C_NR]; /* the tool's own counters (ps_session_count) */
	uint64_t dropped_reported; /* out_dropped() in the last lost line */
};

struct ps_session *ps_session_new(const struct ps_session_cfg *cfg)
{
	struct ps_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = *cfg;
	return s;
}

void ps_session_free(struct ps_session *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	for (int i = 0; i < s->nsrc; i++) {
		perf_buffer__free(s->src[i].pb);
		ps_stream_free(s->src[i].st);
		free(s->src[i].tap);
	}
	free(s);
}

enum ps_transport_kind ps_session_kind(const struct ps_session *s)
{
	return s->kind;
}

int ps_session_prepare(struct ps_session *s, struct bpf_object *obj)
{
	int err, kind = ps_transport_prepare(obj, s->cfg.want, s->cfg.bufsize, &s->perf_pages);

	if (kind < 0) {
		err = kind;
		if (err != -EOPNOTSUPP)
			fprintf(stderr, "%s: cannot set up the %s buffer: %s\n", s->cfg.tool,
				s->cfg.want == PS_TRANSPORT_PERF ? "perf" : "ring", strerror(-err));
		return err;
	}
	s->kind = kind;
	s->kind_set = true;
	return 0;
}

/* Counts events by type for the stats API, then hands them to the tool. */
static void src_event(void *ctx, const struct ps_event *ev)
{
	struct tap *tap = ctx;
	const struct ps_hdr *h = ev->rec;

	if (ev->rec_len >= sizeof(*h) && h->type < PS_REC_NR)
		tap->by_type[h->type]++;
	tap->fn(tap->ctx, ev);
}

void ps_session_events_by_type(struct ps_session *s, uint64_t out[PS_REC_NR])
{
	memset(out, 0, PS_REC_NR * sizeof(out[0]));
	for (int i = 0; i < s->nsrc; i++)
		for (int t = 0; t < PS_REC_NR; t++)
			out[t] += s->src[i].tap->by_type[t];
}

static int rb_cb(void *ctx, void *data, size_t size)
{
	struct source *src = ctx;

	ps_stream_feed(src->st, data, size);
	return 0;
}

/* Raw perf records: the wakeup watermark is ours (see ps_session_add). */
static enum bpf_perf_event_ret pb_raw(void *ctx, int cpu, struct perf_event_header *e)
{
	struct source *src = ctx;

	if (e->type == PERF_RECORD_SAMPLE) {
		struct {
			struct perf_event_header h;
			__u32 size;
			__u8 data[];
		} *smp = (void *)e;
		/*
		 * The raw data follows a u32 size: 4 bytes off the 8 our records
		 * need (struct ps_hdr has a u64; UBSan under make SAN=1). A sample
		 * is at most 64 KiB (perf's u16 record size), and the stream copies
		 * what it keeps, so one aligned buffer serves every sample.
		 */
		static uint64_t aligned[65536 / sizeof(uint64_t)];
		size_t n = smp->size < sizeof(aligned) ? smp->size : sizeof(aligned);

		memcpy(aligned, smp->data, n);
		ps_stream_feed(src->st, aligned, n);
	} else if (e->type == PERF_RECORD_LOST) {
		struct {
			struct perf_event_header h;
			__u64 id;
			__u64 lost;
		} *l = (void *)e;

		src->perf_lost += l->lost;
	}
	return LIBBPF_PERF_EVENT_CONT;
}

int ps_session_add(struct ps_session *s, struct bpf_object *obj, const size_t rec_len[PS_REC_NR],
		   ps_event_fn fn, void *ctx)
{
	struct source *src;
	int fd, err;

	if (s->nsrc == PS_SOURCES)
		return -E2BIG;
	src = &s->src[s->nsrc];
	memset(src, 0, sizeof(*src));
	src->s = s;
	src->obj = obj;
	src->events = bpf_object__find_map_by_name(obj, "events");
	src->stats = bpf_object__find_map_by_name(obj, "stats");
	if (!src->events) {
		fprintf(stderr, "%s: internal error: the BPF object has no events map\n",
			s->cfg.tool);
		return -ENOENT;
	}
	src->tap = calloc(1, sizeof(*src->tap));
	if (!src->tap)
		return -ENOMEM;
	src->tap->fn = fn;
	src->tap->ctx = ctx;
	src->st = ps_stream_new(rec_len, src_event, src->tap);
	if (!src->st) {
		free(src->tap);
		return -ENOMEM;
	}
	fd = bpf_map__fd(src->events);
	if (s->kind == PS_TRANSPORT_PERF) {
		size_t pages = s->perf_pages;
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

		src->pb = perf_buffer__new_raw(fd, pages, &attr, pb_raw, src, NULL);
		err = src->pb ? 0 : -errno;
	} else if (!s->rb) {
		s->rb = ring_buffer__new(fd, rb_cb, src, NULL);
		err = s->rb ? 0 : -errno;
	} else {
		err = ring_buffer__add(s->rb, fd, rb_cb, src);
	}
	if (err) {
		fprintf(stderr, "%s: cannot open the %s buffer: %s\n", s->cfg.tool,
			ps_transport_name(s->kind), strerror(-err));
		ps_stream_free(src->st);
		src->st = NULL;
		free(src->tap);
		return err;
	}
	s->nsrc++;
	return 0;
}

int ps_session_remove(struct ps_session *s, struct bpf_object *obj)
{
	int i, err = 0;

	for (i = 0; i < s->nsrc && s->src[i].obj != obj; i++)
		;
	if (i == s->nsrc)
		return 0;
	perf_buffer__free(s->src[i].pb);
	ps_stream_free(s->src[i].st);
	free(s->src[i].tap);
	s->src[i] = s->src[--s->nsrc];
	/* a ring buffer cannot drop one ring: rebuild it from the others */
	ring_buffer__free(s->rb);
	s->rb = NULL;
	for (i = 0; i < s->nsrc && s->kind != PS_TRANSPORT_PERF && !err; i++) {
		int fd = bpf_map__fd(s->src[i].events);

		if (!s->rb) {
			s->rb = ring_buffer__new(fd, rb_cb, &s->src[i], NULL);
			err = s->rb ? 0 : -errno;
		} else {
			err = ring_buffer__add(s->rb, fd, rb_cb, &s->src[i]);
		}
	}
	return err;
}

int ps_session_sink(struct ps_session *s, const struct ps_sink *sink)
{
	if (s->nsinks == PS_SINKS)
		return -E2BIG;
	s->sinks[s->nsinks++] = *sink;
	return 0;
}

void ps_session_emit(struct ps_session *s, int kind, const void *view)
{
	for (int i = 0; i < s->nsinks; i++)
		if (s->sinks[i].event)
			s->sinks[i].event(s->sinks[i].ctx, kind, view);
}

void ps_session_count(struct ps_session *s, int counter, uint64_t n)
{
	if (counter >= 0 && counter < PS_C_NR)
		s->counted[counter] += n;
}

void ps_session_stats(struct ps_session *s, uint64_t out[PS_C_NR])
{
	memcpy(out, s->counted, PS_C_NR * sizeof(out[0]));
	/* lines the output could not take (a write error, lib/out.c) */
	out[PS_C_OUTPUT_LOST] += out_unwritten();
	/* lines the writer's queue could not take (user space, not the kernel) */
	out[PS_C_OUTPUT_DROPPED] += out_dropped();
	/* resolved while printing, not by the tool: the module counts them */
	out[PS_C_CGROUP_FAILED] += ps_cgroup_failed();
	for (int i = 0; i < s->nsrc; i++) {
		struct source *src = &s->src[i];
		uint64_t k[PS_C_NR] = {};

		for (int c = 0; c < PS_C_NR; c++) {
			__u32 key = ps_counters[c].kernel_stat;

			if (ps_counters[c].kernel_stat >= 0 && src->stats)
				ps_map_sum_percpu(bpf_map__fd(src->stats), &key, &k[c]);
		}
		/*
		 * A failed bpf_perf_event_output() is counted twice: by ps_emit()
		 * in the stats map and by perf in PERF_RECORD_LOST (late, once
		 * there is room again). Same records: take the larger, never the sum.
		 */
		if (src->perf_lost > k[PS_C_RECORDS_LOST])
			k[PS_C_RECORDS_LOST] = src->perf_lost;
		for (int c = 0; c < PS_C_NR; c++)
			out[c] += k[c];
		out[PS_C_EVENTS] += ps_stream_delivered(src->st);
		out[PS_C_EVENTS_INCOMPLETE] += ps_stream_incomplete(src->st);
		out[PS_C_RECORDS_MALFORMED] += ps_stream_bad(src->st);
		out[PS_C_RECORDS_LATE] += ps_stream_late(src->st);
	}
}

/* @c: the counters just read (ps_session_stats()) */
static void report_lost(struct ps_session *s, const uint64_t c[PS_C_NR])
{
	uint64_t lost, delta;
	struct jw w;

	lost = c[PS_C_RECORDS_LOST];
	if (c[PS_C_OUTPUT_DROPPED] > s->dropped_reported && !s->cfg.json) {
		out_flush();
		out_msg("%s: dropped %llu lines: the output did not keep up (%llu in all)\n",
			s->cfg.tool,
			(unsigned long long)(c[PS_C_OUTPUT_DROPPED] - s->dropped_reported),
			(unsigned long long)c[PS_C_OUTPUT_DROPPED]);
		s->dropped_reported = c[PS_C_OUTPUT_DROPPED];
	}
	if (lost <= s->lost_reported && c[PS_C_OUTPUT_DROPPED] <= s->dropped_reported)
		return;
	delta = lost - s->lost_reported;
	s->lost_reported = lost;
	if (s->cfg.json) {
		jw_begin(&w, "lost");
		jw_u64(&w, "count", delta);
		jw_u64(&w, "total", lost);
		jw_u64(&w, "events_lost", c[PS_C_EVENTS_LOST]);
		/* user space's own losses, apart from the kernel's */
		jw_u64(&w, "output_dropped", c[PS_C_OUTPUT_DROPPED]);
		jw_end(&w);
		s->dropped_reported = c[PS_C_OUTPUT_DROPPED];
		/* past the queue's bound too: it says what the bound dropped */
		out_flush_always();
	} else if (delta) {
		out_flush();
		out_msg("%s: lost %llu records: the buffer was full or no scratch slot was free "
			"(%llu in all)\n",
			s->cfg.tool, (unsigned long long)delta, (unsigned long long)lost);
	}
}

static void summary(struct ps_session *s)
{
	uint64_t c[PS_C_NR];
	char prefix[64];
	bool more = false;
	struct jw w;

	ps_session_stats(s, c);
	if (s->cfg.json && !out_error()) {
		jw_begin(&w, "summary");
		jw_cstr(&w, "tool", s->cfg.tool);
		jw_u64(&w, "events", c[PS_C_EVENTS]);
		jw_u64(&w, "lost", c[PS_C_RECORDS_LOST]);
		jw_obj(&w, "stats");
		for (int i = 0; i < PS_C_NR; i++)
			jw_u64(&w, ps_counters[i].name, c[i]);
		jw_obj_end(&w);
		jw_end(&w);
		out_flush_always();
		out_sync();
		if (!out_error())
			return;
	}
	out_flush();
	out_sync();
	/* that flush may have failed and discarded lines: count them too */
	ps_session_stats(s, c);
	snprintf(prefix, sizeof(prefix), "%s:", s->cfg.tool);
	fprintf(stderr, "%s: %llu events, %llu lost", s->cfg.tool,
		(unsigned long long)c[PS_C_EVENTS], (unsigned long long)c[PS_C_RECORDS_LOST]);
	if (c[PS_C_OUTPUT_DROPPED])
		fprintf(stderr, ", %llu line%s dropped (the output did not keep up)",
			(unsigned long long)c[PS_C_OUTPUT_DROPPED],
			c[PS_C_OUTPUT_DROPPED] == 1 ? "" : "s");
	/* stdout failed (out_flush() said why): what did not reach it */
	if (out_error())
		fprintf(stderr, ", %llu line%s not written",
			(unsigned long long)c[PS_C_OUTPUT_LOST],
			c[PS_C_OUTPUT_LOST] == 1 ? "" : "s");
	fputc('\n', stderr);
	/* the other counters only when they say something, on a line of their own */
	for (int i = PS_C_EVENTS_LOST; i < PS_C_NR; i++) {
		if (!c[i] || i == PS_C_OUTPUT_LOST || i == PS_C_OUTPUT_DROPPED)
			continue;
		fprintf(stderr, "%s %s %llu", more ? "," : prefix, ps_counters[i].name,
			(unsigned long long)c[i]);
		more = true;
	}
	if (more)
		fputc('\n', stderr);
}

static int consume(struct ps_session *s)
{
	int err = 0;

	if (s->rb)
		err = ring_buffer__consume(s->rb);
	for (int i = 0; i < s->nsrc && err >= 0; i++)
		if (s->src[i].pb)
			err = perf_buffer__consume(s->src[i].pb);
	return err < 0 ? err : 0;
}

static void expire(struct ps_session *s, uint64_t now, uint64_t age)
{
	for (int i = 0; i < s->nsrc; i++)
		ps_stream_expire(s->src[i].st, now, age);
}

static int epoll_setup(struct ps_session *s)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		return -errno;
	if (s->rb && epoll_ctl(ep, EPOLL_CTL_ADD, ring_buffer__epoll_fd(s->rb), &ev))
		goto fail;
	for (int i = 0; i < s->nsrc; i++)
		if (s->src[i].pb &&
		    epoll_ctl(ep, EPOLL_CTL_ADD, perf_buffer__epoll_fd(s->src[i].pb), &ev))
			goto fail;
	return ep;
fail:
	close(ep);
	return -errno;
}

/*
 * "boot_id", "hostname": with entity_id, (boot_id, entity_id) names one
 * process life on any machine, so streams of many machines can merge.
 */
static void ready_host(struct jw *w)
{
	char buf[256];
	size_t n = 0;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	if (n)
		jw_str(w, "boot_id", buf, n);
	else
		jw_null(w, "boot_id");
	/* gethostname() may leave it unterminated when it is cut */
	buf[sizeof(buf) - 1] = 0;
	if (gethostname(buf, sizeof(buf) - 1) == 0)
		jw_strn(w, "hostname", buf, sizeof(buf));
	else
		jw_null(w, "hostname");
}

int ps_session_run(struct ps_session *s, const struct ps_session_hooks *h)
{
	static const struct ps_session_hooks none;
	uint64_t last_tick = 0, now, c[PS_C_NR];
	struct epoll_event evs[PS_SOURCES + 2];
	struct jw w;
	int ep, mfd, err = 0;

	if (!h)
		h = &none;
	/* Loading parsed the kernel's BTF (~12 MB, now freed): hand the pages
	 * back, or the heap keeps them and buffer pages stack on top. */
	malloc_trim(0);
	ep = epoll_setup(s);
	if (ep < 0) {
		fprintf(stderr, "%s: epoll: %s\n", s->cfg.tool, strerror(-ep));
		return ep;
	}
	/*
	 * Attached, buffers open: from here on, only what the loop needs
	 * (lib/privs.h). Before any thread starts: capabilities are per thread,
	 * and a thread made earlier would keep root's.
	 */
	err = ps_privs_drop(s->cfg.tool,
			    s->nsrc && s->src[0].stats ? bpf_map__fd(s->src[0].stats) : -1);
	if (err) {
		close(ep);
		return err;
	}
	/* the writer thread (lib/out.c): now, with the reduced privileges */
	err = out_writer_start();
	if (err) {
		fprintf(stderr, "%s: cannot start the writer thread: %s\n", s->cfg.tool,
			strerror(-err));
		close(ep);
		return err;
	}
	/* --metrics: a scrape wakes the loop, which publishes a snapshot */
	mfd = ps_metrics_start(s, s->cfg.tool);
	if (mfd < -1 || (mfd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, mfd,
					       &(struct epoll_event){ .events = EPOLLIN }))) {
		err = mfd < -1 ? mfd : -errno;
		fprintf(stderr, "%s: --metrics: cannot start the server: %s\n", s->cfg.tool,
			strerror(-err));
		ps_metrics_stop();
		close(ep);
		return err;
	}
	if (s->cfg.json) {
		jw_begin(&w, "ready");
		jw_cstr(&w, "tool", s->cfg.tool);
		jw_cstr(&w, "version", PS_VERSION);
		jw_u64(&w, "pid", getpid());
		jw_cstr(&w, "transport", ps_transport_name(s->kind));
		jw_cstr(&w, "clock", ps_clock_name());
		ready_host(&w);
		if (ps_metrics_addr())
			jw_cstr(&w, "metrics", ps_metrics_addr());
		if (h->ready)
			h->ready(h->ctx, &w);
		jw_end(&w);
	} else {
		if (ps_metrics_addr())
			fprintf(stderr, "%s: metrics on http://%s/metrics\n", s->cfg.tool,
				ps_metrics_addr());
		for (int i = 0; i < s->nsinks; i++)
			if (s->sinks[i].header)
				s->sinks[i].header(s->sinks[i].ctx);
	}
	out_flush_always();

	while (!ps_exiting && !out_error()) {
		/* Producers do not wake us per record: wait, then drain what is there. */
		int n = epoll_wait(ep, evs, PS_SOURCES + 2, PS_POLL_MS);

		if (n < 0 && errno != EINTR) {
			err = -errno;
			fprintf(stderr, "%s: waiting for events failed: %s\n", s->cfg.tool,
				strerror(-err));
			break;
		}
		err = consume(s);
		if (err) {
			fprintf(stderr, "%s: reading the buffer failed: %s\n", s->cfg.tool,
				strerror(-err));
			break;
		}
		now = ps_ktime_now();
		if (now - last_tick >= PS_TICK_NS) {
			last_tick = now;
			ps_session_stats(s, c);
			/* a lost record can strand a partial event: deliver it now */
			if (c[PS_C_RECORDS_LOST] > s->lost_reported)
				expire(s, now, PS_STUCK_AFTER_LOSS_NS);
			report_lost(s, c);
			expire(s, now, PS_STUCK_NS);
			if (h->tick)
				h->tick(h->ctx, now);
		}
		ps_metrics_poll(s, now);
		/*
		 * Into a pipe, waiting for half the output buffer could hold
		 * lines for hours (`| grep`): write what this round produced,
		 * one write per round (none when idle).
		 */
		out_flush();
		/* | head -1 with no event to write: notice it now (no summary) */
		if (out_closed())
			_exit(0);
	}

	/* Drain: everything the kernel already buffered is still delivered. */
	consume(s);
	expire(s, 0, 0);
	ps_session_stats(s, c);
	report_lost(s, c);
	if (h->end)
		h->end(h->ctx);
	for (int i = 0; i < s->nsinks; i++)
		if (s->sinks[i].end)
			s->sinks[i].end(s->sinks[i].ctx);
	summary(s);
	ps_metrics_stop();
	close(ep);
	if (!err)
		err = -(out_error() ?: out_msg_error());
	return err;
}
