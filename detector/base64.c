// SPDX-License-Identifier: MIT
/* base64.c - streaming discovery and decoding of base64 / base64url runs. */
#include "base64.h"

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

/* Decode run characters; the quantum in progress carries over between calls. */
static void decode(struct cs_b64 *b, const uint8_t *p, size_t n, const struct cs_b64_sink *sink)
{
	for (size_t i = 0; i < n; i++) {
		b->quad = b->quad << 6 | (uint32_t)(b64val1[p[i]] - 1);
		if (++b->nq < 4)
			continue;
		put(b, (uint8_t)(b->quad >> 16), sink);
		put(b, (uint8_t)(b->quad >> 8), sink);
		put(b, (uint8_t)b->quad, sink);
		b->quad = 0;
		b->nq = 0;
	}
}

static void end_run(struct cs_b64 *b, const struct cs_b64_sink *sink)
{
	if (b->run >= CS_B64_MIN_RUN && !b->skip) {
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

/*
 * Encoded data mixes upper and lower case; hex digests, UUIDs, lower-case
 * paths and identifiers do not, and are not worth decoding.
 */
static bool looks_encoded(const uint8_t *p, size_t n)
{
	bool upper = false, lower = false;

	for (size_t i = 0; i < n; i++) {
		upper |= p[i] >= 'A' && p[i] <= 'Z';
		lower |= p[i] >= 'a' && p[i] <= 'z';
	}
	return upper && lower;
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
		b->skip = !looks_encoded(b->lead, CS_B64_MIN_RUN);
		if (!b->skip)
			decode(b, b->lead, CS_B64_MIN_RUN, sink);
	}
	b->run += n;
	if (!b->skip)
		decode(b, p, n, sink);
}

/*
 * Where the next run that may reach CS_B64_MIN_RUN characters starts (a run
 * reaching the end of the input may continue in the next feed), or len.
 * Any long enough run covers one of the probed positions, one every
 * CS_B64_MIN_RUN bytes, so most bytes of ordinary text are never looked at.
 */
static size_t next_candidate(const uint8_t *in, size_t i, size_t len)
{
	for (;;) {
		size_t p = i + CS_B64_MIN_RUN - 1, s, e;

		if (p >= len) {
			s = len;
			while (s > i && b64val1[in[s - 1]])
				s--;
			return s;
		}
		if (!b64val1[in[p]]) {
			i = p + 1;
			continue;
		}
		s = p;
		while (s > i && b64val1[in[s - 1]])
			s--;
		e = p + 1;
		while (e < len && b64val1[in[e]])
			e++;
		if (e - s >= CS_B64_MIN_RUN || e == len)
			return s;
		i = e + 1;
	}
}

void cs_b64_feed(struct cs_b64 *b, const uint8_t *in, size_t len, const struct cs_b64_sink *sink)
{
	size_t i = 0;

	while (i < len) {
		size_t start;
		uint8_t ch;

		if (!b->run) {
			i = next_candidate(in, i, len);
			if (i == len)
				break;
		}
		start = i;
		while (i < len && b64val1[in[i]])
			i++;
		run_chars(b, in + start, i - start, sink);
		if (i == len)
			break;
		ch = in[i++];
		/* A line break on a quantum boundary wraps a longer run (PEM, MIME). */
		if ((ch == '\n' || ch == '\r') && b->run >= CS_B64_MIN_RUN && b->nq == 0)
			continue;
		end_run(b, sink);
	}
	drain(b, sink);
}

void cs_b64_end(struct cs_b64 *b, const struct cs_b64_sink *sink)
{
	end_run(b, sink);
}
