// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "lib/json.h"
#include "lib/out.h"
#include "print/ancestors.h"
#include "print/ident.h"

void ps_ancestors_json(struct jw *w, const struct exec_view *v)
{
	char eid[PS_ENTITY_ID_LEN];
	struct ps_ancestor a;

	jw_arr(w, "ancestors");
	for (uint32_t i = 0; i < v->nanc; i++) {
		exec_view_ancestor(v, i, &a);
		ps_entity_id(eid, sizeof(eid), a.pid, a.start_ns);
		jw_obj(w, NULL);
		jw_u64(w, "pid", a.pid);
		jw_strn(w, "comm", a.comm, sizeof(a.comm));
		jw_cstr(w, "entity_id", eid);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_bool(w, "ancestors_truncated", v->eflags & PS_EXEC_ANC_TRUNC);
}

/*
 * A comm in the chain: terminal-safe, and the chain's own punctuation
 * (space, '>', '(', ')') escaped as \xNN, so that no process can forge a
 * level by its name (backslash is \\: unambiguous).
 */
static void chain_comm(const char *s, size_t max)
{
	/* 15 bytes, at most 6 bytes each escaped */
	char buf[128];
	size_t n = strnlen(s, max), w = 0, i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && !strchr(" >()", s[j]))
			j++;
		w += enc_term(buf + w, sizeof(buf) - 8 - w, s + i, j - i, false);
		if (j < n) {
			static const char hex[] = "0123456789abcdef";

			buf[w++] = '\\';
			buf[w++] = 'x';
			buf[w++] = hex[(unsigned char)s[j] >> 4];
			buf[w++] = hex[(unsigned char)s[j] & 15];
			j++;
		}
		i = j;
	}
	out_bytes(buf, w);
}

void ps_ancestors_col(const struct exec_view *v)
{
	struct ps_ancestor a;

	if (!v->nanc) {
		out_str("- ");
		return;
	}
	if (v->eflags & PS_EXEC_ANC_TRUNC)
		out_str("...>");
	for (uint32_t i = v->nanc; i-- > 0;) {
		exec_view_ancestor(v, i, &a);
		chain_comm(a.comm, sizeof(a.comm));
		out_fmt("(%u)%s", a.pid, i ? ">" : " ");
	}
}
