// SPDX-License-Identifier: MIT
/* base64.c - streaming discovery and decoding of base64 / base64url, hex and base32 runs. */
#include "base64.h"
#include "runchars.h"

#include <stdbool.h>
#include <string.h>

/* One more than the value of a base64 or base64url character; 0 for others. */
static const uint8_t b64val1[256] = {
	['A'] = 1,  ['B'] = 2,	['C'] = 3,  ['D'] = 4,	['E'] = 5,  ['F'] = 6,	['G'] = 7,
	['H'] = 8,  ['I'] = 9,	['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
	['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
	['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
	['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
	['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
	['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
	['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
	['-'] = 63, ['/'] = 64, ['_'] = 64,
};

void cs_b64_init(struct cs_b64 *b, size_t out_limit)
{
	memset(b, 0, sizeof(*b));
	b->out_limit = out_limit;
	b->avx2 = cs_runchars_avx2();
}

void cs_b64_new_budget(struct cs_b64 *b)
{
	b->out_total = 0;
	b->limited = false;
}

/*
 * Decoded bytes that are not text (an image, a certificate, compressed
 * data) are not worth rescanning for text patterns: control bytes or
 * invalid UTF-8 in the first CS_B64_SNIFF bytes give them away.
 */
static bool binary(const uint8_t *p, size_t n)
{
	unsigned ctl = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		size_t k;

		if (c < 0x80) {
			ctl += (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
			continue;
		}
		k = c >= 0xc2 && c <= 0xdf   ? 1
		    : c >= 0xe0 && c <= 0xef ? 2
		    : c >= 0xf0 && c <= 0xf4 ? 3
					     : 0;
		if (!k)
			return true;
		for (size_t j = 1; j <= k && i + j < n; j++)
			if ((p[i + j] & 0xc0) != 0x80)
				return true;
		i += k;
	}
	return ctl >= 2;
}

/*
 * A run whose first EARLY_SNIFF decoded bytes are already binary is
 * binary by its first CS_B64_SNIFF too (binary() only finds more with
 * more bytes), so it is dropped then: most runs in ordinary text (hex
 * digests, ids, inline images) are binary, and decoding them up to the
 * full sniff was the base64 finder's largest cost.
 */
#define EARLY_SNIFF 8

/*
 * Hand decoded bytes on. The first CS_B64_SNIFF bytes of a run are held
 * until they can be judged (or the run ends); a binary run is dropped.
 */
static void drain(struct cs_b64 *b, const struct cs_b64_sink *sink, bool run_end)
{
	if (!b->out_len)
		return;
	if (!b->judged) {
		size_t n = b->out_len < CS_B64_SNIFF ? b->out_len : CS_B64_SNIFF;

		if (n < CS_B64_SNIFF && !run_end)
			return;
		b->judged = true;
		if (binary(b->out, n)) {
			b->skip = true;
			b->out_len = 0;
			return;
		}
	}
	if (sink->data)
		sink->data(sink->ctx, b->out, b->out_len);
	b->emitted = true;
	b->out_len = 0;
}

static void put(struct cs_b64 *b, uint8_t byte, const struct cs_b64_sink *sink)
{
	if (b->skip)
		return;
	if (b->out_total >= b->out_limit) {
		if (!b->limited)
			b->truncated++;
		b->limited = true;
		return;
	}
	if (b->out_len == sizeof(b->out)) {
		drain(b, sink, false);
		if (b->skip)
			return;
	}
	b->out[b->out_len++] = byte;
	b->out_total++;
	if (!b->judged && b->out_len == EARLY_SNIFF && binary(b->out, EARLY_SNIFF)) {
		b->skip = true;
		b->out_len = 0;
	} else if (!b->judged && b->out_len == CS_B64_SNIFF) {
		drain(b, sink, false);
	}
}

/* The value of an upper-case base32 character (RFC 4648), or -1. */
static int b32val(uint8_t ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= '2' && ch <= '7')
		return ch - '2' + 26;
	return -1;
}

/*
 * A hex or base32 run character. The run finder spans the base64
 * alphabet; the first character outside the run's own alphabet ends its
 * decoding (what was decoded so far is kept).
 */
static void decode_narrow(struct cs_b64 *b, uint8_t ch, const struct cs_b64_sink *sink)
{
	int v = b->mode == CS_ENC_HEX ? cs_hexval(ch) : b32val(ch);
	unsigned width = b->mode == CS_ENC_HEX ? 4 : 5;

	if (v < 0) {
		b->skip = true;
		return;
	}
	b->quad = (b->quad << width | (uint32_t)v) & 0xfff;
	b->nq += width;
	if (b->nq >= 8) {
		b->nq -= 8;
		put(b, (uint8_t)(b->quad >> b->nq), sink);
	}
}

/* Decode run characters; the quantum in progress carries over between calls. */
static void decode_char(struct cs_b64 *b, uint8_t ch, const struct cs_b64_sink *sink)
{
	b->quad = b->quad << 6 | (uint32_t)(b64val1[ch] - 1);
	if (++b->nq < 4)
		return;
	put(b, (uint8_t)(b->quad >> 16), sink);
	put(b, (uint8_t)(b->quad >> 8), sink);
	put(b, (uint8_t)b->quad, sink);
	b->quad = 0;
	b->nq = 0;
}

/* Whole quanta straight into the output buffer, as many as fit; returns characters used. */
static size_t decode_quanta(struct cs_b64 *b, const uint8_t *p, size_t n)
{
	size_t q = n / 4, room = (sizeof(b->out) - b->out_len) / 3;
	size_t budget = (b->out_limit - b->out_total) / 3;
	uint8_t *o = b->out + b->out_len;

	if (q > room)
		q = room;
	if (q > budget)
		q = budget;
	for (size_t k = 0; k < q; k++, p += 4, o += 3) {
		uint32_t v = (uint32_t)(b64val1[p[0]] - 1) << 18 |
			     (uint32_t)(b64val1[p[1]] - 1) << 12 |
			     (uint32_t)(b64val1[p[2]] - 1) << 6 | (uint32_t)(b64val1[p[3]] - 1);

		o[0] = (uint8_t)(v >> 16);
		o[1] = (uint8_t)(v >> 8);
		o[2] = (uint8_t)v;
	}
	b->out_len += 3 * q;
	b->out_total += 3 * q;
	return 4 * q;
}

/* Decode run characters; a partial quantum carries over between calls. */
static void decode(struct cs_b64 *b, const uint8_t *p, size_t n, const struct cs_b64_sink *sink)
{
	size_t i = 0;

	if (b->mode != CS_ENC_BASE64) {
		while (i < n && !b->skip)
			decode_narrow(b, p[i++], sink);
		return;
	}
	/* Until the run is judged text, byte by byte: the judgement is on exact bytes. */
	while (i < n && (b->nq || !b->judged) && !b->skip)
		decode_char(b, p[i++], sink);
	while (!b->skip && n - i >= 4 && b->out_limit - b->out_total >= 3) {
		if (sizeof(b->out) - b->out_len < 3)
			drain(b, sink, false);
		else
			i += decode_quanta(b, p + i, n - i);
	}
	while (i < n && !b->skip)
		decode_char(b, p[i++], sink);
}

static void end_run(struct cs_b64 *b, const struct cs_b64_sink *sink)
{
	if (b->run >= CS_B64_MIN_RUN && !b->skip && b->mode == CS_ENC_BASE64) {
		/* A final partial quantum: 2 characters give 1 byte, 3 give 2. */
		if (b->nq == 2) {
			put(b, (uint8_t)(b->quad >> 4), sink);
		} else if (b->nq == 3) {
			put(b, (uint8_t)(b->quad >> 10), sink);
			put(b, (uint8_t)(b->quad >> 2), sink);
		}
	}
	drain(b, sink, true);
	if (b->emitted && sink->end)
		sink->end(sink->ctx);
	b->run = 0;
	b->quad = 0;
	b->nq = 0;
	b->judged = false;
	b->emitted = false;
}

/*
 * Which encoding a run's first characters show. Base64 mixes upper and
 * lower case; a run of hex digits only is hex (digests among them decode
 * to binary and are dropped by the sniff); upper-case letters with 2-7
 * only are base32. Lower-case paths and identifiers are none of these.
 */
static enum cs_enc encoding(const uint8_t *p, size_t n)
{
	bool upper = false, lower = false, hex = true, b32 = true;

	for (size_t i = 0; i < n; i++) {
		upper |= p[i] >= 'A' && p[i] <= 'Z';
		lower |= p[i] >= 'a' && p[i] <= 'z';
		hex &= cs_hexval(p[i]) >= 0;
		b32 &= b32val(p[i]) >= 0;
	}
	if (upper && lower)
		return CS_ENC_BASE64;
	return hex ? CS_ENC_HEX : b32 ? CS_ENC_BASE32 : CS_ENC_NONE;
}

/* More characters of the current run. */
static void run_chars(struct cs_b64 *b, const uint8_t *p, size_t n, const struct cs_b64_sink *sink)
{
	if (b->run < CS_B64_MIN_RUN) {
		size_t k = n < CS_B64_MIN_RUN - b->run ? n : CS_B64_MIN_RUN - b->run;

		memcpy(b->lead + b->run, p, k);
		b->run += k;
		p += k;
		n -= k;
		if (b->run < CS_B64_MIN_RUN)
			return;
		b->mode = encoding(b->lead, CS_B64_MIN_RUN);
		b->skip = b->mode == CS_ENC_NONE;
		if (!b->skip)
			decode(b, b->lead, CS_B64_MIN_RUN, sink);
	}
	b->run += n;
	if (!b->skip)
		decode(b, p, n, sink);
}

void cs_b64_feed(struct cs_b64 *b, const uint8_t *in, size_t len, const struct cs_b64_sink *sink)
{
	size_t i = 0;

	while (i < len) {
		size_t start;
		uint8_t ch;

		if (!b->run) {
			i = cs_runchars_next(b->avx2, in, i, len);
			if (i == len)
				break;
		}
		start = i;
		i = cs_runchars_span(b->avx2, in, i, len);
		run_chars(b, in + start, i - start, sink);
		if (i == len)
			break;
		ch = in[i++];
		/* A line break on a quantum boundary wraps a longer run (PEM, MIME). */
		if ((ch == '\n' || ch == '\r') && b->run >= CS_B64_MIN_RUN && b->run % 4 == 0)
			continue;
		end_run(b, sink);
	}
	drain(b, sink, false);
}

void cs_b64_end(struct cs_b64 *b, const struct cs_b64_sink *sink)
{
	end_run(b, sink);
}
