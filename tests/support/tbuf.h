/* SPDX-License-Identifier: MIT */
/*
 * tbuf.h - a growable byte buffer for tests: decoder output collected
 * through a cs_sink, or wire bytes built piece by piece. Always
 * NUL-terminated after its n bytes (once anything was added), so text can
 * be compared as a string. Out of memory aborts: a test cannot go on.
 */
#ifndef CLAWSEC_TBUF_H
#define CLAWSEC_TBUF_H

#include <stddef.h>
#include <stdint.h>

struct cs_tbuf {
	char *p;
	size_t n, cap;
};

void cs_tbuf_add(struct cs_tbuf *b, const void *p, size_t n);
void cs_tbuf_puts(struct cs_tbuf *b, const char *s);
/* Appends formatted text; aborts if it would exceed 4 KiB (a test bug). */
void cs_tbuf_printf(struct cs_tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A cs_sink function: ctx is the struct cs_tbuf. */
void cs_tbuf_sink(void *ctx, const uint8_t *p, size_t n);
void cs_tbuf_free(struct cs_tbuf *b);

#endif
