/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Paths of kernel objects, resolved in the kernel at the event: the file
 * an exec ran, its interpreter, the working directory. bpf_d_path() is
 * not allowed from tracepoints, so this walks what d_path() walks itself:
 * dentry->d_parent up to the mount's root, then mount->mnt_mountpoint in
 * mount->mnt_parent, up to the process's root (fs->root: the path as the
 * process sees it, as getcwd() and /proc/PID/exe from inside would) or
 * the top of the mount tree.
 *
 * All paths are walked in one bpf_loop, one component (or one mount
 * crossing) per iteration, each written backwards into its own region of
 * the second half of the slot buffer (free until argv is copied); then
 * each is copied once into the record. Past PS_XPATH_MAX bytes a path is
 * flagged truncated and keeps its last components (a leading '/' still
 * starts a component there); a walk out of iterations is truncated too.
 *
 * A pseudo file (a dentry that is its own parent, not the mount root:
 * memfd, anon inodes) has no directory: its path is its name alone,
 * "memfd:NAME", without a leading '/' (as the kernel's d_path() writes it,
 * less the " (deleted)" suffix).
 */
#ifndef PROCSNOOP_PATH_BPF_H
#define PROCSNOOP_PATH_BPF_H

#include "common.bpf.h"

/*
 * One helper call for several fields of one object: the bytes from field
 * @lo to the end of field @hi (offsets from the running kernel's BTF, so
 * constants to the verifier) into @buf, a __u64 array; PS_AT() then picks
 * a field. Each field is a probe read otherwise: the walk's main cost. A
 * kernel whose span would not fit @buf gets an error, never a wrong read.
 */
#define PS_SPAN_LEN(type, lo, hi)                                          \
	(bpf_core_field_offset(type, hi) + bpf_core_field_size(type, hi) - \
	 bpf_core_field_offset(type, lo))
#define PS_SPAN(buf, p, type, lo, hi)                                  \
	(PS_SPAN_LEN(type, lo, hi) > sizeof(buf) ?                     \
		 -1 :                                                  \
		 bpf_probe_read_kernel(buf, PS_SPAN_LEN(type, lo, hi), \
				       (const void *)(p) + bpf_core_field_offset(type, lo)))
/* the offset is a scalar before it meets the pointer: no pointer subtraction */
#define PS_AT(buf, ftype, type, lo, f)                                                        \
	({                                                                                    \
		__u64 __o = bpf_core_field_offset(type, f) - bpf_core_field_offset(type, lo); \
		asm volatile("" : "+r"(__o));                                                 \
		*(ftype *)((void *)(buf) + __o);                                              \
	})

/*
 * bpf_rdonly_cast() (6.2+) makes a kernel pointer one the program may load
 * through directly (a fault reads 0, as a failed probe read does): a load
 * instead of a helper call for every field. User space sets ps_fast_read
 * when the kernel has it; older kernels take the probe reads, and the
 * verifier drops the branch not taken.
 */
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym __weak;
const volatile bool ps_fast_read = false;

#define PS_CAST(type, p) ((type *)bpf_rdonly_cast((p), bpf_core_type_id_kernel(type)))
/* p->field (one member, or a member path), of a kernel pointer of @type */
#define PS_RD(type, p, ...) \
	(ps_fast_read ? PS_CAST(type, p)->__VA_ARGS__ : BPF_CORE_READ((type *)(p), __VA_ARGS__))

#define PS_WALK_N 3 /* paths per walk */
/* components plus mount crossings of all paths: a full 4096-byte path of
 * 1-byte names is 2048 components */
#define PS_WALK_LOOPS (PS_WALK_N * (PS_XPATH_MAX / 2 + 64))
#define PS_WALK_BASE PS_REC_MAX /* regions: the second half of slot->buf */

/* Loop state: pointers in slot->state (8 u64), the rest at the buffer's end. */
struct ps_walk_ptrs {
	__u64 start[PS_WALK_N]; /* struct file *, or (k == cwd) struct fs_struct *; 0: none */
	__u64 dentry;		/* current; 0: path k not started */
	__u64 vfsmnt;		/* current struct vfsmount * */
	__u64 mnt_root;		/* its root dentry */
	__u64 root_dentry;	/* the process's root */
	__u64 root_mnt;
};

struct ps_walk_tail {
	__u32 k;	      /* path being walked */
	__u32 pos;	      /* its start in its region (written backwards) */
	__u32 len[PS_WALK_N]; /* result: bytes, at the end of region k */
	__u32 trunc;	      /* bit k: path k truncated */
	__u32 pseudo;	      /* bit k: path k is a pseudo file's name */
	__u32 unhashed;	      /* bit k: path k's own dentry is unhashed (d_unhashed()) */
};

#define PS_WALK_TAIL_OFF (2 * PS_REC_MAX - sizeof(struct ps_walk_tail))

