// SPDX-License-Identifier: MIT
/*
 * fuzz_sse.c - SSE (and NDJSON) parsing and JSON delta reassembly of arbitrary bytes:
 * the same text run and side output whatever the split, bounded event
 * buffer.
 */
#include "fuzz_util.h"
#include "sse.h"

static void text(void *ctx, const uint8_t *p, size_t n)
{
	flog_add(ctx, 'T', p, n);
}

static void other(void *ctx, const uint8_t *p, size_t n)
{
	flog_add(ctx, 'O', p, n);
}

static void run(bool ndjson, const uint8_t *data, size_t size, size_t a, size_t b, struct flog *l)
{
	struct cs_sse s;
	const struct cs_sse_sink sink = {{text, l}, {other, l}};

	cs_sse_init(&s, ndjson);
	cs_sse_feed(&s, data, a, &sink);
	cs_sse_feed(&s, data + a, b - a, &sink);
	cs_sse_feed(&s, data + b, size - b, &sink);
	cs_sse_finish(&s, &sink);
	CHECK(s.data_cap <= CS_SSE_MAX_EVENT);
	cs_sse_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flog whole = {0}, split = {0};
	size_t a, b;

	fuzz_cuts(data, size, &a, &b);
	/* The first byte also picks SSE or newline-delimited JSON. */
	run(size && data[0] & 1, data, size, size, size, &whole);
	run(size && data[0] & 1, data, size, a, b, &split);
	CHECK(flog_equal(&whole, &split));
	flog_free(&whole);
	flog_free(&split);
	return 0;
}
