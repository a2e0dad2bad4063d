/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What procsnoop probe needs from ELF files and /proc: find a binary
 * by name ("libc", "bash", a path), its function symbols (file offsets
 * for uprobes) and its USDT probes (the .note.stapsdt notes).
 */
#ifndef PROCSNOOP_PROBE_ELF_H
#define PROCSNOOP_PROBE_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_USDT_MAX_ARGS 12 /* as libbpf */

struct probe_func {
	char *name;
	uint64_t addr; /* st_value (virtual address) */
	uint64_t size;
};

struct probe_usdt {
	char *provider;
	char *name;
	char *args; /* the note's argument spec, e.g. "-4@%edi 8@%rsi" */
	uint64_t pc;
	int nargs;
	bool is_signed[PROBE_USDT_MAX_ARGS];
	int size[PROBE_USDT_MAX_ARGS]; /* bytes */
};

struct probe_elf {
	char *path;
	struct probe_func *funcs; /* sorted by name, then address; (name, addr) unique */
	size_t nfuncs;
	struct probe_usdt *usdts; /* in note order */
	size_t nusdts;
	/* PT_LOAD segments, to turn an address into a file offset */
	struct {
		uint64_t vaddr, memsz, offset;
		bool exec;
	} seg[16];
	int nseg;
};

/*
 * Resolve a BINARY as written in a spec: a path (contains '/'); with
 * @pid > 0, a library the process has mapped ("libc" -> its libc.so.6);
 * an executable on $PATH ("bash"); a library in the standard directories
 * ("libc", "c", "libc.so.6", "libz"). Writes an absolute path; 0 or -errno
 * with a message in @err.
 */
int probe_find_binary(const char *name, int pid, char *out, size_t outlen, char *err,
		      size_t errlen);

/* Read the symbols and USDT notes of an ELF file; 0 or -errno with @err. */
int probe_elf_open(const char *path, struct probe_elf *pe, char *err, size_t errlen);
void probe_elf_close(struct probe_elf *pe);

/*
 * A function by name (or "0xADDR": a virtual address) to the file offset
 * a uprobe needs. 0; -ENOENT not found; -EEXIST several definitions at
 * different addresses (@err lists them); -ERANGE no loadable segment.
 */
int probe_elf_func_offset(const struct probe_elf *pe, const char *name, uint64_t *off,
			  uint64_t *size, char *err, size_t errlen);

/* USDT probes matching provider (NULL: any) and name; returns the count, *first set. */
int probe_elf_find_usdt(const struct probe_elf *pe, const char *provider, const char *name,
			const struct probe_usdt **first);

/* Parse a note's argument spec ("-4@%edi 8@%rsi"): count, sign, size. -EINVAL if malformed. */
int probe_usdt_parse_args(const char *spec, struct probe_usdt *u);

/*
 * Does process @pid map @path (same inode)? 1 yes, 0 no, -ESRCH no such
 * process, other -errno unreadable.
 */
int probe_pid_maps(int pid, const char *path);

/*
 * Does ELF @path link a library whose name starts with @prefix (a DT_NEEDED
 * entry, e.g. "libreadline.so")? 1 yes with its name in @out, 0 no, -errno.
 */
int probe_elf_needed(const char *path, const char *prefix, char *out, size_t outlen);

/* Is the process alive (not gone, not a zombie)? */
bool probe_pid_alive(int pid);

#endif
