// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/hooks.h"
#include "lib/json.h"
#include "lib/opts.h"

struct hook_state {
	bool failed[PS_HOOK_MAX];
	bool load_failed[PS_HOOK_MAX]; /* the verifier said no: -v shows why */
	char why[PS_HOOK_MAX][160];
};

static int hook_index(const struct ps_hookset *set, const char *name)
{
	for (int i = 0; i < set->nhooks; i++)
		if (!strcmp(set->hooks[i].name, name))
			return i;
	return -1;
}

void ps_hooks_parse(const struct ps_hookset *set, const char *prog, const char *list,
		    int forced[PS_HOOK_SIDES])
{
	char *dup = strdup(list), *save = NULL, all[256];
	size_t n = 0;
	int count = 0;

	if (!dup)
		usage_error(prog, "out of memory");
	all[0] = 0;
	for (int i = 0; i < set->nhooks && n < sizeof(all); i++)
		n += snprintf(all + n, sizeof(all) - n, "%s%s", i ? ", " : "", set->hooks[i].name);
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int h = hook_index(set, t);
		int side;

		if (h < 0)
			usage_error(prog, "unknown hook '%s' (%s)", t, all);
		side = set->hooks[h].side;
		/* silently keeping the last one would run a hook not asked for */
		if (forced[side] >= 0 && forced[side] != h)
			usage_error(prog,
				    "--hook: '%s' and '%s' are both %s hooks: give one per side",
				    set->hooks[forced[side]].name, t, set->sides[side].name);
		forced[side] = h;
		count++;
	}
	free(dup);
	if (!count)
		usage_error(prog, "--hook needs a LIST of hooks (see --help)");
}

static void give_up(const struct ps_hookset *set, struct hook_state *st, int h, bool verbose,
		    bool load, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void give_up(const struct ps_hookset *set, struct hook_state *st, int h, bool verbose,
		    bool load, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->why[h], sizeof(st->why[h]), fmt, ap);
	va_end(ap);
	st->failed[h] = true;
	st->load_failed[h] = load;
	/* falling back is normal (e.g. no fentry): say so only when asked */
	if (verbose)
		fprintf(stderr, "%s: hook '%s': %s\n", set->tool, set->hooks[h].name, st->why[h]);
}

static bool usable(const struct ps_hookset *set, struct hook_state *st, int h, void *ctx,
		   bool verbose)
{
	const struct ps_hook *hk = &set->hooks[h];
	char why[160] = "";
	int err;

	if (st->failed[h])
		return false;
	if (!hk->probe)
		return true;
	err = hk->probe(ctx, hk, why, sizeof(why));
	if (!err)
		return true;
	give_up(set, st, h, verbose, false, "%s", why[0] ? why : strerror(-err));
	return false;
}

/* The earlier side's pick that covers hook @h (see ps_hook.covered_by), or NULL. */
static const struct ps_hook *covering(const struct ps_hookset *set, int h, const int picked[])
{
	const char *by = set->hooks[h].covered_by;

	for (int s = 0; by && s < set->hooks[h].side; s++)
		if (!strcmp(set->hooks[picked[s]].name, by))
			return &set->hooks[picked[s]];
	return NULL;
}

