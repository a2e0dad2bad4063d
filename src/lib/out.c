// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "lib/out.h"

#define OUT_CAP (256 * 1024)
/* A chunk this small is copied onto the last queued one (a tick's lost line,
 * a line-buffered event) rather than taking a whole buffer of its own. */
#define OUT_COALESCE (OUT_CAP / 4)
/* Control lines (lost, summary) may pass the queue's bound by this much:
 * they say what was dropped, so they must not be dropped themselves. */
#define OUT_SLACK (1024 * 1024)
#define OUT_SPARE 8 /* free buffers kept for reuse */

static char sbuf[OUT_CAP]; /* the buffer while there is no writer thread */
static char *obuf = sbuf;
static size_t olen;
static bool linebuf;

static const char *tool_name = "procsnoop";
/* Written by whoever writes to fd 1 (the writer thread once it runs), read
 * by the run loop: atomics. */
static int write_errno;	   /* first failed write to stdout; then output is discarded */
static uint64_t unwritten; /* lines not written since (whole or cut) */
static size_t tail;	   /* bytes written to stdout after the last '\n' written */
static int msg_errno;	   /* first failed write of a message to stderr */
static FILE *divert;	   /* out_divert(): the buffer goes to this file, not stdout */

/* -o FILE and its rotation (out_output_*); NULL: stdout as given */
static const char *opath;
static uint64_t omax, ofsize; /* --output-max-size (0: none), the file's size */
static unsigned int okeep = 5;
static bool orotate_failed;
static volatile sig_atomic_t ohup; /* SIGHUP: reopen at the next line boundary */

/*
 * The writer thread (issue 13): the run loop encodes into a buffer and
 * queues it; the thread writes. A slow disk or a reader that stops delays
 * the thread, never the draining of the kernel's buffer. Past the bound
 * the run loop drops whole lines, counted (out_dropped()).
 */
struct onode {
	struct onode *next;
	size_t off, len;
	char data[OUT_CAP];
};

static bool writer_on;
static pthread_t writer;
static pthread_mutex_t qmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qdata = PTHREAD_COND_INITIALIZER, qidle = PTHREAD_COND_INITIALIZER;
static struct onode *qhead, *qtail, *qfree, *cur;
static size_t queued, nfree;
static bool qbusy;		    /* the thread is writing a node */
static uint64_t qbound = 64u << 20; /* --output-queue */
static uint64_t dropped;	    /* lines dropped at the bound */
/* run loop only: the last chunk queued ended inside a line (its rest must
 * follow, or the line is torn); the last chunk dropped did (its rest goes too) */
static bool q_partial, d_partial;

void out_set_linebuf(bool on)
{
	linebuf = on;
}

void out_set_tool(const char *name)
{
	tool_name = name;
}

int out_error(void)
{
	return __atomic_load_n(&write_errno, __ATOMIC_ACQUIRE);
}

uint64_t out_unwritten(void)
{
	return __atomic_load_n(&unwritten, __ATOMIC_RELAXED);
}

uint64_t out_dropped(void)
{
	return __atomic_load_n(&dropped, __ATOMIC_RELAXED);
}

int out_msg_error(void)
{
	return msg_errno;
}

/* All of @n bytes to @fd, through EINTR and short writes: 0 or an errno. */
static int write_all(int fd, const char *p, size_t n, size_t *done)
{
	size_t off = 0;
	int err = 0;

	while (off < n) {
		ssize_t w = write(fd, p + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w < 0 ? errno : ENOSPC; /* write() returning 0: no room */
			break;
		}
		off += w;
	}
	if (done)
		*done = off;
	return err;
}

void out_msg(const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n, err;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	err = write_all(STDERR_FILENO, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1,
			NULL);
	if (err && !msg_errno)
		msg_errno = err;
}

static uint64_t count_lines(const char *p, size_t n)
{
	const char *end = p + n;
	uint64_t k = 0;

	while (p < end && (p = memchr(p, '\n', end - p))) {
		k++;
		p++;
	}
	return k;
}

