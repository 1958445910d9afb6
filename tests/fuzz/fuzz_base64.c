// SPDX-License-Identifier: MIT
/*
 * fuzz_base64.c - base64 run discovery: decoded output at most 3/4 of the
 * input and within the budget, the same runs whatever the split.
 */
#include "base64.h"
#include "fuzz_util.h"

static void data_fn(void *ctx, const uint8_t *p, size_t n)
{
	flog_add(ctx, 'D', p, n);
}

static void end_fn(void *ctx)
{
	flog_event(ctx, 'E');
}

static size_t run(size_t limit, const uint8_t *data, size_t size, size_t a, size_t b,
		  struct flog *l)
{
	struct cs_b64 b64;
	const struct cs_b64_sink s = {data_fn, end_fn, l};

	cs_b64_init(&b64, limit);
	cs_b64_feed(&b64, data, a, &s);
	cs_b64_feed(&b64, data + a, b - a, &s);
	cs_b64_feed(&b64, data + b, size - b, &s);
	cs_b64_end(&b64, &s);
	CHECK(b64.out_total <= limit);
	CHECK(b64.out_total <= size / 4 * 3 + 2);
	return b64.out_total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flog whole = {0}, split = {0};
	size_t a, b, limit;

	if (!size)
		return 0;
	limit = (size_t)data[0] * 16;
	fuzz_cuts(data, size, &a, &b);
	CHECK(run(limit, data, size, size, size, &whole) == run(limit, data, size, a, b, &split));
	CHECK(flog_equal(&whole, &split));
	flog_free(&whole);
	flog_free(&split);
	return 0;
}
