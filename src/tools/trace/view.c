// SPDX-License-Identifier: GPL-2.0
/*
 * The views of trace (view.h): one forest built from the lives, drawn three
 * ways. All three are written at the end, from the tracer's final table, so
 * they cost nothing while tracing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "events/exit.h"
#include "lib/json.h"
#include "lib/out.h"
#include "tools/trace/view.h"

#define NONE SIZE_MAX

/* How a life ended: the colour of its bar, the class of its folding. */
enum outcome { OC_OK, OC_FAIL, OC_SIGNAL, OC_RUNNING };

struct node {
	const struct view_life *l;
	size_t parent;	/* NONE: a root */
	size_t child;	/* first child, in order of start */
	size_t next;	/* next sibling */
	unsigned depth; /* 0: a root */
	uint64_t sig;	/* the subtree's signature (folding) */
	uint64_t acc;	/* children's signatures, summed (order does not matter) */
	size_t size;	/* lives in the subtree */
	/* folding of identical siblings (tree): */
	size_t fold; /* 0: folded into an earlier sibling; else the group's size */
	uint64_t g_start, g_end, g_cpu;
	bool more; /* a later sibling is shown (the tree's "├─" rather than "└─") */
};

struct forest {
	struct node *nd;
	size_t n;
	size_t *order; /* pre-order: roots, then each node's children, in order of start */
	size_t nroots;
	size_t *roots; /* roots in order of start (the children of a virtual root) */
	const struct view_life *lv;
};

/* ---- building the forest ---- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static int by_start(const void *a, const void *b, void *arg)
{
	const struct view_life *lv = arg;
	const struct view_life *x = &lv[*(const size_t *)a], *y = &lv[*(const size_t *)b];

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static enum outcome outcome(const struct view_life *l)
{
	if (l->running)
		return OC_RUNNING;
	if (l->signal)
		return OC_SIGNAL;
	return l->exit_code ? OC_FAIL : OC_OK;
}

static bool failed(const struct view_life *l)
{
	return l->nexec_failed || (!l->running && (l->signal || l->exit_code));
}

static bool never_execd(const struct view_life *l);

/* What makes two lives the same line of the tree: command and outcome. */
static uint64_t own_sig(const struct view_life *l)
{
	uint64_t h = 0xcbf29ce484222325ull;
	int o[7] = { l->running,	  l->signal,	 l->exit_code,	l->core_dumped,
		     l->nexec_failed > 0, l->incomplete, never_execd(l) };

	h = fnv(h, o, sizeof(o));
	h = fnv(h, &l->argc, sizeof(l->argc));
	for (unsigned i = 0; i < l->argc; i++)
		h = fnv(h, l->argv[i], strlen(l->argv[i]) + 1);
	if (l->comm)
		h = fnv(h, l->comm, strlen(l->comm) + 1);
	if (l->failed_exec)
		h = fnv(h, l->failed_exec, strlen(l->failed_exec));
	return h;
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool same_own(const struct view_life *a, const struct view_life *b)
{
	if (a->running != b->running || a->signal != b->signal || a->exit_code != b->exit_code ||
	    a->core_dumped != b->core_dumped || !a->nexec_failed != !b->nexec_failed ||
	    a->incomplete != b->incomplete || a->argc != b->argc ||
	    never_execd(a) != never_execd(b))
		return false;
	for (unsigned i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]))
			return false;
	return same_str(a->comm, b->comm) && same_str(a->failed_exec, b->failed_exec);
}

static size_t lookup(const size_t *tab, size_t mask, const struct view_life *lv, const char *id)
{
	size_t h = fnv(0xcbf29ce484222325ull, id, strlen(id)) & mask;

	while (tab[h]) {
		if (!strcmp(lv[tab[h] - 1].entity_id, id))
			return tab[h] - 1;
		h = (h + 1) & mask;
	}
	return NONE;
}

static void forest_free(struct forest *fo)
{
	free(fo->nd);
	free(fo->order);
	free(fo->roots);
}

/*
 * Link the lives by entity id. A parent that is not in the table makes a
 * root; so does a loop of parent ids (a bug upstream must not hang us: the
 * walk below reaches every node once and breaks the loop where it enters).
 */
