// SPDX-License-Identifier: GPL-2.0
/* Reassembly of multi-record events (ps_stream_feed in src/lib/transport.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "lib/transport.h"
#include "ps_test.h"

/* What the callback saw, copied (the event's memory is not ours to keep). */
struct got {
	int n;
	uint64_t id;
	uint8_t data[1 << 16];
	size_t data_len;
	bool incomplete, has_last;
	struct ps_chunk last;
	uint32_t pid;
};

static struct got got;

static void on_event(void *ctx, const struct ps_event *ev)
{
	const struct ps_exec *e = ev->rec;

	got.n++;
	got.id = e->hdr.id;
	got.pid = e->id.pid;
	got.data_len = ev->data_len;
	if (ev->data_len <= sizeof(got.data))
		memcpy(got.data, ev->data, ev->data_len);
	got.incomplete = ev->incomplete;
	got.has_last = ev->last != NULL;
	if (ev->last)
		got.last = *ev->last;
	if (ev->rec_len != sizeof(struct ps_exec))
		got.n += 1000; /* makes every count check fail */
}

static const size_t rec_len[8] = { [PS_REC_EXEC] = sizeof(struct ps_exec) };
static uint8_t rec[PS_CHUNK + 256];

/* A first record: struct ps_exec then @n bytes of data. */
static size_t first(uint64_t id, uint16_t flags, const char *data, size_t n)
{
	struct ps_exec *e = (void *)rec;

	memset(rec, 0, sizeof(struct ps_exec));
	e->hdr.type = PS_REC_EXEC;
	e->hdr.flags = flags;
	e->hdr.size = sizeof(*e) + n;
	e->hdr.id = id;
	e->id.pid = (uint32_t)id;
	memcpy(e->data, data, n);
	return e->hdr.size;
}

static size_t chunk(uint64_t id, uint16_t flags, uint32_t offset, const char *data, size_t n)
{
	struct ps_chunk *c = (void *)rec;

	memset(rec, 0, sizeof(*c));
	c->hdr.type = PS_REC_CHUNK;
	c->hdr.flags = flags;
	c->hdr.size = sizeof(*c) + n;
	c->hdr.id = id;
	c->offset = offset;
	c->len = n;
	c->argc = 7;
	c->args_len = 99;
	c->args_cut = 5;
	c->eflags = PS_EXEC_ARGS_TRUNC;
	memcpy(c->data, data, n);
	return c->hdr.size;
}

static bool data_is(const char *want, size_t n)
{
	return got.data_len == n && !memcmp(got.data, want, n);
}

#define F PS_F_FIRST
#define L PS_F_LAST

