// SPDX-License-Identifier: MIT
/*
 * jsonwalk.c - one JSON document, checked and then walked, without a tree.
 *
 * Both passes run the same parser: checking only follows the grammar,
 * walking (of a document already checked) also decodes each string in place
 * and reports it. Decoding never makes a string longer (an escape of 2, 6
 * or 12 bytes gives 1 to 4), so in place is safe: the write position never
 * passes the read position.
 */
#include "jsonwalk.h"

#include <string.h>

#include "decode.h"
#include "utf8.h"

struct parser {
	uint8_t *p; /* written only when walking */
	size_t n, i;
	bool walk;
	cs_json_string_fn fn;
	void *ctx;
	unsigned depth;
	uint64_t is_object[CS_JSON_MAX_DEPTH / 64]; /* one bit per open container */
};

static void skip_space(struct parser *ps)
{
	while (ps->i < ps->n && (ps->p[ps->i] == ' ' || ps->p[ps->i] == '\t' ||
				 ps->p[ps->i] == '\n' || ps->p[ps->i] == '\r'))
		ps->i++;
}

/* The next byte is c. */
static bool at(const struct parser *ps, uint8_t c)
{
	return ps->i < ps->n && ps->p[ps->i] == c;
}

/* Step over c if it is next. */
static bool eat(struct parser *ps, uint8_t c)
{
	if (!at(ps, c))
		return false;
	ps->i++;
	return true;
}

static bool open_container(struct parser *ps, bool object)
{
	uint64_t bit = 1ULL << (ps->depth % 64);

	if (ps->depth == CS_JSON_MAX_DEPTH)
		return false;
	if (object)
		ps->is_object[ps->depth / 64] |= bit;
	else
		ps->is_object[ps->depth / 64] &= ~bit;
	ps->depth++;
	ps->i++;
	return true;
}

static bool in_object(const struct parser *ps)
{
	unsigned d = ps->depth - 1;

	return ps->is_object[d / 64] >> (d % 64) & 1;
}

/* The code unit of the 4 hex digits at p, or -1. */
static long hex4(const uint8_t *p)
{
	long u = 0;

	for (int k = 0; k < 4; k++) {
		int v = cs_hexval(p[k]);

		if (v < 0)
			return -1;
		u = u << 4 | v;
	}
	return u;
}

/* The code point of the \uXXXX escape at p[i] (and of a low surrogate after it); advances i. */
static long unicode_escape(const uint8_t *p, size_t n, size_t *i)
{
	long u = *i + 6 <= n ? hex4(p + *i + 2) : -1, lo;

	if (u < 0)
		return -1;
	*i += 6;
	if (u >= 0xdc00 && u <= 0xdfff)
		return 0xfffd;
	if (u < 0xd800 || u > 0xdbff)
		return u;
	lo = *i + 6 <= n && p[*i] == '\\' && p[*i + 1] == 'u' ? hex4(p + *i + 2) : -1;
	if (lo < 0xdc00 || lo > 0xdfff)
		return 0xfffd; /* a lone high surrogate */
	*i += 6;
	return 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
}

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The first quote or backslash at or after k, or n: 16 bytes a step where SSE2 is. */
static size_t plain_run(const uint8_t *p, size_t k, size_t n)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');

	for (; n - k >= 16; k += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + k));
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));

		if (m)
			return k + (size_t)__builtin_ctz(m);
	}
#endif
	while (k < n && p[k] != '"' && p[k] != '\\')
		k++;
	return k;
}

/* The string whose opening quote is at p[i]: its decoded bytes (when walking) in *s, *len. */
static bool string(struct parser *ps, uint8_t **s, size_t *len)
{
	uint8_t *p = ps->p;
	size_t n = ps->n, i = ps->i + 1, w = i;

	for (;;) {
		size_t k = plain_run(p, i, n);
		uint8_t utf8[4];
		size_t m;
		long cp;
		int e;

		if (ps->walk && w != i)
			memmove(p + w, p + i, k - i);
		w += k - i;
		i = k;
		if (i >= n)
			return false;
		if (p[i] == '"')
			break;
		if (i + 1 < n && p[i + 1] == 'u') {
			cp = unicode_escape(p, n, &i);
			if (cp < 0)
				return false;
			m = cs_utf8_encode(utf8, (uint32_t)cp);
		} else {
			e = i + 1 < n ? cs_json_escape(p[i + 1]) : -1;
			if (e < 0)
				return false;
			utf8[0] = (uint8_t)e;
			m = 1;
			i += 2;
		}
		if (ps->walk)
			memcpy(p + w, utf8, m);
		w += m;
	}
	*s = p + ps->i + 1;
	*len = w - (ps->i + 1);
	ps->i = i + 1;
	return true;
}