static int forest_build(struct forest *fo, const struct view_life *lv, size_t n)
{
	size_t cap = 16, *tab, *sorted, *tail, *stack, nord = 0;

	memset(fo, 0, sizeof(*fo));
	while (cap < 2 * n)
		cap <<= 1;
	fo->n = n;
	fo->lv = lv;
	fo->nd = calloc(n ? n : 1, sizeof(*fo->nd));
	fo->order = calloc(n ? n : 1, sizeof(size_t));
	fo->roots = calloc(n ? n : 1, sizeof(size_t));
	tab = calloc(cap > n ? cap : n, sizeof(size_t));
	sorted = calloc(n ? n : 1, sizeof(size_t));
	tail = calloc(n ? n : 1, sizeof(size_t));
	stack = calloc(n ? n : 1, sizeof(size_t));
	if (!fo->nd || !fo->order || !fo->roots || !tab || !sorted || !tail || !stack) {
		free(tab);
		free(sorted);
		free(tail);
		free(stack);
		forest_free(fo);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		fo->nd[i] =
			(struct node){ .l = &lv[i], .parent = NONE, .child = NONE, .next = NONE };
		tail[i] = NONE;
		sorted[i] = i;
		if (lv[i].entity_id && lookup(tab, cap - 1, lv, lv[i].entity_id) == NONE) {
			size_t h = fnv(0xcbf29ce484222325ull, lv[i].entity_id,
				       strlen(lv[i].entity_id)) &
				   (cap - 1);

			while (tab[h])
				h = (h + 1) & (cap - 1);
			tab[h] = i + 1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		size_t p = lv[i].parent_entity_id ?
				   lookup(tab, cap - 1, lv, lv[i].parent_entity_id) :
				   NONE;

		if (p != i)
			fo->nd[i].parent = p;
	}
	qsort_r(sorted, n, sizeof(size_t), by_start, (void *)lv);
	for (size_t k = 0; k < n; k++) {
		size_t i = sorted[k], p = fo->nd[i].parent;

		if (p == NONE)
			continue;
		if (tail[p] == NONE)
			fo->nd[p].child = i;
		else
			fo->nd[tail[p]].next = i;
		tail[p] = i;
	}
	/* pre-order walk from the roots; whatever it does not reach is in a
	 * loop: the earliest such node becomes a root, and the walk goes on.
	 * tab is reused: the next child to visit, per node. */
	memset(tail, 0, n * sizeof(size_t)); /* reused: 1 = visited */
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < n; k++) {
			size_t r = sorted[k], sp = 0;

			if (tail[r] || (pass == 0 && fo->nd[r].parent != NONE))
				continue;
			fo->nd[r].parent = NONE;
			fo->roots[fo->nroots++] = r;
			tail[r] = 1;
			fo->order[nord++] = r;
			tab[r] = fo->nd[r].child;
			stack[sp++] = r;
			while (sp) {
				size_t t = stack[sp - 1], c = tab[t];

				if (c == NONE) {
					sp--;
					continue;
				}
				tab[t] = fo->nd[c].next;
				if (tail[c] || fo->nd[c].parent != t)
					continue;
				tail[c] = 1;
				fo->nd[c].depth = fo->nd[t].depth + 1;
				fo->order[nord++] = c;
				tab[c] = fo->nd[c].child;
				stack[sp++] = c;
			}
		}
	}
	free(tab);
	free(sorted);
	free(tail);
	free(stack);
	/* signatures bottom-up: in reverse pre-order every child comes first */
	for (size_t i = 0; i < n; i++)
		fo->nd[i].acc = 0;
	for (size_t k = n; k-- > 0;) {
		struct node *v = &fo->nd[fo->order[k]];

		v->size += 1;
		v->sig = mix(own_sig(v->l) ^ mix(v->acc + v->size));
		if (v->parent != NONE) {
			fo->nd[v->parent].acc += mix(v->sig);
			fo->nd[v->parent].size += v->size;
		}
	}
	return 0;
}

/* The children of @p (NONE: the roots) in order, into @out; returns how many. */
static size_t children(const struct forest *fo, size_t p, size_t *out)
{
	size_t k = 0;

	if (p == NONE) {
		memcpy(out, fo->roots, fo->nroots * sizeof(size_t));
		return fo->nroots;
	}
	for (size_t c = fo->nd[p].child; c != NONE; c = fo->nd[c].next)
		if (fo->nd[c].parent == p)
			out[k++] = c;
	return k;
}

static const struct forest *sort_fo;
static int by_sig(const void *a, const void *b)
{
	const struct node *x = &sort_fo->nd[*(const size_t *)a],
			  *y = &sort_fo->nd[*(const size_t *)b];

	if (x->sig != y->sig)
		return x->sig < y->sig ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1; /* index: order of the table */
}

/*
 * Fold identical sibling subtrees: same command and outcome at every level
 * (the commands compared exactly, the subtrees below by their signature).
 * The group shows at its first member's place; its times are the group's:
 * first start to last end, CPU summed.
 */
