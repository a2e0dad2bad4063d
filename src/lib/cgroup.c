// SPDX-License-Identifier: GPL-2.0
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/bpfutil.h"
#include "lib/cgroup.h"
#include "lib/json.h"
#include "lib/opts.h"

/* ---- the parser (pure) ---- */

#define HEX_ID_LEN 64

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool seg_is(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && !memcmp(s, lit, n);
}

static bool starts(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n >= l && !memcmp(s, lit, l);
}

/* A 64-hex id, the whole of @s[0..n) or followed by exactly ".scope". */
static bool hex_id_scope(const char *s, size_t n)
{
	if (n == HEX_ID_LEN + 6 && !memcmp(s + HEX_ID_LEN, ".scope", 6))
		n = HEX_ID_LEN;
	return n == HEX_ID_LEN && all_hex(s, n);
}

static void set_id(struct ps_container *out, enum ps_runtime rt, const char *id, size_t n)
{
	out->runtime = rt;
	memcpy(out->id, id, n);
	out->id[n] = 0;
}

/*
 * A pod uid: a UUID (8-4-4-4-12 hex) with '-' (cgroupfs driver) or '_'
 * (systemd driver: '-' separates slice levels) throughout, written back
 * with '-' as the API server shows it; or a 32-hex hash (static pods).
 */
static bool pod_uid(const char *s, size_t n, char *out)
{
	static const int dash[] = { 8, 13, 18, 23 };
	char sep;

	if (n == 32 && all_hex(s, n)) {
		memcpy(out, s, n);
		out[n] = 0;
		return true;
	}
	if (n != 36)
		return false;
	sep = s[8];
	if (sep != '-' && sep != '_')
		return false;
	for (size_t i = 0, d = 0; i < n; i++) {
		if (d < 4 && (int)i == dash[d]) {
			if (s[i] != sep)
				return false;
			out[i] = '-';
			d++;
			continue;
		}
		if (!all_hex(s + i, 1))
			return false;
		out[i] = s[i];
	}
	out[n] = 0;
	return true;
}

/* systemd driver: kubepods-pod<uid>.slice (guaranteed), kubepods-{burstable,besteffort}-pod<uid>.slice */
static bool pod_slice(const char *s, size_t n, char *out)
{
	static const char *const pre[] = { "kubepods-pod", "kubepods-burstable-pod",
					   "kubepods-besteffort-pod" };

	if (n < 6 || memcmp(s + n - 6, ".slice", 6))
		return false;
	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (starts(s, n, pre[i]))
			return pod_uid(s + strlen(pre[i]), n - 6 - strlen(pre[i]), out);
	return false;
}

/* "<runtime>-<64hex>[.scope]"; the -conmon- scopes of CRI-O and Podman are no container */
static enum ps_runtime prefixed(const char *s, size_t n, const char **id)
{
	static const struct {
		const char *pre;
		enum ps_runtime rt;
	} t[] = {
		{ "docker-", PS_RT_DOCKER },
		{ "cri-containerd-", PS_RT_CONTAINERD },
		{ "crio-", PS_RT_CRIO },
		{ "libpod-", PS_RT_PODMAN },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t l = strlen(t[i].pre);

		if (starts(s, n, t[i].pre) && hex_id_scope(s + l, n - l)) {
			*id = s + l;
			return t[i].rt;
		}
	}
	return PS_RT_NONE;
}

/* runc's systemd notation left as a name: "<slice>:<prefix>:<id>" */
static enum ps_runtime colon_form(const char *s, size_t n, const char **id)
{
	static const struct {
		const char *pre;
		enum ps_runtime rt;
	} t[] = {
		{ ":cri-containerd:", PS_RT_CONTAINERD },
		{ ":docker:", PS_RT_DOCKER },
		{ ":crio:", PS_RT_CRIO },
		{ ":libpod:", PS_RT_PODMAN },
	};

