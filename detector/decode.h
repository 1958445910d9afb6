/* SPDX-License-Identifier: MIT */
/*
 * decode.h - the one type the streaming decoders share: where decoded
 * bytes go. Every decoder pushes its output into a sink as it goes, so a
 * pipeline (chunked -> inflate -> JSON unescape -> scanner) never holds a
 * whole message in memory.
 */
#ifndef CLAWSEC_DECODE_H
#define CLAWSEC_DECODE_H

#include <stddef.h>
#include <stdint.h>

typedef void (*cs_sink_fn)(void *ctx, const uint8_t *data, size_t len);

struct cs_sink {
	cs_sink_fn fn;
	void *ctx;
};

static inline void cs_sink_put(const struct cs_sink *s, const uint8_t *data, size_t len)
{
	if (s && s->fn && len)
		s->fn(s->ctx, data, len);
}

/* The value of one hex digit, or -1 (chunk sizes, %XX and \uXXXX escapes). */
static inline int cs_hexval(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The byte a one-character JSON escape (\n, \", ...) stands for, or -1. */
static inline int cs_json_escape(uint8_t ch)
{
	switch (ch) {
	case '"':
	case '\\':
	case '/':
		return ch;
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	default:
		return -1;
	}
}

#endif
