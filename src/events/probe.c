// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "lib/bpfutil.h"
#include "lib/out.h"
#include "events/probe.h"

bool probe_view_init(struct probe_view *v, const struct ps_event *ev,
		     const struct probe_spec *specs, int nspecs)
{
	const struct ps_probe *e = ev->rec;
	size_t off = 0;

	memset(v, 0, sizeof(*v));
	if (ev->rec_len < sizeof(*e) || e->probe >= (uint32_t)nspecs ||
	    e->nargs > PS_PROBE_NARGS)
		return false;
	v->e = e;
	v->spec = &specs[e->probe];
	v->incomplete = ev->incomplete;
	for (int i = 0; i < PS_PROBE_NVALS; i++) {
		if (!(v->spec->str_mask & (1u << i)))
			continue;
		if (e->str_len[i] > ev->data_len - off)
			return false;
		v->str[i] = ev->data + off;
		v->str_len[i] = e->str_len[i];
		off += e->str_len[i];
	}
	return true;
}

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

/* One value, in its format; strings escaped by the only two encoders. */
static void print_val(const struct probe_view *v, int i, bool json)
{
	uint64_t raw = v->e->vals[i];

	if (val_missing(v, i)) {
		if (json)
			out_str("null");
		else if (i < PS_PROBE_NARGS && (v->e->arg_fault & (1u << i)))
			out_str("(unreadable)");
		else
			out_fmt("(bad address 0x%llx)", (unsigned long long)raw);
		return;
	}
	switch (v->spec->val_fmt[i]) {
	case PF_D: out_fmt("%d", (int32_t)raw); break;
	case PF_U: out_fmt("%u", (uint32_t)raw); break;
	case PF_X: out_fmt(json ? "\"0x%x\"" : "0x%x", (uint32_t)raw); break;
	case PF_LU: out_fmt("%llu", (unsigned long long)raw); break;
	case PF_LX: out_fmt(json ? "\"0x%llx\"" : "0x%llx", (unsigned long long)raw); break;
	case PF_S:
		if (json)
			out_json_str(v->str[i], v->str_len[i]);
		else
			out_term(v->str[i], v->str_len[i], true);
		if (!json && (v->e->str_trunc & (1u << i)))
			out_str("...");
		break;
	default: out_fmt("%lld", (long long)raw); break;
	}
}

