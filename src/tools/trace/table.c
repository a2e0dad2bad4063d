// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "events/exec.h"
#include "events/exit.h"
#include "events/fork.h"
#include "lib/bpfutil.h"
#include "lib/cgroup.h"
#include "print/ident.h"
#include "tools/trace/procparse.h"
#include "tools/trace/table.h"

#define TT_HASH 4096 /* buckets, by pid */
#define TT_RECENT 8  /* per bucket: lives printed lately, whose late events are dropped */

struct recent_key {
	uint32_t pid;
	uint64_t start_ns;
};

struct trace_table {
	struct tt_cfg cfg;
	struct trace_life *hash[TT_HASH];
	struct trace_life *oldest, *newest;
	size_t n;
	uint64_t bytes;
	struct tt_event *q; /* queued events, not yet applied */
	size_t nq, capq;
	uint64_t seq;
	uint64_t evicted, late, lost;
	uint64_t fork_since;
	/* by pid bucket, the last TT_RECENT lives printed (a ring each) */
	struct recent_key recent[TT_HASH][TT_RECENT];
	uint8_t nrecent[TT_HASH];
	struct view_life *views;
	size_t nviews, capviews;
	uint64_t views_dropped;
};

struct trace_table *tt_new(const struct tt_cfg *cfg)
{
	struct trace_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cfg = *cfg;
	if (!t->cfg.max_processes)
		t->cfg.max_processes = TT_MAX_PROCESSES_DEFAULT;
	if (!t->cfg.max_bytes)
		t->cfg.max_bytes = TT_MAX_BYTES_DEFAULT;
	return t;
}

static void prog_free(struct tt_prog *p)
{
	free(p->exe);
	free(p->args);
	memset(p, 0, sizeof(*p));
}

static void life_free(struct trace_life *l)
{
	for (unsigned i = 0; i < l->nexecs; i++)
		free(l->execs[i].buf);
	free(l->execs);
	free(l->anc);
	prog_free(&l->prog);
	free(l);
}

static void views_free(struct trace_table *t)
{
	for (size_t i = 0; i < t->nviews; i++) {
		struct view_life *v = &t->views[i];

		free((void *)v->entity_id);
		free((void *)v->parent_entity_id);
		free((void *)v->comm);
		free((void *)v->exe);
		free((void *)v->failed_exec);
		for (unsigned k = 0; k < v->argc; k++)
			free((void *)v->argv[k]);
		free((void *)v->argv);
	}
	free(t->views);
}

void tt_free(struct trace_table *t)
{
	struct trace_life *l, *n;

	if (!t)
		return;
	for (l = t->oldest; l; l = n) {
		n = l->newer;
		life_free(l);
	}
	for (size_t i = 0; i < t->nq; i++)
		free(t->q[i].buf);
	free(t->q);
	views_free(t);
	free(t);
}

static bool same_tick(uint64_t a, uint64_t b)
{
	return ps_start_ticks(a) == ps_start_ticks(b);
}

/* Exact start when both sides know it; clock ticks (/proc) otherwise. */
static struct trace_life *find(const struct trace_table *t, uint32_t pid, uint64_t start_ns,
			       bool exact)
{
	struct trace_life *l;

	for (l = t->hash[pid % TT_HASH]; l; l = l->hnext) {
		if (l->pid != pid)
			continue;
		if (l->start_exact && exact ? l->start_ns == start_ns :
					      same_tick(l->start_ns, start_ns))
			return l;
	}
	return NULL;
}

const struct trace_life *tt_find(const struct trace_table *t, uint32_t pid, uint64_t start_ns)
{
	return find(t, pid, start_ns, true);
}

static void unlink_life(struct trace_table *t, struct trace_life *l)
{
	struct trace_life **pp = &t->hash[l->pid % TT_HASH];

	while (*pp && *pp != l)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = l->hnext;
	if (l->older)
		l->older->newer = l->newer;
	else
		t->oldest = l->newer;
	if (l->newer)
		l->newer->older = l->older;
	else
		t->newest = l->older;
	t->n--;
	t->bytes -= l->bytes;
}

