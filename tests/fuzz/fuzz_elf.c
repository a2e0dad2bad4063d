// SPDX-License-Identifier: GPL-2.0
/*
 * ELF symbols and USDT notes (src/tools/probe/elf.c), as probe reads any
 * file a user names: hostile and truncated ELF files. The input is the
 * file; it is opened through a memfd (the parser wants a path). Each
 * function and USDT probe found is looked up again, as a SPEC would.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "tools/probe/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct probe_elf pe;
	char err[512], needed[256];
	uint64_t off, sz;

	if (fd < 0) {
		fd = memfd_create("fuzz-elf", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	memset(&pe, 0, sizeof(pe));
	if (probe_elf_open(path, &pe, err, sizeof(err)) == 0) {
		if (pe.nseg < 0 || pe.nseg > 16)
			abort();
		for (size_t i = 0; i < pe.nfuncs && i < 64; i++) {
			if (!pe.funcs[i].name)
				abort();
			probe_elf_func_offset(&pe, pe.funcs[i].name, &off, &sz, err, sizeof(err));
		}
		probe_elf_func_offset(&pe, "0x1000", &off, &sz, err, sizeof(err));
		probe_elf_func_offset(&pe, "main", &off, &sz, err, sizeof(err));
		for (size_t i = 0; i < pe.nusdts && i < 64; i++) {
			const struct probe_usdt *u = &pe.usdts[i], *first;

			/* -1: listed, arguments unparsable */
			if (u->nargs < -1 || u->nargs > PROBE_USDT_MAX_ARGS || !u->name)
				abort();
			if (probe_elf_find_usdt(&pe, u->provider, u->name, &first) < 1)
				abort();
		}
		probe_elf_close(&pe);
	}
	probe_elf_needed(path, "lib", needed, sizeof(needed));
	return 0;
}