	if (n < HEX_ID_LEN + 3 || !all_hex(s + n - HEX_ID_LEN, HEX_ID_LEN))
		return PS_RT_NONE;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t l = strlen(t[i].pre);

		if (n >= l + HEX_ID_LEN && !memcmp(s + n - HEX_ID_LEN - l, t[i].pre, l)) {
			*id = s + n - HEX_ID_LEN;
			return t[i].rt;
		}
	}
	return PS_RT_NONE;
}

bool ps_cgroup_parse(const char *path, size_t len, struct ps_container *out)
{
	/* what the previous segment was: a bare 64-hex name is an id only below these */
	enum { P_OTHER, P_DOCKER, P_KUBEPODS, P_QOS, P_POD } prev = P_OTHER;
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	/* a path ends at its NUL: an id cut at one would be an empty string */
	len = strnlen(path, len);
	while (i < len) {
		const char *s, *id = NULL, *colon;
		size_t n;
		enum ps_runtime rt;
		char uid[PS_POD_UID_MAX];
		int next = P_OTHER;

		while (i < len && path[i] == '/')
			i++;
		s = path + i;
		while (i < len && path[i] != '/')
			i++;
		n = path + i - s;
		if (!n)
			break;
		/* the pod: the segment, or its part before a ':' (colon form) */
		colon = memchr(s, ':', n);
		if (pod_slice(s, colon ? (size_t)(colon - s) : n, uid)) {
			memcpy(out->pod_uid, uid, sizeof(uid));
			next = P_POD;
		} else if ((prev == P_KUBEPODS || prev == P_QOS) && starts(s, n, "pod") &&
			   pod_uid(s + 3, n - 3, uid)) {
			memcpy(out->pod_uid, uid, sizeof(uid));
			next = P_POD;
		}
		if ((rt = prefixed(s, n, &id)) || (colon && (rt = colon_form(s, n, &id)))) {
			set_id(out, rt, id, HEX_ID_LEN);
		} else if (n == HEX_ID_LEN && all_hex(s, n) &&
			   (prev == P_DOCKER || prev == P_POD)) {
			/* cgroupfs drivers: /docker/<id>, /kubepods/.../pod<uid>/<id> (any CRI) */
			set_id(out, prev == P_DOCKER ? PS_RT_DOCKER : PS_RT_CRI, s, n);
		} else if (starts(s, n, "lxc.payload.") && n > 12 && n - 12 < PS_CONTAINER_ID_MAX) {
			set_id(out, PS_RT_LXC, s + 12, n - 12);
		}
		if (next == P_OTHER) {
			if (seg_is(s, n, "docker"))
				next = P_DOCKER;
			else if (seg_is(s, n, "kubepods"))
				next = P_KUBEPODS;
			else if (prev == P_KUBEPODS &&
				 (seg_is(s, n, "burstable") || seg_is(s, n, "besteffort")))
				next = P_QOS;
		}
		prev = next;
	}
	return out->runtime != PS_RT_NONE || out->pod_uid[0];
}

const char *ps_runtime_name(enum ps_runtime rt)
{
	switch (rt) {
	case PS_RT_DOCKER:
		return "docker";
	case PS_RT_CONTAINERD:
		return "containerd";
	case PS_RT_CRIO:
		return "crio";
	case PS_RT_PODMAN:
		return "podman";
	case PS_RT_LXC:
		return "lxc";
	case PS_RT_CRI:
		return "cri";
	default:
		return NULL;
	}
}

/* ---- the cgroup2 mount ---- */

static bool mnt_done;
static int mnt_fd = -1;
static char mnt_path[PATH_MAX];
static size_t mnt_len;

