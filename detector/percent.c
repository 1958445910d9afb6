// SPDX-License-Identifier: MIT
/* percent.c - streaming percent-decoding. */
#include "percent.h"

#include <string.h>

void cs_percent_init(struct cs_percent *p, bool plus_space)
{
	memset(p, 0, sizeof(*p));
	p->plus_space = plus_space;
}

static int hexval(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
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
	if (hexval(ch) < 0) {
		put(p, p->pend, p->pend_len, out);
		p->pend_len = 0;
		return 0;
	}
	p->pend[p->pend_len++] = ch;
	if (p->pend_len == 3) {
		uint8_t b = (uint8_t)(hexval(p->pend[1]) << 4 | hexval(p->pend[2]));

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