/* The hook of @side to try now, or -1 with the reason reported. */
static int pick(const struct ps_hookset *set, struct hook_state *st, int side, int forced,
		void *ctx, bool verbose, const int picked[])
{
	const struct ps_hook *cov;
	bool any_load = false;

	if (forced >= 0) {
		cov = covering(set, forced, picked);
		if (cov) {
			fprintf(stderr,
				"%s: hook '%s' (forced with --hook) cannot be used with '%s', "
				"which does its work already\n",
				set->tool, set->hooks[forced].name, cov->name);
			return -1;
		}
		if (usable(set, st, forced, ctx, verbose))
			return forced;
		fprintf(stderr, "%s: hook '%s' (forced with --hook) cannot be used: %s%s\n",
			set->tool, set->hooks[forced].name, st->why[forced],
			st->load_failed[forced] && !verbose ? " (-v shows the verifier log)" : "");
		return -1;
	}
	for (int h = 0; h < set->nhooks; h++) {
		if (set->hooks[h].side != side)
			continue;
		/* not a failure: asked again next round, the cover may be gone */
		cov = covering(set, h, picked);
		if (cov) {
			if (verbose)
				fprintf(stderr, "%s: hook '%s': not needed: '%s' does its work\n",
					set->tool, set->hooks[h].name, cov->name);
			continue;
		}
		if (usable(set, st, h, ctx, verbose))
			return h;
	}
	fprintf(stderr, "%s: no usable %s hook:", set->tool, set->sides[side].name);
	for (int h = 0; h < set->nhooks; h++) {
		if (set->hooks[h].side != side)
			continue;
		fprintf(stderr, " %s: %s;", set->hooks[h].name, st->why[h]);
		any_load |= st->load_failed[h];
	}
	fprintf(stderr, "%s\n", any_load && !verbose ? " (-v shows the verifier log)" : "");
	return -1;
}

/*
 * Open and configure the object with the picked hooks' programs set to
 * load (all sides, or @only one). Returns 0; a negative error of the tool
 * (fatal); or a positive hook index whose prepare() failed.
 */
static int open_with(const struct ps_hookset *set, const struct ps_loader_ops *ops, void *ctx,
		     const int picked[PS_HOOK_SIDES], int only, struct bpf_object **objp, char *why,
		     size_t whylen)
{
	const struct ps_hook *ph[PS_HOOK_SIDES] = {};
	struct bpf_object *obj;
	struct bpf_program *p;
	int err;

	obj = ops->open(ctx);
	if (!obj) {
		err = errno ? -errno : -EINVAL;
		fprintf(stderr, "%s: cannot open the BPF object: %s\n", set->tool, strerror(-err));
		return err;
	}
	*objp = obj;
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, false);
	for (int s = 0; s < set->nsides; s++) {
		const struct ps_hook *hk = &set->hooks[picked[s]];

		ph[s] = hk;
		if (only >= 0 && s != only)
			continue;
		for (int i = 0; i < PS_HOOK_PROGS && hk->progs[i]; i++) {
			p = bpf_object__find_program_by_name(obj, hk->progs[i]);
			if (!p) {
				fprintf(stderr,
					"%s: internal error: hook '%s' names program '%s', "
					"which the object lacks\n",
					set->tool, hk->name, hk->progs[i]);
				return -ENOENT;
			}
			bpf_program__set_autoload(p, true);
			if (hk->flags & PS_HOOK_SLEEPABLE)
				bpf_program__set_flags(p, bpf_program__flags(p) | BPF_F_SLEEPABLE);
		}
	}
	err = ops->configure ? ops->configure(ctx, obj, ph) : 0;
	if (err)
		return err < 0 ? err : -EINVAL;
	for (int s = 0; s < set->nsides; s++) {
		const struct ps_hook *hk = ph[s];

		if ((only >= 0 && s != only) || !hk->prepare)
			continue;
		err = hk->prepare(ctx, obj, hk);
		if (err) {
			snprintf(why, whylen, "cannot set it up: %s", strerror(-err));
			return picked[s] + 1;
		}
	}
	return 0;
}

static bool side_loads(const struct ps_hookset *set, const int picked[], int s)
{
	return set->hooks[picked[s]].progs[0] != NULL;
}

/*
 * The load with every side failed: which side's hook is at fault? Load
 * each side alone (the others' programs are not verified then), so a
 * working hook is never the one given up on.
 */
static int culprit(const struct ps_hookset *set, const struct ps_loader_ops *ops, void *ctx,
		   const int picked[PS_HOOK_SIDES])
{
	int last = -1, nload = 0;

	for (int s = 0; s < set->nsides; s++)
		if (side_loads(set, picked, s)) {
			last = s;
			nload++;
		}
	if (nload <= 1)
		return last;
	for (int s = 0; s < set->nsides; s++) {
		struct bpf_object *obj = NULL;
		char why[160];
		int err;

		if (!side_loads(set, picked, s))
			continue;
		err = open_with(set, ops, ctx, picked, s, &obj, why, sizeof(why));
		if (!err)
			err = bpf_object__load(obj);
		ops->close(ctx);
		if (err)
			return s;
	}
	return last; /* each loads alone: blame the last side */
}

