/* SPDX-License-Identifier: MIT */
/*
 * fuzz_util.h - shared by the decoder fuzzers: an output log that merges
 * adjacent pieces of the same kind, so the output of a streaming decoder
 * can be compared between one feed and the same bytes split anywhere.
 */
#ifndef CS_FUZZ_UTIL_H
#define CS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Builds define NDEBUG, so assert() would check nothing: this always does. */
#define CHECK(c)                                                                              \
	do {                                                                                  \
		if (!(c)) {                                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                              \
		}                                                                             \
	} while (0)

struct flog {
	uint8_t *p;
	size_t n, cap;
	char last;	    /* kind of the last entry, 0 at the start */
	size_t last_len_at; /* offset of its length field */
};

static inline void flog_grow(struct flog *l, size_t more)
{
	if (l->n + more <= l->cap)
		return;
	l->cap = (l->n + more) * 2;
	l->p = realloc(l->p, l->cap);
	if (!l->p)
		abort();
}

/* Append bytes of `kind`; consecutive pieces of the same kind become one entry. */
static inline void flog_add(struct flog *l, char kind, const void *p, size_t n)
{
	if (kind != l->last) {
		flog_grow(l, 1 + sizeof(size_t));
		l->p[l->n++] = (uint8_t)kind;
		l->last_len_at = l->n;
		memset(l->p + l->n, 0, sizeof(size_t));
		l->n += sizeof(size_t);
		l->last = kind;
	}
	if (n) {
		size_t len;

		flog_grow(l, n);
		memcpy(l->p + l->n, p, n);
		l->n += n;
		memcpy(&len, l->p + l->last_len_at, sizeof(len));
		len += n;
		memcpy(l->p + l->last_len_at, &len, sizeof(len));
	}
}

/* An event with no bytes (message end, run end): never merged. */
static inline void flog_event(struct flog *l, char kind)
{
	flog_add(l, kind, NULL, 0);
	l->last = 0;
}

static inline void flog_free(struct flog *l)
{
	free(l->p);
	memset(l, 0, sizeof(*l));
}

static inline int flog_equal(const struct flog *a, const struct flog *b)
{
	return a->n == b->n && (!a->n || !memcmp(a->p, b->p, a->n));
}

/* Two split points from the first bytes of the input. */
static inline void fuzz_cuts(const uint8_t *data, size_t size, size_t *a, size_t *b)
{
	*a = size ? data[0] % (size + 1) : 0;
	*b = size > 1 ? (size_t)data[1] * 7 % (size + 1) : size;
	if (*a > *b) {
		size_t t = *a;

		*a = *b;
		*b = t;
	}
}

#endif
