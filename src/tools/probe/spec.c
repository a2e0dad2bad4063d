// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tools/probe/elf.h"
#include "tools/probe/spec.h"

static const struct {
	const char *s;
	int fmt;
} fmts[] = {
	{ "%d", PF_D },	  { "%i", PF_D },    { "%u", PF_U },   { "%x", PF_X },
	{ "%ld", PF_LD }, { "%lld", PF_LD }, { "%lu", PF_LU }, { "%llu", PF_LU },
	{ "%lx", PF_LX }, { "%llx", PF_LX }, { "%p", PF_LX },  { "%s", PF_S },
};

int probe_fmt_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (!strcmp(s, fmts[i].s))
			return fmts[i].fmt;
	return -1;
}

const char *probe_fmt_name(int fmt)
{
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (fmts[i].fmt == fmt)
			return fmts[i].s;
	return "?";
}

void probe_spec_free(struct probe_spec *s)
{
	free(s->text);
	free(s->name);
	free(s->binary);
	free(s->func);
	free(s->provider);
	free(s->usdt_name);
	memset(s, 0, sizeof(*s));
}

#define MAX_FIELDS (4 + PS_PROBE_NARGS + 1)

int probe_spec_parse(const char *text, bool ret_str, struct probe_spec *s, char *err, size_t errlen)
{
	char *dup = strdup(text), *f[MAX_FIELDS], *p, *plus;
	int nf = 0, nplain, maxfmt, r = -EINVAL;
	size_t name_len = 0;

	memset(s, 0, sizeof(*s));
	if (!dup)
		return -ENOMEM;
	for (p = dup;;) {
		char *c = strchr(p, ':');

		if (nf == MAX_FIELDS) {
			snprintf(err, errlen, "too many ':'-separated fields (at most %d formats)",
				 PS_PROBE_NARGS);
			goto out;
		}
		f[nf++] = p;
		if (!c)
			break;
		*c = 0;
		p = c + 1;
	}
	for (int i = 0; i < nf; i++) {
		if (!*f[i]) {
			snprintf(err, errlen,
				 "empty field %d (expected u:BINARY:FUNCTION, "
				 "ur:BINARY:FUNCTION or usdt:BINARY:PROVIDER:NAME)",
				 i + 1);
			goto out;
		}
	}
	if (!strcmp(f[0], "u"))
		s->kind = PS_PROBE_ENTRY;
	else if (!strcmp(f[0], "ur"))
		s->kind = PS_PROBE_RETURN;
	else if (!strcmp(f[0], "usdt"))
		s->kind = PS_PROBE_USDT;
	else {
		snprintf(err, errlen, "unknown probe type '%s' (expected u, ur or usdt)", f[0]);
		goto out;
	}
	/* the plain fields come first, formats (starting with '%') after them */
	for (nplain = 0; nplain < nf && f[nplain][0] != '%'; nplain++)
		name_len += strlen(f[nplain]) + (nplain ? 1 : 0);
	for (int i = nplain; i < nf; i++) {
		int fm = probe_fmt_parse(f[i]);

		if (fm < 0) {
			snprintf(
				err, errlen,
				f[i][0] == '%' ?
					"unknown format '%s' (use %%d %%u %%x %%ld %%lu %%lx %%p %%s)" :
					"'%s' after the formats: formats go last",
				f[i]);
			goto out;
		}
		/* one past the array is how "too many" is told below: never stored */
		if (s->nfmt == PS_PROBE_NARGS) {
			s->nfmt++;
			break;
		}
		s->fmt[s->nfmt++] = fm;
	}
	maxfmt = s->kind == PS_PROBE_RETURN ? 1 : PS_PROBE_NARGS;
	if (s->nfmt > maxfmt) {
		snprintf(
			err, errlen,
			s->kind == PS_PROBE_RETURN ?
				"a return probe has one value, its return value: one format at most" :
				"at most %d argument formats",
			PS_PROBE_NARGS);
		goto out;
	}
	if (s->kind == PS_PROBE_USDT) {
		if (nplain < 3 || nplain > 4) {
			snprintf(err, errlen, "expected usdt:BINARY:PROVIDER:NAME[:FMT...]");
			goto out;
		}
		s->binary = strdup(f[1]);
		if (nplain == 4)
			s->provider = strdup(f[2]);
		s->usdt_name = strdup(f[nplain - 1]);
	} else {
		if (nplain != 3) {
			snprintf(err, errlen, "expected %s:BINARY:FUNCTION%s[:FMT%s]", f[0],
				 s->kind == PS_PROBE_ENTRY ? "[+OFFSET]" : "",
				 s->kind == PS_PROBE_ENTRY ? "..." : "");
			goto out;
		}
		s->binary = strdup(f[1]);
		plus = strchr(f[2], '+');
		if (plus) {
			char *end;

			if (s->kind == PS_PROBE_RETURN) {
				snprintf(err, errlen,
					 "+OFFSET is for entry probes (u:): a return "
					 "probe is set at the function's entry");
				goto out;
			}
			*plus = 0;
			errno = 0;
			s->func_off = strtoull(plus + 1, &end, 0);
			if (!plus[1] || *end || errno || plus[1] == '-') {
				snprintf(err, errlen, "bad offset '+%s' (decimal or 0x hex)",
					 plus + 1);
				goto out;
			}
			if (!*f[2]) {
				snprintf(err, errlen, "missing FUNCTION before '+'");
				goto out;
			}
		}
		s->func = strdup(f[2]);
	}
	if (ret_str && s->kind == PS_PROBE_RETURN && s->nfmt == 0)
		s->fmt[s->nfmt++] = PF_S;
	s->text = strdup(text);
	s->name = strndup(text, name_len); /* the SPEC up to its formats */
	if (!s->text || !s->name || !s->binary || (s->kind != PS_PROBE_USDT && !s->func) ||
	    (s->kind == PS_PROBE_USDT && (!s->usdt_name || (nplain == 4 && !s->provider)))) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r = 0;
out:
	free(dup);
	if (r)
		probe_spec_free(s);
	return r;
}

