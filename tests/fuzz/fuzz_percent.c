// SPDX-License-Identifier: MIT
/*
 * fuzz_percent.c - percent-decoding never grows the text, gives the same
 * bytes whatever the split, and the same as a whole-buffer reference. The first byte picks the '+'
 * rule.
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

static int hex(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The same rules on the whole buffer at once. */
static void reference(bool plus, const uint8_t *data, size_t size, struct flog *l)
{
	for (size_t i = 0; i < size; i++) {
		uint8_t c = data[i];

		if (c == '%' && i + 2 < size && hex(data[i + 1]) >= 0 && hex(data[i + 2]) >= 0) {
			c = (uint8_t)(hex(data[i + 1]) << 4 | hex(data[i + 2]));
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		flog_add(l, 'O', &c, 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flog whole = {0}, split = {0};
	size_t a, b;
	bool plus;

	if (!size)
		return 0;
	plus = data[0] & 1;
	fuzz_cuts(data, size, &a, &b);
	run(plus, data, size, size, size, &whole);
	run(plus, data, size, a, b, &split);
	CHECK(flog_equal(&whole, &split));
	CHECK(whole.n <= size + 1 + sizeof(size_t));
	flog_free(&split);
	reference(plus, data, size, &split);
	CHECK(flog_equal(&whole, &split));
	flog_free(&whole);
	flog_free(&split);
	return 0;
}
