/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hook sets: the one loader every tool uses to pick where its BPF
 * programs attach. A tool describes its sides (e.g. "syscall-side" and
 * "exec-side") and, per side, its hooks in order of preference, each
 * with the programs it loads and a cheap availability probe. The loader
 * picks the first usable hook of each side (or the one --hook forces),
 * loads, attaches, and on a load or attach failure gives up that hook
 * alone (the side at fault is found by loading sides one at a time) and
 * tries the next. Failures that are not about hooks (the tool's own
 * configure or after-load steps) end the loading at once.
 */
#ifndef PROCSNOOP_HOOKS_H
#define PROCSNOOP_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <bpf/libbpf.h>

struct jw;

#define PS_HOOK_PROGS 6 /* programs per hook */
#define PS_HOOK_SIDES 4 /* sides per set */
#define PS_HOOK_MAX 16	/* hooks per set */
#define PS_HOOK_LINKS (PS_HOOK_PROGS * PS_HOOK_SIDES)

/* ps_hook.flags */
#define PS_HOOK_SLEEPABLE 0x1 /* load its programs sleepable */
#define PS_HOOK_NOATTACH 0x2  /* the tool attaches its programs itself (ops.attach) */

struct ps_hook {
	const char *name; /* for --hook and messages */
	int side;	  /* index in ps_hookset.sides */
	/* programs (names in the object) this hook loads and attaches, in
	 * attach order; none: the side's "off" choice, which loads nothing */
	const char *progs[PS_HOOK_PROGS];
	unsigned int flags; /* PS_HOOK_* */
	/* cheap check before any load (no object): 0, or -errno and the reason */
	int (*probe)(void *ctx, const struct ps_hook *h, char *why, size_t len);
	/* after the object is open and configured, before load (attach targets) */
	int (*prepare)(void *ctx, struct bpf_object *obj, const struct ps_hook *h);
	/* not used when the hook of this name is picked on an earlier side:
	 * that one does this one's work already (running both would report
	 * twice); the side then falls back to the next hook */
	const char *covered_by;
};

struct ps_hook_side {
	const char *name; /* "syscall-side" */
	bool quiet;	  /* falling back on this side is expected: only -v says so */
};

struct ps_hookset {
	const char *tool; /* for messages */
	const struct ps_hook_side *sides;
	int nsides;
	const struct ps_hook *hooks;
	int nhooks;
	/* sides in the order their programs attach (NULL: 0, 1, ...): a
	 * program that consumes what another produces attaches first */
	const int *attach_order;
};

/* What the tool does around loading; ctx is the tool's. */
struct ps_loader_ops {
	/* open the object (e.g. a skeleton); NULL with errno set on failure */
	struct bpf_object *(*open)(void *ctx);
	/* before load, after autoload is set: transport, rodata (may depend
	 * on @picked, one hook per side). An error ends loading. */
	int (*configure)(void *ctx, struct bpf_object *obj, const struct ps_hook *const *picked);
	/* after load, before attach (e.g. fill maps). An error ends loading. */
	int (*loaded)(void *ctx, struct bpf_object *obj);
	/* attach programs of PS_HOOK_NOATTACH hooks. An error ends loading. */
	int (*attach)(void *ctx, struct bpf_object *obj);
	/* destroy what open() made */
	void (*close)(void *ctx);
};

struct ps_loaded {
	struct bpf_object *obj;
	const struct ps_hook *picked[PS_HOOK_SIDES];
	int nsides;
	struct bpf_link *links[PS_HOOK_LINKS];
	int nlinks;
};

/*
 * --hook LIST: comma-separated hook names, at most one per side; fills
 * @forced[side] with hook indexes (-1: not forced). A usage error (exit 2)
 * on an unknown name, two hooks for one side, or an empty list.
 */
void ps_hooks_parse(const struct ps_hookset *set, const char *prog, const char *list,
		    int forced[PS_HOOK_SIDES]);

/*
 * Pick, load and attach. 0 with @out filled, or -errno after one clear
 * message on stderr (every hook that was given up on, and why).
 */
int ps_hooks_load(const struct ps_hookset *set, const int forced[PS_HOOK_SIDES],
		  const struct ps_loader_ops *ops, void *ctx, bool verbose, struct ps_loaded *out);
/* Detach (the object itself is closed by ops.close). */
void ps_loaded_detach(struct ps_loaded *l);
/* ,"hooks":[...] : the attached programs' section names, side by side */
void ps_loaded_json(struct jw *w, const struct ps_loaded *l);

#endif
