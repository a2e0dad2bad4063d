// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "lib/bpfutil.h"
#include "lib/json.h"
#include "lib/out.h"
#include "print/ident.h"
#include "print/probe.h"

static const char *const val_names[PS_PROBE_NVALS] = {
	"arg0", "arg1", "arg2", "arg3", "arg4", "arg5", "ret",
};

static bool val_missing(const struct probe_view *v, int i)
{
	const struct ps_probe *e = v->e;

	if (i < PS_PROBE_NARGS && (e->arg_fault & (1u << i)))
		return true;
	return (v->spec->str_mask & (1u << i)) && (e->str_fault & (1u << i));
}

/* One value, in its format, as a table cell; strings escaped. */
static void table_val(const struct probe_view *v, int i)
{
	uint64_t raw = v->e->vals[i];

	if (val_missing(v, i)) {
		if (i < PS_PROBE_NARGS && (v->e->arg_fault & (1u << i)))
			out_str("(unreadable)");
		else
			out_fmt("(bad address 0x%llx)", (unsigned long long)raw);
		return;
	}
	switch (v->spec->val_fmt[i]) {
	case PF_D:
		out_fmt("%d", (int32_t)raw);
		break;
	case PF_U:
		out_fmt("%u", (uint32_t)raw);
		break;
	case PF_X:
		out_fmt("0x%x", (uint32_t)raw);
		break;
	case PF_LU:
		out_fmt("%llu", (unsigned long long)raw);
		break;
	case PF_LX:
		out_fmt("0x%llx", (unsigned long long)raw);
		break;
	case PF_S:
		out_term(v->str[i], v->str_len[i], true);
		if (v->e->str_trunc & (1u << i))
			out_str("...");
		break;
	default:
		out_fmt("%lld", (long long)raw);
		break;
	}
}

/* The same value as a JSON array element: numbers, hex as strings, null if missing. */
static void json_val(struct jw *w, const struct probe_view *v, int i)
{
	uint64_t raw = v->e->vals[i];
	char hex[24];

	if (val_missing(v, i)) {
		jw_null(w, NULL);
		return;
	}
	switch (v->spec->val_fmt[i]) {
	case PF_D:
		jw_s64(w, NULL, (int32_t)raw);
		break;
	case PF_U:
		jw_u64(w, NULL, (uint32_t)raw);
		break;
	case PF_X:
		snprintf(hex, sizeof(hex), "0x%x", (uint32_t)raw);
		jw_cstr(w, NULL, hex);
		break;
	case PF_LU:
		jw_u64(w, NULL, raw);
		break;
	case PF_LX:
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)raw);
		jw_cstr(w, NULL, hex);
		break;
	case PF_S:
		jw_str(w, NULL, v->str[i], v->str_len[i]);
		break;
	default:
		jw_s64(w, NULL, (int64_t)raw);
		break;
	}
}

void probe_print_header(void)
{
	out_str("TIME     PID     TID     COMM             PROBE VALUES\n");
}

void probe_print_table(const struct probe_view *v)
{
	const struct ps_probe *e = v->e;

	ps_ident_col_time(&e->id);
	out_fmt("%-7u %-7u ", e->id.pid, e->id.tid);
	ps_col_comm(e->id.comm);
	out_char(' ');
	out_term_str(v->spec->name, PS_PATH_MAX);
	for (int i = 0; i < e->nargs; i++) {
		out_char(' ');
		table_val(v, i);
	}
	if (v->spec->kind == PS_PROBE_RETURN) {
		out_str(" ret=");
		table_val(v, PS_PROBE_RET);
	}
	if (v->incomplete)
		out_str(" (incomplete)");
	out_char('\n');
}

static void json_flag_list(struct jw *w, const char *key, uint32_t bits)
{
	if (!bits)
		return;
	jw_arr(w, key);
	for (int i = 0; i < PS_PROBE_NVALS; i++)
		if (bits & (1u << i))
			jw_cstr(w, NULL, val_names[i]);
	jw_arr_end(w);
}

void probe_print_json(const struct probe_view *v)
{
	const struct ps_probe *e = v->e;
	uint32_t faults = 0;
	struct jw w;

	jw_begin(&w, "probe");
	ps_ident_json(&w, &e->id);
	jw_cstr(&w, "probe", v->spec->name);
	jw_arr(&w, "args");
	for (int i = 0; i < e->nargs; i++)
		json_val(&w, v, i);
	jw_arr_end(&w);
	if (v->spec->kind == PS_PROBE_RETURN) {
		jw_key(&w, "ret");
		json_val(&w, v, PS_PROBE_RET);
	} else {
		jw_null(&w, "ret");
	}
	for (int i = 0; i < PS_PROBE_NVALS; i++)
		if (val_missing(v, i))
			faults |= 1u << i;
	json_flag_list(&w, "truncated", e->str_trunc & v->spec->str_mask);
	json_flag_list(&w, "unreadable", faults);
	if (v->incomplete)
		jw_bool(&w, "incomplete", true);
	jw_end(&w);
}

void bashline_print_header(void)
{
	out_str("TIME     PID     UID    COMMAND\n");
}

