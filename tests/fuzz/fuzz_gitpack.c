// SPDX-License-Identifier: MIT
/*
 * fuzz_gitpack.c - git receive-pack bodies (pkt-lines, packfile, zlib
 * objects, deltas) from arbitrary bytes: the same output, parts and
 * counters whatever the split, inflated output within the limit, and every
 * input byte either decoded or counted. The first byte picks the limit.
 */
#include "fuzz_util.h"
#include "gitpack.h"

static void data_fn(void *ctx, const uint8_t *p, size_t n)
{
	flog_add(ctx, 'D', p, n);
}

static void end_fn(void *ctx)
{
	flog_event(ctx, 'E');
}

static void decode(size_t limit, const uint8_t *data, size_t size, size_t a, size_t b,
		   struct flog *l, uint64_t c[6])
{
	struct cs_gitpack g;
	const struct cs_gitpack_sink s = {data_fn, end_fn, l};
	const size_t cuts[] = {a, b, size};
	size_t from = 0;

	cs_gitpack_init(&g, limit);
	for (int i = 0; i < 3; i++) {
		cs_gitpack_feed(&g, data + from, cuts[i] - from, &s);
		from = cuts[i];
	}
	cs_gitpack_finish(&g, &s);
	CHECK(g.out_total <= limit);
	CHECK(g.unscanned <= size);
	c[0] = g.errors;
	c[1] = g.truncated;
	c[2] = g.unscanned;
	c[3] = g.copied;
	c[4] = g.objects_seen;
	c[5] = g.deltas;
	cs_gitpack_free(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flog whole = {0}, split = {0};
	uint64_t c1[6], c2[6];
	size_t a, b, limit;

	if (size < 1)
		return 0;
	limit = (size_t)data[0] * 64 + 1;
	data++;
	size--;
	fuzz_cuts(data, size, &a, &b);
	decode(limit, data, size, size, size, &whole, c1);
	decode(limit, data, size, a, b, &split, c2);
	/*
	 * Where the inflate limit or an error stops decoding inside an object,
	 * zlib may already have taken more of the input in one feed than in
	 * split feeds, so the compressed bytes counted past that point differ
	 * by its buffering; all the rest (the output, the parts, the other
	 * counters) is exact.
	 */
	if (c1[0] || c2[0] || c1[1] || c2[1])
		c1[2] = c2[2] = 0;
	CHECK(!memcmp(c1, c2, sizeof(c1)));
	CHECK(flog_equal(&whole, &split));
	flog_free(&whole);
	flog_free(&split);
	return 0;
}
