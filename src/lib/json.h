/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The JSON writer: every JSON line every tool prints (ready, events,
 * lost, summary, counts) is built with these, into the output buffer
 * (lib/out.h). It tracks nesting and commas, so a caller only names
 * members; strings from traced processes go through out_json_str(),
 * the one JSON encoder of hostile bytes.
 *
 *	struct jw w;
 *
 *	jw_begin(&w, "exec");		// {"type":"exec"
 *	jw_u64(&w, "pid", pid);		// ,"pid":42
 *	jw_arr(&w, "args");		// ,"args":[
 *	jw_str(&w, NULL, a, len);	// "..."  (NULL name: array element)
 *	jw_arr_end(&w);			// ]
 *	jw_end(&w);			// }\n
 */
#ifndef PROCSNOOP_JSON_H
#define PROCSNOOP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_DEPTH 8

struct jw {
	int depth;
	bool more[JW_DEPTH];  /* a member was written at this level: next needs a comma */
	char close[JW_DEPTH]; /* what ends this level: '}' or ']' */
	bool keyed;	      /* jw_key() wrote a name: the next value (name NULL) is its value */
};

/* {"type":TYPE  (TYPE may be NULL: a bare object) */
void jw_begin(struct jw *w, const char *type);
/* }\n : closes everything still open, ends the line */
void jw_end(struct jw *w);

/* "name": with a comma first when needed; the next call with a NULL name
 * writes its value (e.g. jw_key(w, "ret"); jw_u64(w, NULL, v);) */
void jw_key(struct jw *w, const char *name);
void jw_obj(struct jw *w, const char *name);
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w, const char *name);
void jw_arr_end(struct jw *w);

void jw_u64(struct jw *w, const char *name, uint64_t v);
void jw_s64(struct jw *w, const char *name, int64_t v);
void jw_bool(struct jw *w, const char *name, bool v);
void jw_null(struct jw *w, const char *name);
/* A number with @decimals digits after the point (e.g. a percentage). */
void jw_double(struct jw *w, const char *name, double v, int decimals);
/* Bytes (hostile: encoded, invalid UTF-8 as \udcNN). */
void jw_str(struct jw *w, const char *name, const void *p, size_t n);
/* A NUL-terminated string of at most @max bytes (hostile). */
void jw_strn(struct jw *w, const char *name, const char *s, size_t max);
/* A string of ours (a name, a version): encoded all the same. */
void jw_cstr(struct jw *w, const char *name, const char *s);
/* RFC 3339 UTC with nanoseconds, from a wall-clock time in ns. */
void jw_time(struct jw *w, const char *name, uint64_t realtime_ns);

#endif
