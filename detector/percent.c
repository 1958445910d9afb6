// SPDX-License-Identifier: MIT
/* percent.c - streaming percent-decoding. */
#include "percent.h"

#include <string.h>

/*
 * The state only: the output buffer is written before it is read, and a
 * flow resets these decoders for every message.
 */
void cs_percent_init(struct cs_percent *p, bool plus_space)
{
	p->pend_len = 0;
	p->plus_space = plus_space;
	p->out_len = 0;
}

static void drain(struct cs_percent *p, const struct cs_sink *out)
{
	cs_sink_put(out, p->out, p->out_len);
	p->out_len = 0;
}

static void put(struct cs_percent *p, const uint8_t *b, size_t n, const struct cs_sink *out)
{
	if (p->out_len + n > sizeof(p->out))
		drain(p, out);
	memcpy(p->out + p->out_len, b, n);
	p->out_len += n;
}

/* Returns 1 when the byte completed or extended the escape, 0 to re-read it. */
static int escape_byte(struct cs_percent *p, uint8_t ch, const struct cs_sink *out)
{
	if (cs_hexval(ch) < 0) {
		put(p, p->pend, p->pend_len, out);
		p->pend_len = 0;
		return 0;
	}
	p->pend[p->pend_len++] = ch;
	if (p->pend_len == 3) {
		uint8_t b = (uint8_t)(cs_hexval(p->pend[1]) << 4 | cs_hexval(p->pend[2]));

		put(p, &b, 1, out);
		p->pend_len = 0;
	}
	return 1;
}

void cs_percent_feed(struct cs_percent *p, const uint8_t *in, size_t len, const struct cs_sink *out)
{
	size_t i = 0;

	while (i < len) {
		size_t span = 0;

		if (p->pend_len) {
			i += (size_t)escape_byte(p, in[i], out);
			continue;
		}
		while (i + span < len && in[i + span] != '%' && in[i + span] != '+')
			span++;
		if (span) {
			drain(p, out);
			cs_sink_put(out, in + i, span);
			i += span;
			continue;
		}
		if (in[i] == '+') {
			put(p, p->plus_space ? (const uint8_t *)" " : in + i, 1, out);
		} else {
			p->pend[0] = '%';
			p->pend_len = 1;
		}
		i++;
	}
	drain(p, out);
}

void cs_percent_flush(struct cs_percent *p, const struct cs_sink *out)
{
	put(p, p->pend, p->pend_len, out);
	p->pend_len = 0;
	drain(p, out);
}

void cs_percent_multi_init(struct cs_percent_multi *m, bool plus_space)
{
	for (int i = 0; i < CS_PERCENT_ROUNDS; i++)
		cs_percent_init(&m->round[i], plus_space && i == 0);
	m->out = NULL;
}

static void to_round2(void *ctx, const uint8_t *p, size_t n)
{
	struct cs_percent_multi *m = ctx;

	cs_percent_feed(&m->round[2], p, n, m->out);
}

static void to_round1(void *ctx, const uint8_t *p, size_t n)
{
	struct cs_percent_multi *m = ctx;
	const struct cs_sink next = {to_round2, m};

	cs_percent_feed(&m->round[1], p, n, &next);
}

_Static_assert(CS_PERCENT_ROUNDS == 3, "one sink per round after the first");

void cs_percent_multi_feed(struct cs_percent_multi *m, const uint8_t *in, size_t len,
			   const struct cs_sink *out)
{
	const struct cs_sink next = {to_round1, m};

	m->out = out;
	cs_percent_feed(&m->round[0], in, len, &next);
}

/* Each round's pending escape goes into the next round before that one ends. */
void cs_percent_multi_flush(struct cs_percent_multi *m, const struct cs_sink *out)
{
	const struct cs_sink next1 = {to_round1, m}, next2 = {to_round2, m};

	m->out = out;
	cs_percent_flush(&m->round[0], &next1);
	cs_percent_flush(&m->round[1], &next2);
	cs_percent_flush(&m->round[2], out);
}
