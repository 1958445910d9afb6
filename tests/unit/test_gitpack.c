// SPDX-License-Identifier: MIT
/*
 * test_gitpack.c - git receive-pack bodies built by hand (pkt-lines, a
 * version 2 pack with a blob and a REF_DELTA whose inserted bytes hold a
 * key): the decoder alone at every split, its bounds and errors, and the
 * pipeline with Content-Type application/x-git-receive-pack-request.
 * (tests/e2e/test_scan_gitpush.sh pushes a real repository with git.)
 *
 * Secrets are generated at run time so this file holds none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "gitpack.h"
#include "wire_helpers.h"

static void pkt(struct cs_tbuf *b, const char *s)
{
	cs_tbuf_printf(b, "%04zx%s", strlen(s) + 4, s);
}

static void zobj(struct cs_tbuf *b, const void *p, size_t n)
{
	uLongf cap = compressBound(n);
	uint8_t *z = malloc(cap);

	assert_non_null(z);
	assert_int_equal(compress(z, &cap, p, n), Z_OK);
	cs_tbuf_add(b, z, cap);
	free(z);
}

/* An object header: type and size (size fits the varint's first byte and one more). */
static void obj_hdr(struct cs_tbuf *b, unsigned type, size_t size)
{
	uint8_t h[2] = {(uint8_t)(0x80 | type << 4 | (size & 15)), (uint8_t)(size >> 4)};

	assert_true(size >> 11 == 0);
	cs_tbuf_add(b, h, 2);
}