/*
 * A write failed after part of a line went out (a full filesystem takes
 * what fits): cut that part off again, so that every line in the file is
 * whole, when that is safe: a regular file that ends where we wrote last
 * (nobody appended after us). Returns false if the cut part stays.
 */
static bool untear(void)
{
	struct stat st;
	off_t pos;

	if (!tail)
		return true;
	if (fstat(STDOUT_FILENO, &st) || !S_ISREG(st.st_mode))
		return false;
	pos = lseek(STDOUT_FILENO, 0, SEEK_CUR);
	if (pos < (off_t)tail || pos != st.st_size || ftruncate(STDOUT_FILENO, pos - tail))
		return false;
	tail = 0;
	return true;
}

static void write_failed(int err, const char *rest, size_t n)
{
	__atomic_add_fetch(&unwritten, count_lines(rest, n), __ATOMIC_RELAXED);
	out_msg("%s: write error%s%s: %s\n", tool_name, opath ? " on " : "", opath ? opath : "",
		strerror(err));
	if (!untear())
		out_msg("%s: the last line written is incomplete\n", tool_name);
	__atomic_store_n(&write_errno, err, __ATOMIC_RELEASE);
}

/* ---- -o FILE: open, reopen (SIGHUP), rotate ---- */

/* Records hold command lines, and command lines hold secrets: 0600. */
static int open_output(const char *path, bool first)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077)) {
		if (fchmod(fd, st.st_mode & 07700))
			out_msg("%s: %s has mode %04o and it cannot be changed: %s (records "
				"hold command lines: anyone in its group or others can read them)\n",
				tool_name, path, st.st_mode & 07777, strerror(errno));
		else if (first)
			out_msg("%s: %s had mode %04o: set to %04o (records hold command lines)\n",
				tool_name, path, st.st_mode & 07777, st.st_mode & 07700);
	}
	ofsize = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	return fd;
}

/* Only at a line boundary (tail == 0): each line whole in one file. */
static int reopen(void)
{
	int fd = open_output(opath, false);

	if (fd < 0) {
		out_msg("%s: cannot reopen %s: %s (writing on to the file open before)\n",
			tool_name, opath, strerror(-fd));
		return fd;
	}
	if (fd != STDOUT_FILENO) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	tail = 0;
	return 0;
}

static void rotate(void)
{
	char a[PATH_MAX + 16], b[PATH_MAX + 16];

	/* FILE.N-1 -> FILE.N (the oldest goes), ..., FILE -> FILE.1 */
	for (unsigned int i = okeep; i >= 1; i--) {
		if (i > 1)
			snprintf(a, sizeof(a), "%s.%u", opath, i - 1);
		else
			snprintf(a, sizeof(a), "%s", opath);
		snprintf(b, sizeof(b), "%s.%u", opath, i);
		if (rename(a, b) && errno != ENOENT && i == 1) {
			out_msg("%s: cannot rotate %s: %s (no more rotation: writing on to it)\n",
				tool_name, opath, strerror(errno));
			orotate_failed = true;
			return;
		}
	}
	/* the file is gone (renamed): no new one, no more rotation */
	if (reopen())
		orotate_failed = true;
}

int out_output_open(const char *path, uint64_t max_size, unsigned int keep)
{
	struct sigaction sa = { .sa_handler = out_hup, .sa_flags = SA_RESTART };
	int fd;

	if (!path || !strcmp(path, "-"))
		return 0;
	fd = open_output(path, true);
	if (fd < 0) {
		out_msg("%s: cannot open the output file %s: %s\n", tool_name, path, strerror(-fd));
		return fd;
	}
	out_flush(); /* nothing should be there; what is goes where it was meant to */
	if (fd != STDOUT_FILENO) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	opath = path;
	omax = max_size;
	okeep = keep ? keep : okeep;
	linebuf = false;
	/* logrotate: rename the file, then SIGHUP; the next line goes to a new one */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	return 0;
}

void out_hup(int sig)
{
	(void)sig;
	ohup = 1;
}

