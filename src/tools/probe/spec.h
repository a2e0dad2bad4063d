/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procsnoop probe SPECs:
 *
 *   u:BINARY:FUNCTION[+OFFSET][:FMT...]     function entry, arguments
 *   ur:BINARY:FUNCTION[:FMT]                function return, return value
 *   usdt:BINARY:[PROVIDER:]NAME[:FMT...]    USDT probe, its own arguments
 *
 * FMT is one of %d %u %x (32 bits), %ld %lu %lx (64 bits), %p, %s (a
 * string read from the process's memory); one per argument, in order.
 * Parsing is pure (no file access), resolution against the ELF file is
 * separate, so both can be tested on their own.
 */
#ifndef PROCSNOOP_PROBE_SPEC_H
#define PROCSNOOP_PROBE_SPEC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi.h"

enum probe_fmt {
	PF_LD = 0, /* default: signed 64-bit */
	PF_D,	   /* int */
	PF_U,	   /* unsigned int */
	PF_X,	   /* unsigned int, hex */
	PF_LU,
	PF_LX,
	PF_S, /* char *, read as a string */
};

struct probe_spec {
	char *text;	   /* the SPEC as typed */
	char *name;	   /* the SPEC without its formats: how hits name the probe */
	int kind;	   /* enum ps_probe_kind */
	char *binary;	   /* as typed */
	char *func;	   /* u/ur: symbol or 0xADDR */
	uint64_t func_off; /* u/ur: +OFFSET */
	char *provider;	   /* usdt: NULL when not given */
	char *usdt_name;
	int nfmt;		     /* formats given */
	uint8_t fmt[PS_PROBE_NARGS]; /* as given (ur: fmt[0] is the return value's) */

	/* resolved (probe_spec_resolve) */
	char path[PATH_MAX];
	uint64_t offset;		 /* u/ur: file offset of FUNCTION+OFFSET */
	int nargs;			 /* arguments fetched */
	uint8_t val_fmt[PS_PROBE_NVALS]; /* each value's effective format */
	uint32_t str_mask;		 /* values read as strings */
};

/* Parse one SPEC (and apply --ret-str to a ur: spec without a format). 0, or -EINVAL with @err. */
int probe_spec_parse(const char *text, bool ret_str, struct probe_spec *s, char *err,
		     size_t errlen);
void probe_spec_free(struct probe_spec *s);

/* "%d" -> PF_D; -1 if not a format. */
int probe_fmt_parse(const char *s);
const char *probe_fmt_name(int fmt);

struct probe_elf;
/*
 * Resolve against the binary's ELF (already found and opened): the
 * function's file offset, or the USDT probe and its argument count and
 * signedness. 0, or -errno with @err (naming the symbol or probe).
 */
int probe_spec_resolve(struct probe_spec *s, const struct probe_elf *pe, char *err, size_t errlen);

#endif
