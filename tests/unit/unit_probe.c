// SPDX-License-Identifier: GPL-2.0
/* procsnoop probe: SPEC parsing, USDT argument specs, ELF resolution, hit decoding. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sdt.h>
#include "ps_test.h"
#include "tools/probe/elf.h"
#include "events/probe.h"
#include "tools/probe/spec.h"

static char err[1024];

static void test_parse_ok(void)
{
	struct probe_spec s;
	int r;

	r = probe_spec_parse("u:/bin/true:main+0x10:%d:%s", false, &s, err, sizeof(err));
	CHECK("parse_u_ok", r == 0, "rc %d: %s", r, err);
	CHECK("parse_u_kind", s.kind == PS_PROBE_ENTRY, "kind %d", s.kind);
	CHECK_STR("parse_u_binary", s.binary, strlen(s.binary), "/bin/true");
	CHECK_STR("parse_u_func", s.func, strlen(s.func), "main");
	CHECK("parse_u_off", s.func_off == 16, "off %llu", (unsigned long long)s.func_off);
	CHECK("parse_u_fmts", s.nfmt == 2 && s.fmt[0] == PF_D && s.fmt[1] == PF_S, "nfmt %d",
	      s.nfmt);
	CHECK_STR("parse_u_name", s.name, strlen(s.name), "u:/bin/true:main+0x10");
	probe_spec_free(&s);

	r = probe_spec_parse("ur:bash:readline", true, &s, err, sizeof(err));
	CHECK("parse_ur_retstr",
	      r == 0 && s.kind == PS_PROBE_RETURN && s.nfmt == 1 && s.fmt[0] == PF_S,
	      "rc %d nfmt %d", r, s.nfmt);
	probe_spec_free(&s);

	r = probe_spec_parse("ur:bash:readline:%lx", true, &s, err, sizeof(err));
	CHECK("parse_ur_retstr_keeps_explicit", r == 0 && s.fmt[0] == PF_LX, "fmt %d", s.fmt[0]);
	probe_spec_free(&s);

	r = probe_spec_parse("usdt:./demo:demo:order:%d:%s", false, &s, err, sizeof(err));
	CHECK("parse_usdt_ok",
	      r == 0 && s.kind == PS_PROBE_USDT && s.provider && !strcmp(s.provider, "demo") &&
		      !strcmp(s.usdt_name, "order") && s.nfmt == 2,
	      "rc %d: %s", r, err);
	CHECK_STR("parse_usdt_name", s.name, strlen(s.name), "usdt:./demo:demo:order");
	probe_spec_free(&s);

	r = probe_spec_parse("usdt:./demo:order", false, &s, err, sizeof(err));
	CHECK("parse_usdt_no_provider", r == 0 && !s.provider && !strcmp(s.usdt_name, "order"),
	      "rc %d: %s", r, err);
	probe_spec_free(&s);

	r = probe_spec_parse("u:libc:malloc:%p:%u:%x:%lu:%llu:%i", false, &s, err, sizeof(err));
	CHECK("parse_six_fmts",
	      r == 0 && s.nfmt == 6 && s.fmt[0] == PF_LX && s.fmt[1] == PF_U && s.fmt[2] == PF_X &&
		      s.fmt[3] == PF_LU && s.fmt[4] == PF_LU && s.fmt[5] == PF_D,
	      "rc %d: %s", r, err);
	probe_spec_free(&s);
}

static void parse_bad(const char *name, const char *text, const char *want)
{
	struct probe_spec s;
	int r = probe_spec_parse(text, false, &s, err, sizeof(err));

	CHECK(name, r == -EINVAL && strstr(err, want), "'%s': rc %d, err '%s' (want '%s')", text, r,
	      r ? err : "", want);
	if (r == 0)
		probe_spec_free(&s);
}

static void test_parse_bad(void)
{
	parse_bad("bad_kind", "k:/bin/true:main", "unknown probe type 'k'");
	parse_bad("bad_empty_field", "u::main", "empty field 2");
	parse_bad("bad_trailing_colon", "u:/bin/true:main:", "empty field 4");
	parse_bad("bad_no_func", "u:/bin/true", "expected u:BINARY:FUNCTION");
	parse_bad("bad_extra_field", "u:/bin/true:main:extra", "expected u:BINARY:FUNCTION");
	parse_bad("bad_fmt", "u:/bin/true:main:%f", "unknown format '%f'");
	parse_bad("bad_fmt_order", "usdt:/b:p:%d:name", "'name' after the formats");
	parse_bad("bad_too_many", "u:/b:f:%d:%d:%d:%d:%d:%d:%d", "at most 6");
	parse_bad("bad_ur_two", "ur:/b:f:%d:%d", "one format at most");
	parse_bad("bad_ur_offset", "ur:/b:f+4", "+OFFSET is for entry probes");
	parse_bad("bad_offset", "u:/b:f+zz", "bad offset '+zz'");
	parse_bad("bad_offset_neg", "u:/b:f+-1", "bad offset");
	parse_bad("bad_offset_nofunc", "u:/b:+4", "missing FUNCTION");
	parse_bad("bad_usdt_short", "usdt:/b", "expected usdt:BINARY:PROVIDER:NAME");
	parse_bad("bad_usdt_long", "usdt:/b:a:b:c", "expected usdt:BINARY:PROVIDER:NAME");
}

static void test_usdt_args(void)
{
	struct probe_usdt u;

	CHECK("usdt_args_two",
	      probe_usdt_parse_args("-4@%edi 8@%rsi", &u) == 0 && u.nargs == 2 && u.is_signed[0] &&
		      u.size[0] == 4 && !u.is_signed[1] && u.size[1] == 8,
	      "nargs %d", u.nargs);
	CHECK("usdt_args_const", probe_usdt_parse_args("-4@$42", &u) == 0 && u.nargs == 1,
	      "nargs %d", u.nargs);
	CHECK("usdt_args_deref",
	      probe_usdt_parse_args("8@-16(%rbp)  -1@$-1 ", &u) == 0 && u.nargs == 2 &&
		      u.size[1] == 1 && u.is_signed[1],
	      "nargs %d", u.nargs);
	/* arm64 (sys/sdt.h there): a memory operand is [REG, OFFSET], with a space */
	CHECK("usdt_args_arm64",
	      probe_usdt_parse_args("-4@[sp, 12] 8@x1 -8@[x29, -16] 4@[sp]", &u) == 0 &&
		      u.nargs == 4 && u.size[0] == 4 && u.is_signed[0] && u.size[1] == 8 &&
		      !u.is_signed[1] && u.size[2] == 8 && u.size[3] == 4,
	      "nargs %d", u.nargs);
	CHECK("usdt_args_arm64_unclosed", probe_usdt_parse_args("-4@[sp, 12 8@x1", &u) == -EINVAL,
	      "accepted");
	CHECK("usdt_args_none", probe_usdt_parse_args("", &u) == 0 && u.nargs == 0, "nargs %d",
	      u.nargs);
	CHECK("usdt_args_no_operand", probe_usdt_parse_args("4@", &u) == -EINVAL, "accepted");
	CHECK("usdt_args_no_size", probe_usdt_parse_args("x@%rax", &u) == -EINVAL, "accepted");
	CHECK("usdt_args_big", probe_usdt_parse_args("16@%rax", &u) == -EINVAL, "accepted");
	CHECK("usdt_args_13",
	      probe_usdt_parse_args("1@$1 1@$1 1@$1 1@$1 1@$1 1@$1 1@$1 1@$1 "
				    "1@$1 1@$1 1@$1 1@$1 1@$1",
				    &u) == -E2BIG,
	      "accepted 13 args");
}

