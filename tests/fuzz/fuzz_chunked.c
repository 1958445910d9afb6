// SPDX-License-Identifier: MIT
/*
 * fuzz_chunked.c - the chunked decoder never reads out of bounds, never
 * outputs more than it was given, and decodes the same whatever the split.
 */
#include "chunked.h"
#include "fuzz_util.h"

static void body(void *ctx, const uint8_t *p, size_t n)
{
	flog_add(ctx, 'B', p, n);
}

static void trailer(void *ctx, const uint8_t *p, size_t n)
{
	flog_add(ctx, 'T', p, n);
}

static size_t run(const uint8_t *data, size_t size, size_t a, size_t b, struct flog *l,
		  enum cs_chunked_status *status)
{
	struct cs_chunked c;
	const struct cs_sink bs = {body, l}, ts = {trailer, l};
	size_t used = 0;
	const size_t cuts[] = {a, b, size};
	size_t from = 0;

	cs_chunked_init(&c);
	for (int i = 0; i < 3; i++) {
		size_t n = cs_chunked_feed(&c, data + from, cuts[i] - from, &bs, &ts);

		CHECK(n <= cuts[i] - from);
		used += n;
		if (c.status != CS_CHUNKED_MORE)
			break;
		from = cuts[i];
	}
	*status = c.status;
	return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flog whole = {0}, split = {0};
	enum cs_chunked_status s1, s2;
	size_t a, b, u1, u2;

	fuzz_cuts(data, size, &a, &b);
	u1 = run(data, size, size, size, &whole, &s1);
	u2 = run(data, size, a, b, &split, &s2);
	CHECK(s1 == s2);
	CHECK(u1 == u2);
	CHECK(flog_equal(&whole, &split));
	CHECK(whole.n <= size + 2 * (1 + sizeof(size_t)));
	flog_free(&whole);
	flog_free(&split);
	return 0;
}
