/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Least privilege after start: once the programs are attached, the run
 * loop needs almost nothing a root process has, so a bug in parsing
 * hostile data (argv, paths, ELF files) must not be worth root. The
 * session drops every capability but the ones its loop uses, sets
 * no_new_privs, and with --user USER also becomes that user.
 */
#ifndef PROCSNOOP_PRIVS_H
#define PROCSNOOP_PRIVS_H

#include <stdint.h>

/* --user USER (a name from /etc/passwd, or a number): a usage error (exit 2)
 * if unknown or given twice. */
void ps_privs_user_opt(const char *tool, const char *arg);

/*
 * Drop what the run loop does not need. Kept: CAP_DAC_READ_SEARCH
 * (cgroup id to path: open_by_handle_at), and CAP_BPF only on kernels
 * where reading our own maps through their fds needs it (tried on
 * @bpf_fd, one of our maps; before 6.5 every bpf() command did).
 * Everything else leaves the effective, permitted, inheritable, ambient
 * and bounding sets. 0, or -errno after one line on stderr.
 */
int ps_privs_drop(const char *tool, int bpf_fd);

#endif