const char *ps_cgroup2_mount(void)
{
	FILE *f;
	struct mntent *m;

	if (mnt_done)
		return mnt_fd >= 0 ? mnt_path : NULL;
	mnt_done = true;
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return NULL;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2") || strlen(m->mnt_dir) >= sizeof(mnt_path))
			continue;
		strcpy(mnt_path, m->mnt_dir);
		mnt_fd = open(mnt_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (mnt_fd >= 0)
			break;
	}
	endmntent(f);
	/* "/" as the mount point: nothing to strip from the paths under it */
	mnt_len = strcmp(mnt_path, "/") ? strlen(mnt_path) : 0;
	return mnt_fd >= 0 ? mnt_path : NULL;
}

/* ---- walking the tree (bounded) ---- */

#define WALK_DEPTH 64
#define WALK_DIRS (1u << 20)

/* @fn sees each directory's path below the mount ("" for the root); nonzero stops */
typedef int (*walk_fn)(void *ctx, const char *rel, size_t len, const struct stat *st);

static int walk_dir(int dfd, char *rel, size_t len, int depth, unsigned int *budget, walk_fn fn,
		    void *ctx)
{
	struct stat st;
	struct dirent *d;
	DIR *dir;
	int ret;

	if (!*budget) {
		close(dfd);
		return -E2BIG; /* the walk is incomplete: never "not found" */
	}
	(*budget)--;
	if (fstat(dfd, &st)) {
		close(dfd);
		return 0;
	}
	ret = fn(ctx, rel, len, &st);
	if (ret || depth >= WALK_DEPTH) {
		close(dfd);
		return ret;
	}
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return 0;
	}
	while (!ret && (d = readdir(dir))) {
		size_t n = strlen(d->d_name);
		int fd;

		if (d->d_type != DT_DIR || d->d_name[0] == '.' || len + 1 + n >= PATH_MAX)
			continue;
		fd = openat(dirfd(dir), d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue; /* removed meanwhile */
		rel[len] = '/';
		memcpy(rel + len + 1, d->d_name, n + 1);
		ret = walk_dir(fd, rel, len + 1 + n, depth + 1, budget, fn, ctx);
		rel[len] = 0;
	}
	closedir(dir);
	return ret;
}

static int walk(walk_fn fn, void *ctx)
{
	static char rel[PATH_MAX];
	unsigned int budget = WALK_DIRS;
	int fd;

	if (!ps_cgroup2_mount())
		return -ENOENT;
	fd = openat(mnt_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rel[0] = 0;
	return walk_dir(fd, rel, 0, 0, &budget, fn, ctx);
}

/* ---- id to path, cached ---- */

/* Bounded: CACHE_SETS * CACHE_WAYS cgroups, the least recently used of a set evicted. */
#define CACHE_SETS 1024
#define CACHE_WAYS 4

struct slot {
	struct ps_cgroup cg;
	uint64_t used; /* tick of the last use; 0: empty */
};

static struct slot cache[CACHE_SETS][CACHE_WAYS];
static uint64_t tick;
static uint64_t failed;

uint64_t ps_cgroup_failed(void)
{
	return failed;
}

struct find_ctx {
	uint64_t id;
	char *path;
};

static int find_ino(void *ctx, const char *rel, size_t len, const struct stat *st)
{
	struct find_ctx *f = ctx;

	if (st->st_ino != f->id)
		return 0;
	f->path = strdup(len ? rel : "/");
	return 1;
}

/*
 * The kernfs node id is the file handle of a cgroup2 directory (and its
 * inode number on 64-bit): one open_by_handle_at() and the kernel's own
 * d_path of it. Stale handle: removed. Without CAP_DAC_READ_SEARCH the
 * handle is refused: then a walk of the tree for the inode (slower,
 * still once per cgroup).
 */
static void resolve(struct ps_cgroup *c)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	char lnk[64], buf[PATH_MAX];
	ssize_t n;
	int fd, ret;

	if (!ps_cgroup2_mount() || !c->id)
		return;
	h.fh.handle_bytes = sizeof(h.id);
	h.fh.handle_type = 0xfe; /* FILEID_KERNFS */
	h.id = c->id;
	fd = open_by_handle_at(mnt_fd, &h.fh, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		struct find_ctx f = { .id = c->id };

		if (errno == ESTALE || errno == ENOENT) {
			c->gone = true;
			return;
		}
		if (errno == ENOMEM || errno == EMFILE || errno == ENFILE)
			return;
		/* a complete walk without it: removed since the event */
		ret = walk(find_ino, &f);
		if (ret > 0)
			c->path = f.path;
		else if (ret == 0)
			c->gone = true;
		return;
	}
	snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d", fd);
	n = readlink(lnk, buf, sizeof(buf));
	close(fd);
	if (n <= 0 || (size_t)n >= sizeof(buf) || (size_t)n < mnt_len ||
	    memcmp(buf, mnt_path, mnt_len) || ((size_t)n > mnt_len && buf[mnt_len] != '/'))
		return;
	buf[n] = 0;
	/* d_path of a directory removed since the open: gone, unless the name
	 * really ends so (checked: the path still leads to this id) */
	if (n > 10 && !strcmp(buf + n - 10, " (deleted)")) {
		struct stat st;

		if (stat(buf, &st) || st.st_ino != c->id) {
			c->gone = true;
			return;
		}
	}
	c->path = strdup((size_t)n > mnt_len ? buf + mnt_len : "/");
}

