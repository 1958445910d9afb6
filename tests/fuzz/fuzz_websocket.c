// SPDX-License-Identifier: MIT
/*
 * fuzz_websocket.c - WebSocket frame decoding of arbitrary bytes: the same
 * messages, control payloads and stopping point whatever the split, bounded
 * inflated output per message, and every counter sane. The first byte picks
 * permessage-deflate, context takeover and the output limit.
 */
#include "fuzz_util.h"
#include "websocket.h"

struct run {
	struct flog log;
	size_t msg, max_msg; /* data bytes of the current message, and the most seen */
};

static void data_fn(void *ctx, const uint8_t *p, size_t n)
{
	struct run *r = ctx;

	flog_add(&r->log, 'D', p, n);
	r->msg += n;
	if (r->msg > r->max_msg)
		r->max_msg = r->msg;
}

static void end_fn(void *ctx)
{
	struct run *r = ctx;

	flog_event(&r->log, 'E');
	r->msg = 0;
}

static void control_fn(void *ctx, const uint8_t *p, size_t n)
{
	flog_add(&((struct run *)ctx)->log, 'C', p, n);
}

static size_t decode(uint8_t mode, const uint8_t *data, size_t size, size_t a, size_t b,
		     struct run *r, bool *failed)
{
	struct cs_ws w;
	const struct cs_ws_sink s = {data_fn, end_fn, control_fn, r};
	const size_t cuts[] = {a, b, size};
	size_t from = 0, used = 0;

	cs_ws_init(&w, mode & 1, mode & 2, (size_t)(mode >> 2) * 64 + 1);
	for (int i = 0; i < 3 && !w.failed; i++) {
		used += cs_ws_feed(&w, data + from, cuts[i] - from, &s);
		CHECK(w.failed || used == cuts[i]);
		from = cuts[i];
	}
	*failed = w.failed;
	CHECK(w.truncated <= size && w.errors <= size);
	cs_ws_free(&w);
	return used;
}

/*
 * The late-join recogniser: a verdict never changes once given (more bytes
 * only turn MAYBE into YES or NO), nor does what it saw of compression.
 */
static void recognise(const uint8_t *data, size_t size, size_t a, bool client)
{
	bool d1, d2;
	enum cs_ws_guess g1 = cs_ws_recognise(data, a, client, &d1);
	enum cs_ws_guess g2 = cs_ws_recognise(data, size, client, &d2);

	CHECK(g1 == CS_WS_MAYBE || g1 == g2);
	CHECK(g1 != CS_WS_YES || d1 == d2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole = {0}, split = {0};
	size_t a, b, u1, u2;
	bool f1, f2;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	fuzz_cuts(data, size, &a, &b);
	u1 = decode(mode, data, size, size, size, &whole, &f1);
	u2 = decode(mode, data, size, a, b, &split, &f2);
	CHECK(u1 == u2 && f1 == f2);
	CHECK(flog_equal(&whole.log, &split.log));
	/* Uncompressed messages are not cut; only inflated output has a limit. */
	if (mode & 1)
		CHECK(whole.max_msg <= size * 1100 + 64);
	flog_free(&whole.log);
	flog_free(&split.log);
	recognise(data, size, a, mode & 2);
	return 0;
}