int probe_spec_resolve(struct probe_spec *s, const struct probe_elf *pe, char *err, size_t errlen)
{
	const struct probe_usdt *u;
	uint64_t off, size;
	int r, n;

	snprintf(s->path, sizeof(s->path), "%s", pe->path);
	memset(s->val_fmt, 0, sizeof(s->val_fmt));
	s->str_mask = 0;
	switch (s->kind) {
	case PS_PROBE_ENTRY:
	case PS_PROBE_RETURN:
		r = probe_elf_func_offset(pe, s->func, &off, &size, err, errlen);
		if (r)
			return r;
		if (s->func_off && size && s->func_off >= size) {
			snprintf(err, errlen, "offset +%llu is past the end of '%s' (%llu bytes)",
				 (unsigned long long)s->func_off, s->func,
				 (unsigned long long)size);
			return -ERANGE;
		}
		s->offset = off + s->func_off;
		if (s->kind == PS_PROBE_RETURN) {
			s->nargs = 0;
			s->val_fmt[PS_PROBE_RET] = s->nfmt ? s->fmt[0] : PF_LD;
		} else {
			s->nargs = s->nfmt ? s->nfmt : PS_PROBE_NARGS;
			for (int i = 0; i < s->nfmt; i++)
				s->val_fmt[i] = s->fmt[i];
		}
		break;
	case PS_PROBE_USDT:
		n = probe_elf_find_usdt(pe, s->provider, s->usdt_name, &u);
		if (n == 0) {
			if (s->provider)
				snprintf(err, errlen, "USDT probe '%s:%s' not found in %s",
					 s->provider, s->usdt_name, pe->path);
			else
				snprintf(err, errlen, "USDT probe '%s' not found in %s",
					 s->usdt_name, pe->path);
			return -ENOENT;
		}
		if (n > 1) {
			snprintf(err, errlen,
				 "USDT probe name '%s' is used by %d providers in %s: "
				 "say which (usdt:BINARY:PROVIDER:NAME)",
				 s->usdt_name, n, pe->path);
			return -EEXIST;
		}
		if (u->nargs < 0) {
			snprintf(err, errlen,
				 "USDT probe '%s:%s': cannot decode its argument spec '%s'",
				 u->provider, u->name, u->args);
			return -EINVAL;
		}
		if (s->nfmt > u->nargs) {
			snprintf(err, errlen,
				 "USDT probe '%s:%s' has %d argument%s, %d format%s given",
				 u->provider, u->name, u->nargs, u->nargs == 1 ? "" : "s", s->nfmt,
				 s->nfmt == 1 ? "" : "s");
			return -EINVAL;
		}
		if (!s->provider) {
			s->provider = strdup(u->provider);
			if (!s->provider)
				return -ENOMEM;
		}
		s->nargs = s->nfmt ? s->nfmt :
				     (u->nargs < PS_PROBE_NARGS ? u->nargs : PS_PROBE_NARGS);
		/* defaults from the note: its size and sign say how to print */
		for (int i = 0; i < s->nargs; i++)
			s->val_fmt[i] = i < s->nfmt ? s->fmt[i] : (u->is_signed[i] ? PF_LD : PF_LU);
		break;
	default:
		return -EINVAL;
	}
	for (int i = 0; i < PS_PROBE_NVALS; i++)
		if (s->val_fmt[i] == PF_S && (i < s->nargs || i == PS_PROBE_RET))
			s->str_mask |= 1u << i;
	return 0;
}
