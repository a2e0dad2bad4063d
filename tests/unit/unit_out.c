// SPDX-License-Identifier: GPL-2.0
/* The two encoders of hostile data (src/lib/out.c): terminal and JSON. */
#include <stdint.h>
#include <string.h>
#include "lib/out.h"
#include "ps_test.h"

#define S(lit) lit, sizeof(lit) - 1

static char buf[4096];

static void term(const char *name, const char *in, size_t n, bool quote, const char *want)
{
	size_t w = enc_term(buf, sizeof(buf), in, n, quote);

	CHECK_STR(name, buf, w, want);
}

static void json(const char *name, const char *in, size_t n, const char *want)
{
	size_t w = enc_json(buf, sizeof(buf), in, n);

	CHECK_STR(name, buf, w, want);
}

static void test_term(void)
{
	term("term_ascii", S("ls -l /tmp"), false, "ls -l /tmp");
	term("term_empty", S(""), false, "");
	term("term_controls", S("a\nb\tc\rd"), false, "a\\nb\\tc\\rd");
	term("term_esc_title", S("\033]0;pwned\a"), false, "\\e]0;pwned\\x07");
	term("term_csi", S("\033[2J\033[H"), false, "\\e[2J\\e[H");
	term("term_low_and_del", S("\x01\x1f\x7f"), false, "\\x01\\x1f\\x7f");
	term("term_nul_inside", "a\0b", 3, false, "a\\x00b");
	term("term_backslash", S("a\\nb"), false, "a\\\\nb");
	/* C1 controls: as UTF-8 (U+009B CSI) and as raw bytes (invalid UTF-8) */
	term("term_c1_utf8",
	     S("x\xc2\x9b"
	       "2J"),
	     false, "x\\u009b2J");
	term("term_c1_raw",
	     S("x\x9b"
	       "2J"),
	     false, "x\\x9b2J");
	term("term_bidi_rlo",
	     S("a\xe2\x80\xae"
	       "b"),
	     false, "a\\u202eb");
	term("term_bidi_isolate",
	     S("\xe2\x81\xa6"
	       "x\xe2\x81\xa9"),
	     false, "\\u2066x\\u2069");
	term("term_zero_width",
	     S("a\xe2\x80\x8b"
	       "b\xef\xbb\xbf"),
	     false, "a\\u200bb\\ufeff");
	term("term_line_sep", S("\xe2\x80\xa8"), false, "\\u2028");
	term("term_utf8_kept", S("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"), false,
	     "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
	term("term_invalid_ff",
	     S("a\xff"
	       "b"),
	     false, "a\\xffb");
	term("term_overlong_2", S("\xc0\xaf"), false, "\\xc0\\xaf");
	term("term_overlong_3", S("\xe0\x80\xaf"), false, "\\xe0\\x80\\xaf");
	term("term_overlong_4", S("\xf0\x80\x80\xaf"), false, "\\xf0\\x80\\x80\\xaf");
	term("term_surrogate", S("\xed\xa0\x80"), false, "\\xed\\xa0\\x80");
	term("term_above_max", S("\xf4\x90\x80\x80"), false, "\\xf4\\x90\\x80\\x80");
	term("term_truncated_seq", S("ok\xe6\x97"), false, "ok\\xe6\\x97");
	term("term_lone_continuation", S("\x80x"), false, "\\x80x");
	term("term_max_cp", S("\xf4\x8f\xbf\xbf"), false, "\xf4\x8f\xbf\xbf");
	/* quote mode (-q) */
	term("term_quote", S("a b"), true, "\"a b\"");
	term("term_quote_dq", S("say \"hi\""), true, "\"say \\\"hi\\\"\"");
	term("term_noquote_dq", S("say \"hi\""), false, "say \"hi\"");
	term("term_quote_empty", S(""), true, "\"\"");
	term("term_quote_esc", S("\n"), true, "\"\\n\"");
}

static void xml(const char *name, const char *in, size_t n, bool quote, const char *want)
{
	size_t w = enc_xml(buf, sizeof(buf), in, n, quote);

	CHECK_STR(name, buf, w, want);
}

/* enc_xml(): the terminal encoding, safe in XML text and attributes (trace --svg) */
static void test_xml(void)
{
	xml("xml_entities", S("<a href='x'>&amp;\"</a>"), false,
	    "&lt;a href=&apos;x&apos;&gt;&amp;amp;&quot;&lt;/a&gt;");
	xml("xml_controls", S("\033]0;t\a\n\x01"), false, "\\e]0;t\\x07\\n\\x01");
	xml("xml_invalid_utf8", S("a\xff\xc0\xaf"), false, "a\\xff\\xc0\\xaf");
	/* no XML characters: escaped, although a terminal gets them as they are */
	xml("xml_nonchars", S("\xef\xbf\xbe\xef\xbf\xbf"), false, "\\ufffe\\uffff");
	xml("xml_utf8_kept", S("caf\xc3\xa9 \xf0\x9f\x98\x80"), false,
	    "caf\xc3\xa9 \xf0\x9f\x98\x80");
	xml("xml_bidi", S("\xe2\x80\xae"), false, "\\u202e");
	xml("xml_quote", S("say \"hi\""), true, "&quot;say \\&quot;hi\\&quot;&quot;");
	/* cut to the buffer: never half an entity */
	CHECK("xml_cut", enc_xml(buf, 5, S("ab<cd"), false) == 2, "cut inside an entity");
}

static void test_json(void)
{
	json("json_ascii", S("ls -l"), "\"ls -l\"");
	json("json_empty", S(""), "\"\"");
	json("json_quote_bs", S("a\"b\\c"), "\"a\\\"b\\\\c\"");
	json("json_controls", S("\n\t\r\x01\x1f"), "\"\\n\\t\\r\\u0001\\u001f\"");
	json("json_esc_bel", S("\033]0;x\a"), "\"\\u001b]0;x\\u0007\"");
	json("json_del", S("\x7f"), "\"\\u007f\"");
	json("json_nul", "a\0b", 3, "\"a\\u0000b\"");
	json("json_utf8_kept", S("caf\xc3\xa9 \xf0\x9f\x98\x80"),
	     "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
	json("json_c1_utf8", S("\xc2\x9b"), "\"\\u009b\"");
	json("json_bidi_rlo", S("\xe2\x80\xae"), "\"\\u202e\"");
	json("json_line_seps", S("\xe2\x80\xa8\xe2\x80\xa9"), "\"\\u2028\\u2029\"");
	/* PEP 383: each byte that is not valid UTF-8 -> \udcNN */
	json("json_invalid_ff",
	     S("a\xff"
	       "b"),
	     "\"a\\udcffb\"");
	json("json_overlong", S("\xc0\xaf"), "\"\\udcc0\\udcaf\"");
	json("json_overlong_3", S("\xe0\x80\xaf"), "\"\\udce0\\udc80\\udcaf\"");
	json("json_surrogate", S("\xed\xa0\x80"), "\"\\udced\\udca0\\udc80\"");
	json("json_above_max", S("\xf4\x90\x80\x80"), "\"\\udcf4\\udc90\\udc80\\udc80\"");
	json("json_truncated_seq", S("ok\xe6\x97"), "\"ok\\udce6\\udc97\"");
	json("json_bad_then_good", S("\xe6\xc3\xa9"), "\"\\udce6\xc3\xa9\"");
	json("json_lone_continuation", S("\x80"), "\"\\udc80\"");
}

/* UTF-8 of a BMP code point; returns its length. */
static size_t put_utf8(char *d, uint32_t c)
{
	if (c < 0x80) {
		d[0] = c;
		return 1;
	}
	if (c < 0x800) {
		d[0] = 0xc0 | (c >> 6);
		d[1] = 0x80 | (c & 0x3f);
		return 2;
	}
	d[0] = 0xe0 | (c >> 12);
	d[1] = 0x80 | ((c >> 6) & 0x3f);
	d[2] = 0x80 | (c & 0x3f);
	return 3;
}

/*
 * The code points a terminal or a JSON consumer acts on (C1 controls and
 * NEL, bidi embeddings, overrides, isolates and marks, line and paragraph
 * separators, zero-width characters): each one, as valid UTF-8 between
 * two letters, becomes \uNNNN in both encoders; its neighbours stay raw.
 */
static void test_dangerous_code_points(void)
{
	static const uint32_t ranges[][2] = {
		{ 0x80, 0x9f },	    { 0x061c, 0x061c }, { 0x200b, 0x200f }, { 0x2028, 0x2029 },
		{ 0x202a, 0x202e }, { 0x2066, 0x2069 }, { 0xfeff, 0xfeff },
	};
	/* printable neighbours of each range: never escaped */
	static const uint32_t kept[] = { 0x7e,	 0xa0,	 0xe9,	 0x061b, 0x061d, 0x200a, 0x2010,
					 0x2027, 0x202f, 0x2065, 0x206a, 0xfefe, 0xff01 };
	char in[8], want[16], name[64];
	size_t n;

	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		for (uint32_t c = ranges[r][0]; c <= ranges[r][1]; c++) {
			in[0] = 'a';
			n = 1 + put_utf8(in + 1, c);
			in[n++] = 'b';
			snprintf(want, sizeof(want), "\"a\\u%04xb\"", c);
			snprintf(name, sizeof(name), "json_escapes_u%04x", c);
			json(name, in, n, want);
			snprintf(want, sizeof(want), "a\\u%04xb", c);
			snprintf(name, sizeof(name), "term_escapes_u%04x", c);
			term(name, in, n, false, want);
		}
	}
	for (size_t k = 0; k < sizeof(kept) / sizeof(kept[0]); k++) {
		char raw[16];

		n = put_utf8(in, kept[k]);
		snprintf(raw, sizeof(raw), "\"%.*s\"", (int)n, in);
		snprintf(name, sizeof(name), "json_keeps_u%04x", kept[k]);
		json(name, in, n, raw);
		snprintf(name, sizeof(name), "term_keeps_u%04x", kept[k]);
		in[n] = '\0';
		term(name, in, n, false, in);
	}
}

/* Output is cut to the capacity, never past it, never inside an escape. */
static void test_bounds(void)
{
	char small[16];
	size_t w;

	memset(small, '#', sizeof(small));
	w = enc_term(small, 3, S("ab\ncd"), false);
	CHECK_STR("bound_term_no_half_escape", small, w, "ab");
	CHECK("bound_term_canary", small[3] == '#', "wrote past the capacity");

	memset(small, '#', sizeof(small));
	w = enc_term(small, 8, S("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), false);
	CHECK_STR("bound_term_no_half_utf8", small, w, "\xe6\x97\xa5\xe6\x9c\xac");
	CHECK("bound_term_canary_utf8", small[8] == '#', "wrote past the capacity");

	memset(small, '#', sizeof(small));
	w = enc_json(small, 8, S("ab\xff"));
	CHECK_STR("bound_json_no_half_escape", small, w, "\"ab");
	CHECK("bound_json_canary", small[8] == '#', "wrote past the capacity");

	w = enc_json(small, 0, S("x"));
	CHECK("bound_json_zero_cap", w == 0, "wrote %zu bytes into 0", w);

	/* big input, exact worst-case size: every byte becomes 6 */
	static char in[1000], out[6 * 1000 + 2];

	memset(in, 0xff, sizeof(in));
	w = enc_json(out, sizeof(out), in, sizeof(in));
	CHECK("bound_json_worst_case", w == sizeof(out) && out[w - 1] == '"', "got %zu bytes", w);
	w = enc_json(out, sizeof(out) - 1, in, sizeof(in));
	CHECK("bound_json_worst_case_minus_one", w == sizeof(out) - 1,
	      "got %zu bytes, expected the closing quote dropped", w);
}

static void test_utf8(void)
{
	uint32_t cp = 0;

	CHECK("utf8_ascii", utf8_seq_len((const unsigned char *)"A", 1, &cp) == 1 && cp == 'A',
	      "cp %x", cp);
	CHECK("utf8_2", utf8_seq_len((const unsigned char *)"\xc3\xa9", 2, &cp) == 2 && cp == 0xe9,
	      "cp %x", cp);
	CHECK("utf8_4",
	      utf8_seq_len((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp) == 4 && cp == 0x1f600,
	      "cp %x", cp);
	CHECK("utf8_short_input", utf8_seq_len((const unsigned char *)"\xf0\x9f\x98", 3, &cp) == 0,
	      "accepted a cut sequence");
	CHECK("utf8_c0_c1_f5",
	      !utf8_seq_len((const unsigned char *)"\xc1\xbf", 2, &cp) &&
		      !utf8_seq_len((const unsigned char *)"\xf5\x80\x80\x80", 4, &cp),
	      "accepted C1 or F5 lead bytes");
}

static void test_time(void)
{
	char t[48];

	fmt_rfc3339(t, sizeof(t), 0);
	CHECK_STR("rfc3339_epoch", t, strlen(t), "1970-01-01T00:00:00.000000000Z");
	fmt_rfc3339(t, sizeof(t), 1700000000123456789ull);
	CHECK_STR("rfc3339_ns", t, strlen(t), "2023-11-14T22:13:20.123456789Z");
	fmt_rfc3339(t, sizeof(t), 951782400000000001ull); /* 2000-02-29, leap day */
	CHECK_STR("rfc3339_leap", t, strlen(t), "2000-02-29T00:00:00.000000001Z");
}

/*
 * The encoders skip plain ASCII eight bytes at a time. Reference: encode
 * each byte alone and concatenate (every byte here is escaped on its own:
 * ASCII, or a lone invalid UTF-8 byte). Every special byte, at every
 * position around word boundaries, must give exactly the reference.
 */
static size_t ref_enc(char *dst, const unsigned char *in, size_t n, bool json)
{
	size_t len = 0;
	char one[16];

	for (size_t i = 0; i < n; i++) {
		size_t k = json ? enc_json(one, sizeof(one), in + i, 1) :
				  enc_term(one, sizeof(one), in + i, 1, false);

		if (json) { /* drop the quotes of the one-byte string */
			memcpy(dst + len, one + 1, k - 2);
			len += k - 2;
		} else {
			memcpy(dst + len, one, k);
			len += k;
		}
	}
	return len;
}

static void test_word_scan(void)
{
	static const unsigned char specials[] = { 0x00, 0x01, 0x0a, 0x1b, 0x1f, '"',
						  '\\', 0x7f, 0x80, 0xff, ' ',	'~' };
	char out[512], ref[512];
	int bad_json = 0, bad_term = 0;

	for (size_t si = 0; si < sizeof(specials); si++) {
		for (int pos = 0; pos < 19; pos++) {
			unsigned char in[19];
			size_t n, r;

			memset(in, 'a', sizeof(in));
			in[pos] = specials[si];
			n = enc_json(out, sizeof(out), in, sizeof(in));
			r = ref_enc(ref, in, sizeof(in), true);
			if (n != r + 2 || memcmp(out + 1, ref, r))
				bad_json++;
			n = enc_term(out, sizeof(out), in, sizeof(in), false);
			r = ref_enc(ref, in, sizeof(in), false);
			if (n != r || memcmp(out, ref, r))
				bad_term++;
		}
	}
	CHECK("word_scan_json", bad_json == 0, "%d cases differ from per-byte encoding", bad_json);
	CHECK("word_scan_term", bad_term == 0, "%d cases differ from per-byte encoding", bad_term);
}

int main(void)
{
	test_word_scan();
	test_term();
	test_xml();
	test_json();
	test_dangerous_code_points();
	test_bounds();
	test_utf8();
	test_time();
	return TEST_EXIT();
}
