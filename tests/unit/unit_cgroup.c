// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup path parser (src/lib/cgroup.c): container ids and pod uids
 * from real-world cgroup v2 paths of each runtime and driver (as seen in
 * /proc/PID/cgroup on such hosts, and in the test tables of Falco,
 * Tetragon, containerd and the container-info libraries), and hostile ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/cgroup.h"
#include "ps_test.h"

#define ID_A "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d"
#define ID_B "d4e8e05a546c86b6443f101966c618e47753ed01fa9929cae00d3b692f7a9f80"
#define UID_D "2c48913c-b29f-11e7-9350-020968147796"
#define UID_U "2c48913c_b29f_11e7_9350_020968147796"

struct tc {
	const char *path;
	const char *runtime; /* NULL: no container */
	const char *id;
	const char *pod; /* NULL: no pod */
};

static const struct tc cases[] = {
	/* Docker: systemd and cgroupfs drivers */
	{ "/system.slice/docker-" ID_A ".scope", "docker", ID_A, NULL },
	{ "/docker/" ID_A, "docker", ID_A, NULL },
	/* docker with a systemd inside (cgroupns): sub-cgroups of the container */
	{ "/system.slice/docker-" ID_A ".scope/system.slice/cron.service", "docker", ID_A, NULL },
	{ "/system.slice/docker-" ID_A ".scope/init.scope", "docker", ID_A, NULL },
	/* rootless docker */
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/docker-" ID_A ".scope",
	  "docker", ID_A, NULL },
	/* containerd through CRI, systemd driver, each QoS class */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_U
	  ".slice/cri-containerd-" ID_B ".scope",
	  "containerd", ID_B, UID_D },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_U
	  ".slice/cri-containerd-" ID_B ".scope",
	  "containerd", ID_B, UID_D },
	{ "/kubepods.slice/kubepods-pod" UID_U ".slice/cri-containerd-" ID_B ".scope", "containerd",
	  ID_B, UID_D },
	/* systemd driver with '-' in the uid (seen in the wild) */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_D
	  ".slice/cri-containerd-" ID_B ".scope",
	  "containerd", ID_B, UID_D },
	/* the pod's own cgroup: a pod, no container */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_U ".slice", NULL,
	  NULL, UID_D },
	{ "/kubepods.slice/kubepods-burstable.slice", NULL, NULL, NULL },
	/* containerd colon form (runc's systemd notation kept as a name; k3s, containerd 1.5+) */
	{ "/system.slice/containerd.service/kubepods-besteffort-pod214f3ba8_4b69_4bdb_a7d5_"
	  "5ecc73f04ae9.slice:cri-containerd:" ID_B,
	  "containerd", ID_B, "214f3ba8-4b69-4bdb-a7d5-5ecc73f04ae9" },
	{ "/kubepods-burstable-pod" UID_D ".slice:cri-containerd:" ID_A, "containerd", ID_A,
	  UID_D },
	/* cgroupfs driver (k3s, kubeadm with cgroupfs): each QoS class, bare id */
	{ "/kubepods/besteffort/pod74c13223-5a00-11e9-b385-42010a80018d/" ID_A, "cri", ID_A,
	  "74c13223-5a00-11e9-b385-42010a80018d" },
	{ "/kubepods/burstable/pod" UID_D "/" ID_B, "cri", ID_B, UID_D },
	{ "/kubepods/pod" UID_D "/" ID_B, "cri", ID_B, UID_D },
	{ "/kubepods/burstable/pod" UID_D, NULL, NULL, UID_D },
	/* a static pod: its uid is a 32-hex hash of the manifest */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
	  "5f3c9b2e8a1d4c7b9e0f1a2b3c4d5e6f.slice/cri-containerd-" ID_A ".scope",
	  "containerd", ID_A, "5f3c9b2e8a1d4c7b9e0f1a2b3c4d5e6f" },
	/* CRI-O: systemd and cgroupfs; conmon is no container */
	{ "/kubepods.slice/kubepods-pod" UID_U ".slice/crio-" ID_A ".scope", "crio", ID_A, UID_D },
	{ "/kubepods.slice/kubepods-pod" UID_U ".slice/crio-" ID_A ".scope/container", "crio", ID_A,
	  UID_D },
	{ "/kubepods/besteffort/pod" UID_D "/crio-" ID_A, "crio", ID_A, UID_D },
	{ "/kubepods.slice/kubepods-pod" UID_U ".slice/crio-conmon-" ID_A ".scope", NULL, NULL,
	  UID_D },
	/* Podman: root, rootless, cgroupfs, in a pod; conmon is none */
	{ "/machine.slice/libpod-" ID_A ".scope", "podman", ID_A, NULL },
	{ "/machine.slice/libpod-" ID_A ".scope/container", "podman", ID_A, NULL },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_A ".scope",
	  "podman", ID_A, NULL },
	{ "/libpod_parent/libpod-" ID_A, "podman", ID_A, NULL },
	{ "/machine.slice/machine-libpod_pod_" ID_B ".slice/libpod-" ID_A ".scope", "podman", ID_A,
	  NULL },
	{ "/machine.slice/libpod-conmon-" ID_A ".scope", NULL, NULL, NULL },
	/* LXC / LXD: the payload, not the monitor */
	{ "/lxc.payload.web01", "lxc", "web01", NULL },
	{ "/lxc.payload.web01/system.slice/ssh.service", "lxc", "web01", NULL },
	{ "/lxc.monitor.web01", NULL, NULL, NULL },
	{ "/lxc.payload.", NULL, NULL, NULL },
	/* nested: the innermost container wins (docker in docker, kind, k8s in lxc) */
	{ "/docker/" ID_A "/docker/" ID_B, "docker", ID_B, NULL },
	{ "/system.slice/docker-" ID_A ".scope/kubepods/burstable/pod" UID_D "/" ID_B, "cri", ID_B,
	  UID_D },
	{ "/system.slice/docker-" ID_A ".scope/kubepods/burstable/pod" UID_D, "docker", ID_A,
	  UID_D },
	{ "/lxc.payload.k8s/kubepods.slice/kubepods-pod" UID_U ".slice/cri-containerd-" ID_B
	  ".scope",
	  "containerd", ID_B, UID_D },
	/* no container */
	{ "/", NULL, NULL, NULL },
	{ "", NULL, NULL, NULL },
	{ "/system.slice/cron.service", NULL, NULL, NULL },
	{ "/system.slice/docker.service", NULL, NULL, NULL },
	{ "/system.slice/containerd.service", NULL, NULL, NULL },
	{ "/user.slice/user-1000.slice/session-3.scope", NULL, NULL, NULL },
	{ "/init.scope", NULL, NULL, NULL },
	/* hostile: ids of the wrong length, not hex, upper case, junk around */
	{ "/system.slice/docker-" ID_A "0.scope", NULL, NULL, NULL },
	{ "/system.slice/docker-9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3.scope",
	  NULL, NULL, NULL },
	{ "/system.slice/docker-9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3g.scope",
	  NULL, NULL, NULL },
	{ "/system.slice/docker-9EC39B91F3D70E1BEFF50A308F77067065EA6BE0D91A3378375056CD4422CF3D.scope",
	  NULL, NULL, NULL },
	{ "/system.slice/docker-" ID_A ".scope.bak", NULL, NULL, NULL },
	{ "/system.slice/docker-" ID_A ".scopes", NULL, NULL, NULL },
	{ "/system.slice/docker-.scope", NULL, NULL, NULL },
	{ "/system.slice/xdocker-" ID_A ".scope", NULL, NULL, NULL },
	{ "/docker/abc", NULL, NULL, NULL },
	{ "/" ID_A, NULL, NULL, NULL }, /* a bare id anywhere is no container */
	{ "/other/" ID_A, NULL, NULL, NULL },
	{ "/kubepods/burstable/podnot-a-uid/" ID_A, NULL, NULL, NULL },
	{ "/kubepods/burstable/pod2c48913c-b29f_11e7-9350-020968147796", NULL, NULL, NULL },
	{ "/kubepods/burstable/pod2c48913c-b29f-11e7-9350-02096814779", NULL, NULL, NULL },
	{ "/kubepods/burstable/pod2c48913c-b29f-11e7-9350-0209681477966", NULL, NULL, NULL },
	{ "/kubepods/burstable/pod2c48913cxb29fx11e7x9350x020968147796", NULL, NULL, NULL },
	{ "/other/burstable/pod" UID_D, NULL, NULL, NULL }, /* not under kubepods */
	{ "/kubepods-burstable-pod" UID_U ".slicex", NULL, NULL, NULL },
	{ "/x.slice:cri-containerd:" ID_A "0", NULL, NULL, NULL },
	{ "/x.slice:cri-containerd:abc", NULL, NULL, NULL },
	{ "/x.slice:other:" ID_A, NULL, NULL, NULL },
	{ "/:cri-containerd:" ID_A, "containerd", ID_A, NULL },
	{ "////docker-" ID_A ".scope///", "docker", ID_A, NULL },
};