_Static_assert(sizeof(struct ps_walk_ptrs) <= sizeof(((struct ps_slot *)0)->state),
	       "walk pointers fit slot->state");
/* a name read at [base + k * MAX + off, + len), off and len < MAX, stays below the tail */
_Static_assert(PS_WALK_BASE + PS_WALK_N * PS_XPATH_MAX + PS_XPATH_MAX <= PS_WALK_TAIL_OFF,
	       "walk regions fit the second half of the slot buffer");

static __always_inline struct ps_walk_tail *ps_walk_tail(struct ps_slot *slot)
{
	return (void *)(slot->buf + PS_WALK_TAIL_OFF);
}

/* Path k ends: record its length (an empty walk is the root, "/"). */
static __always_inline void ps_walk_end(struct ps_slot *slot, struct ps_walk_tail *t, __u32 k)
{
	struct ps_walk_ptrs *w = (void *)slot->state;
	__u32 pos = t->pos;

	if (k >= PS_WALK_N)
		return;
	if (pos >= PS_XPATH_MAX) {
		slot->buf[PS_WALK_BASE + k * PS_XPATH_MAX + PS_XPATH_MAX - 1] = '/';
		pos = PS_XPATH_MAX - 1;
	}
	t->len[k] = PS_XPATH_MAX - pos;
	t->k = k + 1;
	w->dentry = 0;
}

/* Start path k at @path (a struct path in the kernel). */
static __always_inline void ps_walk_start(struct ps_walk_ptrs *w, struct ps_walk_tail *t,
					  const struct path *path)
{
	__u64 span[2] = {};
	struct vfsmount *m;

	if (ps_fast_read) {
		m = PS_CAST(struct path, path)->mnt;
		w->dentry = (__u64)PS_CAST(struct path, path)->dentry;
	} else {
		PS_SPAN(span, path, struct path, mnt, dentry);
		m = PS_AT(span, struct vfsmount *, struct path, mnt, mnt);
		w->dentry = (__u64)PS_AT(span, struct dentry *, struct path, mnt, dentry);
	}
	w->vfsmnt = (__u64)m;
	w->mnt_root = (__u64)PS_RD(struct vfsmount, m, mnt_root);
	t->pos = PS_XPATH_MAX;
}

/* bpf_loop's context must be on the stack */
struct ps_walk_ctx {
	struct ps_slot *slot;
};

static long ps_walk_cb(__u64 i, void *data)
{
	struct ps_slot *slot = ((struct ps_walk_ctx *)data)->slot;
	struct ps_walk_ptrs *w = (void *)slot->state;
	struct ps_walk_tail *t = ps_walk_tail(slot);
	struct dentry *d, *parent;
	const unsigned char *name;
	__u32 k = t->k, pos, len, off;
	__u64 span[6] = {};
	void *hashed;

	if (k >= PS_WALK_N)
		return 1;
	if (!w->dentry) {
		__u64 s = w->start[k];

		if (!s) {
			t->len[k] = 0;
			t->k = k + 1;
			return 0;
		}
		if (k == PS_WALK_N - 1)
			ps_walk_start(w, t, &((struct fs_struct *)s)->pwd);
		else
			ps_walk_start(w, t, &((struct file *)s)->f_path);
		if (!w->dentry) {
			t->len[k] = 0;
			t->k = k + 1;
		}
		return 0;
	}
	d = (void *)w->dentry;
	if (w->dentry == w->root_dentry && w->vfsmnt == w->root_mnt) {
		ps_walk_end(slot, t, k);
		return 0;
	}
	if (w->dentry == w->mnt_root) {
		/* container_of(vfsmount, struct mount, mnt), offset from the kernel's BTF */
		struct mount *mnt = (void *)(w->vfsmnt - bpf_core_field_offset(struct mount, mnt));
		struct mount *up;

		struct dentry *mp;

		/* its parent and its mountpoint there, in one read */
		if (ps_fast_read) {
			up = PS_CAST(struct mount, mnt)->mnt_parent;
			mp = PS_CAST(struct mount, mnt)->mnt_mountpoint;
		} else {
			PS_SPAN(span, mnt, struct mount, mnt_parent, mnt_mountpoint);
			up = PS_AT(span, struct mount *, struct mount, mnt_parent, mnt_parent);
			mp = PS_AT(span, struct dentry *, struct mount, mnt_parent, mnt_mountpoint);
		}
		if (!up || up == mnt) { /* the top of the mount tree */
			ps_walk_end(slot, t, k);
			return 0;
		}
		w->dentry = (__u64)mp;
		w->vfsmnt = (__u64)&up->mnt;
		w->mnt_root = (__u64)PS_RD(struct mount, up, mnt.mnt_root);
		return 0;
	}
	if (ps_fast_read) {
		struct dentry *fd = PS_CAST(struct dentry, d);

		parent = fd->d_parent;
		len = fd->d_name.len;
		name = fd->d_name.name;
		hashed = fd->d_hash.pprev;
	} else {
		/* d_hash.pprev, d_parent, d_name: adjacent in every kernel, one read */
		if (PS_SPAN(span, d, struct dentry, d_hash.pprev, d_name.name)) {
			t->trunc |= 1u << k;
			ps_walk_end(slot, t, k);
			return 0;
		}
		parent = PS_AT(span, struct dentry *, struct dentry, d_hash.pprev, d_parent);
		len = PS_AT(span, __u32, struct dentry, d_hash.pprev, d_name.len);
		name = PS_AT(span, const unsigned char *, struct dentry, d_hash.pprev, d_name.name);
		hashed = PS_AT(span, void *, struct dentry, d_hash.pprev, d_hash.pprev);
	}
	if (!parent) { /* a fault */
		t->trunc |= 1u << k;
		ps_walk_end(slot, t, k);
		return 0;
	}
	if (t->pos == PS_XPATH_MAX && !hashed)
		t->unhashed |= 1u << k;
	pos = t->pos;
	if (pos > PS_XPATH_MAX)
		return 1;
	/* a component: its name and the '/' before it (a pseudo file: none) */
	if (len + 1 > pos || len >= PS_XPATH_MAX) {
		t->trunc |= 1u << k;
		ps_walk_end(slot, t, k);
		return 0;
	}
	off = pos - len;
	if (off >= PS_XPATH_MAX)
		return 1;
	bpf_probe_read_kernel(slot->buf + PS_WALK_BASE + k * PS_XPATH_MAX + off, len, name);
	if (parent == d) {
		t->pos = off;
		t->pseudo |= 1u << k;
		ps_walk_end(slot, t, k);
		return 0;
	}
	off--;
	if (off >= PS_XPATH_MAX)
		return 1;
	slot->buf[PS_WALK_BASE + k * PS_XPATH_MAX + off] = '/';
	t->pos = off;
	w->dentry = (__u64)parent;
	return 0;
}

