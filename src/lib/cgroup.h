/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cgroup v2 ids to paths, and paths to containers.
 *
 * Every record carries the cgroup v2 id of its task (a kernfs node id).
 * User space turns it into the path below the cgroup2 mount with one
 * open_by_handle_at() (the id is the kernfs file handle) and caches the
 * answer, so only the first event of a cgroup pays for a lookup. The
 * path is then parsed once, by a pure function, for the ids container
 * runtimes and Kubernetes put in their cgroup names.
 */
#ifndef PROCSNOOP_CGROUP_H
#define PROCSNOOP_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jw;

enum ps_runtime {
	PS_RT_NONE,
	PS_RT_DOCKER,
	PS_RT_CONTAINERD,
	PS_RT_CRIO,
	PS_RT_PODMAN,
	PS_RT_LXC,
	PS_RT_CRI, /* a bare id below a Kubernetes pod (cgroupfs driver): any CRI runtime */
};

/* A cgroup path segment is at most NAME_MAX (255) bytes: any id fits whole. */
#define PS_CONTAINER_ID_MAX 256
#define PS_POD_UID_MAX 40

struct ps_container {
	enum ps_runtime runtime; /* of the innermost container; PS_RT_NONE: none */
	char id[PS_CONTAINER_ID_MAX];
	char pod_uid[PS_POD_UID_MAX]; /* "" unless a kubepods path */
};

/*
 * Parse a cgroup path (as in /proc/PID/cgroup, "/system.slice/x.scope")
 * of @len bytes. Pure: no I/O, any input is safe. Fills @out (zeroed
 * first) and says whether a container or pod was found. Nested
 * containers: the innermost (the last segment that names one) wins.
 */
bool ps_cgroup_parse(const char *path, size_t len, struct ps_container *out);
/* "docker", "containerd", "crio", "podman", "lxc", "cri", or NULL */
const char *ps_runtime_name(enum ps_runtime rt);

/* One cached resolution. */
struct ps_cgroup {
	uint64_t id;
	char *path; /* below the cgroup2 mount, "/" for the root; NULL if unresolved */
	bool gone;  /* the cgroup was removed before it could be resolved */
	struct ps_container ct;
};

/*
 * The cgroup of @id: from the cache, or resolved now (one
 * open_by_handle_at and one readlink). Valid until the next call.
 * An id that cannot be resolved counts once in ps_cgroup_failed().
 */
const struct ps_cgroup *ps_cgroup_lookup(uint64_t id);
/* cgroup ids that could not be resolved to a path (PS_C_CGROUP_FAILED) */
uint64_t ps_cgroup_failed(void);
/* The JSON members of a record's cgroup: "cgroup" (string or null), and
 * when they apply "cgroup_gone", "container_id", "pod_uid". */
void ps_cgroup_json(struct jw *w, uint64_t id);

/* The cgroup2 mount point (first in /proc/self/mounts); NULL if none. */
const char *ps_cgroup2_mount(void);

/*
 * --container PREFIX: the one cgroup directory (absolute) of the
 * container whose id starts with @prefix, found by walking the cgroup2
 * tree. 0; -EINVAL if @prefix is malformed (not 12 to 64 lowercase hex
 * digits); -ENOENT if no container, -EEXIST if more than one matches,
 * -E2BIG if the tree is too big to search whole (over 2^20 directories).
 * @err gets one line for the user.
 */
int ps_container_dir(const char *prefix, char *dir, size_t dirlen, char *err, size_t errlen);
/* Is @s a well-formed --container prefix? */
bool ps_container_prefix_ok(const char *s);
/* Open the cgroup of --container @prefix for the kernel filter: an fd, or
 * -1 with one line on stderr (no such container, ambiguous). */
int ps_container_open(const char *prefix, const char *tool);
/* The cgroup v2 id of the directory @fd and its depth (the root is 0), as
 * bpf_get_current_ancestor_cgroup_id() sees them. 0 or -errno. */
int ps_cgroup_fd_id(int fd, uint64_t *id, uint32_t *level);
/* --container ARG while parsing options: ARG, or a usage error (exit 2)
 * if it is malformed or @prev (an earlier --container) is set. */
const char *ps_container_opt(const char *tool, const char *arg, const char *prev);

#endif
