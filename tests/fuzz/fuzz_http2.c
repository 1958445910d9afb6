// SPDX-License-Identifier: MIT
/*
 * fuzz_http2.c - HTTP/2 frames and HPACK header blocks from arbitrary
 * bytes: the same fields, DATA, opaque bytes, block and stream ends, counters and
 * stopping point whatever the split; HPACK memory within its cap and all
 * returned. The first byte picks the client side (preface) or the server.
 */
#include "fuzz_util.h"
#include "http2.h"

static void field_fn(void *ctx, const uint8_t *n, size_t nl, const uint8_t *v, size_t vl)
{
	flog_add(ctx, 'N', n, nl);
	flog_add(ctx, 'V', v, vl);
	flog_event(ctx, 'F');
}

static void block_fn(void *ctx, const struct cs_h2_stream *st)
{
	flog_add(ctx, 'B', &st->id, sizeof(st->id));
	flog_add(ctx, 'T', st->content_type, strlen(st->content_type));
	flog_add(ctx, 'C', st->content_encoding, strlen(st->content_encoding));
	flog_event(ctx, 'b');
}

static void data_fn(void *ctx, const struct cs_h2_stream *st, const uint8_t *p, size_t n)
{
	/* One kind per stream (mod 128), so a split DATA frame merges back into one entry. */
	flog_add(ctx, (char)(0x80 | (st->id & 0x7f)), p, n);
}

static void end_fn(void *ctx, uint32_t id)
{
	flog_add(ctx, 'E', &id, sizeof(id));
	flog_event(ctx, 'e');
}

static void opaque_fn(void *ctx, const uint8_t *p, size_t n)
{
	flog_add(ctx, 'O', p, n);
}

static size_t decode(bool client, const uint8_t *data, size_t size, size_t a, size_t b,
		     struct flog *l, uint64_t counts[2], bool *failed)
{
	struct cs_h2 h;
	const struct cs_h2_sink s = {field_fn, block_fn, data_fn, end_fn, opaque_fn, l};
	const size_t cuts[] = {a, b, size};
	size_t from = 0, used = 0;

	CHECK(cs_h2_init(&h, client) == 0);
	for (int i = 0; i < 3 && !h.failed; i++) {
		used += cs_h2_feed(&h, data + from, cuts[i] - from, &s);
		CHECK(h.failed || used == cuts[i]);
		CHECK(h.hd_mem <= CS_H2_HPACK_MAX_MEM);
		from = cuts[i];
	}
	*failed = h.failed;
	counts[0] = h.errors;
	counts[1] = h.unscanned;
	cs_h2_free(&h);
	CHECK(h.hd_mem == 0);
	return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flog whole = {0}, split = {0};
	uint64_t c1[2], c2[2];
	size_t a, b, u1, u2;
	bool f1, f2, client;

	if (size < 1)
		return 0;
	client = data[0] & 1;
	data++;
	size--;
	fuzz_cuts(data, size, &a, &b);
	u1 = decode(client, data, size, size, size, &whole, c1, &f1);
	u2 = decode(client, data, size, a, b, &split, c2, &f2);
	CHECK(u1 == u2 && f1 == f2);
	CHECK(c1[0] == c2[0]);
	CHECK(c1[1] <= size && c2[1] <= size);
	CHECK(flog_equal(&whole, &split));
	flog_free(&whole);
	flog_free(&split);
	return 0;
}