const struct ps_cgroup *ps_cgroup_lookup(uint64_t id)
{
	struct slot *set = cache[(id * 0x9e3779b97f4a7c15ull) >> 54], *victim = &set[0];
	struct ps_cgroup *c;

	tick++;
	for (int w = 0; w < CACHE_WAYS; w++) {
		if (set[w].used && set[w].cg.id == id) {
			set[w].used = tick;
			return &set[w].cg;
		}
		if (set[w].used < victim->used)
			victim = &set[w];
	}
	c = &victim->cg;
	free(c->path);
	memset(c, 0, sizeof(*c));
	c->id = id;
	resolve(c);
	if (c->path)
		ps_cgroup_parse(c->path, strlen(c->path), &c->ct);
	else
		failed++;
	victim->used = tick;
	return c;
}

void ps_cgroup_json(struct jw *w, uint64_t id)
{
	const struct ps_cgroup *c;

	/* no cgroup v2 id (none mounted when the record was made): nothing to resolve */
	if (!id) {
		jw_null(w, "cgroup");
		return;
	}
	c = ps_cgroup_lookup(id);
	if (c->path) {
		jw_str(w, "cgroup", c->path, strlen(c->path));
	} else {
		jw_null(w, "cgroup");
		if (c->gone)
			jw_bool(w, "cgroup_gone", true);
	}
	if (c->ct.id[0])
		jw_str(w, "container_id", c->ct.id, strlen(c->ct.id));
	if (c->ct.pod_uid[0])
		jw_cstr(w, "pod_uid", c->ct.pod_uid);
}

/* ---- --container ---- */

bool ps_container_prefix_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 12 && n <= HEX_ID_LEN && all_hex(s, n);
}

struct cont_ctx {
	const char *prefix;
	size_t plen;
	char id[PS_CONTAINER_ID_MAX]; /* the first match */
	char *dir;
	size_t dirlen, dlen;
	char other[PS_CONTAINER_ID_MAX]; /* a second container, or the first in a second place */
	bool twice;
};

static int find_cont(void *ctx, const char *rel, size_t len, const struct stat *st)
{
	struct cont_ctx *f = ctx;
	struct ps_container ct;

	if (!ps_cgroup_parse(rel, len, &ct) || !ct.id[0] || strncmp(ct.id, f->prefix, f->plen))
		return 0;
	if (!f->id[0]) {
		if (mnt_len + len + 2 > f->dirlen)
			return 0;
		snprintf(f->dir, f->dirlen, "%s%s", mnt_path, len ? rel : "/");
		f->dlen = len;
		strcpy(f->id, ct.id);
		return 0;
	}
	/* pre-order: the container's own directory came first, its children follow */
	if (!strcmp(ct.id, f->id) && len > f->dlen && rel[f->dlen] == '/' &&
	    !memcmp(rel, f->dir + mnt_len, f->dlen))
		return 0;
	strcpy(f->other, ct.id);
	f->twice = !strcmp(ct.id, f->id);
	return 1;
}

