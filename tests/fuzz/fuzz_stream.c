// SPDX-License-Identifier: GPL-2.0
/*
 * Record stream reassembly (ps_stream_feed, src/lib/transport.c): any
 * bytes, any record sizes, any order. The input is a list of records, each
 * a 16-bit length then that many bytes (the length may claim more or less
 * than the record's own header says); a length of 0xffff expires what is
 * pending instead. Every delivered event must lie inside memory we own
 * (ASan checks each byte read) and match the record type's size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "lib/transport.h"

static const size_t rec_len[PS_REC_NR] = {
	[PS_REC_EXEC] = sizeof(struct ps_exec),
	[PS_REC_EXIT] = sizeof(struct ps_exit),
	[PS_REC_PROBE] = sizeof(struct ps_probe),
};

static volatile uint8_t sink;

static void on_event(void *ctx, const struct ps_event *ev)
{
	const struct ps_hdr *h = ev->rec;
	const uint8_t *r = ev->rec;
	uint8_t x = 0;

	if (h->type >= PS_REC_NR || ev->rec_len != rec_len[h->type])
		abort();
	/* a whole event is bounded (argv + path + slack) */
	if (ev->data_len > PS_ARGS_MAX + PS_PATH_MAX + 4096)
		abort();
	for (size_t i = 0; i < ev->rec_len; i++)
		x ^= r[i];
	for (size_t i = 0; i < ev->data_len; i++)
		x ^= ev->data[i];
	if (ev->last)
		x ^= ev->last->hdr.type;
	sink = x;
	(*(uint64_t *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t n = 0, now = 1;
	struct ps_stream *s = ps_stream_new(rec_len, on_event, &n);
	size_t i = 0;

	if (!s)
		return 0;
	while (i + 2 <= size) {
		size_t len = data[i] | (size_t)data[i + 1] << 8;
		uint8_t *rec;

		i += 2;
		if (len == 0xffff) {
			ps_stream_expire(s, now += 1000000000ull, 1);
			continue;
		}
		if (len > size - i)
			len = size - i;
		/* a copy of exactly @len bytes: any read past it is ASan's to see */
		rec = malloc(len ? len : 1);
		if (!rec)
			break;
		memcpy(rec, data + i, len);
		ps_stream_feed(s, rec, len);
		free(rec);
		i += len;
	}
	ps_stream_expire(s, 0, 0);
	if (ps_stream_delivered(s) != n || ps_stream_incomplete(s) > n)
		abort();
	ps_stream_free(s);
	return 0;
}