static int fold_siblings(struct forest *fo)
{
	size_t *kids = malloc((fo->n ? fo->n : 1) * sizeof(size_t));
	size_t *bysig = malloc((fo->n ? fo->n : 1) * sizeof(size_t));

	if (!kids || !bysig) {
		free(kids);
		free(bysig);
		return -ENOMEM;
	}
	for (size_t k = 0; k <= fo->n; k++) {
		size_t p = k == fo->n ? NONE : k, m = children(fo, p, kids), last = NONE;

		memcpy(bysig, kids, m * sizeof(size_t));
		sort_fo = fo;
		qsort(bysig, m, sizeof(size_t), by_sig);
		for (size_t a = 0; a < m;) {
			struct node *lead = &fo->nd[bysig[a]];
			size_t b = a + 1;

			lead->fold = 1;
			lead->g_start = lead->l->start_ns;
			lead->g_end = lead->l->end_ns;
			lead->g_cpu = lead->l->cpu_user_ns + lead->l->cpu_sys_ns;
			for (; b < m && fo->nd[bysig[b]].sig == lead->sig; b++) {
				struct node *o = &fo->nd[bysig[b]];

				if (o->size != lead->size || !same_own(o->l, lead->l))
					break;
				o->fold = 0;
				lead->fold++;
				if (o->l->start_ns < lead->g_start)
					lead->g_start = o->l->start_ns;
				if (o->l->end_ns > lead->g_end)
					lead->g_end = o->l->end_ns;
				lead->g_cpu += o->l->cpu_user_ns + o->l->cpu_sys_ns;
			}
			/* the group's first member in order of start leads it */
			for (size_t c = a + 1; c < b; c++) {
				struct node *o = &fo->nd[bysig[c]];
				size_t li = lead - fo->nd;

				if (by_start(&bysig[c], &li, (void *)fo->lv) < 0) {
					o->fold = lead->fold;
					o->g_start = lead->g_start;
					o->g_end = lead->g_end;
					o->g_cpu = lead->g_cpu;
					lead->fold = 0;
					lead = o;
				}
			}
			a = b;
		}
		for (size_t i = 0; i < m; i++) {
			fo->nd[kids[i]].more = false;
			if (!fo->nd[kids[i]].fold)
				continue;
			if (last != NONE)
				fo->nd[last].more = true;
			last = kids[i];
		}
	}
	free(kids);
	free(bysig);
	return 0;
}

/* ---- text pieces ---- */