int ps_container_dir(const char *prefix, char *dir, size_t dirlen, char *err, size_t errlen)
{
	struct cont_ctx f = {
		.prefix = prefix, .plen = strlen(prefix), .dir = dir, .dirlen = dirlen
	};
	int ret;

	if (!ps_container_prefix_ok(prefix)) {
		snprintf(err, errlen,
			 "invalid container id '%s': expected 12 to 64 lowercase hex digits "
			 "(a prefix of the id, as docker ps shows it)",
			 prefix);
		return -EINVAL;
	}
	ret = walk(find_cont, &f);
	if (ret == -E2BIG) {
		snprintf(err, errlen,
			 "the cgroup tree at %s has more than %u directories: not searched whole",
			 mnt_path, WALK_DIRS);
		return -E2BIG;
	}
	if (ret < 0) {
		snprintf(err, errlen, "no cgroup v2 hierarchy to look for container '%s' in: %s",
			 prefix, strerror(-ret));
		return -ENOENT;
	}
	if (!f.id[0]) {
		snprintf(err, errlen,
			 "no container with an id starting '%s' in the cgroup tree at %s", prefix,
			 mnt_path);
		return -ENOENT;
	}
	if (ret > 0) {
		if (f.twice)
			snprintf(err, errlen,
				 "container %s is in more than one cgroup: cannot filter on one",
				 f.id);
		else
			snprintf(err, errlen,
				 "container id prefix '%s' is ambiguous: %s and %s (at least): "
				 "give more digits",
				 prefix, f.id, f.other);
		return -EEXIST;
	}
	return 0;
}

int ps_container_open(const char *prefix, const char *tool)
{
	char dir[PATH_MAX], err[512];
	int fd;

	if (ps_container_dir(prefix, dir, sizeof(dir), err, sizeof(err))) {
		fprintf(stderr, "%s: --container: %s\n", tool, err);
		return -1;
	}
	fd = ps_open_cgroup(dir, err, sizeof(err));
	if (fd < 0)
		fprintf(stderr, "%s: --container: %s\n", tool, err);
	return fd < 0 ? -1 : fd;
}

const char *ps_container_opt(const char *tool, const char *arg, const char *prev)
{
	if (!ps_container_prefix_ok(arg))
		usage_error(tool,
			    "invalid --container '%s': expected 12 to 64 lowercase hex digits "
			    "(the id or a prefix of it, as docker ps shows)",
			    arg);
	if (prev)
		usage_error(tool, "--container given twice ('%s', '%s'): give one ID", prev, arg);
	return arg;
}

int ps_cgroup_fd_id(int fd, uint64_t *id, uint32_t *level)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(h.id) };
	char lnk[64], buf[PATH_MAX];
	struct stat st;
	ssize_t n;
	int mnt;

	if (!ps_cgroup2_mount())
		return -ENOENT;
	/* the kernfs id is the handle (on 64-bit also the inode number) */
	if (name_to_handle_at(fd, "", &h.fh, &mnt, AT_EMPTY_PATH) == 0 &&
	    h.fh.handle_bytes == sizeof(h.id))
		*id = h.id;
	else if (fstat(fd, &st) == 0)
		*id = st.st_ino;
	else
		return -errno;
	snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d", fd);
	n = readlink(lnk, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n < mnt_len || memcmp(buf, mnt_path, mnt_len))
		return -EXDEV;
	*level = 0;
	for (ssize_t i = mnt_len; i < n; i++)
		if (buf[i] == '/' && i + 1 < n && buf[i + 1] != '/')
			(*level)++;
	return 0;
}