int main(void)
{
	struct ps_stream *s = ps_stream_new(rec_len, on_event, NULL);
	size_t n;

	/* one record, the whole event */
	memset(&got, 0, sizeof(got));
	n = first(1, F | L, "abc\0def", 7);
	ps_stream_feed(s, rec, n);
	CHECK("single_record",
	      got.n == 1 && data_is("abc\0def", 7) && !got.incomplete && !got.has_last &&
		      got.pid == 1,
	      "n %d len %zu inc %d", got.n, got.data_len, got.incomplete);

	/* perf pads samples: the record's own size wins */
	memset(&got, 0, sizeof(got));
	n = first(2, F | L, "xy", 2);
	ps_stream_feed(s, rec, n + 6);
	CHECK("single_record_padded", got.n == 1 && data_is("xy", 2), "n %d len %zu", got.n,
	      got.data_len);

	/* first + middle + last chunk */
	memset(&got, 0, sizeof(got));
	ps_stream_feed(s, rec, first(3, F, "AAAA", 4));
	CHECK("multi_not_yet", got.n == 0, "delivered before its last chunk");
	ps_stream_feed(s, rec, chunk(3, 0, 4, "BBB", 3));
	ps_stream_feed(s, rec, chunk(3, L, 7, "CC", 2));
	CHECK("multi_chunk",
	      got.n == 1 && data_is("AAAABBBCC", 9) && !got.incomplete && got.has_last &&
		      got.last.args_cut == 5 && got.last.argc == 7 &&
		      got.last.eflags == PS_EXEC_ARGS_TRUNC,
	      "n %d len %zu inc %d last %d", got.n, got.data_len, got.incomplete, got.has_last);

	/* two events interleaved (two CPUs) */
	memset(&got, 0, sizeof(got));
	ps_stream_feed(s, rec, first(10, F, "1111", 4));
	ps_stream_feed(s, rec, first(11, F, "2222", 4));
	ps_stream_feed(s, rec, chunk(10, 0, 4, "11", 2));
	ps_stream_feed(s, rec, chunk(11, L, 4, "22", 2));
	CHECK("interleaved_second", got.n == 1 && got.id == 11 && data_is("222222", 6),
	      "n %d id %llu len %zu", got.n, (unsigned long long)got.id, got.data_len);
	ps_stream_feed(s, rec, chunk(10, L, 6, "1", 1));
	CHECK("interleaved_first",
	      got.n == 2 && got.id == 10 && data_is("1111111", 7) && !got.incomplete,
	      "n %d id %llu len %zu", got.n, (unsigned long long)got.id, got.data_len);

	/* a middle chunk lost: the event is delivered, flagged incomplete */
	memset(&got, 0, sizeof(got));
	ps_stream_feed(s, rec, first(20, F, "AAAA", 4));
	/* chunk at offset 4 lost */
	ps_stream_feed(s, rec, chunk(20, 0, 8, "CCCC", 4));
	ps_stream_feed(s, rec, chunk(20, L, 12, "DD", 2));
	CHECK("lost_middle_incomplete",
	      got.n == 1 && got.incomplete && got.data_len == 4 && data_is("AAAA", 4),
	      "n %d inc %d len %zu", got.n, got.incomplete, got.data_len);

	/* the last chunk lost: expiry delivers it, incomplete */
	memset(&got, 0, sizeof(got));
	ps_stream_feed(s, rec, first(30, F, "AAAA", 4));
	ps_stream_feed(s, rec, chunk(30, 0, 4, "BB", 2));
	ps_stream_expire(s, 0, 0);
	CHECK("lost_last_expired",
	      got.n == 1 && got.incomplete && data_is("AAAABB", 6) && !got.has_last,
	      "n %d inc %d len %zu", got.n, got.incomplete, got.data_len);

	/*
	 * Chunks without a pending first record: the kernel stops an event at its
	 * first lost record, so this is never a kernel loss. Dropped, not counted
	 * malformed, but counted late: data that came and was discarded.
	 */
	memset(&got, 0, sizeof(got));
	uint64_t bad0 = ps_stream_bad(s), late0 = ps_stream_late(s);
	ps_stream_feed(s, rec, chunk(40, 0, 4, "BB", 2));
	ps_stream_feed(s, rec, chunk(40, L, 6, "CC", 2));
	ps_stream_expire(s, 0, 0);
	CHECK("lost_first_dropped",
	      got.n == 0 && ps_stream_bad(s) == bad0 && ps_stream_late(s) - late0 == 2,
	      "n %d bad %llu late %llu", got.n, (unsigned long long)ps_stream_bad(s),
	      (unsigned long long)(ps_stream_late(s) - late0));

	/* an event expired while its producer was still writing (a stalled task):
	 * delivered once, incomplete; the chunks that come after are counted */
	memset(&got, 0, sizeof(got));
	late0 = ps_stream_late(s);
	ps_stream_feed(s, rec, first(41, F, "AAAA", 4));
	ps_stream_expire(s, 0, 0);
	ps_stream_feed(s, rec, chunk(41, 0, 4, "BB", 2));
	ps_stream_feed(s, rec, chunk(41, L, 6, "CC", 2));
	ps_stream_expire(s, 0, 0);
	CHECK("expired_then_late_counted",
	      got.n == 1 && got.incomplete && data_is("AAAA", 4) && ps_stream_late(s) - late0 == 2,
	      "n %d inc %d late %llu", got.n, got.incomplete,
	      (unsigned long long)(ps_stream_late(s) - late0));

	/* malformed records: counted, never delivered, never read past */
	memset(&got, 0, sizeof(got));
	bad0 = ps_stream_bad(s);
	n = first(50, F | L, "abc", 3);
	ps_stream_feed(s, rec, 8);	  /* shorter than a header */
	ps_stream_feed(s, rec, n - 1);	  /* hdr.size > what came */
	((struct ps_hdr *)rec)->size = 8; /* hdr.size < header */
	ps_stream_feed(s, rec, n);
	n = first(51, F | L, "abc", 3);
	((struct ps_hdr *)rec)->size = sizeof(struct ps_exec) - 1; /* < its struct */
	ps_stream_feed(s, rec, n);
	n = first(52, F | L, "abc", 3);
	((struct ps_hdr *)rec)->type = 7; /* no such type */
	ps_stream_feed(s, rec, n);
	((struct ps_hdr *)rec)->type = 200;
	ps_stream_feed(s, rec, n);
	ps_stream_feed(s, rec, first(53, F, "AAAA", 4));
	n = chunk(53, L, 4, "BB", 2);
	((struct ps_chunk *)rec)->len = 3; /* len > data in the record */
	ps_stream_feed(s, rec, n);
	n = chunk(53, L, 4, "BB", 2);
	((struct ps_hdr *)rec)->size = sizeof(struct ps_chunk) - 1; /* < chunk struct */
	ps_stream_feed(s, rec, n);
	CHECK("malformed_counted", ps_stream_bad(s) - bad0 == 8 && got.n == 0,
	      "bad %llu (want 8), delivered %d", (unsigned long long)(ps_stream_bad(s) - bad0),
	      got.n);
	ps_stream_expire(s, 0, 0);
	CHECK("malformed_pending_flushed", got.n == 1 && got.incomplete && data_is("AAAA", 4),
	      "n %d inc %d len %zu", got.n, got.incomplete, got.data_len);

	/* more events in flight than the table holds: the oldest goes out, incomplete */
	memset(&got, 0, sizeof(got));
	for (uint64_t id = 1000; id < 1000 + 257; id++)
		ps_stream_feed(s, rec, first(id, F, "P", 1));
	CHECK("pending_overflow", got.n == 1 && got.incomplete && got.id == 1000,
	      "n %d inc %d id %llu", got.n, got.incomplete, (unsigned long long)got.id);
	ps_stream_expire(s, 0, 0);
	CHECK("pending_all_expired", got.n == 257, "n %d", got.n);

	/* bigger than any event may be (4 MiB + slack): cut and flagged, not grown forever */
	memset(&got, 0, sizeof(got));
	static char big[PS_CHUNK];
	uint32_t off = 0;

	memset(big, 'z', sizeof(big));
	ps_stream_feed(s, rec, first(60, F, big, 16));
	off = 16;
	for (int i = 0; i < 300; i++, off += sizeof(big))
		ps_stream_feed(s, rec, chunk(60, i == 299 ? L : 0, off, big, sizeof(big)));
	CHECK("oversized_incomplete",
	      got.n == 1 && got.incomplete && got.data_len <= PS_ARGS_MAX + PS_PATH_MAX + 4096,
	      "n %d inc %d len %zu", got.n, got.incomplete, got.data_len);

	ps_stream_free(s);
	return TEST_EXIT();
}