/*
 * Write one chunk to fd 1. A reopen (SIGHUP) or a rotation happens only
 * where a line ends, so no line is ever split between two files; a rotation
 * cuts a chunk at its last line end that fits, and a line that does not fit
 * goes whole into the next file (one longer than the limit alone: whole).
 */
static void write_chunk(const char *p, size_t n)
{
	while (n) {
		size_t k = n, done;
		const char *nl;
		int err;

		if (out_error()) {
			/* stdout is broken: count what could not be written */
			__atomic_add_fetch(&unwritten, count_lines(p, n), __ATOMIC_RELAXED);
			return;
		}
		if (!tail && opath && ohup) {
			ohup = 0;
			reopen();
		}
		if (!tail && omax && !orotate_failed && ofsize >= omax)
			rotate();
		if (tail && (ohup || (omax && !orotate_failed && ofsize >= omax))) {
			nl = memchr(p, '\n', n); /* end this line first */
			k = nl ? (size_t)(nl - p + 1) : n;
		} else if (omax && !orotate_failed && ofsize < omax && n > omax - ofsize) {
			nl = memrchr(p, '\n', omax - ofsize);
			if (!nl && !tail && ofsize) {
				rotate(); /* the first line does not fit: into the next file */
				continue;
			}
			if (!nl)
				nl = memchr(p + (omax - ofsize), '\n', n - (omax - ofsize));
			k = nl ? (size_t)(nl - p + 1) : n;
		}
		err = write_all(STDOUT_FILENO, p, k, &done);
		if (done) {
			nl = memrchr(p, '\n', done);
			tail = nl ? (size_t)(p + done - nl - 1) : tail + done;
			ofsize += done;
		}
		if (err == EPIPE)
			_exit(0); /* reader gone (| head): nothing more to say */
		if (err) {
			write_failed(err, p + done, n - done);
			return;
		}
		p += k;
		n -= k;
	}
}

/*
 * The writer hands write_chunk() whole lines only: the start of a line that
 * a chunk ends with waits here for its end. So every write() ends a line:
 * the size rotation is exact, and with O_APPEND another writer of the same
 * file cannot land inside a line (a regular file's write is atomic).
 */
static char *carry;
static size_t clen, ccap;

static bool carry_add(const char *p, size_t n)
{
	if (clen + n > ccap) {
		size_t cap = ccap ? ccap : 4096;
		char *c;

		while (cap < clen + n)
			cap *= 2;
		c = realloc(carry, cap);
		if (!c)
			return false;
		carry = c;
		ccap = cap;
	}
	memcpy(carry + clen, p, n);
	clen += n;
	return true;
}

static void write_lines(const char *p, size_t n)
{
	const char *nl;
	size_t k;

	if (clen) {
		nl = memchr(p, '\n', n);
		k = nl ? (size_t)(nl - p + 1) : n;
		if (!carry_add(p, k)) {
			/* no memory to hold it: write it as it comes */
			write_chunk(carry, clen);
			clen = 0;
			write_chunk(p, k);
		} else if (nl) {
			write_chunk(carry, clen);
			clen = 0;
		}
		p += k;
		n -= k;
	}
	if (!n)
		return;
	nl = memrchr(p, '\n', n);
	k = nl ? (size_t)(nl - p + 1) : 0;
	if (k)
		write_chunk(p, k);
	if (n > k && !carry_add(p + k, n - k))
		write_chunk(p + k, n - k);
}

static void *writer_main(void *arg)
{
	struct timespec ts;
	struct onode *n;

	(void)arg;
	pthread_mutex_lock(&qmu);
	for (;;) {
		if (!qhead) {
			pthread_cond_broadcast(&qidle);
			/* a SIGHUP while idle: reopen now, not at the next line */
			if (ohup && opath && !tail) {
				pthread_mutex_unlock(&qmu);
				ohup = 0;
				reopen();
				pthread_mutex_lock(&qmu);
				continue;
			}
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&qdata, &qmu, &ts);
			continue;
		}
		n = qhead;
		qhead = n->next;
		if (!qhead)
			qtail = NULL;
		qbusy = true;
		pthread_mutex_unlock(&qmu);
		write_lines(n->data + n->off, n->len);
		pthread_mutex_lock(&qmu);
		qbusy = false;
		queued -= n->len;
		if (nfree < OUT_SPARE) {
			n->next = qfree;
			qfree = n;
			nfree++;
		} else {
			free(n);
		}
	}
	return NULL;
}

