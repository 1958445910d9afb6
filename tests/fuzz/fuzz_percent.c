// SPDX-License-Identifier: MIT
/*
 * fuzz_percent.c - percent-decoding, single round and multi-round (the one
 * request targets and form bodies go through): never grows the text, gives
 * the same bytes whatever the split, and the same as a whole-buffer
 * reference (the multi-round one: the reference applied CS_PERCENT_ROUNDS
 * times, '+' read as a space only in the first). The first byte picks the
 * '+' rule.
 */
#include "fuzz_util.h"
#include "percent.h"

static void out(void *ctx, const uint8_t *p, size_t n)
{
	flog_add(ctx, 'O', p, n);
}

static void run(bool plus, const uint8_t *data, size_t size, size_t a, size_t b, struct flog *l)
{
	struct cs_percent p;
	const struct cs_sink s = {out, l};

	cs_percent_init(&p, plus);
	cs_percent_feed(&p, data, a, &s);
	cs_percent_feed(&p, data + a, b - a, &s);
	cs_percent_feed(&p, data + b, size - b, &s);
	cs_percent_flush(&p, &s);
}

static void run_multi(bool plus, const uint8_t *data, size_t size, size_t a, size_t b,
		      struct flog *l)
{
	struct cs_percent_multi m;
	const struct cs_sink s = {out, l};

	cs_percent_multi_init(&m, plus);
	cs_percent_multi_feed(&m, data, a, &s);
	cs_percent_multi_feed(&m, data + a, b - a, &s);
	cs_percent_multi_feed(&m, data + b, size - b, &s);
	cs_percent_multi_flush(&m, &s);
}

static int hex(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The same rules on the whole buffer at once; returns the decoded length (<= size). */
static size_t reference(bool plus, const uint8_t *data, size_t size, uint8_t *dst)
{
	size_t n = 0;

	for (size_t i = 0; i < size; i++) {
		uint8_t c = data[i];

		if (c == '%' && i + 2 < size && hex(data[i + 1]) >= 0 && hex(data[i + 2]) >= 0) {
			c = (uint8_t)(hex(data[i + 1]) << 4 | hex(data[i + 2]));
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		dst[n++] = c;
	}
	return n;
}

/* Decoding in place is safe: the write position never passes the read one. */
static void reference_log(bool plus, unsigned rounds, const uint8_t *data, size_t size,
			  struct flog *l)
{
	uint8_t *buf = malloc(size ? size : 1);
	size_t n = size;

	CHECK(buf);
	memcpy(buf, data, size);
	for (unsigned r = 0; r < rounds; r++)
		n = reference(plus && r == 0, buf, n, buf);
	flog_add(l, 'O', buf, n);
	free(buf);
}

typedef void (*runner)(bool plus, const uint8_t *data, size_t size, size_t a, size_t b,
		       struct flog *l);

static void check(runner fn, unsigned rounds, bool plus, const uint8_t *data, size_t size)
{
	struct flog whole = {0}, split = {0};
	size_t a, b;

	fuzz_cuts(data, size, &a, &b);
	fn(plus, data, size, size, size, &whole);
	fn(plus, data, size, a, b, &split);
	CHECK(flog_equal(&whole, &split));
	CHECK(whole.n <= size + 1 + sizeof(size_t));
	flog_free(&split);
	reference_log(plus, rounds, data, size, &split);
	CHECK(flog_equal(&whole, &split));
	flog_free(&whole);
	flog_free(&split);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool plus;

	if (!size)
		return 0;
	plus = data[0] & 1;
	check(run, 1, plus, data, size);
	check(run_multi, CS_PERCENT_ROUNDS, plus, data, size);
	return 0;
}
