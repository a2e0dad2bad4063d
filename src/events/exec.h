/* SPDX-License-Identifier: GPL-2.0 */
/* Decoding of exec events: the only place that knows struct ps_exec's data (printing: print/exec.c). */
#ifndef PROCSNOOP_EXEC_EVENT_H
#define PROCSNOOP_EXEC_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi.h"
#include "lib/transport.h"

/* One failed attempt of a PATH search folded into the record that ended it. */
struct exec_miss {
	const uint8_t *path;
	size_t len;
	int err; /* errno (positive) */
};

struct exec_view {
	const struct ps_exec *e;
	uint32_t argc;	   /* argv entries decoded from the data */
	uint32_t kargc;	   /* argc the kernel reported (0 if unknown) */
	uint32_t args_cut; /* argv bytes not captured */
	uint32_t eflags;
	bool truncated;	 /* argv not complete, for any reason */
	bool incomplete; /* records lost in transit */
	const uint8_t *fname;
	size_t fname_len;
	/* what ran (PS_EXEC_X_* in xflags): paths with no NUL, each NULL when absent */
	uint32_t xflags;
	const uint8_t *exe;
	size_t exe_len;
	bool exe_from_name; /* a #! script: exe made from filename and cwd (no file left) */
	bool exe_memfd;
	const uint8_t *interp;
	size_t interp_len;
	const uint8_t *cwd;
	size_t cwd_len;
	uint64_t exe_dev;   /* st_dev encoding, as stat(2) gives it */
	const uint8_t *anc; /* nanc struct ps_ancestor, unaligned (exec_view_ancestor) */
	uint32_t nanc;
	const uint8_t *args; /* NUL-separated; last may lack its NUL if cut */
	size_t args_len;
	const struct exec_miss *misses; /* PATH misses before this attempt (set by the tool) */
	size_t nmisses;
	/* last: exec_view_init() clears what is above */
	uint8_t exe_buf[2 * PS_XPATH_MAX + 2]; /* exe of a script, made from its name */
};

/* Decode @ev; false if it is malformed. @max_args caps the count (0: no cap). */
bool exec_view_init(struct exec_view *v, const struct ps_event *ev, uint32_t max_args);
/* Iterate args: *pos starts at 0; returns false at the end. */
bool exec_view_next_arg(const struct exec_view *v, size_t *pos, const uint8_t **arg, size_t *len);

/* Ancestor @i (0: the parent), copied out of the record. */
void exec_view_ancestor(const struct exec_view *v, uint32_t i, struct ps_ancestor *a);

/* "ENOENT" for 2, or NULL. */
const char *errno_name(int err);

#endif