/* Commands, then a pack: a blob, then a REF_DELTA inserting `secret` between two copies. */
static void push_body(struct cs_tbuf *b, const char *secret)
{
	static const char blob[] = "line one\nline two\nline three\n";
	static const uint8_t base_id[20] = {1, 2, 3};
	struct cs_tbuf delta = {0};
	uint8_t copy[3] = {0x91, 0, 9}; /* copy: offset byte 0, size byte 9 */
	uint8_t hdr[12] = {'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 2};
	uint8_t sizes[2] = {29, 60};

	pkt(b, "0000000000000000000000000000000000000000 1111111111111111111111111111111111111111 "
	       "refs/heads/main report-status\n");
	cs_tbuf_puts(b, "0000");
	cs_tbuf_add(b, hdr, sizeof(hdr));
	obj_hdr(b, 3, strlen(blob));
	zobj(b, blob, strlen(blob));
	cs_tbuf_add(&delta, sizes, 2);
	cs_tbuf_add(&delta, copy, 3);
	for (const char *s = secret; *s;) {
		uint8_t n = (uint8_t)(strlen(s) < 100 ? strlen(s) : 100);

		cs_tbuf_add(&delta, &n, 1);
		cs_tbuf_add(&delta, s, n);
		s += n;
	}
	cs_tbuf_add(&delta, copy, 3);
	obj_hdr(b, 7, delta.n);
	cs_tbuf_add(b, base_id, 20);
	zobj(b, delta.p, delta.n);
	cs_tbuf_add(b, "01234567890123456789", 20); /* the pack checksum */
	cs_tbuf_free(&delta);
}

struct got {
	struct cs_tbuf all;
};

static void got_data(void *ctx, const uint8_t *p, size_t n)
{
	cs_tbuf_add(&((struct got *)ctx)->all, p, n);
}

static void got_end(void *ctx)
{
	cs_tbuf_add(&((struct got *)ctx)->all, "|", 1);
}

static void test_decoder_every_split(void **state)
{
	(void)state;
	struct cs_tbuf w = {0}, want = {0};

	push_body(&w, "SECRET=abc");
	cs_tbuf_puts(&want,
		     "0000000000000000000000000000000000000000 "
		     "1111111111111111111111111111111111111111 refs/heads/main report-status\n|"
		     "line one\nline two\nline three\n||SECRET=abc|||");
	for (size_t cut = 0; cut <= w.n; cut++) {
		struct cs_gitpack g;
		struct got r = {0};
		const struct cs_gitpack_sink s = {got_data, got_end, &r};

		cs_gitpack_init(&g, 1 << 20);
		cs_gitpack_feed(&g, (const uint8_t *)w.p, cut, &s);
		cs_gitpack_feed(&g, (const uint8_t *)w.p + cut, w.n - cut, &s);
		cs_gitpack_finish(&g, &s);
		assert_int_equal(r.all.n, want.n);
		assert_memory_equal(r.all.p, want.p, want.n);
		assert_int_equal(g.errors, 0);
		assert_int_equal(g.copied, 18);
		assert_int_equal(g.objects_seen, 2);
		assert_int_equal(g.deltas, 1);
		assert_int_equal(g.unscanned, 0);
		cs_gitpack_free(&g);
		cs_tbuf_free(&r.all);
	}
	cs_tbuf_free(&w);
	cs_tbuf_free(&want);
}

static void test_decoder_bounds(void **state)
{
	(void)state;
	struct cs_tbuf w = {0};
	struct cs_gitpack g;
	struct got r = {0};
	const struct cs_gitpack_sink s = {got_data, got_end, &r};

	/* The inflate limit stops decoding; the rest is counted. */
	push_body(&w, "SECRET=abc");
	cs_gitpack_init(&g, 40);
	cs_gitpack_feed(&g, (const uint8_t *)w.p, w.n, &s);
	cs_gitpack_finish(&g, &s);
	assert_int_equal(g.truncated, 1);
	assert_true(g.unscanned > 0);
	cs_gitpack_free(&g);
	/* Not a pack after the flush-pkt, a bad pkt-line length, a pack cut short. */
	static const char *bad[] = {"0000PACX\0\0\0\2\0\0\0\1", "00zz",
				    "0000PACK\0\0\0\2\0\0\0\1\x93"};
	static const size_t len[] = {16, 4, 17};

	for (size_t i = 0; i < 3; i++) {
		cs_gitpack_init(&g, 1 << 20);
		cs_gitpack_feed(&g, (const uint8_t *)bad[i], len[i], &s);
		cs_gitpack_finish(&g, &s);
		assert_int_equal(g.errors, 1);
		cs_gitpack_free(&g);
	}
	cs_tbuf_free(&r.all);
	cs_tbuf_free(&w);
}

/* Through the pipeline: a key pushed only inside a delta's inserted bytes. */
static void test_pipeline_push(void **state)
{
	(void)state;
	char key[128], line[160];
	struct cs_tbuf body = {0}, w = {0};

	wh_anthropic_key(key, 12);
	snprintf(line, sizeof(line), "ANTHROPIC_API_KEY=%s\n", key);
	push_body(&body, line);
	cs_tbuf_printf(&w,
		       "POST /repo.git/git-receive-pack HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
		       "Content-Type: application/x-git-receive-pack-request\r\n"
		       "Content-Length: %zu\r\n\r\n",
		       body.n);
	cs_tbuf_add(&w, body.p, body.n);
	for (size_t piece = 1; piece <= 1461; piece += 730) {
		struct wh_hits h = {0};
		struct cs_detector *d = wh_detector(&h, 0);
		struct cs_detector_stats st;
		struct cs_flow *f;

		assert_non_null(d);
		f = cs_flow_new(d, &wh_info);
		wh_feed(f, CS_DIR_OUTBOUND, w.p, w.n, piece);
		cs_flow_close(f);
		cs_detector_get_stats(d, &st);
		assert_int_equal(wh_count(&h, "ai_api_key"), 1);
		assert_false(wh_leaked(&h, key));
		assert_int_equal(st.decode_errors, 0);
		assert_int_equal(st.bytes_unscanned, 18); /* the bytes the delta copies */
		cs_detector_free(d);
	}
	cs_tbuf_free(&body);
	cs_tbuf_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decoder_every_split),
		cmocka_unit_test(test_decoder_bounds),
		cmocka_unit_test(test_pipeline_push),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