int ps_hooks_load(const struct ps_hookset *set, const int forced[PS_HOOK_SIDES],
		  const struct ps_loader_ops *ops, void *ctx, bool verbose, struct ps_loaded *out)
{
	struct hook_state st = {};
	int picked[PS_HOOK_SIDES];

	memset(out, 0, sizeof(*out));
	/* each round gives up one hook, or ends */
	for (int round = 0; round <= set->nhooks; round++) {
		struct bpf_object *obj = NULL;
		char why[160] = "";
		int err;

		for (int s = 0; s < set->nsides; s++) {
			picked[s] = pick(set, &st, s, forced[s], ctx, verbose, picked);
			if (picked[s] < 0)
				return -ENOENT;
		}
		err = open_with(set, ops, ctx, picked, -1, &obj, why, sizeof(why));
		if (err < 0) {
			ops->close(ctx);
			return err;
		}
		if (err > 0) {
			give_up(set, &st, err - 1, verbose, false, "%s", why);
			ops->close(ctx);
			continue;
		}
		err = bpf_object__load(obj);
		if (err) {
			int s;

			ops->close(ctx);
			s = culprit(set, ops, ctx, picked);
			give_up(set, &st, picked[s], verbose, true,
				"failed to load BPF programs: %s", strerror(-err));
			continue;
		}
		if (ops->loaded && (err = ops->loaded(ctx, obj))) {
			ops->close(ctx);
			return err < 0 ? err : -EINVAL;
		}
		out->obj = obj;
		out->nsides = set->nsides;
		for (int s = 0; s < set->nsides; s++)
			out->picked[s] = &set->hooks[picked[s]];
		for (int k = 0; k < set->nsides && !err; k++) {
			int s = set->attach_order ? set->attach_order[k] : k;
			const struct ps_hook *hk = out->picked[s];

			if (hk->flags & PS_HOOK_NOATTACH)
				continue;
			for (int i = 0; i < PS_HOOK_PROGS && hk->progs[i]; i++) {
				struct bpf_program *p =
					bpf_object__find_program_by_name(obj, hk->progs[i]);
				struct bpf_link *l = bpf_program__attach(p);

				if (!l) {
					err = -errno;
					give_up(set, &st, picked[s], verbose, false,
						"prog '%s': failed to attach: %s", hk->progs[i],
						strerror(-err));
					break;
				}
				out->links[out->nlinks++] = l;
			}
		}
		if (err) {
			ps_loaded_detach(out);
			ops->close(ctx);
			memset(out, 0, sizeof(*out));
			continue;
		}
		if (ops->attach && (err = ops->attach(ctx, obj))) {
			ps_loaded_detach(out);
			ops->close(ctx);
			memset(out, 0, sizeof(*out));
			return err < 0 ? err : -EINVAL;
		}
		return 0;
	}
	fprintf(stderr, "%s: no usable hooks\n", set->tool);
	return -ENOENT;
}

void ps_loaded_detach(struct ps_loaded *l)
{
	for (int i = 0; i < l->nlinks; i++)
		bpf_link__destroy(l->links[i]);
	l->nlinks = 0;
}

void ps_loaded_json(struct jw *w, const struct ps_loaded *l)
{
	jw_arr(w, "hooks");
	for (int s = 0; s < l->nsides; s++) {
		const struct ps_hook *hk = l->picked[s];

		for (int i = 0; i < PS_HOOK_PROGS && hk->progs[i]; i++) {
			struct bpf_program *p =
				bpf_object__find_program_by_name(l->obj, hk->progs[i]);

			if (p && !(hk->flags & PS_HOOK_NOATTACH))
				jw_cstr(w, NULL, bpf_program__section_name(p));
		}
	}
	jw_arr_end(w);
}
