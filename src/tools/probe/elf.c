// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "lib/procstat.h"
#include "tools/probe/elf.h"

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#else
#define MULTIARCH "unknown-linux-gnu"
#endif

static bool is_elf_file(const char *path)
{
	unsigned char m[4];
	struct stat st;
	int fd;
	bool ok;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = read(fd, m, 4) == 4 && !memcmp(m, ELFMAG, SELFMAG);
	close(fd);
	return ok;
}

/* "libc" matches libc.so.6 and libc-2.31.so, not libcrypt.so.1; "c" matches via "lib". */
static bool lib_name_matches(const char *base, const char *name)
{
	char pre[PATH_MAX];
	size_t n;

	if (!strcmp(base, name))
		return true;
	for (int lib = 0; lib < 2; lib++) {
		snprintf(pre, sizeof(pre), "%s%s", lib ? "lib" : "", name);
		n = strlen(pre);
		if (!strncmp(base, pre, n) && (!strncmp(base + n, ".so", 3) || base[n] == '-'))
			return true;
	}
	return false;
}

static int find_in_maps(int pid, const char *name, char *out, size_t outlen)
{
	char fn[64], line[PATH_MAX + 256];
	FILE *f;
	int ret = -ENOENT;

	snprintf(fn, sizeof(fn), "/proc/%d/maps", pid);
	f = fopen(fn, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/'), *base;

		if (!path)
			continue;
		path[strcspn(path, "\n")] = 0;
		base = strrchr(path, '/') + 1;
		if (lib_name_matches(base, name) && is_elf_file(path)) {
			snprintf(out, outlen, "%s", path);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int find_in_path(const char *name, char *out, size_t outlen)
{
	const char *p = getenv("PATH");
	char *dup, *save = NULL, buf[PATH_MAX];
	int ret = -ENOENT;

	if (!p || !*p)
		p = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	dup = strdup(p);
	if (!dup)
		return -ENOMEM;
	for (char *d = strtok_r(dup, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/%s", *d ? d : ".", name);
		if (access(buf, X_OK) == 0 && is_elf_file(buf)) {
			snprintf(out, outlen, "%s", buf);
			ret = 0;
			break;
		}
	}
	free(dup);
	return ret;
}

static int find_in_libdirs(const char *name, char *out, size_t outlen)
{
	static const char *const dirs[] = {
		"/lib/" MULTIARCH, "/usr/lib/" MULTIARCH, "/lib64", "/usr/lib64", "/lib",
		"/usr/lib",	   "/usr/local/lib",
	};
	/* most specific first; a bare "libc.so" is often a linker script, hence the ELF check */
	static const char *const pats[] = { "%s/%s",	   "%s/%s.so",	    "%s/%s.so.*",
					    "%s/lib%s.so", "%s/lib%s.so.*", "%s/%s-*.so" };
	char pat[PATH_MAX];

	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		for (size_t p = 0; p < sizeof(pats) / sizeof(pats[0]); p++) {
			glob_t g;

			snprintf(pat, sizeof(pat), pats[p], dirs[d], name);
			if (glob(pat, 0, NULL, &g))
				continue;
			for (size_t i = 0; i < g.gl_pathc; i++) {
				if (is_elf_file(g.gl_pathv[i])) {
					snprintf(out, outlen, "%s", g.gl_pathv[i]);
					globfree(&g);
					return 0;
				}
			}
			globfree(&g);
		}
	}
	return -ENOENT;
}

int probe_find_binary(const char *name, int pid, char *out, size_t outlen, char *err, size_t errlen)
{
	char found[PATH_MAX], real[PATH_MAX];
	bool libish = !strncmp(name, "lib", 3) || strstr(name, ".so");
	int r = -ENOENT;

	if (!*name) {
		snprintf(err, errlen, "empty BINARY");
		return -EINVAL;
	}
	if (strchr(name, '/')) {
		struct stat st;

		if (stat(name, &st)) {
			r = -errno;
			snprintf(err, errlen, "binary '%s' not found: %s", name, strerror(errno));
			return r;
		}
		snprintf(found, sizeof(found), "%s", name);
		r = 0;
	}
	if (r && pid > 0)
		r = find_in_maps(pid, name, found, sizeof(found));
	if (r && !libish)
		r = find_in_path(name, found, sizeof(found));
	if (r)
		r = find_in_libdirs(name, found, sizeof(found));
	if (r && libish)
		r = find_in_path(name, found, sizeof(found));
	if (r) {
		snprintf(err, errlen,
			 "binary '%s' not found%s (looked in $PATH and the library "
			 "directories; give a path)",
			 name, pid > 0 ? " in the process's mappings" : "");
		return -ENOENT;
	}
	if (!realpath(found, real)) {
		r = -errno;
		snprintf(err, errlen, "binary '%s': %s", found, strerror(errno));
		return r;
	}
	if (!is_elf_file(real)) {
		snprintf(err, errlen, "'%s' is not an ELF file", real);
		return -ENOEXEC;
	}
	snprintf(out, outlen, "%s", real);
	return 0;
}

/* ---- symbols and notes ---- */

static int func_cmp(const void *a, const void *b)
{
	const struct probe_func *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int add_symbols(struct probe_elf *pe, Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, size_t *cap)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	if (!data)
		return 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		int type;

		if (!gelf_getsym(data, i, &sym))
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		/* defined functions with a body; ifuncs are resolvers, not the function */
		if (type != STT_FUNC || sym.st_shndx == SHN_UNDEF || sym.st_size == 0)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		if (pe->nfuncs == *cap) {
			size_t nc = *cap ? *cap * 2 : 256;
			struct probe_func *nf = realloc(pe->funcs, nc * sizeof(*nf));

			if (!nf)
				return -ENOMEM;
			pe->funcs = nf;
			*cap = nc;
		}
		pe->funcs[pe->nfuncs].name = strdup(name);
		if (!pe->funcs[pe->nfuncs].name)
			return -ENOMEM;
		pe->funcs[pe->nfuncs].addr = sym.st_value;
		pe->funcs[pe->nfuncs].size = sym.st_size;
		pe->nfuncs++;
	}
	return 0;
}

int probe_usdt_parse_args(const char *spec, struct probe_usdt *u)
{
	const char *p = spec;

	u->nargs = 0;
	while (*p) {
		char *end;
		long sz;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (u->nargs == PROBE_USDT_MAX_ARGS)
			return -E2BIG;
		sz = strtol(p, &end, 10);
		if (end == p || *end != '@' || sz == 0 || labs(sz) > 8)
			return -EINVAL;
		u->is_signed[u->nargs] = sz < 0;
		u->size[u->nargs] = (int)labs(sz);
		u->nargs++;
		p = end + 1;
		if (!*p || *p == ' ')
			return -EINVAL; /* no operand */
		/* arm64's memory operands hold a space: [sp, 12] */
		while (*p && *p != ' ') {
			if (*p == '[') {
				const char *close = strchr(p, ']');

				if (!close)
					return -EINVAL;
				p = close;
			}
			p++;
		}
	}
	return 0;
}

static int add_notes(struct probe_elf *pe, Elf *elf, Elf_Scn *scn, size_t *cap)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t off = 0, name_off, desc_off, wsz = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;
	GElf_Nhdr nh;

	if (!data)
		return 0;
	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *desc = (const char *)data->d_buf + desc_off;
		const char *name = (const char *)data->d_buf + name_off;
		const char *prov, *pname, *args, *end = desc + nh.n_descsz;
		struct probe_usdt *u;

		if (nh.n_type != 3 || nh.n_namesz != 8 || memcmp(name, "stapsdt", 8) ||
		    nh.n_descsz < 3 * wsz + 3)
			continue;
		prov = desc + 3 * wsz;
		/* NULL + 1 is undefined (UBSan, by fuzzing): test, then step */
		pname = memchr(prov, 0, end - prov);
		if (!pname || ++pname >= end)
			continue;
		args = memchr(pname, 0, end - pname);
		if (!args || ++args >= end || !memchr(args, 0, end - args))
			continue;
		if (pe->nusdts == *cap) {
			size_t nc = *cap ? *cap * 2 : 16;
			struct probe_usdt *nu = realloc(pe->usdts, nc * sizeof(*nu));

			if (!nu)
				return -ENOMEM;
			pe->usdts = nu;
			*cap = nc;
		}
		u = &pe->usdts[pe->nusdts];
		memset(u, 0, sizeof(*u));
		u->provider = strdup(prov);
		u->name = strdup(pname);
		u->args = strdup(args);
		if (!u->provider || !u->name || !u->args)
			return -ENOMEM;
		if (wsz == 8)
			memcpy(&u->pc, desc, 8);
		else {
			uint32_t pc32;

			memcpy(&pc32, desc, 4);
			u->pc = pc32;
		}
		if (probe_usdt_parse_args(u->args, u))
			u->nargs = -1; /* listed, but libbpf will not attach it either */
		pe->nusdts++;
	}
	return 0;
}

