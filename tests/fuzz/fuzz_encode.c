// SPDX-License-Identifier: GPL-2.0
/*
 * The encoders of hostile bytes (src/lib/out.c) and the JSON writer
 * (src/lib/json.c): any bytes. Properties:
 *  - both outputs are valid UTF-8 with no raw control byte (C0, DEL, C1);
 *  - the terminal text has no bidi/zero-width code point either;
 *  - the JSON string decodes (with the decoder below, which knows only
 *    RFC 8259 and the documented \udcNN rule) back to the exact input;
 *  - a line from jw_* is one JSON object whose string member decodes back;
 *  - with a short buffer, output is a prefix cut at a whole escape.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "lib/json.h"
#include "lib/out.h"

/* Valid UTF-8, no C0/DEL/C1; @term: no code point a terminal acts on. */
static void check_text(const unsigned char *p, size_t n, int term)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int l = utf8_seq_len(p + i, n - i, &cp);

		/* an independent check of the sequence, not only utf8_seq_len's */
		if (l <= 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			abort();
		if (l == 1 && p[i] >= 0x80)
			abort();
		if (l > 1 &&
		    ((l == 2 && cp < 0x80) || (l == 3 && cp < 0x800) || (l == 4 && cp < 0x10000) ||
		     cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)))
			abort();
		if (term && ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
			     (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 ||
			     cp == 0xfeff || cp == 0x061c))
			abort();
		i += l;
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t put_utf8(unsigned char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = 0xc0 | c >> 6;
		o[1] = 0x80 | (c & 0x3f);
		return 2;
	}
	if (c < 0x10000) {
		o[0] = 0xe0 | c >> 12;
		o[1] = 0x80 | ((c >> 6) & 0x3f);
		o[2] = 0x80 | (c & 0x3f);
		return 3;
	}
	o[0] = 0xf0 | c >> 18;
	o[1] = 0x80 | ((c >> 12) & 0x3f);
	o[2] = 0x80 | ((c >> 6) & 0x3f);
	o[3] = 0x80 | (c & 0x3f);
	return 4;
}

/*
 * Decode the JSON string literal at @p (n bytes, starting with '"') into
 * @o; lone surrogates U+DC80..U+DCFF are the bytes 0x80..0xff (PEP 383).
 * Returns the literal's length, or aborts on anything RFC 8259 forbids.
 */
static size_t json_decode(const unsigned char *p, size_t n, unsigned char *o, size_t *olen)
{
	size_t i = 1, k = 0;

	if (n < 2 || p[0] != '"')
		abort();
	while (i < n && p[i] != '"') {
		uint32_t c;

		if (p[i] != '\\') {
			if (p[i] < 0x20)
				abort();
			o[k++] = p[i++];
			continue;
		}
		if (i + 1 >= n)
			abort();
		switch (p[i + 1]) {
		case '"':
		case '\\':
		case '/':
			o[k++] = p[i + 1];
			i += 2;
			continue;
		case 'b':
			o[k++] = '\b';
			i += 2;
			continue;
		case 'f':
			o[k++] = '\f';
			i += 2;
			continue;
		case 'n':
			o[k++] = '\n';
			i += 2;
			continue;
		case 'r':
			o[k++] = '\r';
			i += 2;
			continue;
		case 't':
			o[k++] = '\t';
			i += 2;
			continue;
		case 'u':
			break;
		default:
			abort();
		}
		if (i + 6 > n)
			abort();
		c = 0;
		for (int j = 2; j < 6; j++) {
			int h = hexval(p[i + j]);

			if (h < 0)
				abort();
			c = c << 4 | h;
		}
		i += 6;
		if (c >= 0xdc80 && c <= 0xdcff) {
			o[k++] = c - 0xdc00;
			continue;
		}
		if (c >= 0xd800 && c <= 0xdbff) {
			uint32_t lo = 0;

			if (i + 6 > n || p[i] != '\\' || p[i + 1] != 'u')
				abort();
			for (int j = 2; j < 6; j++) {
				int h = hexval(p[i + j]);

				if (h < 0)
					abort();
				lo = lo << 4 | h;
			}
			if (lo < 0xdc00 || lo > 0xdfff)
				abort();
			i += 6;
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
		} else if (c >= 0xdc00 && c <= 0xdfff) {
			abort(); /* a lone low surrogate outside the escape range */
		}
		k += put_utf8(o + k, c);
	}
	if (i >= n)
		abort();
	*olen = k;
	return i + 1;
}

static int memfd = -1;

static size_t capture(char *buf, size_t cap)
{
	ssize_t r;

	out_flush();
	r = pread(memfd, buf, cap, 0);
	if (r < 0)
		abort();
	if (ftruncate(memfd, 0) || lseek(1, 0, SEEK_SET))
		abort();
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = size * 12 + 16, n, m, dl;
	char *out = malloc(cap), *line = malloc(cap * 2 + 64);
	unsigned char *dec = malloc(size + 16);
	struct jw w;

	if (memfd < 0) {
		/* the out buffer's writes go to stdout: make that a file we read back */
		memfd = memfd_create("fuzz-out", 0);
		if (memfd < 0 || dup2(memfd, 1) < 0)
			abort();
	}
	if (!out || !line || !dec)
		abort();

	for (int quote = 0; quote < 2; quote++) {
		n = enc_term(out, cap, data, size, quote);
		if (n > cap)
			abort();
		check_text((unsigned char *)out, n, 1);
		/* a backslash only ever starts an escape: no raw one is ambiguous */
		if (quote && (n < 2 || out[0] != '"' || out[n - 1] != '"'))
			abort();
	}

	n = enc_json(out, cap, data, size);
	check_text((unsigned char *)out, n, 0);
	if (json_decode((unsigned char *)out, n, dec, &dl) != n)
		abort();
	if (dl != size || memcmp(dec, data, size))
		abort();

	/* a short buffer: a prefix of the whole, never half an escape */
	m = enc_json(out, size / 2 + 1, data, size);
	if (m > size / 2 + 1)
		abort();
	check_text((unsigned char *)out, m, 0);

	/* through the writer and the output buffer, as every tool prints */
	jw_begin(&w, "t");
	jw_str(&w, "s", data, size);
	jw_arr(&w, "a");
	jw_strn(&w, NULL, (const char *)data, size);
	jw_arr_end(&w);
	jw_end(&w);
	n = capture(line, cap * 2 + 64);
	check_text((unsigned char *)line, n - 1, 0);
	if (n < 14 || memcmp(line, "{\"type\":\"t\",\"s\":", 16) || line[n - 1] != '\n' ||
	    line[n - 2] != '}')
		abort();
	m = 16 + json_decode((unsigned char *)line + 16, n - 16, dec, &dl);
	if (dl != size || memcmp(dec, data, size))
		abort();
	if (memcmp(line + m, ",\"a\":[", 6))
		abort();
	m += 6;
	m += json_decode((unsigned char *)line + m, n - m, dec, &dl);
	/* jw_strn stops at the first NUL */
	if (dl != strnlen((const char *)data, size) || memcmp(dec, data, dl))
		abort();
	if (n - m != 3 || memcmp(line + m, "]}\n", 3))
		abort();

	free(out);
	free(line);
	free(dec);
	return 0;
}
