// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
static char obuf[OUT_CAP];
static size_t olen;
static bool linebuf;

static const char *tool_name = "procsnoop";
static int write_errno;	   /* first failed write to stdout; then output is discarded */
static uint64_t unwritten; /* lines not written since (whole or cut) */
static size_t tail;	   /* bytes written to stdout after the last '\n' written */
static int msg_errno;	   /* first failed write of a message to stderr */
static FILE *divert;	   /* out_divert(): the buffer goes to this file, not stdout */

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
	return write_errno;
}

uint64_t out_unwritten(void)
{
	return unwritten;
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
	write_errno = err;
	unwritten += count_lines(rest, n);
	out_msg("%s: write error: %s\n", tool_name, strerror(err));
	if (!untear())
		out_msg("%s: the last line written is incomplete\n", tool_name);
}

void out_flush(void)
{
	size_t done;
	int err;

	if (divert) {
		/* a file of our own (trace --timeline): its errors are ferror()'s */
		if (olen)
			fwrite(obuf, 1, olen, divert);
		olen = 0;
		return;
	}
	if (write_errno) {
		/* stdout is broken: count what could not be written */
		unwritten += count_lines(obuf, olen);
		olen = 0;
		return;
	}
	err = write_all(STDOUT_FILENO, obuf, olen, &done);
	if (done) {
		const char *nl = memrchr(obuf, '\n', done);

		tail = nl ? (size_t)(obuf + done - nl - 1) : tail + done;
	}
	if (err == EPIPE)
		_exit(0); /* reader gone (| head): nothing more to say */
	if (err)
		write_failed(err, obuf + done, olen - done);
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
