/* SPDX-License-Identifier: MIT */
/*
 * utf8.h - UTF-8 both ways: encoding a code point (JSON \uXXXX escapes) and
 * measuring a valid sequence (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF), for the decoders and for escaping text that
 * leaves the detector.
 */
#ifndef CLAWSEC_UTF8_H
#define CLAWSEC_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Write code point cp (< 0x110000) as UTF-8; returns the 1 to 4 bytes written. */
static inline size_t cs_utf8_encode(uint8_t out[4], uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes, n >= 1): 1 to 4, or 0 if invalid. */
size_t cs_utf8_len(const uint8_t *p, size_t n);

#endif