/* A function and a USDT probe in this very binary, to resolve against. */
__attribute__((noinline, used)) int unit_probe_target(int a, long b)
{
	DTRACE_PROBE2(unit, mark, a, b);
	__asm__ volatile("" ::: "memory");
	return a + (int)b;
}

/* The file offset a uprobe needs, computed independently from /proc/self/maps. */
static int runtime_offset(const void *fn, uint64_t *off)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024];
	uintptr_t a = (uintptr_t)fn;
	int r = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, fo;

		if (sscanf(line, "%llx-%llx %*s %llx", &lo, &hi, &fo) == 3 && a >= lo && a < hi) {
			*off = a - lo + fo;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

static void test_elf_self(void)
{
	char path[4096];
	struct probe_elf pe;
	const struct probe_usdt *u = NULL;
	struct probe_spec s;
	uint64_t off = 0, size = 0, want = 0;
	int r;

	r = probe_find_binary("/proc/self/exe", 0, path, sizeof(path), err, sizeof(err));
	CHECK("elf_find_self", r == 0 && path[0] == '/' && !strstr(path, "/proc/"), "rc %d: %s", r,
	      err);
	r = probe_elf_open(path, &pe, err, sizeof(err));
	CHECK("elf_open_self", r == 0, "rc %d: %s", r, err);
	if (r)
		return;
	r = probe_elf_func_offset(&pe, "unit_probe_target", &off, &size, err, sizeof(err));
	CHECK("elf_func_found", r == 0 && size > 0, "rc %d: %s", r, err);
	CHECK("elf_func_offset_matches_maps",
	      runtime_offset((void *)unit_probe_target, &want) == 0 && off == want,
	      "ELF says 0x%llx, maps say 0x%llx", (unsigned long long)off,
	      (unsigned long long)want);
	r = probe_elf_func_offset(&pe, "no_such_function_xyz", &off, &size, err, sizeof(err));
	CHECK("elf_func_missing",
	      r == -ENOENT && strstr(err, "symbol 'no_such_function_xyz' not found"), "rc %d: %s",
	      r, err);
	CHECK("elf_usdt_found",
	      probe_elf_find_usdt(&pe, "unit", "mark", &u) == 1 && u && u->nargs == 2 &&
		      u->is_signed[0] && u->size[0] == 4,
	      "not found or wrong args");
	CHECK("elf_usdt_by_name", probe_elf_find_usdt(&pe, NULL, "mark", &u) == 1, "not found");
	CHECK("elf_usdt_missing", probe_elf_find_usdt(&pe, "unit", "nope", &u) == 0, "found");

	/* resolution: defaults from the note, string masks */
	r = probe_spec_parse("usdt:x:unit:mark", false, &s, err, sizeof(err)) ||
	    probe_spec_resolve(&s, &pe, err, sizeof(err));
	CHECK("resolve_usdt_defaults",
	      r == 0 && s.nargs == 2 && s.val_fmt[0] == PF_LD && s.str_mask == 0, "rc %d: %s", r,
	      err);
	probe_spec_free(&s);
	r = probe_spec_parse("usdt:x:mark:%d:%s", false, &s, err, sizeof(err)) ||
	    probe_spec_resolve(&s, &pe, err, sizeof(err));
	CHECK("resolve_usdt_fmts", r == 0 && s.str_mask == 2 && !strcmp(s.provider, "unit"),
	      "rc %d: %s", r, err);
	probe_spec_free(&s);
	r = probe_spec_parse("usdt:x:unit:mark:%d:%d:%d", false, &s, err, sizeof(err)) ||
	    probe_spec_resolve(&s, &pe, err, sizeof(err));
	CHECK("resolve_usdt_too_many_fmts", r != 0 && strstr(err, "has 2 arguments, 3 formats"),
	      "rc %d: %s", r, err);
	probe_spec_free(&s);
	r = probe_spec_parse("ur:x:unit_probe_target:%s", false, &s, err, sizeof(err)) ||
	    probe_spec_resolve(&s, &pe, err, sizeof(err));
	CHECK("resolve_ur_str",
	      r == 0 && s.nargs == 0 && s.str_mask == (1u << PS_PROBE_RET) && s.offset == want,
	      "rc %d: %s", r, err);
	probe_spec_free(&s);
	r = probe_spec_parse("u:x:unit_probe_target+1", false, &s, err, sizeof(err)) ||
	    probe_spec_resolve(&s, &pe, err, sizeof(err));
	CHECK("resolve_u_offset", r == 0 && s.offset == want + 1 && s.nargs == 6, "rc %d: %s", r,
	      err);
	probe_spec_free(&s);
	r = probe_spec_parse("u:x:unit_probe_target+100000", false, &s, err, sizeof(err)) ||
	    probe_spec_resolve(&s, &pe, err, sizeof(err));
	CHECK("resolve_u_offset_past_end", r != 0 && strstr(err, "past the end"), "rc %d: %s", r,
	      err);
	probe_spec_free(&s);
	probe_elf_close(&pe);
	(void)unit_probe_target(1, 2);
}

static void test_find_binary(void)
{
	char path[4096];
	int r;

	r = probe_find_binary("libc", 0, path, sizeof(path), err, sizeof(err));
	CHECK("find_libc", r == 0 && strstr(path, "/libc.so"), "rc %d: %s / %s", r, path, err);
	r = probe_find_binary("c", 0, path, sizeof(path), err, sizeof(err));
	CHECK("find_c_is_libc", r == 0 && strstr(path, "/libc.so"), "rc %d: %s", r, path);
	r = probe_find_binary("sh", 0, path, sizeof(path), err, sizeof(err));
	CHECK("find_on_path", r == 0 && path[0] == '/', "rc %d: %s", r, err);
	r = probe_find_binary("no_such_thing_xyz", 0, path, sizeof(path), err, sizeof(err));
	CHECK("find_missing", r == -ENOENT && strstr(err, "'no_such_thing_xyz' not found"),
	      "rc %d: %s", r, err);
	r = probe_find_binary("/etc/passwd", 0, path, sizeof(path), err, sizeof(err));
	CHECK("find_not_elf", r == -ENOEXEC && strstr(err, "not an ELF file"), "rc %d: %s", r, err);
}

/* Records are never trusted: a bad probe index or string length is rejected. */
static void test_view(void)
{
	struct probe_spec specs[1] = { { .kind = PS_PROBE_ENTRY, .str_mask = 1 } };
	struct {
		struct ps_probe e;
		char data[8];
	} rec = {};
	struct ps_event ev = { .rec = &rec.e,
			       .rec_len = sizeof(rec.e),
			       .data = (const uint8_t *)rec.data,
			       .data_len = 5 };
	struct probe_view v;

	memcpy(rec.data, "hello", 5);
	rec.e.nargs = 1;
	rec.e.str_len[0] = 5;
	CHECK("view_ok",
	      probe_view_init(&v, &ev, specs, 1) && v.str_len[0] == 5 &&
		      !memcmp(v.str[0], "hello", 5),
	      "rejected");
	rec.e.str_len[0] = 6;
	CHECK("view_str_past_data", !probe_view_init(&v, &ev, specs, 1), "accepted");
	rec.e.str_len[0] = 5;
	rec.e.probe = 1;
	CHECK("view_bad_probe_index", !probe_view_init(&v, &ev, specs, 1), "accepted");
	rec.e.probe = 0;
	rec.e.nargs = 7;
	CHECK("view_bad_nargs", !probe_view_init(&v, &ev, specs, 1), "accepted");
	rec.e.nargs = 1;
	ev.rec_len = sizeof(rec.e) - 1;
	CHECK("view_short_record", !probe_view_init(&v, &ev, specs, 1), "accepted");
}

int main(void)
{
	test_parse_ok();
	test_parse_bad();
	test_usdt_args();
	test_elf_self();
	test_find_binary();
	test_view();
	return TEST_EXIT();
}