/*
 * The ELF identification and header, checked by hand before libelf sees
 * the file: libelf reads a file cut short (a copy interrupted, a garbage
 * header) as an ELF with no sections, and the user was told "symbol not
 * found" or "0 functions" instead of what is wrong with the file.
 */
static int elf_check(int fd, const char *path, char *err, size_t errlen)
{
	unsigned char id[EI_NIDENT];
	struct stat st;
	size_t ehsize;
	ssize_t n;

	if (fstat(fd, &st)) {
		snprintf(err, errlen, "cannot stat '%s': %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "'%s' is not a regular file", path);
		return -ENOEXEC;
	}
	n = pread(fd, id, sizeof(id), 0);
	if (n < SELFMAG || memcmp(id, ELFMAG, SELFMAG)) {
		snprintf(err, errlen, "'%s' is not an ELF file (no ELF magic at its start)", path);
		return -ENOEXEC;
	}
	if (n < EI_NIDENT) {
		snprintf(err, errlen,
			 "'%s' is a truncated ELF file: %lld bytes, shorter than its "
			 "ELF header",
			 path, (long long)st.st_size);
		return -ENOEXEC;
	}
	if ((id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64) ||
	    (id[EI_DATA] != ELFDATA2LSB && id[EI_DATA] != ELFDATA2MSB) ||
	    id[EI_VERSION] != EV_CURRENT) {
		snprintf(err, errlen,
			 "'%s' is not a valid ELF file: bad ELF header (class %u, "
			 "data %u, version %u)",
			 path, id[EI_CLASS], id[EI_DATA], id[EI_VERSION]);
		return -ENOEXEC;
	}
	ehsize = id[EI_CLASS] == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if ((size_t)st.st_size < ehsize) {
		snprintf(err, errlen,
			 "'%s' is a truncated ELF file: %lld bytes, shorter than its "
			 "%zu-byte ELF header",
			 path, (long long)st.st_size, ehsize);
		return -ENOEXEC;
	}
	return 0;
}

/* The program and section header tables, and the sections probe reads, lie within the file. */
static int elf_check_tables(Elf *elf, int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL;
	uint64_t size, end;

	if (fstat(fd, &st) || !gelf_getehdr(elf, &eh)) {
		snprintf(err, errlen, "'%s' is not a valid ELF file: bad ELF header (%s)", path,
			 elf_errmsg(-1));
		return -ENOEXEC;
	}
	size = st.st_size;
	end = eh.e_phoff + (uint64_t)eh.e_phnum * eh.e_phentsize;
	if (eh.e_phnum && (eh.e_phoff > size || end > size)) {
		snprintf(err, errlen,
			 "'%s' is a truncated ELF file: %llu bytes, its program headers "
			 "end at %llu",
			 path, (unsigned long long)size, (unsigned long long)end);
		return -ENOEXEC;
	}
	end = eh.e_shoff + (uint64_t)(eh.e_shnum ? eh.e_shnum : 1) * eh.e_shentsize;
	if (eh.e_shoff && (eh.e_shoff > size || end > size)) {
		snprintf(err, errlen,
			 "'%s' is a truncated ELF file: %llu bytes, its section headers "
			 "end at %llu",
			 path, (unsigned long long)size, (unsigned long long)end);
		return -ENOEXEC;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		if (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM &&
		    sh.sh_type != SHT_STRTAB && sh.sh_type != SHT_NOTE && sh.sh_type != SHT_DYNAMIC)
			continue;
		end = sh.sh_offset + sh.sh_size;
		if (sh.sh_offset > size || end > size || end < sh.sh_offset) {
			snprintf(err, errlen,
				 "'%s' is a truncated ELF file: %llu bytes, section %zu "
				 "ends at %llu",
				 path, (unsigned long long)size, elf_ndxscn(scn),
				 (unsigned long long)end);
			return -ENOEXEC;
		}
	}
	return 0;
}

int probe_elf_open(const char *path, struct probe_elf *pe, char *err, size_t errlen)
{
	size_t fcap = 0, ucap = 0, nph = 0;
	Elf_Scn *scn = NULL;
	Elf *elf = NULL;
	int fd, r = 0;

	memset(pe, 0, sizeof(*pe));
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf initialization failed");
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return r;
	}
	r = elf_check(fd, path, err, errlen);
	if (r)
		goto out;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		snprintf(err, errlen, "'%s' is not an ELF file", path);
		r = -ENOEXEC;
		goto out;
	}
	r = elf_check_tables(elf, fd, path, err, errlen);
	if (r)
		goto out;
	pe->path = strdup(path);
	if (elf_getphdrnum(elf, &nph) == 0) {
		for (size_t i = 0; i < nph && pe->nseg < 16; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
				continue;
			pe->seg[pe->nseg].vaddr = ph.p_vaddr;
			pe->seg[pe->nseg].memsz = ph.p_memsz;
			pe->seg[pe->nseg].offset = ph.p_offset;
			pe->seg[pe->nseg].exec = ph.p_flags & PF_X;
			pe->nseg++;
		}
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *sname;
		size_t shstrndx;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) {
			r = add_symbols(pe, elf, scn, &sh, &fcap);
		} else if (sh.sh_type == SHT_NOTE && elf_getshdrstrndx(elf, &shstrndx) == 0 &&
			   (sname = elf_strptr(elf, shstrndx, sh.sh_name)) &&
			   !strcmp(sname, ".note.stapsdt")) {
			r = add_notes(pe, elf, scn, &ucap);
		}
		if (r) {
			snprintf(err, errlen, "reading '%s': %s", path, strerror(-r));
			goto out;
		}
	}
	/* .symtab and .dynsym overlap: keep each (name, address) once */
	if (pe->nfuncs) {
		size_t k = 0;

		qsort(pe->funcs, pe->nfuncs, sizeof(*pe->funcs), func_cmp);
		for (size_t i = 0; i < pe->nfuncs; i++) {
			if (k && !func_cmp(&pe->funcs[k - 1], &pe->funcs[i])) {
				free(pe->funcs[i].name);
				continue;
			}
			pe->funcs[k++] = pe->funcs[i];
		}
		pe->nfuncs = k;
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	if (r)
		probe_elf_close(pe);
	return r;
}