static void print_time(uint64_t ktime_ns)
{
	time_t s = ps_ktime_to_realtime(ktime_ns) / 1000000000ull;
	struct tm tm;
	char buf[16];

	localtime_r(&s, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S ", &tm);
	out_str(buf);
}

/* comm is hostile: escape, then pad to the column by what was printed */

void probe_print_header(void)
{
	out_str("TIME     PID     TID     COMM             PROBE VALUES\n");
}

void probe_print_table(const struct probe_view *v)
{
	const struct ps_probe *e = v->e;

	print_time(e->ktime_ns);
	out_fmt("%-7u %-7u ", e->pid, e->tid);
	out_term_col(e->comm, sizeof(e->comm), 16);
	out_char(' ');
	out_term_str(v->spec->name, 4096);
	for (int i = 0; i < e->nargs; i++) {
		out_char(' ');
		print_val(v, i, false);
	}
	if (v->spec->kind == PS_PROBE_RETURN) {
		out_str(" ret=");
		print_val(v, PS_PROBE_RET, false);
	}
	if (v->incomplete)
		out_str(" (incomplete)");
	out_char('\n');
}

static void print_flag_list(const char *key, uint32_t bits)
{
	bool first = true;

	if (!bits)
		return;
	out_fmt(",\"%s\":[", key);
	for (int i = 0; i < PS_PROBE_NVALS; i++) {
		if (!(bits & (1u << i)))
			continue;
		out_fmt("%s\"%s\"", first ? "" : ",", val_names[i]);
		first = false;
	}
	out_char(']');
}

static void print_json_head(const char *type, const struct ps_probe *e)
{
	char ts[48];

	fmt_rfc3339(ts, sizeof(ts), ps_ktime_to_realtime(e->ktime_ns));
	out_fmt("{\"type\":\"%s\",\"time\":\"%s\",\"ktime_ns\":%llu", type, ts,
		(unsigned long long)e->ktime_ns);
}

void probe_print_json(const struct probe_view *v)
{
	const struct ps_probe *e = v->e;
	uint32_t faults = 0;

	print_json_head("probe", e);
	out_str(",\"probe\":");
	out_json_cstr(v->spec->name, 4096);
	out_fmt(",\"pid\":%u,\"tid\":%u,\"uid\":%u,\"comm\":", e->pid, e->tid, e->uid);
	out_json_cstr(e->comm, sizeof(e->comm));
	out_str(",\"args\":[");
	for (int i = 0; i < e->nargs; i++) {
		if (i)
			out_char(',');
		print_val(v, i, true);
	}
	out_str("],\"ret\":");
	if (v->spec->kind == PS_PROBE_RETURN)
		print_val(v, PS_PROBE_RET, true);
	else
		out_str("null");
	for (int i = 0; i < PS_PROBE_NVALS; i++)
		if (val_missing(v, i))
			faults |= 1u << i;
	print_flag_list("truncated", e->str_trunc & v->spec->str_mask);
	print_flag_list("unreadable", faults);
	if (v->incomplete)
		out_str(",\"incomplete\":true");
	out_str("}\n");
}

void bashline_print_header(void)
{
	out_str("TIME     PID     UID    COMMAND\n");
}

void bashline_print_table(const struct probe_view *v)
{
	const struct ps_probe *e = v->e;

	print_time(e->ktime_ns);
	out_fmt("%-7u %-6u ", e->pid, e->uid);
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

	print_json_head("bashreadline", e);
	out_fmt(",\"pid\":%u,\"tid\":%u,\"uid\":%u,\"comm\":", e->pid, e->tid, e->uid);
	out_json_cstr(e->comm, sizeof(e->comm));
	out_str(",\"line\":");
	if (val_missing(v, PS_PROBE_RET))
		out_str("null");
	else
		out_json_str(v->str[PS_PROBE_RET], v->str_len[PS_PROBE_RET]);
	out_fmt(",\"truncated\":%s}\n", (e->str_trunc & (1u << PS_PROBE_RET)) ? "true" : "false");
}

void count_print_header(bool per_pid)
{
	out_str(per_pid ? "TIME     COUNT      PID     PROBE\n" : "TIME     COUNT      PROBE\n");
}

void count_print(const char *probe, long pid, uint64_t count, uint64_t realtime_ns,
		 uint64_t interval_ns, bool json)
{
	if (json) {
		char ts[48];

		fmt_rfc3339(ts, sizeof(ts), realtime_ns);
		out_fmt("{\"type\":\"count\",\"time\":\"%s\",\"interval_ns\":%llu,\"probe\":", ts,
			(unsigned long long)interval_ns);
		out_json_cstr(probe, 4096);
		if (pid >= 0)
			out_fmt(",\"pid\":%ld", pid);
		out_fmt(",\"count\":%llu}\n", (unsigned long long)count);
		return;
	}
	time_t s = realtime_ns / 1000000000ull;
	struct tm tm;
	char buf[16];

	localtime_r(&s, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S ", &tm);
	out_str(buf);
	out_fmt("%-10llu ", (unsigned long long)count);
	if (pid >= 0)
		out_fmt("%-7ld ", pid);
	out_term_str(probe, 4096);
	out_char('\n');
}

void count_print_total(const char *probe, uint64_t count, bool json)
{
	if (json) {
		out_str("{\"type\":\"count_total\",\"probe\":");
		out_json_cstr(probe, 4096);
		out_fmt(",\"count\":%llu}\n", (unsigned long long)count);
		return;
	}
	out_fmt("total    %-10llu ", (unsigned long long)count);
	out_term_str(probe, 4096);
	out_char('\n');
}

void count_print_missed(uint64_t missed, bool json)
{
	if (json) {
		out_fmt("{\"type\":\"count_missed\",\"count\":%llu}\n", (unsigned long long)missed);
		return;
	}
	out_flush();
	fprintf(stderr, "probe: %llu hits were not counted: too many distinct processes for "
		"the count table\n", (unsigned long long)missed);
}