void bashline_print_table(const struct probe_view *v)
{
	const struct ps_probe *e = v->e;

	ps_ident_col_time(&e->id);
	out_fmt("%-7u %-6u ", e->id.pid, e->id.uid);
	if (val_missing(v, PS_PROBE_RET))
		out_str("(unreadable)");
	else
		out_term(v->str[PS_PROBE_RET], v->str_len[PS_PROBE_RET], false);
	if (e->str_trunc & (1u << PS_PROBE_RET))
		out_str(" ...");
	out_char('\n');
}

void bashline_print_json(const struct probe_view *v)
{
	const struct ps_probe *e = v->e;
	struct jw w;

	jw_begin(&w, "bashreadline");
	ps_ident_json(&w, &e->id);
	if (val_missing(v, PS_PROBE_RET))
		jw_null(&w, "line");
	else
		jw_str(&w, "line", v->str[PS_PROBE_RET], v->str_len[PS_PROBE_RET]);
	jw_bool(&w, "truncated", e->str_trunc & (1u << PS_PROBE_RET));
	jw_end(&w);
}

void count_print_header(bool per_pid)
{
	out_str(per_pid ? "TIME     COUNT      PID     PROBE\n" : "TIME     COUNT      PROBE\n");
}

void count_print(const char *probe, long pid, uint64_t count, uint64_t realtime_ns,
		 uint64_t interval_ns, bool json)
{
	char buf[16];

	if (json) {
		struct jw w;

		jw_begin(&w, "count");
		jw_time(&w, "time", realtime_ns);
		jw_u64(&w, "interval_ns", interval_ns);
		jw_cstr(&w, "probe", probe);
		if (pid >= 0)
			jw_s64(&w, "pid", pid);
		jw_u64(&w, "count", count);
		jw_end(&w);
		return;
	}
	fmt_hms(buf, sizeof(buf), realtime_ns);
	out_fmt("%s %-10llu ", buf, (unsigned long long)count);
	if (pid >= 0)
		out_fmt("%-7ld ", pid);
	out_term_str(probe, PS_PATH_MAX);
	out_char('\n');
}

void count_print_total(const char *probe, uint64_t count, bool json)
{
	if (json) {
		struct jw w;

		jw_begin(&w, "count_total");
		jw_cstr(&w, "probe", probe);
		jw_u64(&w, "count", count);
		jw_end(&w);
		return;
	}
	out_fmt("total    %-10llu ", (unsigned long long)count);
	out_term_str(probe, PS_PATH_MAX);
	out_char('\n');
}

void count_print_missed(uint64_t missed, bool json)
{
	if (json) {
		struct jw w;

		jw_begin(&w, "count_missed");
		jw_u64(&w, "count", missed);
		jw_end(&w);
		return;
	}
	out_flush();
	fprintf(stderr,
		"probe: %llu hits were not counted: too many distinct processes for "
		"the count table\n",
		(unsigned long long)missed);
}

void probe_list_print(const char *path, const struct probe_elf *pe, bool json)
{
	struct jw w;

	if (json) {
		for (size_t i = 0; i < pe->nusdts; i++) {
			const struct probe_usdt *u = &pe->usdts[i];
			char addr[24];

			snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)u->pc);
			jw_begin(&w, "usdt");
			jw_cstr(&w, "binary", path);
			jw_cstr(&w, "provider", u->provider);
			jw_cstr(&w, "name", u->name);
			jw_s64(&w, "nargs", u->nargs);
			jw_cstr(&w, "args", u->args);
			jw_cstr(&w, "address", addr);
			jw_end(&w);
		}
		for (size_t i = 0; i < pe->nfuncs; i++) {
			char addr[24];

			snprintf(addr, sizeof(addr), "0x%llx",
				 (unsigned long long)pe->funcs[i].addr);
			jw_begin(&w, "function");
			jw_cstr(&w, "binary", path);
			jw_cstr(&w, "name", pe->funcs[i].name);
			jw_cstr(&w, "address", addr);
			jw_u64(&w, "size", pe->funcs[i].size);
			jw_end(&w);
			out_maybe_flush();
		}
		return;
	}
	out_fmt("%zu USDT probe site%s in ", pe->nusdts, pe->nusdts == 1 ? "" : "s");
	out_term_str(path, PS_PATH_MAX);
	out_str(":\n");
	for (size_t i = 0; i < pe->nusdts; i++) {
		const struct probe_usdt *u = &pe->usdts[i];

		out_str("  usdt:");
		out_term_str(path, PS_PATH_MAX);
		out_char(':');
		out_term(u->provider, strlen(u->provider), false);
		out_char(':');
		out_term(u->name, strlen(u->name), false);
		out_fmt("  (%d arg%s: ", u->nargs, u->nargs == 1 ? "" : "s");
		out_term(u->args, strlen(u->args), false);
		out_str(")\n");
	}
	out_fmt("%zu function%s:\n", pe->nfuncs, pe->nfuncs == 1 ? "" : "s");
	for (size_t i = 0; i < pe->nfuncs; i++) {
		out_str("  u:");
		out_term_str(path, PS_PATH_MAX);
		out_char(':');
		out_term(pe->funcs[i].name, strlen(pe->funcs[i].name), false);
		out_char('\n');
		out_maybe_flush();
	}
}
