// SPDX-License-Identifier: MIT
/*
 * prefilter.c - hashed 4-byte bitmap prefilter with an exact second stage.
 */
#include "prefilter.h"

#include <stdlib.h>
#include <string.h>

/* 2^17 bits = 16 KiB: a few hundred literals set well under 1% of the bits. */
#define PF_BITS 17
#define PF_SLOTS 1024 /* exact table, power of two, > 2x the literal count */

struct slot {
	uint32_t key;
	int32_t first; /* -1 = empty */
};

struct cs_prefilter {
	uint64_t bitmap[(1u << PF_BITS) / 64];
	struct slot slots[PF_SLOTS];
	struct cs_literal *lits;
	size_t n, cap;
};

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static inline uint32_t pf_hash(uint32_t w)
{
	return (w * 0x9E3779B1u) >> (32 - PF_BITS);
}

struct cs_prefilter *cs_prefilter_new(void)
{
	struct cs_prefilter *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	for (size_t i = 0; i < PF_SLOTS; i++)
		p->slots[i].first = -1;
	return p;
}

void cs_prefilter_free(struct cs_prefilter *p)
{
	if (!p)
		return;
	free(p->lits);
	free(p);
}

static struct slot *slot_for(struct cs_prefilter *p, uint32_t key)
{
	size_t i = pf_hash(key) & (PF_SLOTS - 1);

	for (size_t probes = 0; probes < PF_SLOTS; probes++) {
		struct slot *s = &p->slots[i];

		if (s->first < 0 || s->key == key)
			return s;
		i = (i + 1) & (PF_SLOTS - 1);
	}
	return NULL;
}

int cs_prefilter_add(struct cs_prefilter *p, const uint8_t *lit, size_t len, uint32_t rule)
{
	if (len < CS_LITERAL_MIN || len > CS_LITERAL_MAX || p->n >= PF_SLOTS / 2)
		return -1;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct cs_literal *n = realloc(p->lits, cap * sizeof(*n));

		if (!n)
			return -1;
		p->lits = n;
		p->cap = cap;
	}
	uint32_t key = load32(lit);
	struct slot *s = slot_for(p, key);

	if (!s)
		return -1;
	struct cs_literal *l = &p->lits[p->n];

	memset(l, 0, sizeof(*l));
	memcpy(l->bytes, lit, len);
	l->len = (uint8_t)len;
	l->rule = rule;
	l->next = s->first;
	s->key = key;
	s->first = (int32_t)p->n++;
	uint32_t h = pf_hash(key);

	p->bitmap[h >> 6] |= 1ull << (h & 63);
	return 0;
}

size_t cs_prefilter_size(const struct cs_prefilter *p)
{
	return p->n;
}

/* 1 when the 4 bytes at `at` may begin a literal (an int, so hits can be OR-ed). */
static inline unsigned pf_hit(const struct cs_prefilter *p, const uint8_t *at)
{
	uint32_t h = pf_hash(load32(at));

	return (unsigned)(p->bitmap[h >> 6] >> (h & 63)) & 1u;
}

size_t cs_prefilter_next(const struct cs_prefilter *p, const uint8_t *buf, size_t from, size_t to)
{
	size_t i = from;

	/* Four windows per step: one branch for the common all-clear case. */
	for (; i + 4 <= to; i += 4) {
		if (pf_hit(p, buf + i) | pf_hit(p, buf + i + 1) | pf_hit(p, buf + i + 2) |
		    pf_hit(p, buf + i + 3))
			break;
	}
	for (; i < to; i++)
		if (pf_hit(p, buf + i))
			return i;
	return to;
}

int32_t cs_prefilter_first(const struct cs_prefilter *p, const uint8_t *at)
{
	uint32_t key = load32(at);
	size_t i = pf_hash(key) & (PF_SLOTS - 1);

	for (size_t probes = 0; probes < PF_SLOTS; probes++) {
		const struct slot *s = &p->slots[i];

		if (s->first < 0)
			return -1;
		if (s->key == key)
			return s->first;
		i = (i + 1) & (PF_SLOTS - 1);
	}
	return -1;
}

const struct cs_literal *cs_prefilter_literal(const struct cs_prefilter *p, int32_t idx)
{
	return idx >= 0 && (size_t)idx < p->n ? &p->lits[idx] : NULL;
}