static struct onode *node_get(void)
{
	struct onode *n;

	pthread_mutex_lock(&qmu);
	n = qfree;
	if (n) {
		qfree = n->next;
		nfree--;
	}
	pthread_mutex_unlock(&qmu);
	return n ? n : malloc(sizeof(*n));
}

void out_set_queue(uint64_t bytes)
{
	qbound = bytes;
}

int out_writer_start(void)
{
	sigset_t all, old;
	int err;

	if (writer_on)
		return 0;
	out_flush(); /* what is buffered goes out the old way first */
	cur = malloc(sizeof(*cur));
	if (!cur)
		return -ENOMEM;
	/* signals are the run loop's (SIGINT, SIGHUP): none for the thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&writer, NULL, writer_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		free(cur);
		cur = NULL;
		return -err;
	}
	pthread_detach(writer);
	obuf = cur->data;
	olen = 0;
	writer_on = true;
	return 0;
}

/*
 * Queue obuf[0..olen). Past the bound (plus OUT_SLACK for @always), whole
 * lines are dropped and counted; the rest of a line whose start was
 * queued is queued anyway, the rest of one whose start was dropped is
 * dropped: never a torn line.
 */
static void enqueue(bool always)
{
	size_t skip = 0, keep = olen, room, lim;
	struct onode *n;
	const char *nl;

	if (d_partial) {
		nl = memchr(obuf, '\n', olen);
		if (!nl) {
			olen = 0; /* all of it is the rest of a dropped line */
			return;
		}
		skip = nl - obuf + 1;
		d_partial = false; /* counted now, at its end */
		__atomic_add_fetch(&dropped, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_lock(&qmu);
	lim = qbound + (always ? OUT_SLACK : 0);
	room = queued < lim ? lim - queued : 0;
	if (olen - skip > room) {
		keep = skip;
		if (q_partial) {
			nl = memchr(obuf + skip, '\n', olen - skip);
			keep = nl ? (size_t)(nl - obuf + 1) : olen;
		}
		if (keep < olen) {
			__atomic_add_fetch(&dropped, count_lines(obuf + keep, olen - keep),
					   __ATOMIC_RELAXED);
			d_partial = obuf[olen - 1] != '\n';
		}
	}
	if (keep > skip) {
		q_partial = obuf[keep - 1] != '\n';
		queued += keep - skip;
		if (qtail && keep - skip <= OUT_COALESCE &&
		    qtail->off + qtail->len + keep - skip <= OUT_CAP) {
			memcpy(qtail->data + qtail->off + qtail->len, obuf + skip, keep - skip);
			qtail->len += keep - skip;
			n = NULL;
		} else {
			n = cur;
			n->next = NULL;
			n->off = skip;
			n->len = keep - skip;
			if (qtail)
				qtail->next = n;
			else
				qhead = n;
			qtail = n;
		}
		pthread_cond_signal(&qdata);
		pthread_mutex_unlock(&qmu);
		if (n) {
			struct onode *c = node_get();

			if (!c) {
				/* no memory for a new buffer: wait for this one */
				out_sync();
				pthread_mutex_lock(&qmu);
				c = qfree;
				qfree = c->next;
				nfree--;
				pthread_mutex_unlock(&qmu);
			}
			cur = c;
			obuf = cur->data;
		}
	} else {
		pthread_mutex_unlock(&qmu);
	}
	olen = 0;
}

void out_sync(void)
{
	if (!writer_on)
		return;
	pthread_mutex_lock(&qmu);
	while (qhead || qbusy)
		pthread_cond_wait(&qidle, &qmu);
	pthread_mutex_unlock(&qmu);
}

void out_flush_always(void)
{
	if (!writer_on || divert)
		out_flush();
	else if (olen)
		enqueue(true);
}

void out_flush(void)
{
	if (divert) {
		/* a file of our own (trace --timeline): its errors are ferror()'s */
		if (olen)
			fwrite(obuf, 1, olen, divert);
		olen = 0;
		return;
	}
	if (writer_on) {
		if (olen)
			enqueue(false);
		return;
	}
	write_chunk(obuf, olen);
	olen = 0;
}

/* 1: check stdout with poll() (a pipe, or a stream socket), 0: never, -1: not known yet */
static int closable = -1;
static bool closable_fifo;

static bool stdout_closable(void)
{
	struct stat st;
	int type = 0, fl;
	socklen_t len = sizeof(type);

	if (closable >= 0)
		return closable;
	closable = 0;
	fl = fcntl(STDOUT_FILENO, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY || fstat(STDOUT_FILENO, &st))
		return false;
	/* a terminal hangs up with SIGHUP; files and devices never close */
	if (S_ISFIFO(st.st_mode))
		closable = closable_fifo = true;
	else if (S_ISSOCK(st.st_mode) &&
		 !getsockopt(STDOUT_FILENO, SOL_SOCKET, SO_TYPE, &type, &len))
		closable = type == SOCK_STREAM || type == SOCK_SEQPACKET;
	return closable;
}

bool out_closed(void)
{
	struct pollfd pfd = { .fd = STDOUT_FILENO }; /* POLLERR, POLLHUP: always reported */
	int err = 0;
	socklen_t len = sizeof(err);

	if (write_errno || !stdout_closable() || poll(&pfd, 1, 0) <= 0)
		return false;
	/* a pipe without readers: POLLERR; a stream socket whose peer closed: POLLHUP */
	if (!(pfd.revents & (POLLERR | POLLHUP)))
		return false;
	if (pfd.revents & POLLHUP || closable_fifo)
		return true;
	/* a socket error (reset, timeout): what the next write would report */
	if (getsockopt(STDOUT_FILENO, SOL_SOCKET, SO_ERROR, &err, &len) || !err)
		return false;
	if (err == EPIPE)
		return true;
	write_failed(err, NULL, 0);
	return false;
}

void out_divert(FILE *f)
{
	out_flush();
	divert = f;
}

void out_maybe_flush(void)
{
	if (linebuf || olen > OUT_CAP / 2)
		out_flush();
}

void out_bytes(const void *p, size_t n)
{
	const char *s = p;

	while (n) {
		size_t k;

		if (olen == OUT_CAP)
			out_flush();
		k = OUT_CAP - olen;
		if (k > n)
			k = n;
		memcpy(obuf + olen, s, k);
		olen += k;
		s += k;
		n -= k;
	}
}

void out_str(const char *s)
{
	out_bytes(s, strlen(s));
}

void out_char(char c)
{
	if (olen == OUT_CAP)
		out_flush();
	obuf[olen++] = c;
}

void out_fmt(const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	out_bytes(tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

int utf8_seq_len(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c;
	int len;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < (size_t)len)
		return 0;
	for (int i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	/* overlongs, surrogates, > U+10FFFF */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * Code points that are "printable" UTF-8 but that a terminal, a browser or
 * a JSON consumer acts on: the one list both encoders escape as \uNNNN.
 */
static bool cp_dangerous(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) ||     /* C1 controls (CSI, OSC, NEL...) */
	       c == 0x061c ||		       /* arabic letter mark (bidi) */
	       (c >= 0x200b && c <= 0x200f) || /* zero-width, LRM/RLM */
	       (c >= 0x202a && c <= 0x202e) || /* bidi embeddings/overrides */
	       (c >= 0x2066 && c <= 0x2069) || /* bidi isolates */
	       c == 0x2028 || c == 0x2029 ||   /* line/paragraph separators */
	       c == 0xfeff;		       /* zero-width no-break space, BOM */
}

/*
 * Length of the leading run of bytes that need no escaping in either
 * encoder: printable ASCII other than '"' and '\\'. Eight bytes at a
 * time: argv is mostly plain text, and a 100 KiB command line must not
 * cost a branch per byte.
 */
static size_t plain_run(const unsigned char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w, q, b;

		memcpy(&w, p + i, 8);
		q = w ^ (ones * '"');
		b = w ^ (ones * '\\');
		/* a byte < 0x20, == '"', == '\\', >= 0x80 or 0x7f */
		if (((w - ones * 0x20) | (q - ones) | (b - ones) | w | (w + ones)) & highs)
			break;
	}
	while (i < n && p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
		i++;
	return i;
}

/* A tiny bounded appender used by both encoders. */
struct sink {
	char *dst;
	size_t cap, len;
	bool full;
	bool xml; /* enc_xml(): the terminal encoding, then XML's five entities */
};

static void sink_raw(struct sink *s, const char *p, size_t n);

/* Whatever the terminal encoder puts out, with & < > " ' as entities. */
static void sink_xml(struct sink *s, const char *p, size_t n)
{
	size_t i = 0, run = 0;

	for (; i < n; i++) {
		const char *ent = NULL;

		switch (p[i]) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			ent = "&apos;";
			break;
		default:
			run++;
			continue;
		}
		if (run)
			sink_raw(s, p + i - run, run);
		run = 0;
		sink_raw(s, ent, strlen(ent));
	}
	if (run)
		sink_raw(s, p + i - run, run);
}

static void sink_put(struct sink *s, const char *p, size_t n)
{
	if (s->xml)
		sink_xml(s, p, n);
	else
		sink_raw(s, p, n);
}

static void sink_raw(struct sink *s, const char *p, size_t n)
{
	if (s->full)
		return;
	if (s->dst == NULL) {
		out_bytes(p, n);
		s->len += n;
		return;
	}
	if (s->len + n > s->cap) {
		s->full = true; /* never emit half an escape */
		return;
	}
	memcpy(s->dst + s->len, p, n);
	s->len += n;
}

static void term_enc(struct sink *s, const void *src, size_t n, bool quote)
{
	const unsigned char *p = src;
	char esc[16];
	size_t i = 0, run = 0;

	if (quote)
		sink_put(s, "\"", 1);
	while (i < n) {
		unsigned char b = p[i];
		uint32_t cp;
		int l = 0;

		if (b >= 0x20 && b < 0x7f && b != '\\' && !(quote && b == '"')) {
			size_t k = plain_run(p + i, n - i);

			k = k ? k : 1;
			run += k;
			i += k;
			continue;
		}
		if (run) {
			sink_put(s, (const char *)p + i - run, run);
			run = 0;
		}
		if (b >= 0x80 && (l = utf8_seq_len(p + i, n - i, &cp)) > 0) {
			/* U+FFFE and U+FFFF are not characters to XML */
			if (cp_dangerous(cp) || (s->xml && (cp == 0xfffe || cp == 0xffff))) {
				snprintf(esc, sizeof(esc), "\\u%04x", cp);
				sink_put(s, esc, strlen(esc));
			} else {
				sink_put(s, (const char *)p + i, l);
			}
			i += l;
			continue;
		}
		switch (b) {
		case '\n':
			sink_put(s, "\\n", 2);
			break;
		case '\t':
			sink_put(s, "\\t", 2);
			break;
		case '\r':
			sink_put(s, "\\r", 2);
			break;
		case 0x1b:
			sink_put(s, "\\e", 2);
			break;
		case '\\':
			sink_put(s, "\\\\", 2);
			break;
		case '"':
			sink_put(s, "\\\"", 2);
			break;
		default:
			snprintf(esc, sizeof(esc), "\\x%02x", b);
			sink_put(s, esc, 4);
		}
		i++;
	}
	if (run)
		sink_put(s, (const char *)p + i - run, run);
	if (quote)
		sink_put(s, "\"", 1);
}

static void json_enc(struct sink *s, const void *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = src;
	char esc[8];
	size_t i = 0, run = 0;

	sink_put(s, "\"", 1);
	while (i < n) {
		unsigned char b = p[i];
		uint32_t cp;
		int l = 0;

		if (b >= 0x20 && b < 0x7f && b != '\\' && b != '"') {
			size_t k = plain_run(p + i, n - i);

			run += k;
			i += k;
			continue;
		}
		if (b >= 0x80 && (l = utf8_seq_len(p + i, n - i, &cp)) > 0 && !cp_dangerous(cp)) {
			run += l; /* valid UTF-8 is copied as is */
			i += l;
			continue;
		}
		if (run) {
			sink_put(s, (const char *)p + i - run, run);
			run = 0;
		}
		if (b >= 0x80 && l > 0) {
			/* legal JSON raw, but consumers and terminals act on them */
			snprintf(esc, sizeof(esc), "\\u%04x", cp);
			sink_put(s, esc, 6);
			i += l;
			continue;
		}
		switch (b) {
		case '"':
			sink_put(s, "\\\"", 2);
			break;
		case '\\':
			sink_put(s, "\\\\", 2);
			break;
		case '\n':
			sink_put(s, "\\n", 2);
			break;
		case '\t':
			sink_put(s, "\\t", 2);
			break;
		case '\r':
			sink_put(s, "\\r", 2);
			break;
		default:
			/* control byte: \u00NN; invalid UTF-8 byte: \udcNN */
			memcpy(esc, b >= 0x80 ? "\\udc" : "\\u00", 4);
			esc[4] = hex[b >> 4];
			esc[5] = hex[b & 15];
			sink_put(s, esc, 6);
		}
		i++;
	}
	if (run)
		sink_put(s, (const char *)p + i - run, run);
	sink_put(s, "\"", 1);
}

void out_term(const void *p, size_t n, bool quote)
{
	struct sink s = { 0 };

	term_enc(&s, p, n, quote);
}

void out_term_str(const char *s, size_t max)
{
	out_term(s, strnlen(s, max), false);
}

void out_term_col(const char *str, size_t max, size_t width)
{
	/* a comm is 15 bytes; escaped, at most 6 bytes each: the buffer fits */
	char buf[128];
	size_t n = strnlen(str, max), w = 0, i = 0;

	/* one token per column: a space would shift the columns after it, so
	 * it is escaped too (\x20; backslash itself is \\, so this is unambiguous) */
	while (i < n && w < sizeof(buf) - 8) {
		size_t j = i;

		while (j < n && str[j] != ' ')
			j++;
		w += enc_term(buf + w, sizeof(buf) - 8 - w, str + i, j - i, false);
		if (j < n) {
			memcpy(buf + w, "\\x20", 4);
			w += 4;
			j++;
		}
		i = j;
	}
	out_bytes(buf, w);
	for (size_t k = w; k < width; k++)
		out_char(' ');
}

void out_json_str(const void *p, size_t n)
{
	struct sink s = { 0 };

	json_enc(&s, p, n);
}

void out_json_cstr(const char *s, size_t max)
{
	out_json_str(s, strnlen(s, max));
}

size_t enc_term(char *dst, size_t cap, const void *p, size_t n, bool quote)
{
	struct sink s = { .dst = dst, .cap = cap };

	term_enc(&s, p, n, quote);
	return s.len;
}

size_t enc_xml(char *dst, size_t cap, const void *p, size_t n, bool quote)
{
	struct sink s = { .dst = dst, .cap = cap, .xml = true };

	term_enc(&s, p, n, quote);
	return s.len;
}

size_t enc_json(char *dst, size_t cap, const void *p, size_t n)
{
	struct sink s = { .dst = dst, .cap = cap };

	json_enc(&s, p, n);
	return s.len;
}

void fmt_rfc3339(char *buf, size_t cap, uint64_t ns)
{
	time_t sec = ns / 1000000000ull;
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ns % 1000000000ull));
}

void fmt_hms(char *buf, size_t cap, uint64_t ns)
{
	time_t sec = ns / 1000000000ull;
	struct tm tm;

	localtime_r(&sec, &tm);
	if (!strftime(buf, cap, "%H:%M:%S", &tm) && cap)
		buf[0] = 0;
}
