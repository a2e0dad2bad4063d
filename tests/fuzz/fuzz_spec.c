// SPDX-License-Identifier: GPL-2.0
/*
 * probe SPECs (src/tools/probe/spec.c) and USDT argument specs
 * (probe_usdt_parse_args): any string. Accepted specs have a known kind
 * and bounded formats; rejected ones leave a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tools/probe/elf.h"
#include "tools/probe/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[256];
	struct probe_spec sp;
	struct probe_usdt u;
	int r;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	for (int ret_str = 0; ret_str < 2; ret_str++) {
		err[0] = 0;
		r = probe_spec_parse(s, ret_str, &sp, err, sizeof(err));
		if (r == 0) {
			if (sp.kind != PS_PROBE_ENTRY && sp.kind != PS_PROBE_RETURN &&
			    sp.kind != PS_PROBE_USDT)
				abort();
			if (sp.nfmt < 0 || sp.nfmt > PS_PROBE_NARGS || !sp.binary || !sp.name)
				abort();
			for (int i = 0; i < sp.nfmt; i++)
				if (!probe_fmt_name(sp.fmt[i]))
					abort();
		} else if (!err[0] || !memchr(err, 0, sizeof(err))) {
			abort();
		}
		probe_spec_free(&sp);
	}
	memset(&u, 0, sizeof(u));
	r = probe_usdt_parse_args(s, &u);
	if (r == 0 && (u.nargs < 0 || u.nargs > PROBE_USDT_MAX_ARGS))
		abort();
	probe_fmt_parse(s);
	free(s);
	return 0;
}