static void one(const struct tc *t)
{
	struct ps_container ct;
	const char *rt;
	char name[64];
	bool found;

	snprintf(name, sizeof(name), "parse %.50s", t->path[0] ? t->path : "(empty)");
	found = ps_cgroup_parse(t->path, strlen(t->path), &ct);
	rt = ps_runtime_name(ct.runtime);
	CHECK(name, found == (t->id || t->pod), "found %d for [%s]", found, t->path);
	if (t->runtime)
		CHECK(name, rt && !strcmp(rt, t->runtime) && !strcmp(ct.id, t->id),
		      "runtime %s id [%s], want %s [%s], path [%s]", rt ? rt : "-", ct.id,
		      t->runtime, t->id, t->path);
	else
		CHECK(name, !rt && !ct.id[0], "runtime %s id [%s] from [%s]", rt ? rt : "-", ct.id,
		      t->path);
	CHECK(name, !strcmp(ct.pod_uid, t->pod ? t->pod : ""), "pod [%s], want [%s], path [%s]",
	      ct.pod_uid, t->pod ? t->pod : "", t->path);
}

/* overlong: a 1 MiB path, a segment longer than any name, an LXC name too long to keep whole */
static void overlong(void)
{
	size_t n = 1 << 20;
	char *p = malloc(n + 1);
	struct ps_container ct;
	bool found;

	memset(p, 'a', n);
	p[n] = 0;
	found = ps_cgroup_parse(p, n, &ct);
	CHECK("parse 1 MiB segment", !found && !ct.id[0], "found %d", found);
	for (size_t i = 0; i + 2 < n; i += 2)
		p[i] = '/';
	found = ps_cgroup_parse(p, n, &ct);
	CHECK("parse 512K segments", !found, "found %d", found);
	memcpy(p, "/lxc.payload.", 13);
	memset(p + 13, 'x', 400);
	p[413] = 0;
	found = ps_cgroup_parse(p, 413, &ct);
	CHECK("parse lxc name of 400 bytes: none, never cut", !found && !ct.id[0], "found %d [%s]",
	      found, ct.id);
	/* the length given bounds the parse, NUL or not */
	strcpy(p, "/system.slice/docker-" ID_A ".scope");
	found = ps_cgroup_parse(p, 30, &ct);
	CHECK("parse stops at len", !found, "found %d", found);
	/* found by fuzzing: a NUL right after "lxc.payload." gave runtime lxc, id "" */
	memcpy(p, "/lxc.payload.\0\0\x8d\0\x07", 18);
	found = ps_cgroup_parse(p, 18, &ct);
	CHECK("parse ends at NUL: no empty id", !found && !ct.id[0] && ct.runtime == PS_RT_NONE,
	      "found %d runtime %d", found, ct.runtime);
	free(p);
}

static void prefix(void)
{
	CHECK("prefix 12 hex", ps_container_prefix_ok("9ec39b91f3d7"), "refused");
	CHECK("prefix 64 hex", ps_container_prefix_ok(ID_A), "refused");
	CHECK("prefix 11 hex", !ps_container_prefix_ok("9ec39b91f3d"), "accepted");
	CHECK("prefix 65 hex", !ps_container_prefix_ok(ID_A "0"), "accepted");
	CHECK("prefix upper", !ps_container_prefix_ok("9EC39B91F3D7"), "accepted");
	CHECK("prefix non-hex", !ps_container_prefix_ok("9ec39b91f3dz"), "accepted");
	CHECK("prefix empty", !ps_container_prefix_ok(""), "accepted");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		one(&cases[i]);
	overlong();
	prefix();
	return TEST_EXIT();
}