static char *dupn(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

/* Keep what the views need of a printed life. */
static void keep_view(struct trace_table *t, const struct trace_life *l)
{
	struct view_life *v;
	char eid[PS_ENTITY_ID_LEN];
	const char *a;
	char **argv;

	if (!t->cfg.keep_views)
		return;
	if (t->nviews == TT_VIEWS_MAX) {
		t->views_dropped++;
		return;
	}
	if (t->nviews == t->capviews) {
		size_t cap = t->capviews ? t->capviews * 2 : 256;
		struct view_life *nv = realloc(t->views, cap * sizeof(*nv));

		if (!nv) {
			t->views_dropped++;
			return;
		}
		t->views = nv;
		t->capviews = cap;
	}
	v = &t->views[t->nviews];
	memset(v, 0, sizeof(*v));
	ps_entity_id(eid, sizeof(eid), l->pid, l->start_ns);
	v->entity_id = strdup(eid);
	if (l->ppid) {
		ps_entity_id(eid, sizeof(eid), l->ppid, l->pstart_ns);
		v->parent_entity_id = strdup(eid);
	}
	v->pid = l->pid;
	v->ppid = l->ppid;
	v->start_ns = l->have_fork ? l->fork_ns : l->start_ns;
	v->running = !l->have_exit;
	v->end_ns = l->have_exit ? l->exit.id.ktime_ns : l->end_ns;
	if (v->end_ns < v->start_ns)
		v->end_ns = v->start_ns;
	v->realtime_offset_ns = (int64_t)(ps_ktime_to_realtime(v->end_ns) - v->end_ns);
	v->start_observed = l->have_fork;
	v->incomplete = l->missing != 0;
	if (l->have_exit) {
		struct ps_event ev = { .rec = &l->exit, .rec_len = sizeof(l->exit) };
		struct exit_view xv;

		exit_view_init(&xv, &ev, t->cfg.page_size);
		v->cpu_user_ns = xv.cpu_user_ns;
		v->cpu_sys_ns = xv.cpu_sys_ns;
		v->exit_code = xv.exit_code;
		v->signal = xv.signal;
		v->core_dumped = xv.core_dumped;
	} else {
		v->cpu_user_ns = l->proc_user_ns;
		v->cpu_sys_ns = l->proc_sys_ns;
		v->exit_code = -1;
	}
	v->nexecs = l->nexecs + l->execs_dropped;
	v->nexec_failed = tt_exec_failures(l);
	v->comm = strndup(l->id.comm, sizeof(l->id.comm));
	v->exe = l->prog.exe ? strdup(l->prog.exe) : NULL;
	argv = calloc(l->prog.argc + 1, sizeof(*argv));
	a = l->prog.args;
	for (unsigned i = 0; argv && i < l->prog.argc && a; i++) {
		argv[i] = strdup(a);
		a += strlen(a) + 1;
		v->argc = i + 1;
	}
	v->argv = (const char *const *)argv;
	v->args_truncated = l->prog.args_truncated;
	for (unsigned i = l->nexecs; l->nexec_failed && i-- > 0;) {
		static struct exec_view xv;

		if (tt_exec_view(l, i, &xv) && xv.e->ret < 0) {
			v->failed_exec = strndup((const char *)xv.fname, xv.fname_len);
			break;
		}
	}
	t->nviews++;
}

static void remember(struct trace_table *t, const struct trace_life *l)
{
	unsigned b = l->pid % TT_HASH;

	t->recent[b][t->nrecent[b]++ % TT_RECENT] = (struct recent_key){ l->pid, l->start_ns };
}

static bool recent(const struct trace_table *t, uint32_t pid, uint64_t start_ns)
{
	const struct recent_key *r = t->recent[pid % TT_HASH];

	for (size_t i = 0; i < TT_RECENT; i++)
		if (r[i].pid == pid && r[i].start_ns == start_ns)
			return true;
	return false;
}

/* Print @l (when in scope and it passes the filters) and drop it. */
static void retire(struct trace_table *t, struct trace_life *l)
{
	unlink_life(t, l);
	if (l->report && (!t->cfg.filter || t->cfg.filter(t->cfg.ctx, l))) {
		t->cfg.emit(t->cfg.ctx, l);
		keep_view(t, l);
	}
	if (l->start_exact)
		remember(t, l);
	life_free(l);
}

/* Over a bound: the oldest lives are printed now, as far as known. */
static void make_room(struct trace_table *t, size_t more)
{
	while (t->oldest && (t->n >= t->cfg.max_processes || t->bytes + more > t->cfg.max_bytes)) {
		struct trace_life *l = t->oldest;

		l->evicted = true;
		l->end_ns = ps_ktime_now();
		t->evicted++;
		retire(t, l);
	}
}

static void account(struct trace_table *t, struct trace_life *l, size_t n)
{
	l->bytes += n;
	t->bytes += n;
}

static struct trace_life *create(struct trace_table *t, uint32_t pid, uint64_t start_ns, bool exact)
{
	struct trace_life *l;

	make_room(t, sizeof(*l));
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->pid = pid;
	l->start_ns = start_ns;
	l->start_exact = exact;
	l->report = true;
	l->lost_at_start = t->lost;
	l->hnext = t->hash[pid % TT_HASH];
	t->hash[pid % TT_HASH] = l;
	l->older = t->newest;
	if (t->newest)
		t->newest->newer = l;
	else
		t->oldest = l;
	t->newest = l;
	t->n++;
	account(t, l, sizeof(*l));
	return l;
}

/* The life a kernel event is about, created if new. */
static struct trace_life *get(struct trace_table *t, uint32_t pid, uint64_t start_ns)
{
	struct trace_life *l = find(t, pid, start_ns, true);

	if (l) {
		/* a /proc seed meets its first kernel event: the exact start */
		l->start_ns = start_ns;
		l->start_exact = true;
		return l;
	}
	if (recent(t, pid, start_ns)) {
		t->late++;
		return NULL;
	}
	return create(t, pid, start_ns, true);
}

static void prog_copy(struct trace_table *t, struct trace_life *l, const struct tt_prog *src)
{
	prog_free(&l->prog);
	if (src->exe)
		l->prog.exe = strdup(src->exe);
	if (src->args_len)
		l->prog.args = dupn(src->args, src->args_len);
	l->prog.args_len = l->prog.args ? src->args_len : 0;
	l->prog.argc = l->prog.args ? src->argc : 0;
	l->prog.args_truncated = src->args_truncated;
	l->prog.exe_denied = src->exe_denied;
	account(t, l, l->prog.args_len + (src->exe ? strlen(src->exe) : 0));
}

static void set_parent(struct trace_life *l, uint32_t ppid, uint64_t pstart, const char *pcomm)
{
	l->ppid = ppid;
	l->pstart_ns = pstart;
	memcpy(l->pcomm, pcomm, sizeof(l->pcomm));
}

/* The ancestry at fork: the parent, then the parent's own ancestry. */
static void inherit_ancestors(struct trace_table *t, struct trace_life *l,
			      const struct trace_life *p)
{
	unsigned n = 1 + (p ? p->nanc : 0);
	struct ps_ancestor *a;

	if (n > PS_ANC_MAX)
		n = PS_ANC_MAX;
	a = calloc(n, sizeof(*a));
	if (!a)
		return;
	free(l->anc);
	l->anc = a;
	a[0].pid = l->ppid;
	a[0].start_ns = l->pstart_ns;
	memcpy(a[0].comm, p ? p->id.comm : l->pcomm, sizeof(a[0].comm));
	if (p && n > 1)
		memcpy(a + 1, p->anc, (n - 1) * sizeof(*a));
	l->nanc = n;
	/* the chain ends at pid 1 (or at the idle task's children, kthreadd) */
	l->anc_truncated = p ? (p->anc_truncated || 1 + p->nanc > PS_ANC_MAX) :
			       (l->ppid != 1 && l->ppid != 2);
	account(t, l, n * sizeof(*a));
}

static void apply_fork(struct trace_table *t, const struct tt_event *q)
{
	struct ps_event ev = { .rec = q->buf, .rec_len = q->rec_len };
	const struct trace_life *p;
	struct fork_view v;
	struct trace_life *l;

	if (!fork_view_init(&v, &ev) || !(l = get(t, v.f->id.pid, v.f->id.start_ns)))
		return;
	l->have_fork = true;
	l->fork_ns = v.f->id.ktime_ns;
	l->id = v.f->id;
	l->ns_denied = false;
	set_parent(l, v.f->id.ppid, v.f->id.pstart_ns, v.f->id.pcomm);
	p = find(t, l->ppid, l->pstart_ns, true);
	inherit_ancestors(t, l, p);
	/* a child runs its parent's program until it execs */
	if (p)
		prog_copy(t, l, &p->prog);
}

/* argv and exe of a successful exec become the life's program. */
static void prog_from_exec(struct trace_table *t, struct trace_life *l, const struct exec_view *v)
{
	const uint8_t *a;
	size_t pos = 0, len, n = 0;
	char *args;

	prog_free(&l->prog);
	if (v->exe)
		l->prog.exe = dupn(v->exe, v->exe_len);
	args = malloc(v->args_len + 1);
	while (args && exec_view_next_arg(v, &pos, &a, &len)) {
		memcpy(args + n, a, len);
		n += len;
		args[n++] = 0;
		l->prog.argc++;
	}
	l->prog.args = args;
	l->prog.args_len = n;
	l->prog.args_truncated = v->truncated;
	account(t, l, n + v->exe_len);
}

static void apply_exec(struct trace_table *t, struct tt_event *q)
{
	struct ps_event ev = { .rec = q->buf,
			       .rec_len = q->rec_len,
			       .data = q->buf + q->rec_len,
			       .data_len = q->data_len,
			       .last = q->has_last ? &q->last : NULL,
			       .incomplete = q->incomplete };
	static struct exec_view v; /* 8 KiB: not on the stack */
	struct trace_life *l;
	const struct ps_exec *e;

	if (!exec_view_init(&v, &ev, 0))
		return;
	e = v.e;
	if (!(l = get(t, e->id.pid, e->id.start_ns)))
		return;
	if (v.incomplete)
		l->missing |= TL_MISS_EXEC_ARGS;
	if (e->ret < 0)
		l->nexec_failed++;
	if (!l->ppid && !l->have_fork)
		set_parent(l, e->id.ppid, e->id.pstart_ns, e->id.pcomm);
	/* no fork seen, nor seeded: the chain the kernel walked at this exec */
	if (!l->anc && v.nanc) {
		l->anc = calloc(v.nanc, sizeof(*l->anc));
		for (uint32_t i = 0; l->anc && i < v.nanc; i++)
			exec_view_ancestor(&v, i, &l->anc[i]);
		l->nanc = l->anc ? v.nanc : 0;
		l->anc_truncated = v.eflags & PS_EXEC_ANC_TRUNC;
		account(t, l, l->nanc * sizeof(*l->anc));
	}
	if (e->ret == 0) {
		l->id = e->id;
		l->ns_denied = false;
		prog_from_exec(t, l, &v);
	} else if (!l->have_fork && !l->seeded && !l->nexecs) {
		l->id = e->id;
		l->ns_denied = false;
	}
	if (l->nexecs == TT_EXECS_MAX) {
		l->execs_dropped++;
		return;
	}
	if (!l->execs) {
		l->execs = calloc(TT_EXECS_MAX, sizeof(*l->execs));
		if (!l->execs)
			return;
		account(t, l, TT_EXECS_MAX * sizeof(*l->execs));
	}
	/* the copy moves into the life */
	l->execs[l->nexecs++] = *q;
	account(t, l, q->rec_len + q->data_len);
	q->buf = NULL;
}

static void apply_exit(struct trace_table *t, const struct tt_event *q)
{
	const struct ps_exit *e = (const void *)q->buf;
	struct trace_life *l;

	if (!(e->xflags & PS_EXIT_GROUP_DEAD) || !(l = get(t, e->id.pid, e->id.start_ns)))
		return;
	l->have_exit = true;
	l->exit = *e;
	if (!l->ppid && !l->have_fork)
		set_parent(l, e->id.ppid, e->id.pstart_ns, e->id.pcomm);
	/* the parent at fork stays the parent; the exit's is where it ended up */
	{
		uint32_t ppid = l->ppid;
		uint64_t ps = l->pstart_ns;
		char pc[PS_TASK_COMM_LEN];

		memcpy(pc, l->pcomm, sizeof(pc));
		/* a new name and no exec seen, while records were lost: one was */
		if (strncmp(l->id.comm, e->id.comm, sizeof(e->id.comm)) &&
		    t->lost > l->lost_at_start)
			l->missing |= TL_MISS_EXEC;
		l->id = e->id;
		l->ns_denied = false;
		l->id.ppid = ppid;
		l->id.pstart_ns = ps;
		memcpy(l->id.pcomm, pc, sizeof(pc));
	}
	/* it started while the fork hook was attached: its fork record was lost */
	if (!l->have_fork && !l->seeded && t->fork_since && l->start_ns > t->fork_since)
		l->missing |= TL_MISS_FORK;
	retire(t, l);
}

bool tt_event(struct trace_table *t, const struct ps_event *ev)
{
	const struct ps_hdr *h = ev->rec;
	struct tt_event *q;

	if (t->nq == t->capq) {
		size_t cap = t->capq ? t->capq * 2 : 1024;
		struct tt_event *nq = realloc(t->q, cap * sizeof(*nq));

		if (!nq)
			return false;
		t->q = nq;
		t->capq = cap;
	}
	q = &t->q[t->nq];
	memset(q, 0, sizeof(*q));
	q->buf = malloc(ev->rec_len + ev->data_len);
	if (!q->buf)
		return false;
	memcpy(q->buf, ev->rec, ev->rec_len);
	if (ev->data_len)
		memcpy(q->buf + ev->rec_len, ev->data, ev->data_len);
	q->rec_len = ev->rec_len;
	q->data_len = ev->data_len;
	if (ev->last) {
		q->last = *ev->last;
		q->has_last = true;
	}
	q->incomplete = ev->incomplete;
	q->type = h->type;
	/* every record type starts with the header, then the identity */
	q->ktime = ((const struct ps_exec *)ev->rec)->id.ktime_ns;
	q->seq = t->seq++;
	t->nq++;
	return true;
}

static int qcmp(const void *a, const void *b)
{
	const struct tt_event *x = a, *y = b;

	if (x->ktime != y->ktime)
		return x->ktime < y->ktime ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void tt_apply(struct trace_table *t, uint64_t now)
{
	size_t i;

	if (!t->nq)
		return;
	qsort(t->q, t->nq, sizeof(*t->q), qcmp);
	for (i = 0; i < t->nq; i++) {
		struct tt_event *q = &t->q[i];

		if (now && q->ktime + TT_HOLD_NS > now)
			break;
		if (q->type == PS_REC_FORK)
			apply_fork(t, q);
		else if (q->type == PS_REC_EXEC)
			apply_exec(t, q);
		else if (q->type == PS_REC_EXIT)
			apply_exit(t, q);
		free(q->buf);
	}
	memmove(t->q, t->q + i, (t->nq - i) * sizeof(*t->q));
	t->nq -= i;
}

void tt_set_fork_since(struct trace_table *t, uint64_t ktime)
{
	t->fork_since = ktime;
}

void tt_set_lost(struct trace_table *t, uint64_t records_lost)
{
	t->lost = records_lost;
}

/* ---- /proc ---- */

static ssize_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, got = 0;

	if (fd < 0)
		return -1;
	while ((size_t)got < cap && (n = read(fd, buf + got, cap - got)) > 0)
		got += n;
	close(fd);
	return got;
}

static bool proc_stat(uint32_t pid, struct proc_stat *st)
{
	char path[64], buf[1024];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	n = read_file(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return tp_parse_stat(buf, st);
}

static uint64_t ticks_ns(uint64_t ticks)
{
	long hz = sysconf(_SC_CLK_TCK);

	return ticks * (1000000000ull / (hz > 0 ? (uint64_t)hz : 100));
}

/* Refused by the ptrace access check (not: gone, or no such file). */
static bool proc_denied(void)
{
	return errno == EACCES || errno == EPERM;
}

static unsigned ns_inode(uint32_t pid, const char *ns, bool *denied)
{
	char path[64], buf[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/ns/%s", pid, ns);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0 && proc_denied())
		*denied = true;
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return tp_ns_inode(buf);
}

static uint64_t proc_cgroup_id(uint32_t pid)
{
	char path[64], buf[4096], full[PATH_MAX + 64];
	const char *mnt = ps_cgroup2_mount();
	struct stat st;
	const char *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	n = read_file(path, buf, sizeof(buf) - 1);
	if (!mnt || n <= 0)
		return 0;
	buf[n] = 0;
	p = tp_cgroup_v2(buf);
	if (!p)
		return 0;
	snprintf(full, sizeof(full), "%s%s", mnt, p);
	return stat(full, &st) ? 0 : st.st_ino;
}

/* NUL-separated argv of a running process (empty for a kernel thread). */
static void proc_prog(struct trace_table *t, struct trace_life *l)
{
	char path[64], buf[PATH_MAX];
	size_t cap = 64 * 1024;
	char *args = malloc(cap);
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/cmdline", l->pid);
	n = args ? read_file(path, args, cap) : -1;
	if (n > 0) {
		l->prog.args_len = tp_cmdline(args, n, cap, &l->prog.args_truncated, &l->prog.argc);
		l->prog.args = args;
		account(t, l, l->prog.args_len);
	} else {
		free(args);
	}
	snprintf(path, sizeof(path), "/proc/%u/exe", l->pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	/* another user's process, or one with capabilities we lack, without
	 * CAP_SYS_PTRACE: say the exe is unknown, not that there is none */
	if (n < 0 && proc_denied())
		l->prog.exe_denied = true;
	if (n > 0) {
		l->prog.exe = dupn(buf, n);
		account(t, l, n);
	}
}

/* The identity /proc gives of a running process (kernel events give more). */
static void proc_ident(struct trace_life *l, const struct proc_stat *st,
		       const struct proc_stat *pst)
{
	char path[64], status[4096], buf[32];
	struct ps_ident *id = &l->id;
	ssize_t n;

	memset(id, 0, sizeof(*id));
	id->ktime_ns = ps_ktime_now();
	id->start_ns = l->start_ns;
	id->pid = id->tid = l->pid;
	id->ppid = st->ppid;
	id->pstart_ns = l->pstart_ns;
	memcpy(id->comm, st->comm, sizeof(id->comm));
	memcpy(id->tcomm, st->comm, sizeof(id->tcomm));
	if (pst)
		memcpy(id->pcomm, pst->comm, sizeof(id->pcomm));
	snprintf(path, sizeof(path), "/proc/%u/status", l->pid);
	n = read_file(path, status, sizeof(status) - 1);
	status[n > 0 ? n : 0] = 0;
	id->uid = tp_status_field(status, "\nUid:", 0, 0);
	id->euid = tp_status_field(status, "\nUid:", 1, 0);
	id->gid = tp_status_field(status, "\nGid:", 0, 0);
	id->nspid = tp_status_field(status, "\nNSpid:", -1, l->pid);
	l->ns_denied = false;
	id->pidns = ns_inode(l->pid, "pid", &l->ns_denied);
	id->mntns = ns_inode(l->pid, "mnt", &l->ns_denied);
	id->cgroup_id = proc_cgroup_id(l->pid);
	id->auid = id->sessionid = UINT32_MAX;
	snprintf(path, sizeof(path), "/proc/%u/loginuid", l->pid);
	n = read_file(path, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		id->auid = strtoul(buf, NULL, 10);
	}
	snprintf(path, sizeof(path), "/proc/%u/sessionid", l->pid);
	n = read_file(path, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		id->sessionid = strtoul(buf, NULL, 10);
	}
}

/* /proc/PID/stat of a process (not a thread: /proc/PID is the group). */
static bool proc_process(uint32_t pid, struct proc_stat *st)
{
	return proc_stat(pid, st) && st->state != 'X';
}

struct trace_life *tt_seed(struct trace_table *t, uint32_t pid, bool report, bool ancestors)
{
	struct proc_stat st, pst;
	struct trace_life *l, *p = NULL;
	bool have_p;
	uint64_t start;

	if (!proc_process(pid, &st))
		return NULL;
	start = ticks_ns(st.start_ticks);
	l = find(t, pid, start, false);
	if (l) {
		l->report |= report;
		return l;
	}
	have_p = st.ppid && proc_process(st.ppid, &pst);
	/* the parent first: its life gives this one's ancestry */
	if (have_p && ancestors)
		p = tt_seed(t, st.ppid, false, true);
	/* a live event may have created it meanwhile (the parent's seed read more) */
	if ((l = find(t, pid, start, false))) {
		l->report |= report;
		return l;
	}
	l = create(t, pid, start, false);
	if (!l)
		return NULL;
	l->seeded = true;
	l->report = report;
	if (have_p)
		set_parent(l, st.ppid, ticks_ns(pst.start_ticks), pst.comm);
	proc_ident(l, &st, have_p ? &pst : NULL);
	if (st.ppid)
		inherit_ancestors(t, l, p);
	proc_prog(t, l);
	return l;
}

void tt_seed_all(struct trace_table *t)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(e->d_name, &end, 10);

		if (*end || !pid || pid > UINT32_MAX)
			continue;
		tt_seed(t, pid, true, true);
	}
	closedir(d);
}

void tt_finish(struct trace_table *t, uint64_t now, bool ended_only)
{
	struct trace_life *l;

	tt_apply(t, 0);
	while ((l = t->oldest)) {
		struct proc_stat st;

		l->end_ns = now;
		/*
		 * Gone, and no exit record came: lost if the kernel lost records
		 * during its life; else it ended after the final read (running
		 * when tracing stopped).
		 */
		if (!proc_process(l->pid, &st) ||
		    !same_tick(ticks_ns(st.start_ticks), l->start_ns)) {
			if (t->lost > l->lost_at_start)
				l->missing |= TL_MISS_EXIT;
			else if (ended_only)
				l->report = false;
		} else {
			l->proc_user_ns = ticks_ns(st.utime);
			l->proc_sys_ns = ticks_ns(st.stime);
			if (ended_only)
				l->report = false;
		}
		if (!l->have_fork && !l->seeded && t->fork_since && l->start_ns > t->fork_since)
			l->missing |= TL_MISS_FORK;
		retire(t, l);
	}
}

uint64_t tt_lives(const struct trace_table *t)
{
	return t->n;
}

uint64_t tt_evicted(const struct trace_table *t)
{
	return t->evicted;
}

uint64_t tt_late(const struct trace_table *t)
{
	return t->late;
}

const struct view_life *tt_views(const struct trace_table *t, size_t *n)
{
	*n = t->nviews;
	return t->views;
}

uint64_t tt_views_dropped(const struct trace_table *t)
{
	return t->views_dropped;
}

bool tt_exec_view(const struct trace_life *l, unsigned i, struct exec_view *v)
{
	const struct tt_event *q = &l->execs[i];
	struct ps_event ev = { .rec = q->buf,
			       .rec_len = q->rec_len,
			       .data = q->buf + q->rec_len,
			       .data_len = q->data_len,
			       .last = q->has_last ? &q->last : NULL,
			       .incomplete = q->incomplete };

	return i < l->nexecs && exec_view_init(v, &ev, 0);
}

/* execvp()'s misses in PATH directories before the attempt that ended the search */
static bool search_err(int ret)
{
	return ret == -ENOENT || ret == -ENOTDIR || ret == -EACCES || ret == -ESTALE ||
	       ret == -ENODEV || ret == -ETIMEDOUT;
}

static const uint8_t *base_of(const uint8_t *p, size_t n, size_t *len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (p[i] == '/')
			b = p + i + 1;
	*len = n - (b - p);
	return b;
}

bool tt_exec_folds(const struct exec_view *a, const struct exec_view *b)
{
	const uint8_t *ba, *bb;
	size_t la, lb;

	if (a->e->ret >= 0 || !search_err(a->e->ret) || a->incomplete ||
	    a->e->id.tid != b->e->id.tid ||
	    (a->eflags & (PS_EXEC_EXECVEAT | PS_EXEC_FNAME_TRUNC)) ||
	    !memchr(a->fname, '/', a->fname_len))
		return false;
	ba = base_of(a->fname, a->fname_len, &la);
	bb = base_of(b->fname, b->fname_len, &lb);
	/* the same directory twice in PATH gives the same name twice: a miss too */
	return la && la == lb && !memcmp(ba, bb, la);
}

unsigned tt_exec_failures(const struct trace_life *l)
{
	static struct exec_view a, b; /* 8 KiB each */
	unsigned n = 0;

	for (unsigned i = 0; i < l->nexecs; i++) {
		if (!tt_exec_view(l, i, &a) || a.e->ret >= 0)
			continue;
		if (i + 1 < l->nexecs && tt_exec_view(l, i + 1, &b) && tt_exec_folds(&a, &b))
			continue;
		n++;
	}
	return n;
}

bool tt_failed(const struct trace_life *l)
{
	return (l->have_exit && (l->exit.status & 0xffff)) || tt_exec_failures(l);
}
