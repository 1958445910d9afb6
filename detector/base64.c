// SPDX-License-Identifier: MIT
/* base64.c - streaming discovery and decoding of base64 / base64url runs. */
#include "base64.h"

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
}

void cs_b64_new_budget(struct cs_b64 *b)
{
	b->out_total = 0;
	b->limited = false;
}

static void drain(struct cs_b64 *b, const struct cs_b64_sink *sink)
{
	if (b->out_len && sink->data)
		sink->data(sink->ctx, b->out, b->out_len);
	b->out_len = 0;
}

static void put(struct cs_b64 *b, uint8_t byte, const struct cs_b64_sink *sink)
{
	if (b->out_total >= b->out_limit) {
		if (!b->limited)
			b->truncated++;
		b->limited = true;
		return;
	}
	if (b->out_len == sizeof(b->out))
		drain(b, sink);
	b->out[b->out_len++] = byte;
	b->out_total++;
}

static void decode_char(struct cs_b64 *b, int v, const struct cs_b64_sink *sink)
{
	b->quad = b->quad << 6 | (uint32_t)v;
	if (++b->nq < 4)
		return;
	put(b, (uint8_t)(b->quad >> 16), sink);
	put(b, (uint8_t)(b->quad >> 8), sink);
	put(b, (uint8_t)b->quad, sink);
	b->quad = 0;
	b->nq = 0;
}

static void end_run(struct cs_b64 *b, const struct cs_b64_sink *sink)
{
	if (b->run >= CS_B64_MIN_RUN) {
		/* A final partial quantum: 2 characters give 1 byte, 3 give 2. */
		if (b->nq == 2) {
			put(b, (uint8_t)(b->quad >> 4), sink);
		} else if (b->nq == 3) {
			put(b, (uint8_t)(b->quad >> 10), sink);
			put(b, (uint8_t)(b->quad >> 2), sink);
		}
		drain(b, sink);
		if (sink->end)
			sink->end(sink->ctx);
	}
	b->run = 0;
	b->quad = 0;
	b->nq = 0;
}

static void run_char(struct cs_b64 *b, uint8_t ch, int v, const struct cs_b64_sink *sink)
{
	if (b->run < CS_B64_MIN_RUN) {
		b->lead[b->run++] = ch;
		if (b->run == CS_B64_MIN_RUN)
			for (size_t k = 0; k < CS_B64_MIN_RUN; k++)
				decode_char(b, b64val1[b->lead[k]] - 1, sink);
		return;
	}
	b->run++;
	decode_char(b, v, sink);
}

void cs_b64_feed(struct cs_b64 *b, const uint8_t *in, size_t len, const struct cs_b64_sink *sink)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t ch = in[i];
		int v = b64val1[ch] - 1;

		if (v >= 0)
			run_char(b, ch, v, sink);
		else if ((ch == '\n' || ch == '\r') && b->run >= CS_B64_MIN_RUN && b->nq == 0)
			continue; /* a wrapped line of a longer run */
		else if (b->run)
			end_run(b, sink);
	}
	drain(b, sink);
}

void cs_b64_end(struct cs_b64 *b, const struct cs_b64_sink *sink)
{
	end_run(b, sink);
}