static bool wide_cp(uint32_t c)
{
	return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	       (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	       (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	       (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	       (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd);
}

/*
 * The unit at @p of encoded text (never to be split): an escape (\x1b is
 * four columns), an XML entity (one), a UTF-8 character (one, or two for
 * East Asian wide ones), a byte. Its length in bytes; its columns in @cols.
 */
static size_t unit(const char *p, size_t n, bool xml, unsigned *cols)
{
	uint32_t cp;
	size_t l = 1;
	int u;

	*cols = 1;
	if (xml && p[0] == '&') {
		const char *e = memchr(p, ';', n < 8 ? n : 8);

		return e ? (size_t)(e - p) + 1 : 1;
	}
	if (p[0] == '\\' && n >= 2) {
		if (xml && p[1] == '&') {
			const char *e = memchr(p + 1, ';', n - 1 < 8 ? n - 1 : 8);

			*cols = 2;
			return e ? (size_t)(e - p) + 1 : 2;
		}
		l = p[1] == 'x' ? 4 : p[1] == 'u' ? 6 : 2;
		l = l < n ? l : n;
		*cols = l;
		return l;
	}
	if ((unsigned char)p[0] >= 0x80 &&
	    (u = utf8_seq_len((const unsigned char *)p, n, &cp)) > 0) {
		*cols = wide_cp(cp) ? 2 : 1;
		return u;
	}
	return l;
}

/* Bytes of @p to keep so that it takes at most @maxcols columns; its columns in @cols. */
static size_t fit(const char *p, size_t n, bool xml, size_t maxcols, size_t *cols)
{
	size_t i = 0, c = 0;

	while (i < n) {
		unsigned uc;
		size_t l = unit(p + i, n - i, xml, &uc);

		if (c + uc > maxcols)
			break;
		c += uc;
		i += l;
	}
	*cols = c;
	return i;
}

/* Where the last units of @p that take at most @maxcols columns start. */
static size_t fit_tail(const char *p, size_t n, bool xml, size_t maxcols)
{
	size_t total, i = 0;

	fit(p, n, xml, SIZE_MAX, &total);
	while (i < n && total > maxcols) {
		unsigned uc;

		i += unit(p + i, n - i, xml, &uc);
		total -= uc;
	}
	return i;
}

/* An encoded command line, bounded: cut marks that something is missing. */
struct cmd {
	char buf[8192];
	size_t len;
	bool cut, xml;
};

static void cmd_put(struct cmd *c, const char *p, size_t n)
{
	size_t room = sizeof(c->buf) - 1 - c->len, i = 0;

	if (c->cut)
		return;
	if (n > room) {
		/* whole units only: never half an escape or a character */
		while (i < n) {
			unsigned uc;
			size_t l = unit(p + i, n - i, c->xml, &uc);

			if (i + l > room)
				break;
			i += l;
		}
		n = i;
		c->cut = true;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	c->buf[c->len] = 0;
}

/*
 * Encode @s in pieces small enough that the encoding always fits the
 * scratch buffer (7 bytes per input byte at worst: '"' is \&quot;), cut
 * at UTF-8 boundaries so a character is never split into escapes.
 */
static void cmd_enc(struct cmd *c, const char *s, size_t n, bool quote)
{
	char tmp[256 * 8 + 16];
	size_t q = c->xml ? 6 : 1; /* '"' or "&quot;": the quote the encoder adds */

	if (quote)
		cmd_put(c, c->xml ? "&quot;" : "\"", q);
	while (n && !c->cut) {
		size_t k = n < 256 ? n : 256, w;

		while (k < n && k > 253 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		/* quote mode also escapes '"' inside; its own quotes are dropped */
		w = c->xml ? enc_xml(tmp, sizeof(tmp), s, k, quote) :
			     enc_term(tmp, sizeof(tmp), s, k, quote);
		if (quote)
			cmd_put(c, tmp + q, w - 2 * q);
		else
			cmd_put(c, tmp, w);
		s += k;
		n -= k;
	}
	if (quote)
		cmd_put(c, c->xml ? "&quot;" : "\"", q);
}

/* A life seen from its fork that no exec succeeded in runs the program it
 * inherited: its command line would be its parent's, which misleads. */
static bool never_execd(const struct view_life *l)
{
	return !l->argc || (l->start_observed && l->nexecs <= l->nexec_failed);
}

/* The command line as a table shows it: args with a space (or empty) quoted;
 * a life that never exec'd shows its comm in brackets, as ps does, and
 * what it failed to exec: "[sh] -> ./nosuch". */
static void cmd_build(struct cmd *c, const struct view_life *l, bool xml)
{
	c->len = 0;
	c->cut = false;
	c->xml = xml;
	c->buf[0] = 0;
	if (never_execd(l)) {
		const char *comm = l->comm ? l->comm : "?";

		cmd_put(c, "[", 1);
		cmd_enc(c, comm, strlen(comm), false);
		cmd_put(c, "]", 1);
		if (l->failed_exec) {
			cmd_put(c, xml ? " -&gt; " : " -> ", xml ? 7 : 4);
			cmd_enc(c, l->failed_exec, strlen(l->failed_exec), false);
		}
		return;
	}
	for (unsigned i = 0; i < l->argc && !c->cut; i++) {
		const char *a = l->argv[i];
		size_t n = strlen(a);

		if (i)
			cmd_put(c, " ", 1);
		cmd_enc(c, a, n, !n || memchr(a, ' ', n));
	}
	/* what the tracer kept of argv was cut: the line is marked as cut */
	c->cut |= l->args_truncated;
}

static void fmt_dur(char *b, size_t cap, uint64_t ns)
{
	if (ns < 1000)
		snprintf(b, cap, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(b, cap, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(b, cap, "%.1fms", ns / 1e6);
	else if (ns < 60000000000ull)
		snprintf(b, cap, "%.2fs", ns / 1e9);
	else if (ns < 3600000000000ull)
		snprintf(b, cap, "%" PRIu64 "m%02" PRIu64 "s", ns / UINT64_C(60000000000),
			 ns / UINT64_C(1000000000) % 60);
	else
		snprintf(b, cap, "%" PRIu64 "h%02" PRIu64 "m", ns / UINT64_C(3600000000000),
			 ns / UINT64_C(60000000000) % 60);
}

static uint64_t life_dur(const struct view_life *l)
{
	return l->end_ns > l->start_ns ? l->end_ns - l->start_ns : 0;
}

/* "ok", "exit 2", "SIGKILL core", "running" (12 columns at most); with
 * @notes, what else went wrong: ", 1 exec failed, incomplete". */
static void fmt_status(char *b, size_t cap, const struct view_life *l, bool notes)
{
	char sb[16];
	int k;

	if (l->running)
		k = snprintf(b, cap, "running");
	else if (l->signal)
		k = snprintf(b, cap, "SIG%s%s", exit_signal_name(l->signal, sb, sizeof(sb)),
			     l->core_dumped ? " core" : "");
	else if (l->exit_code)
		k = snprintf(b, cap, "exit %d", l->exit_code);
	else
		k = snprintf(b, cap, "ok");
	if (notes && k > 0 && (size_t)k < cap && l->nexec_failed)
		k += snprintf(b + k, cap - k, ", %u exec%s failed", l->nexec_failed,
			      l->nexec_failed > 1 ? "s" : "");
	if (notes && k > 0 && (size_t)k < cap && l->incomplete)
		snprintf(b + k, cap - k, ", incomplete");
}

/* The notes of the tree's line, after the command: never cut. */
static void fmt_notes(char *b, size_t cap, const struct view_life *l)
{
	int k = 0;

	b[0] = 0;
	if (l->nexec_failed)
		k = snprintf(b, cap, "  [%u exec%s failed", l->nexec_failed,
			     l->nexec_failed > 1 ? "s" : "");
	if (l->incomplete && k >= 0 && (size_t)k < cap)
		k += snprintf(b + k, cap - k, "%sincomplete", k ? ", " : "  [");
	if (k > 0 && (size_t)k < cap)
		snprintf(b + k, cap - k, "]");
}

static int finish(FILE *f)
{
	if (fflush(f) || ferror(f))
		return -(errno ? errno : EIO);
	return 0;
}

/* ---- --tree ---- */

/* Beyond this depth the indentation stops growing: a line says how deep it is. */
#define TREE_MAX_INDENT 32

int view_tree(FILE *f, const struct view_life *lv, size_t n, int width)
{
	static struct cmd cmd;
	struct forest fo;
	bool *more_at; /* per level: a later sibling of that level's ancestor is shown */
	bool *hidden;  /* per life: folded into a sibling's line, itself or an ancestor */
	size_t sw = 6, nfailed = 0, nrun = 0, shown = 0;
	char status[96], d[24], cpu[24];
	int err;

	err = forest_build(&fo, lv, n);
	if (err)
		return err;
	err = fold_siblings(&fo);
	more_at = calloc(TREE_MAX_INDENT + 2, sizeof(bool));
	hidden = calloc(n ? n : 1, sizeof(bool));
	if (err || !more_at || !hidden) {
		forest_free(&fo);
		free(more_at);
		free(hidden);
		return err ? err : -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		fmt_status(status, sizeof(status), &lv[i], false);
		if (strlen(status) > sw)
			sw = strlen(status);
		nfailed += failed(&lv[i]);
		nrun += lv[i].running;
	}
	fprintf(f, " %7s %9s %8s  %-*s  %s\n", "PID", "DURATION", "CPU", (int)sw, "STATUS",
		"COMMAND");
	for (size_t k = 0; k < n; k++) {
		size_t i = fo.order[k], fixed, pcols = 0, budget, keep, cc;
		struct node *v = &fo.nd[i];
		char fold[32] = "", notes[64];
		const struct view_life *l = v->l;

		/* a folded life, and everything under it, is its group's leader's line */
		hidden[i] = !v->fold || (v->parent != NONE && hidden[v->parent]);
		if (hidden[i])
			continue;
		shown++;
		if (v->depth && v->depth <= TREE_MAX_INDENT + 1)
			more_at[v->depth] = v->more;
		fmt_status(status, sizeof(status), l, false);
		fmt_notes(notes, sizeof(notes), l);
		if (v->fold > 1) {
			fmt_dur(d, sizeof(d), v->g_end > v->g_start ? v->g_end - v->g_start : 0);
			fmt_dur(cpu, sizeof(cpu), v->g_cpu);
			snprintf(fold, sizeof(fold), "  x%zu", v->fold);
		} else {
			d[0] = l->start_observed ? 0 : '>'; /* it was older than that */
			fmt_dur(d + !l->start_observed, sizeof(d) - 1, life_dur(l));
			fmt_dur(cpu, sizeof(cpu), l->cpu_user_ns + l->cpu_sys_ns);
		}
		fprintf(f, "%c%7" PRIu32 " %9s %8s  %-*s  ", failed(l) ? '!' : ' ', l->pid, d, cpu,
			(int)sw, status);
		fixed = 1 + 7 + 1 + 9 + 1 + 8 + 2 + sw + 2;
		/* the structure: never cut */
		for (unsigned lvl = 1; lvl < v->depth && lvl <= TREE_MAX_INDENT; lvl++) {
			fputs(more_at[lvl] ? "\u2502  " : "   ", f);
			pcols += 3;
		}
		if (v->depth > TREE_MAX_INDENT + 1) {
			pcols += fprintf(f, "[depth %u] ", v->depth);
		}
		if (v->depth) {
			fputs(v->more ? "\u251c\u2500 " : "\u2514\u2500 ", f);
			pcols += 3;
		}
		cmd_build(&cmd, l, false);
		budget = SIZE_MAX;
		if (width > 0) {
			size_t used = fixed + pcols + strlen(fold) + strlen(notes);

			/* a command always keeps a few columns, even past the width */
			budget = (size_t)width > used + 8 ? (size_t)width - used : 8;
		}
		keep = fit(cmd.buf, cmd.len, false, budget, &cc);
		if (keep < cmd.len || cmd.cut) {
			/* room for the mark that the line goes on */
			keep = fit(cmd.buf, cmd.len, false, budget - 1, &cc);
			fwrite(cmd.buf, 1, keep, f);
			fputs("\u2026", f);
		} else {
			fwrite(cmd.buf, 1, keep, f);
		}
		fprintf(f, "%s%s\n", fold, notes);
	}
	fprintf(f, "%zu processes, %zu failed, %zu running", n, nfailed, nrun);
	if (shown < n)
		fprintf(f, " (%zu lines: identical siblings folded, xN)", shown);
	fputc('\n', f);
	forest_free(&fo);
	free(more_at);
	free(hidden);
	return finish(f);
}

/* ---- --timeline: Chrome trace-event JSON ---- */

/* Raw bytes of the command line for names (jw encodes them), bounded, never
 * cut inside a UTF-8 character. */
static size_t raw_cmd(char *b, size_t cap, const struct view_life *l)
{
	size_t len = 0;

	if (never_execd(l)) {
		snprintf(b, cap, "[%.*s]%s%.*s", 64, l->comm ? l->comm : "?",
			 l->failed_exec ? " -> " : "", 256, l->failed_exec ? l->failed_exec : "");
		return strlen(b);
	}
	for (unsigned i = 0; i < l->argc && len + 1 < cap; i++) {
		size_t k = strlen(l->argv[i]);

		if (i)
			b[len++] = ' ';
		if (k > cap - 1 - len) {
			uint32_t cp;
			size_t j = 0, lim = cap - 1 - len;

			/* keep whole characters */
			while (j < lim) {
				int u = utf8_seq_len((const unsigned char *)l->argv[i] + j, k - j,
						     &cp);

				u = u > 0 ? u : 1;
				if (j + u > lim)
					break;
				j += u;
			}
			k = j;
		}
		memcpy(b + len, l->argv[i], k);
		len += k;
	}
	return len;
}

static const char *const oc_name[] = { "ok", "failed", "signal", "running" };
/* the trace viewer's reserved colour names */
static const char *const oc_cname[] = { "good", "bad", "terrible", "generic_work" };

static void life_args(struct jw *w, const struct forest *fo, size_t i)
{
	const struct view_life *l = fo->nd[i].l;
	char sb[16];
	unsigned k = 0;

	jw_obj(w, "args");
	jw_u64(w, "pid", l->pid);
	jw_u64(w, "ppid", l->ppid);
	if (l->entity_id)
		jw_cstr(w, "entity_id", l->entity_id);
	if (l->parent_entity_id)
		jw_cstr(w, "parent_entity_id", l->parent_entity_id);
	else
		jw_null(w, "parent_entity_id");
	if (l->comm)
		jw_cstr(w, "comm", l->comm);
	if (l->exe)
		jw_cstr(w, "exe", l->exe);
	if (l->failed_exec)
		jw_cstr(w, "failed_exec", l->failed_exec);
	jw_arr(w, "args");
	for (unsigned a = 0; a < l->argc; a++)
		jw_cstr(w, NULL, l->argv[a]);
	jw_arr_end(w);
	if (l->args_truncated)
		jw_bool(w, "args_truncated", true);
	jw_cstr(w, "outcome", oc_name[outcome(l)]);
	if (l->running) {
		jw_bool(w, "running", true);
	} else {
		jw_s64(w, "exit_code", l->signal ? -1 : l->exit_code);
		if (l->signal)
			jw_cstr(w, "signal", exit_signal_name(l->signal, sb, sizeof(sb)));
		else
			jw_null(w, "signal");
		jw_bool(w, "core_dumped", l->core_dumped);
	}
	jw_u64(w, "duration_ns", life_dur(l));
	jw_u64(w, "cpu_user_ns", l->cpu_user_ns);
	jw_u64(w, "cpu_sys_ns", l->cpu_sys_ns);
	jw_u64(w, "execs", l->nexecs);
	jw_u64(w, "execs_failed", l->nexec_failed);
	jw_bool(w, "start_observed", l->start_observed);
	jw_bool(w, "incomplete", l->incomplete);
	jw_time(w, "start_time", l->start_ns + l->realtime_offset_ns);
	/* the parent chain, nearest first (bounded: a deep chain ends in "more") */
	jw_arr(w, "parents");
	for (size_t p = fo->nd[i].parent; p != NONE; p = fo->nd[p].parent) {
		if (++k > 32) {
			jw_cstr(w, NULL, "...");
			break;
		}
		jw_obj(w, NULL);
		jw_u64(w, "pid", fo->nd[p].l->pid);
		if (fo->nd[p].l->comm)
			jw_cstr(w, "comm", fo->nd[p].l->comm);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static void meta(struct jw *w, const char *what, uint64_t pid, uint64_t tid, const char *key,
		 const char *s, size_t len, uint64_t v)
{
	out_str("\n");
	jw_obj(w, NULL);
	jw_cstr(w, "ph", "M");
	jw_cstr(w, "name", what);
	jw_u64(w, "pid", pid);
	jw_u64(w, "tid", tid);
	jw_obj(w, "args");
	if (s)
		jw_str(w, key, s, len);
	else
		jw_u64(w, key, v);
	jw_obj_end(w);
	jw_obj_end(w);
}

/*
 * One track group ("process") per tree, named after its root; one track
 * ("thread") per life, in tree order, named with its command line and pid.
 * pid/tid are our numbers (the tree's and the life's place in pre-order),
 * not the kernel's: a reused pid must not merge two lives into one track.
 * The kernel's are in args.
 */
int view_timeline(FILE *f, const struct view_life *lv, size_t n)
{
	struct forest fo;
	struct jw w;
	uint64_t t0 = UINT64_MAX, tree = 0;
	char name[512], nb[600];
	int err;

	err = forest_build(&fo, lv, n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		if (lv[i].start_ns < t0)
			t0 = lv[i].start_ns;
	if (!n)
		t0 = 0;
	out_divert(f);
	jw_begin(&w, NULL);
	jw_arr(&w, "traceEvents");
	for (size_t k = 0; k < n; k++) {
		size_t i = fo.order[k], len;
		const struct view_life *l = fo.nd[i].l;
		enum outcome oc = outcome(l);

		len = raw_cmd(name, sizeof(name) - 32, l);
		if (!fo.nd[i].depth) {
			size_t nbl = raw_cmd(nb, sizeof(nb) - 32, l);

			tree = k + 1;
			nbl += snprintf(nb + nbl, sizeof(nb) - nbl, " [%" PRIu32 "]", l->pid);
			meta(&w, "process_name", tree, 0, "name", nb, nbl, 0);
			meta(&w, "process_sort_index", tree, 0, "sort_index", NULL, 0, tree);
		}
		len += snprintf(name + len, sizeof(name) - len, " [%" PRIu32 "]", l->pid);
		meta(&w, "thread_name", tree, k + 1, "name", name, len, 0);
		meta(&w, "thread_sort_index", tree, k + 1, "sort_index", NULL, 0, k + 1);
		out_str("\n");
		jw_obj(&w, NULL);
		jw_cstr(&w, "ph", "X");
		jw_cstr(&w, "cat", "process");
		jw_cstr(&w, "name", l->comm ? l->comm : "?");
		jw_u64(&w, "pid", tree);
		jw_u64(&w, "tid", k + 1);
		/* microseconds, to the nanosecond */
		jw_double(&w, "ts", (l->start_ns - t0) / 1e3, 3);
		jw_double(&w, "dur", life_dur(l) / 1e3, 3);
		jw_cstr(&w, "cname", oc_cname[oc]);
		life_args(&w, &fo, i);
		jw_obj_end(&w);
	}
	out_str("\n");
	jw_arr_end(&w);
	jw_cstr(&w, "displayTimeUnit", "ms");
	jw_obj(&w, "otherData");
	jw_cstr(&w, "tool", "procsnoop trace");
	jw_u64(&w, "lives", n);
	if (n)
		jw_time(&w, "start_time", t0 + lv[0].realtime_offset_ns);
	jw_obj_end(&w);
	jw_end(&w);
	out_divert(NULL);
	forest_free(&fo);
	return finish(f);
}

/* ---- --svg: a Gantt chart ---- */

#define SVG_LABEL_W 420
#define SVG_CHART_W 1100
#define SVG_ROW_H 16
#define SVG_TOP 58
#define SVG_INDENT 10
#define SVG_MAX_INDENT 20
#define SVG_CHAR_W 6.7 /* 11px monospace */

static const char svg_style[] =
	"<style>\n"
	"text{font-family:DejaVu Sans Mono,monospace;font-size:11px;fill:#222}\n"
	".stripe{fill:#f2f4f7}\n"
	".life{stroke:#0003;stroke-width:.5}\n"
	".ok{fill:#43a047}.failed{fill:#fb8c00}.signal{fill:#e53935}.running{fill:#1e88e5}\n"
	".incomplete{fill-opacity:.45;stroke:#000;stroke-dasharray:2 2}\n"
	".tick{stroke:#0002}.axis text,.note{fill:#555}\n"
	".edges path{fill:none;stroke:#9aa3ad;stroke-width:1}\n"
	".row:hover .stripe{fill:#fff3c4}\n"
	"</style>\n";

/* A tick step of 1, 2 or 5 times a power of ten, about ten ticks per span. */
static uint64_t tick_step(uint64_t span)
{
	uint64_t s = 1;

	while (s * 10 < span / 10 + 1)
		s *= 10;
	if (s * 2 * 10 >= span)
		return s * 2 >= span / 10 + 1 ? s * 2 : s * 5;
	return s * 5 >= span / 10 ? s * 5 : s * 10;
}

int view_svg(FILE *f, const struct view_life *lv, size_t n)
{
	static struct cmd cmd;
	struct forest fo;
	uint64_t t0 = UINT64_MAX, t1 = 0, span, step;
	size_t rows = n < VIEW_SVG_MAX_ROWS ? n : VIEW_SVG_MAX_ROWS;
	size_t height = SVG_TOP + rows * SVG_ROW_H + 48 + (rows < n ? SVG_ROW_H : 0);
	size_t width = SVG_LABEL_W + SVG_CHART_W + 60, *row;
	char d[24], cpu[24], status[96];
	int err;

	err = forest_build(&fo, lv, n);
	if (err)
		return err;
	row = malloc((n ? n : 1) * sizeof(size_t));
	if (!row) {
		forest_free(&fo);
		return -ENOMEM;
	}
	for (size_t k = 0; k < n; k++)
		row[fo.order[k]] = k;
	for (size_t i = 0; i < n; i++) {
		if (lv[i].start_ns < t0)
			t0 = lv[i].start_ns;
		if (lv[i].end_ns > t1)
			t1 = lv[i].end_ns;
	}
	if (!n)
		t0 = t1 = 0;
	span = t1 > t0 ? t1 - t0 : 1;
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%zu\" height=\"%zu\" "
		"viewBox=\"0 0 %zu %zu\">\n",
		width, height, width, height);
	fmt_dur(d, sizeof(d), span);
	fprintf(f, "<title>procsnoop trace: %zu processes, %s</title>\n%s", n, d, svg_style);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
	fprintf(f,
		"<text x=\"8\" y=\"18\" style=\"font-size:13px;font-weight:bold\">"
		"procsnoop trace: %zu processes over %s</text>\n",
		n, d);
	/* the time axis */
	step = tick_step(span);
	fprintf(f, "<g class=\"axis\">\n");
	for (uint64_t t = 0; t <= span; t += step) {
		double x = SVG_LABEL_W + (double)t * SVG_CHART_W / span;

		fmt_dur(d, sizeof(d), t);
		fprintf(f,
			"<line class=\"tick\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%zu\"/>"
			"<text x=\"%.1f\" y=\"%d\">%s</text>\n",
			x, SVG_TOP - 12, x, SVG_TOP + rows * SVG_ROW_H, x + 2, SVG_TOP - 16,
			t ? d : "0");
		if (t + step < t)
			break;
	}
	fprintf(f, "</g>\n");
	for (size_t k = 0; k < rows; k++) {
		size_t i = fo.order[k], keep, cc, chars;
		const struct view_life *l = fo.nd[i].l;
		unsigned depth = fo.nd[i].depth < SVG_MAX_INDENT ? fo.nd[i].depth : SVG_MAX_INDENT;
		double y = SVG_TOP + (double)k * SVG_ROW_H;
		double x = SVG_LABEL_W + (double)(l->start_ns - t0) * SVG_CHART_W / span;
		double bw = (double)life_dur(l) * SVG_CHART_W / span;
		enum outcome oc = outcome(l);

		fprintf(f, "<g class=\"row\"><title>");
		cmd_build(&cmd, l, true);
		fwrite(cmd.buf, 1, cmd.len, f);
		if (cmd.cut)
			fputs("\u2026", f);
		fmt_dur(d, sizeof(d), life_dur(l));
		fmt_dur(cpu, sizeof(cpu), l->cpu_user_ns + l->cpu_sys_ns);
		fmt_status(status, sizeof(status), l, true);
		fprintf(f, "\npid %" PRIu32 ", ppid %" PRIu32 ": %s%s, cpu %s, %s</title>", l->pid,
			l->ppid, l->start_observed ? "" : "&gt;", d, cpu, status);
		if (k % 2 == 0)
			fprintf(f,
				"<rect class=\"stripe\" x=\"0\" y=\"%.0f\" width=\"%zu\" "
				"height=\"%d\"/>",
				y, width, SVG_ROW_H);
		/* the label: the command line, cut in the middle if its column is
		 * too narrow: a build's commands differ at their end (the file) */
		chars = (SVG_LABEL_W - 12 - depth * SVG_INDENT) / SVG_CHAR_W;
		keep = fit(cmd.buf, cmd.len, true, chars, &cc);
		fprintf(f, "<text x=\"%d\" y=\"%.0f\">", 8 + depth * SVG_INDENT, y + 12);
		if (keep < cmd.len || cmd.cut) {
			size_t head = fit(cmd.buf, cmd.len, true, (chars - 1) * 2 / 5, &cc);

			fwrite(cmd.buf, 1, head, f);
			fputs("\u2026", f);
			if (!cmd.cut) {
				size_t from = fit_tail(cmd.buf + head, cmd.len - head, true,
						       chars - 1 - cc);

				fwrite(cmd.buf + head + from, 1, cmd.len - head - from, f);
			}
		} else {
			fwrite(cmd.buf, 1, keep, f);
		}
		fprintf(f,
			"</text><rect class=\"life %s%s\" x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" "
			"height=\"%d\" rx=\"2\"/></g>\n",
			oc_name[oc], l->incomplete ? " incomplete" : "", x, y + 2, bw < 1 ? 1 : bw,
			SVG_ROW_H - 4);
	}
	fprintf(f, "<g class=\"edges\">\n");
	/* over the rows, the tree in the label column: from a parent's row down to its child's */
	for (size_t k = 0; k < rows; k++) {
		const struct node *c = &fo.nd[fo.order[k]];
		unsigned pd;
		double x;

		if (c->parent == NONE || c->depth > SVG_MAX_INDENT)
			continue;
		pd = fo.nd[c->parent].depth;
		x = 9 + pd * SVG_INDENT;
		fprintf(f, "<path d=\"M%.0f %zu V%zu H%.0f\"/>\n", x,
			SVG_TOP + row[c->parent] * SVG_ROW_H + 14, SVG_TOP + k * SVG_ROW_H + 8,
			x + SVG_INDENT - 4);
	}
	fprintf(f, "</g>\n");
	if (rows < n)
		fprintf(f,
			"<text class=\"note\" x=\"6\" y=\"%zu\">%zu more processes not drawn "
			"(at most %d rows); the --timeline file has them all</text>\n",
			SVG_TOP + rows * SVG_ROW_H + 12, n - rows, VIEW_SVG_MAX_ROWS);
	{
		static const char *const leg[] = { "exit 0", "non-zero exit", "killed by a signal",
						   "running at stop" };
		size_t y = height - 20;

		for (int o = 0; o < 4; o++) {
			fprintf(f,
				"<rect class=\"%s\" x=\"%d\" y=\"%zu\" width=\"12\" height=\"10\"/>"
				"<text x=\"%d\" y=\"%zu\">%s</text>\n",
				oc_name[o], 8 + o * 170, y, 24 + o * 170, y + 9, leg[o]);
		}
	}
	fprintf(f, "</svg>\n");
	free(row);
	forest_free(&fo);
	return finish(f);
}
