// SPDX-License-Identifier: MIT
/*
 * fuzz_jsonstr.c - JSON escape decoding never grows the text, and gives
 * the same bytes whatever the split.
 */
#include "fuzz_util.h"
#include "jsonstr.h"

static void out(void *ctx, const uint8_t *p, size_t n)
{
	flog_add(ctx, 'O', p, n);
}

static size_t run(const uint8_t *data, size_t size, size_t a, size_t b, struct flog *l)
{
	struct cs_jsonstr j;
	const struct cs_sink s = {out, l};

	cs_jsonstr_init(&j);
	cs_jsonstr_feed(&j, data, a, &s);
	cs_jsonstr_feed(&j, data + a, b - a, &s);
	cs_jsonstr_feed(&j, data + b, size - b, &s);
	cs_jsonstr_flush(&j, &s);
	return l->n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flog whole = {0}, split = {0};
	size_t a, b;

	fuzz_cuts(data, size, &a, &b);
	run(data, size, size, size, &whole);
	run(data, size, a, b, &split);
	CHECK(flog_equal(&whole, &split));
	/* Every escape is at least as long as what it decodes to. */
	CHECK(whole.n <= size + 1 + sizeof(size_t));
	flog_free(&whole);
	flog_free(&split);
	return 0;
}
