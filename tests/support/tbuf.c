// SPDX-License-Identifier: MIT
/* tbuf.c - the tests' growable buffer. */
#include "tbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cs_tbuf_add(struct cs_tbuf *b, const void *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p) {
			fprintf(stderr, "cs_tbuf_add: out of memory\n");
			abort();
		}
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = 0;
}

void cs_tbuf_puts(struct cs_tbuf *b, const char *s)
{
	cs_tbuf_add(b, s, strlen(s));
}

void cs_tbuf_printf(struct cs_tbuf *b, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		fprintf(stderr, "cs_tbuf_printf: '%.40s...' does not fit\n", fmt);
		abort();
	}
	cs_tbuf_add(b, tmp, (size_t)n);
}

void cs_tbuf_sink(void *ctx, const uint8_t *p, size_t n)
{
	cs_tbuf_add(ctx, p, n);
}

void cs_tbuf_free(struct cs_tbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
