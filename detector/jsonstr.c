// SPDX-License-Identifier: MIT
/* jsonstr.c - streaming, opportunistic JSON escape decoding. */
#include "jsonstr.h"

#include <string.h>

#include "utf8.h"

/*
 * The state only: the output buffer is written before it is read, and a
 * flow resets these decoders for every message.
 */
void cs_jsonstr_init(struct cs_jsonstr *j)
{
	j->pend_len = 0;
	j->high = 0;
	j->out_len = 0;
}

static void drain(struct cs_jsonstr *j, const struct cs_sink *out)
{
	cs_sink_put(out, j->out, j->out_len);
	j->out_len = 0;
}

static void put(struct cs_jsonstr *j, const uint8_t *p, size_t n, const struct cs_sink *out)
{
	if (j->out_len + n > sizeof(j->out))
		drain(j, out);
	memcpy(j->out + j->out_len, p, n);
	j->out_len += n;
}

static void put_cp(struct cs_jsonstr *j, uint32_t cp, const struct cs_sink *out)
{
	uint8_t b[4];

	put(j, b, cs_utf8_encode(b, cp), out);
}

/* A high surrogate not followed by its low half stands for U+FFFD. */
static void drop_high(struct cs_jsonstr *j, const struct cs_sink *out)
{
	if (j->high) {
		put_cp(j, 0xfffd, out);
		j->high = 0;
	}
}

static void code_unit(struct cs_jsonstr *j, uint32_t u, const struct cs_sink *out)
{
	if (u >= 0xdc00 && u <= 0xdfff && j->high) {
		put_cp(j, 0x10000 + ((j->high - 0xd800) << 10) + (u - 0xdc00), out);
		j->high = 0;
		return;
	}
	drop_high(j, out);
	if (u >= 0xd800 && u <= 0xdbff)
		j->high = u;
	else if (u >= 0xdc00 && u <= 0xdfff)
		put_cp(j, 0xfffd, out);
	else
		put_cp(j, u, out);
}

/*
 * One more byte of an escape in progress. Returns 1 when the byte was used,
 * 0 when the escape turned out invalid: it was emitted verbatim and the
 * byte must be looked at again as ordinary input.
 */
static int escape_byte(struct cs_jsonstr *j, uint8_t ch, const struct cs_sink *out)
{
	int v;

	if (j->pend_len == 1) {
		v = cs_json_escape(ch);
		if (ch == 'u') {
			j->pend[j->pend_len++] = ch;
			return 1;
		}
		drop_high(j, out);
		j->pend_len = 0;
		if (v < 0) {
			put(j, (const uint8_t *)"\\", 1, out);
			return 0;
		}
		put(j, &(uint8_t){(uint8_t)v}, 1, out);
		return 1;
	}
	if (cs_hexval(ch) < 0) {
		drop_high(j, out);
		put(j, j->pend, j->pend_len, out);
		j->pend_len = 0;
		return 0;
	}
	j->pend[j->pend_len++] = ch;
	if (j->pend_len == 6) {
		uint32_t u = 0;

		for (int i = 2; i < 6; i++)
			u = u << 4 | (uint32_t)cs_hexval(j->pend[i]);
		j->pend_len = 0;
		code_unit(j, u, out);
	}
	return 1;
}

void cs_jsonstr_feed(struct cs_jsonstr *j, const uint8_t *in, size_t len, const struct cs_sink *out)
{
	size_t i = 0;

	while (i < len) {
		if (j->pend_len) {
			i += (size_t)escape_byte(j, in[i], out);
			continue;
		}
		const uint8_t *bs = memchr(in + i, '\\', len - i);
		size_t span = bs ? (size_t)(bs - (in + i)) : len - i;

		if (span) {
			drop_high(j, out);
			drain(j, out);
			cs_sink_put(out, in + i, span);
			i += span;
		}
		if (bs) {
			j->pend[0] = '\\';
			j->pend_len = 1;
			i++;
		}
	}
	drain(j, out);
}

void cs_jsonstr_flush(struct cs_jsonstr *j, const struct cs_sink *out)
{
	drop_high(j, out);
	put(j, j->pend, j->pend_len, out);
	j->pend_len = 0;
	drain(j, out);
}
