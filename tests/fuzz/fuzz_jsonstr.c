// SPDX-License-Identifier: MIT
/*
 * fuzz_jsonstr.c - JSON escape decoding never grows the text, gives the
 * same bytes whatever the split, and the same as a whole-buffer reference
 * of the rules.
 */
#include <string.h>

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

/* ---- the same rules on the whole buffer, index by index ---- */

static void ref_out(struct flog *l, const void *p, size_t n)
{
	flog_add(l, 'O', p, n);
}

static void ref_cp(struct flog *l, uint32_t cp)
{
	uint8_t b[4];

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		ref_out(l, b, 1);
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		ref_out(l, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		ref_out(l, b, 3);
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		ref_out(l, b, 4);
	}
}

static void ref_drop_high(struct flog *l, uint32_t *high)
{
	if (*high)
		ref_cp(l, 0xfffd);
	*high = 0;
}

static int hexv(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void reference(const uint8_t *d, size_t n, struct flog *l)
{
	static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
	uint32_t high = 0;
	size_t i = 0;

	while (i < n) {
		const char *e;
		size_t k = 0;
		uint32_t u = 0;

		if (d[i] != '\\' || i + 1 == n) {
			ref_drop_high(l, &high);
			ref_out(l, d + i++, 1);
			continue;
		}
		e = d[i + 1] ? strchr(esc_in, d[i + 1]) : NULL;
		if (e) {
			ref_drop_high(l, &high);
			ref_out(l, esc_out + (e - esc_in), 1);
			i += 2;
			continue;
		}
		if (d[i + 1] != 'u') {
			ref_drop_high(l, &high);
			ref_out(l, d + i++, 1); /* the backslash; what follows is read again */
			continue;
		}
		while (k < 4 && i + 2 + k < n && hexv(d[i + 2 + k]) >= 0)
			u = u << 4 | (uint32_t)hexv(d[i + 2 + k++]);
		if (k < 4) {
			ref_drop_high(l, &high);
			ref_out(l, d + i, 2 + k);
			i += 2 + k;
			continue;
		}
		i += 6;
		if (u >= 0xdc00 && u <= 0xdfff && high) {
			ref_cp(l, 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00));
			high = 0;
			continue;
		}
		ref_drop_high(l, &high);
		if (u >= 0xd800 && u <= 0xdbff)
			high = u;
		else
			ref_cp(l, u >= 0xdc00 && u <= 0xdfff ? 0xfffd : u);
	}
	ref_drop_high(l, &high);
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
	flog_free(&split);
	reference(data, size, &split);
	CHECK(flog_equal(&whole, &split));
	flog_free(&whole);
	flog_free(&split);
	return 0;
}
