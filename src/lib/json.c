// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "lib/json.h"
#include "lib/out.h"

/* Deeper than JW_DEPTH is a bug of ours: the extra levels share the last
 * slot, so commas may be off there, but every bracket is still closed. */
static void open_level(struct jw *w, char c)
{
	out_char(c);
	if (w->depth < JW_DEPTH - 1)
		w->depth++;
	w->more[w->depth] = false;
	w->close[w->depth] = c == '{' ? '}' : ']';
}

static void close_level(struct jw *w)
{
	out_char(w->close[w->depth]);
	if (w->depth > 0)
		w->depth--;
}

void jw_begin(struct jw *w, const char *type)
{
	w->depth = -1;
	w->keyed = false;
	open_level(w, '{');
	if (type)
		jw_cstr(w, "type", type);
}

void jw_end(struct jw *w)
{
	/* a caller that forgot to close an array still gets valid JSON */
	while (w->depth > 0)
		close_level(w);
	out_str("}\n");
	w->depth = -1;
}

/* Start a member (or, with name NULL, an element, or the value of jw_key()'s name). */
static void member(struct jw *w, const char *name)
{
	if (w->keyed) {
		w->keyed = false;
		if (!name)
			return;
	}
	if (w->more[w->depth])
		out_char(',');
	w->more[w->depth] = true;
	if (name) {
		out_json_str(name, strlen(name));
		out_char(':');
	}
}

void jw_key(struct jw *w, const char *name)
{
	member(w, name);
	w->keyed = name != NULL;
}

void jw_obj(struct jw *w, const char *name)
{
	member(w, name);
	open_level(w, '{');
}

void jw_obj_end(struct jw *w)
{
	close_level(w);
}

void jw_arr(struct jw *w, const char *name)
{
	member(w, name);
	open_level(w, '[');
}

void jw_arr_end(struct jw *w)
{
	close_level(w);
}

void jw_u64(struct jw *w, const char *name, uint64_t v)
{
	char b[24];

	member(w, name);
	out_bytes(b, snprintf(b, sizeof(b), "%" PRIu64, v));
}

void jw_s64(struct jw *w, const char *name, int64_t v)
{
	char b[24];

	member(w, name);
	out_bytes(b, snprintf(b, sizeof(b), "%" PRId64, v));
}

void jw_bool(struct jw *w, const char *name, bool v)
{
	member(w, name);
	out_str(v ? "true" : "false");
}

void jw_null(struct jw *w, const char *name)
{
	member(w, name);
	out_str("null");
}

void jw_double(struct jw *w, const char *name, double v, int decimals)
{
	char b[64];
	int n;

	member(w, name);
	/* JSON has no NaN or infinity */
	if (!isfinite(v)) {
		out_str("null");
		return;
	}
	n = snprintf(b, sizeof(b), "%.*f", decimals, v);
	out_bytes(b, n > 0 && (size_t)n < sizeof(b) ? (size_t)n : 0);
}

void jw_str(struct jw *w, const char *name, const void *p, size_t n)
{
	member(w, name);
	out_json_str(p, n);
}

void jw_strn(struct jw *w, const char *name, const char *s, size_t max)
{
	jw_str(w, name, s, strnlen(s, max));
}

void jw_cstr(struct jw *w, const char *name, const char *s)
{
	jw_str(w, name, s, strlen(s));
}

void jw_time(struct jw *w, const char *name, uint64_t realtime_ns)
{
	char ts[48];

	fmt_rfc3339(ts, sizeof(ts), realtime_ns);
	jw_cstr(w, name, ts);
}
