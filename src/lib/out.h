/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Output: one buffered stdout writer, and the only two encoders of
 * traced-process data (comm, argv, paths are hostile input):
 *
 *  - out_term(): for tables. Printable UTF-8 passes; control bytes,
 *    C1 controls, bidi overrides, backslash and invalid UTF-8 become
 *    escapes (\n \t \e \\ \xNN \u202e), so nothing a traced process
 *    writes can move the cursor, retitle the terminal or forge a line.
 *  - out_json_str(): for JSON. A JSON string literal; valid UTF-8 is
 *    kept except the code points the terminal encoder escapes (C1
 *    controls, bidi controls and marks, line separators, zero-width
 *    characters: one list), which become \uNNNN; each byte that is not
 *    part of valid UTF-8 becomes \udcNN (U+DC80..U+DCFF, the
 *    "surrogateescape" rule of PEP 383), so the exact bytes are
 *    recoverable: in Python,
 *    s.encode("utf-8", "surrogateescape").
 */
#ifndef PROCSNOOP_OUT_H
#define PROCSNOOP_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void out_bytes(const void *p, size_t n);
void out_str(const char *s);
void out_char(char c);
void out_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Write the buffer to stdout, through EINTR and short writes. EPIPE (the
 * reader is gone): exit 0 at once, silently. Any other error: one line
 * "TOOL: write error: REASON" on stderr, out_error() is set and from then
 * on output is discarded, counted in whole lines (out_unwritten()). A line
 * cut by the error (a full filesystem) is cut off the file again when
 * stdout is a regular file nobody else appended to; otherwise a second
 * line says the last line is incomplete.
 */
void out_flush(void);
/*
 * With the writer thread (out_writer_start()), out_flush() only queues
 * what is buffered; the thread writes it as above. Past the queue's bound
 * (out_set_queue()) whole lines are dropped and counted (out_dropped()),
 * never part of one. out_flush_always() queues past the bound (by at most
 * 1 MiB): for the lines that report losses. out_sync() waits until all
 * that was queued is written (or discarded after a write error).
 */
int out_writer_start(void);
void out_set_queue(uint64_t bytes);
void out_flush_always(void);
void out_sync(void);
/* Lines dropped because the writer's queue was full (user space, not the kernel). */
uint64_t out_dropped(void);
/*
 * -o FILE: fd 1 becomes FILE, opened for appending (created with mode 0600;
 * an existing file with a wider mode is set to 0600, with a message), and
 * SIGHUP reopens FILE at the next line boundary (logrotate renames, then
 * signals). @max_size: rotate when FILE reaches it (FILE.1 .. FILE.@keep),
 * 0: never. NULL or "-": stdout stays. 0, or -errno after a message.
 */
int out_output_open(const char *path, uint64_t max_size, unsigned int keep);
/* The SIGHUP handler out_output_open() installs. */
void out_hup(int sig);
/* Flush when the buffer holds more than a little (call after each event). */
void out_maybe_flush(void);
/*
 * Send what the out_* writers (and so the JSON writer) put out to @f instead
 * of stdout, for a file of our own (trace --timeline FILE); NULL: back to
 * stdout. What is pending is flushed first, to where it was going. Write
 * errors on @f are ferror(@f)'s, not out_error()'s.
 */
void out_divert(FILE *f);
/* Line-buffered mode for interactive terminals (default when stdout is a tty). */
void out_set_linebuf(bool on);
/* The name that starts out's own messages ("exec"). */
void out_set_tool(const char *name);
/*
 * True when stdout's reader is gone although nothing was written: a pipe
 * whose reader closed (POLLERR), a stream socket whose peer closed
 * (POLLHUP). One poll(), no waiting: call it once per poll round, and exit
 * 0 silently as out_flush() does on EPIPE. (A pending socket error other
 * than EPIPE is taken as a write error: out_error().)
 */
bool out_closed(void);
/* The errno of the first failed write to stdout, or 0. */
int out_error(void);
/* Lines not written to stdout because of that error. */
uint64_t out_unwritten(void);
/* A message on stderr, written whole (EINTR, short writes). */
void out_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The errno of the first message that could not be written to stderr, or 0. */
int out_msg_error(void);

/* Terminal-safe text. @quote: wrap in "..." and escape '"' (for -q). */
void out_term(const void *p, size_t n, bool quote);
/* Terminal-safe text of a NUL-terminated (or @max-bounded) string. */
void out_term_str(const char *s, size_t max);
/* A table column: the terminal-safe text of a NUL-terminated (or @max-bounded)
 * string, spaces escaped as \x20 (one token), padded to @width display bytes. */
void out_term_col(const char *s, size_t max, size_t width);
/* JSON string literal, quotes included. */
void out_json_str(const void *p, size_t n);
void out_json_cstr(const char *s, size_t max);

/* Encoders into a caller's buffer (for unit tests and reuse);
 * return bytes written, never more than @cap (output is cut safely). */
size_t enc_term(char *dst, size_t cap, const void *p, size_t n, bool quote);
size_t enc_json(char *dst, size_t cap, const void *p, size_t n);
/* The terminal encoding (what a table shows), safe as XML text and attribute
 * values: & < > " ' become entities, U+FFFE/U+FFFF (no XML characters) \uNNNN. */
size_t enc_xml(char *dst, size_t cap, const void *p, size_t n, bool quote);

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
int utf8_seq_len(const unsigned char *p, size_t n, uint32_t *cp);

/* RFC 3339 UTC with nanoseconds: "2026-11-21T20:37:28.123456789Z" */
void fmt_rfc3339(char *buf, size_t cap, uint64_t realtime_ns);
/* Local wall-clock time "HH:MM:SS" (the TIME column of every table). */
void fmt_hms(char *buf, size_t cap, uint64_t realtime_ns);

#endif