static bool digits(struct parser *ps)
{
	size_t from = ps->i;

	while (ps->i < ps->n && ps->p[ps->i] >= '0' && ps->p[ps->i] <= '9')
		ps->i++;
	return ps->i > from;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool number(struct parser *ps)
{
	eat(ps, '-');
	if (!eat(ps, '0') && !digits(ps))
		return false;
	if (eat(ps, '.') && !digits(ps))
		return false;
	if (eat(ps, 'e') || eat(ps, 'E')) {
		if (!eat(ps, '+'))
			eat(ps, '-');
		if (!digits(ps))
			return false;
	}
	return true;
}

static bool literal(struct parser *ps, const char *word, size_t len)
{
	if (ps->n - ps->i < len || memcmp(ps->p + ps->i, word, len) != 0)
		return false;
	ps->i += len;
	return true;
}

/* `"name" :` opening an object member; the name is the key of the value that follows. */
static bool member(struct parser *ps, const uint8_t **key, size_t *key_len)
{
	uint8_t *s;
	size_t len;

	skip_space(ps);
	if (!at(ps, '"') || !string(ps, &s, &len))
		return false;
	if (ps->walk)
		ps->fn(ps->ctx, NULL, 0, s, len, true);
	skip_space(ps);
	if (!eat(ps, ':'))
		return false;
	*key = s;
	*key_len = len;
	return true;
}

/*
 * After a value: a comma and the next member or element, or the ends of
 * containers. Returns 1 when the document is complete, 0 when another
 * value follows, -1 when the grammar is broken.
 */
static int after_value(struct parser *ps, const uint8_t **key, size_t *key_len)
{
	while (ps->depth) {
		bool object = in_object(ps);
		uint8_t c;

		skip_space(ps);
		if (ps->i >= ps->n)
			return -1;
		c = ps->p[ps->i++];
		if (c == ',') {
			*key = NULL;
			*key_len = 0;
			return object && !member(ps, key, key_len) ? -1 : 0;
		}
		if (c != (object ? '}' : ']'))
			return -1;
		ps->depth--;
	}
	return 1;
}

/* One value and, for a container, all it holds. */
static bool value(struct parser *ps, const uint8_t **key, size_t *key_len)
{
	uint8_t *s;
	size_t len;

	skip_space(ps);
	if (ps->i >= ps->n)
		return false;
	switch (ps->p[ps->i]) {
	case '{':
	case '[': {
		bool object = ps->p[ps->i] == '{';

		if (!open_container(ps, object))
			return false;
		skip_space(ps);
		if (eat(ps, object ? '}' : ']')) {
			ps->depth--; /* empty */
			return true;
		}
		if (object)
			return member(ps, key, key_len);
		*key = NULL; /* array elements have no key */
		*key_len = 0;
		return true;
	}
	case '"':
		if (!string(ps, &s, &len))
			return false;
		if (ps->walk)
			ps->fn(ps->ctx, *key, *key_len, s, len, false);
		return true;
	case 't':
		return literal(ps, "true", 4);
	case 'f':
		return literal(ps, "false", 5);
	case 'n':
		return literal(ps, "null", 4);
	default:
		return number(ps);
	}
}

/*
 * Iterative, so nesting costs a bit, not a stack frame. A container that
 * was just opened (and not closed at once) asks for its first value
 * directly; every other value is followed by after_value().
 */
static bool parse(struct parser *ps)
{
	const uint8_t *key = NULL;
	size_t key_len = 0;

	for (;;) {
		unsigned depth = ps->depth;
		int r;

		if (!value(ps, &key, &key_len))
			return false;
		if (ps->depth > depth)
			continue; /* inside a new container, at its first value */
		r = after_value(ps, &key, &key_len);
		if (r)
			return r > 0;
	}
}

size_t cs_json_check(const uint8_t *p, size_t n)
{
	/* Checking never writes: the cast only lets both passes share the parser. */
	struct parser ps = {.p = (uint8_t *)p, .n = n};

	return parse(&ps) ? ps.i : 0;
}

void cs_json_walk(uint8_t *p, size_t n, cs_json_string_fn fn, void *ctx)
{
	struct parser ps = {.p = p, .n = n, .walk = true, .fn = fn, .ctx = ctx};

	parse(&ps);
}
