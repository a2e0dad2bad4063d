// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include "lib/opts.h"
#include "lib/privs.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool user_set;
static uint32_t user_uid, user_gid;

/* The primary group of @uid in /etc/passwd (no NSS: static binary), or @uid. */
static uint32_t passwd_gid(uint32_t uid)
{
	char line[1024];
	uint32_t gid = uid;
	FILE *f = fopen("/etc/passwd", "re");

	if (!f)
		return gid;
	while (fgets(line, sizeof(line), f)) {
		unsigned int u, g;

		/* name:password:uid:gid: */
		if (sscanf(line, "%*[^:]:%*[^:]:%u:%u:", &u, &g) == 2 && u == uid) {
			gid = g;
			break;
		}
	}
	fclose(f);
	return gid;
}

void ps_privs_user_opt(const char *tool, const char *arg)
{
	if (user_set)
		usage_error(tool, "--user given twice");
	if (parse_uid(arg, &user_uid))
		usage_error(tool, "invalid --user '%s': no such user", arg);
	user_gid = passwd_gid(user_uid);
	user_set = true;
}

static int cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = CAP_BPF;

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_BPF;
		fclose(f);
	}
	return last;
}

static int caps_set(uint64_t eff, uint64_t perm)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ .effective = (uint32_t)eff, .permitted = (uint32_t)perm },
		{ .effective = (uint32_t)(eff >> 32), .permitted = (uint32_t)(perm >> 32) },
	};

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* The permitted set now: nothing can be kept that is not in it. */
static uint64_t caps_permitted(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d))
		return 0;
	return d[0].permitted | (uint64_t)d[1].permitted << 32;
}

int ps_privs_drop(const char *tool, int bpf_fd)
{
	uint64_t keep = 1ull << CAP_DAC_READ_SEARCH, bpf = 0;
	uint64_t perm = caps_permitted();
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	int last = cap_last(), err;

	/* CAP_BPF where the kernel has it, else what bpf() wanted before it */
	bpf = 1ull << (last >= CAP_BPF ? CAP_BPF : CAP_SYS_ADMIN);
	keep &= perm;
	bpf &= perm;
	/* can we still read our maps without it? (since Linux 6.5: yes) */
	if (caps_set(perm & ~bpf, perm))
		goto fail;
	memset(&info, 0, sizeof(info));
	if (bpf_fd >= 0 && bpf_obj_get_info_by_fd(bpf_fd, &info, &len) && errno == EPERM)
		keep |= bpf;
	/* the bounding set, while we still have CAP_SETPCAP (a tool given only
	 * the BPF capabilities cannot, and needs not: it has nothing to regain) */
	for (int c = 0; (perm >> CAP_SETPCAP & 1) && c <= last && c < 64; c++)
		if (!(keep & (1ull << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL)
			goto fail;
	if (user_set) {
		gid_t g = user_gid;

		/* keep the permitted set across the uid change, then drop it below */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || setgroups(1, &g) ||
		    setresgid(user_gid, user_gid, user_gid) ||
		    setresuid(user_uid, user_uid, user_uid) || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0)) {
			err = -errno;
			fprintf(stderr, "%s: --user: cannot become uid %u gid %u: %s\n", tool,
				user_uid, user_gid, strerror(-err));
			return err;
		}
	}
	if (caps_set(keep, keep))
		goto fail;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		goto fail;
	/* and no exec can give any back (setuid files, file capabilities) */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		goto fail;
	return 0;
fail:
	err = -errno;
	fprintf(stderr, "%s: dropping privileges failed: %s\n", tool, strerror(-err));
	return err;
}