void probe_elf_close(struct probe_elf *pe)
{
	for (size_t i = 0; i < pe->nfuncs; i++)
		free(pe->funcs[i].name);
	for (size_t i = 0; i < pe->nusdts; i++) {
		free(pe->usdts[i].provider);
		free(pe->usdts[i].name);
		free(pe->usdts[i].args);
	}
	free(pe->funcs);
	free(pe->usdts);
	free(pe->path);
	memset(pe, 0, sizeof(*pe));
}

static int addr_to_off(const struct probe_elf *pe, uint64_t addr, uint64_t *off)
{
	for (int i = 0; i < pe->nseg; i++) {
		if (pe->seg[i].exec && addr >= pe->seg[i].vaddr &&
		    addr < pe->seg[i].vaddr + pe->seg[i].memsz) {
			*off = addr - pe->seg[i].vaddr + pe->seg[i].offset;
			return 0;
		}
	}
	return -ERANGE;
}

int probe_elf_func_offset(const struct probe_elf *pe, const char *name, uint64_t *off,
			  uint64_t *size, char *err, size_t errlen)
{
	size_t lo = 0, hi = pe->nfuncs, first, n = 0;
	uint64_t addr;

	if (!strncmp(name, "0x", 2)) {
		char *end;

		addr = strtoull(name, &end, 16);
		if (*end || end == name + 2) {
			snprintf(err, errlen, "bad address '%s'", name);
			return -EINVAL;
		}
		*size = 0;
		goto found;
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(pe->funcs[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (first + n < pe->nfuncs && !strcmp(pe->funcs[first + n].name, name))
		n++;
	if (n == 0) {
		snprintf(err, errlen, "symbol '%s' not found in %s", name, pe->path);
		return -ENOENT;
	}
	if (n > 1) {
		int w = snprintf(err, errlen, "symbol '%s' is defined %zu times in %s, at", name, n,
				 pe->path);

		for (size_t i = 0; i < n && i < 4 && w > 0 && (size_t)w < errlen; i++)
			w += snprintf(err + w, errlen - w, " 0x%llx",
				      (unsigned long long)pe->funcs[first + i].addr);
		if (w > 0 && (size_t)w < errlen)
			snprintf(err + w, errlen - w, ": name one by address (u:BINARY:0xADDR)");
		return -EEXIST;
	}
	addr = pe->funcs[first].addr;
	*size = pe->funcs[first].size;
found:
	if (addr_to_off(pe, addr, off)) {
		snprintf(err, errlen, "address 0x%llx of '%s' is in no executable segment of %s",
			 (unsigned long long)addr, name, pe->path);
		return -ERANGE;
	}
	return 0;
}

int probe_elf_find_usdt(const struct probe_elf *pe, const char *provider, const char *name,
			const struct probe_usdt **first)
{
	int n = 0;

	*first = NULL;
	for (size_t i = 0; i < pe->nusdts; i++) {
		const struct probe_usdt *u = &pe->usdts[i];

		bool seen = false;

		if ((provider && strcmp(u->provider, provider)) || strcmp(u->name, name))
			continue;
		/* one probe may have several sites (inlined copies): count distinct probes */
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(pe->usdts[j].name, name) &&
			       !strcmp(pe->usdts[j].provider, u->provider);
		if (seen)
			continue;
		if (!*first)
			*first = u;
		n++;
	}
	return n;
}

int probe_pid_maps(int pid, const char *path)
{
	char fn[64], line[PATH_MAX + 256], real[PATH_MAX];
	struct stat st;
	FILE *f;
	int ret = 0;

	if (stat(path, &st))
		return -errno;
	snprintf(fn, sizeof(fn), "/proc/%d/maps", pid);
	f = fopen(fn, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned int maj, min;
		unsigned long long ino;
		char *p = strchr(line, '/');

		if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &min, &ino) != 3 || !ino)
			continue;
		if (ino == st.st_ino && makedev(maj, min) == st.st_dev) {
			ret = 1;
			break;
		}
		/* overlay filesystems show another device: fall back to the path */
		if (p) {
			p[strcspn(p, "\n")] = 0;
			if (ino == st.st_ino && realpath(p, real) && !strcmp(real, path)) {
				ret = 1;
				break;
			}
		}
	}
	fclose(f);
	return ret;
}

bool probe_pid_alive(int pid)
{
	unsigned long long start;
	char state;

	return !ps_proc_stat(pid, &state, &start) && state != 'Z' && state != 'X';
}

int probe_elf_needed(const char *path, const char *prefix, char *out, size_t outlen)
{
	Elf_Scn *scn = NULL;
	Elf *elf;
	int fd, r = 0;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_check_tables(elf, fd, path, out, outlen)) {
		r = -ENOEXEC;
		goto out;
	}
	while (!r && (scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn d;
			const char *name;

			if (!gelf_getdyn(data, i, &d) || d.d_tag != DT_NEEDED)
				continue;
			name = elf_strptr(elf, sh.sh_link, d.d_un.d_val);
			if (name && !strncmp(name, prefix, strlen(prefix))) {
				snprintf(out, outlen, "%s", name);
				r = 1;
				break;
			}
		}
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return r;
}
