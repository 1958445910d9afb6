// SPDX-License-Identifier: MIT
/*
 * chunked.c - streaming chunked transfer decoder.
 *
 * Lenient where real peers are sloppy (a bare LF ends a line, whitespace
 * before extensions) and strict where leniency would desynchronise the
 * stream (a size must have 1..16 hex digits, data must be followed by a
 * line end).
 */
#include "chunked.h"

#include <string.h>

enum {
	ST_SIZE,    /* hex digits of the chunk size */
	ST_EXT,	    /* extensions / whitespace up to the line end */
	ST_SIZE_LF, /* CR seen on the size line */
	ST_DATA,
	ST_DATA_CR, /* line end after the data */
	ST_DATA_LF,
	ST_TRAILER_START, /* beginning of a trailer line or the final empty line */
	ST_TRAILER,	  /* inside a trailer line */
	ST_FINAL_LF,
	ST_END,
};

void cs_chunked_init(struct cs_chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->state = ST_SIZE;
}

static void fail(struct cs_chunked *c)
{
	c->status = CS_CHUNKED_ERROR;
	c->state = ST_END;
}

/* The size line is complete: data, or the trailer section for size 0. */
static void size_line_done(struct cs_chunked *c)
{
	if (c->digits == 0) {
		fail(c);
		return;
	}
	c->state = c->remaining ? ST_DATA : ST_TRAILER_START;
	c->digits = 0;
	c->line_len = 0;
}

static void size_byte(struct cs_chunked *c, uint8_t ch)
{
	int v = cs_hexval(ch);

	if (++c->line_len > CS_CHUNKED_MAX_LINE) {
		fail(c);
		return;
	}
	if (c->state == ST_SIZE && v >= 0) {
		if (++c->digits > 16) {
			fail(c);
			return;
		}
		c->remaining = c->remaining << 4 | (uint64_t)v;
	} else if (ch == '\r') {
		c->state = ST_SIZE_LF;
	} else if (ch == '\n') {
		size_line_done(c);
	} else if (ch == ';' || ch == ' ' || ch == '\t' || c->state == ST_EXT) {
		if (c->digits == 0)
			fail(c);
		else
			c->state = ST_EXT;
	} else {
		fail(c);
	}
}

/* Trailer bytes up to and including the next LF; returns bytes used. */
static size_t trailer_bytes(struct cs_chunked *c, const uint8_t *in, size_t len,
			    const struct cs_sink *trailer)
{
	const uint8_t *lf = memchr(in, '\n', len);
	size_t n = lf ? (size_t)(lf - in) + 1 : len;

	if (c->trailer_len + n > CS_CHUNKED_MAX_TRAILERS) {
		fail(c);
		return 0;
	}
	c->trailer_len += n;
	cs_sink_put(trailer, in, n);
	if (lf)
		c->state = ST_TRAILER_START;
	return n;
}

static size_t step(struct cs_chunked *c, const uint8_t *in, size_t len, const struct cs_sink *body,
		   const struct cs_sink *trailer)
{
	uint8_t ch = in[0];
	size_t n;

	switch (c->state) {
	case ST_SIZE:
	case ST_EXT:
		size_byte(c, ch);
		return 1;
	case ST_SIZE_LF:
		if (ch == '\n')
			size_line_done(c);
		else
			fail(c);
		return 1;
	case ST_DATA:
		n = len < c->remaining ? len : (size_t)c->remaining;
		cs_sink_put(body, in, n);
		c->remaining -= n;
		if (!c->remaining)
			c->state = ST_DATA_CR;
		return n;
	case ST_DATA_CR:
		if (ch == '\r')
			c->state = ST_DATA_LF;
		else if (ch == '\n')
			c->state = ST_SIZE;
		else
			fail(c);
		return 1;
	case ST_DATA_LF:
		if (ch == '\n')
			c->state = ST_SIZE;
		else
			fail(c);
		return 1;
	case ST_TRAILER_START:
		if (ch == '\r') {
			c->state = ST_FINAL_LF;
			return 1;
		}
		if (ch == '\n') {
			c->state = ST_END;
			c->status = CS_CHUNKED_DONE;
			return 1;
		}
		c->state = ST_TRAILER;
		return trailer_bytes(c, in, len, trailer);
	case ST_TRAILER:
		return trailer_bytes(c, in, len, trailer);
	case ST_FINAL_LF:
		if (ch == '\n') {
			c->state = ST_END;
			c->status = CS_CHUNKED_DONE;
		} else {
			fail(c);
		}
		return 1;
	default:
		return 0;
	}
}

size_t cs_chunked_feed(struct cs_chunked *c, const uint8_t *in, size_t len,
		       const struct cs_sink *body, const struct cs_sink *trailer)
{
	size_t used = 0;

	while (used < len && c->state != ST_END) {
		size_t n = step(c, in + used, len - used, body, trailer);

		if (c->status == CS_CHUNKED_ERROR)
			return used;
		used += n;
	}
	return used;
}

bool cs_chunked_skip(struct cs_chunked *c, uint64_t lost)
{
	if (c->state != ST_DATA || lost > c->remaining)
		return false;
	c->remaining -= lost;
	if (!c->remaining)
		c->state = ST_DATA_CR;
	return true;
}