/*
 * Walk @exe, @interp (struct file *) and @task's cwd, each may be 0; the
 * results are described by ps_walk_tail(slot) until the buffer's second
 * half is used again.
 */
static __always_inline struct ps_walk_tail *ps_walk(struct ps_slot *slot, struct task_struct *task,
						    struct file *exe, struct file *interp)
{
	struct ps_walk_ptrs *w = (void *)slot->state;
	struct ps_walk_tail *t = ps_walk_tail(slot);
	struct fs_struct *fs = PS_RD(struct task_struct, task, fs);
	struct ps_walk_ctx wc = { .slot = slot };
	__u64 span[2] = {};

	w->start[0] = (__u64)exe;
	w->start[1] = (__u64)interp;
	w->start[2] = (__u64)fs;
	w->dentry = 0;
	if (ps_fast_read) {
		w->root_mnt = (__u64)PS_CAST(struct fs_struct, fs)->root.mnt;
		w->root_dentry = (__u64)PS_CAST(struct fs_struct, fs)->root.dentry;
	} else {
		PS_SPAN(span, &fs->root, struct path, mnt, dentry);
		w->root_mnt = (__u64)PS_AT(span, void *, struct path, mnt, mnt);
		w->root_dentry = (__u64)PS_AT(span, void *, struct path, mnt, dentry);
	}
	t->k = 0;
	t->trunc = 0;
	t->pseudo = 0;
	t->unhashed = 0;
	t->len[0] = t->len[1] = t->len[2] = 0;
	bpf_loop(PS_WALK_LOOPS, ps_walk_cb, &wc, 0);
	/* out of iterations: what was walked is the end of the path */
	if (t->k < PS_WALK_N) {
		t->trunc |= 1u << t->k;
		ps_walk_end(slot, t, t->k);
	}
	return t;
}

/*
 * Append path k of the walk to the record being built: flush first if it
 * does not fit the current record (the lengths are in the event struct,
 * set before any flush). Returns its length.
 */
static __always_inline __u32 ps_walk_put(void *ctx, struct ps_slot *slot, struct ps_walk_tail *t,
					 __u32 k, __u32 hdr_len)
{
	__u32 len, pos;

	if (k >= PS_WALK_N)
		return 0;
	len = t->len[k];
	if (!len || len > PS_XPATH_MAX)
		return 0;
	if (ps_sw_room(slot) < len)
		ps_sw_flush(ctx, slot, hdr_len, false, 0, 0, 0, 0);
	pos = slot->sw.pos;
	if (pos > PS_REC_MAX)
		return 0;
	bpf_probe_read_kernel(slot->buf + pos, len,
			      slot->buf + PS_WALK_BASE + k * PS_XPATH_MAX + PS_XPATH_MAX - len);
	slot->sw.pos = pos + len;
	return len;
}

#endif /* PROCSNOOP_PATH_BPF_H */
