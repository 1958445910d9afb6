// SPDX-License-Identifier: MIT
/*
 * fuzz_base64.c - base64 / hex / base32 run discovery: decoded output at most 3/4 of the
 * input and within the budget, the same runs whatever the split, and the
 * same as a plain byte-at-a-time reference of the rules (the real decoder
 * skips ahead and uses SIMD), on the AVX2 and the portable run finder alike.
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

/* ---- a byte-at-a-time reference of the same rules ---- */

struct ref {
	struct flog *l;
	uint8_t lead[CS_B64_MIN_RUN];
	size_t run, total, limit;
	uint32_t quad;
	unsigned nq;
	char mode; /* 'b' base64, 'h' hex, '3' base32 */
	bool skip, judged, emitted;
	uint8_t held[CS_B64_SNIFF];
	size_t nheld;
};

static int val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Text: at most one control byte, and valid (possibly cut-off) UTF-8. */
static bool is_text(const uint8_t *p, size_t n)
{
	unsigned ctl = 0;
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i++];
		size_t follow;

		if (c == 0x7f || (c < 0x20 && c != '\t' && c != '\n' && c != '\r'))
			ctl++;
		if (c < 0x80)
			continue;
		if (c < 0xc2 || c > 0xf4)
			return false;
		follow = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
		for (; follow && i < n; follow--, i++)
			if (p[i] < 0x80 || p[i] > 0xbf)
				return false;
	}
	return ctl < 2;
}

static void ref_judge(struct ref *r)
{
	r->judged = true;
	if (!is_text(r->held, r->nheld)) {
		r->skip = true;
	} else if (r->nheld) {
		flog_add(r->l, 'D', r->held, r->nheld);
		r->emitted = true;
	}
	r->nheld = 0;
}

static void ref_put(struct ref *r, uint8_t byte)
{
	if (r->skip || r->total >= r->limit)
		return;
	r->total++;
	if (r->judged) {
		flog_add(r->l, 'D', &byte, 1);
		r->emitted = true;
		return;
	}
	r->held[r->nheld++] = byte;
	if (r->nheld == 8 && !is_text(r->held, 8)) {
		/* binary in its first 8 bytes, so in its first CS_B64_SNIFF: dropped at once */
		r->skip = true;
		r->nheld = 0;
	} else if (r->nheld == CS_B64_SNIFF) {
		ref_judge(r);
	}
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

static int b32v(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* Hex and base32: a bit accumulator; a character outside the alphabet stops decoding. */
static void ref_narrow(struct ref *r, uint8_t c)
{
	int v = r->mode == 'h' ? hexv(c) : b32v(c);
	unsigned width = r->mode == 'h' ? 4 : 5;

	if (v < 0) {
		r->skip = true;
		return;
	}
	r->quad = (r->quad << width | (uint32_t)v) & 0xfff;
	r->nq += width;
	if (r->nq >= 8) {
		r->nq -= 8;
		ref_put(r, (uint8_t)(r->quad >> r->nq));
	}
}

static void ref_char(struct ref *r, uint8_t c)
{
	if (r->mode != 'b') {
		ref_narrow(r, c);
		return;
	}
	r->quad = r->quad << 6 | (uint32_t)val(c);
	if (++r->nq < 4)
		return;
	ref_put(r, (uint8_t)(r->quad >> 16));
	ref_put(r, (uint8_t)(r->quad >> 8));
	ref_put(r, (uint8_t)r->quad);
	r->quad = 0;
	r->nq = 0;
}

static void ref_end(struct ref *r)
{
	if (r->run >= CS_B64_MIN_RUN && !r->skip && r->mode == 'b') {
		if (r->nq == 2) {
			ref_put(r, (uint8_t)(r->quad >> 4));
		} else if (r->nq == 3) {
			ref_put(r, (uint8_t)(r->quad >> 10));
			ref_put(r, (uint8_t)(r->quad >> 2));
		}
	}
	if (!r->judged && r->nheld)
		ref_judge(r);
	if (r->emitted)
		flog_event(r->l, 'E');
	r->run = 0;
	r->quad = 0;
	r->nq = 0;
	r->judged = false;
	r->emitted = false;
	r->nheld = 0;
}

static void reference(size_t limit, const uint8_t *data, size_t size, struct flog *l)
{
	struct ref r = {.l = l, .limit = limit};

	for (size_t i = 0; i < size; i++) {
		uint8_t c = data[i];

		if (val(c) >= 0 && r.run < CS_B64_MIN_RUN) {
			bool upper = false, lower = false, hex = true, b32 = true;

			r.lead[r.run++] = c;
			if (r.run < CS_B64_MIN_RUN)
				continue;
			for (size_t k = 0; k < CS_B64_MIN_RUN; k++) {
				upper |= r.lead[k] >= 'A' && r.lead[k] <= 'Z';
				lower |= r.lead[k] >= 'a' && r.lead[k] <= 'z';
				hex &= hexv(r.lead[k]) >= 0;
				b32 &= b32v(r.lead[k]) >= 0;
			}
			r.mode = upper && lower ? 'b' : hex ? 'h' : b32 ? '3' : 0;
			r.skip = !r.mode;
			for (size_t k = 0; k < CS_B64_MIN_RUN && !r.skip; k++)
				ref_char(&r, r.lead[k]);
		} else if (val(c) >= 0) {
			r.run++;
			if (!r.skip)
				ref_char(&r, c);
		} else if ((c == '\n' || c == '\r') && r.run >= CS_B64_MIN_RUN && r.run % 4 == 0) {
			continue;
		} else if (r.run) {
			ref_end(&r);
		}
	}
	ref_end(&r);
}

static size_t run(size_t limit, const uint8_t *data, size_t size, size_t a, size_t b, bool portable,
		  struct flog *l)
{
	struct cs_b64 b64;
	const struct cs_b64_sink s = {data_fn, end_fn, l};

	cs_b64_init(&b64, limit);
	if (portable)
		b64.avx2 = false;
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
	CHECK(run(limit, data, size, size, size, false, &whole) ==
	      run(limit, data, size, a, b, false, &split));
	CHECK(flog_equal(&whole, &split));
	flog_free(&split);
	/* The default finder is the AVX2 one where the CPU has it. */
	run(limit, data, size, a, b, true, &split);
	CHECK(flog_equal(&whole, &split));
	flog_free(&split);
	reference(limit, data, size, &split);
	CHECK(flog_equal(&whole, &split));
	flog_free(&whole);
	flog_free(&split);
	return 0;
}
