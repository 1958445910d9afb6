// SPDX-License-Identifier: MIT
/*
 * prefilter.c - hashed 4-byte bitmap prefilter with an exact second stage.
 */
#include "prefilter.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PF_HAVE_AVX2 1
#endif

/* 2^17 bits = 16 KiB: a few hundred literals set well under 1% of the bits. */
#define PF_BITS 17
#define PF_SLOTS 1024 /* exact table, power of two, > 2x the literal count */

struct slot {
	uint32_t key;
	int32_t first; /* -1 = empty */
};

/*
 * The SIMD first stage (x86-64 with AVX2): the first three bytes of every
 * literal, sorted and spread over 8 buckets. For each of the three byte
 * offsets, two 16-entry tables map a byte's low and high nibble to the
 * buckets that allow it; a position survives when some bucket allows all
 * three bytes. Survivors (about 1% of text) go to the hashed bitmap.
 */
#define PF_FP_MAX 256
#define PF_BUCKETS 8

struct cs_prefilter {
	uint64_t bitmap[(1u << PF_BITS) / 64];
	struct slot slots[PF_SLOTS];
	struct cs_literal *lits;
	size_t n, cap;
	uint8_t fp[PF_FP_MAX][3]; /* distinct 3-byte prefixes, sorted */
	size_t nfp;
	uint8_t lo[3][16], hi[3][16];
	bool simd;
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
#ifdef PF_HAVE_AVX2
	/* CS_PREFILTER_SCALAR=1 forces the portable path (tests compare both). */
	const char *scalar = getenv("CS_PREFILTER_SCALAR");

	p->simd = __builtin_cpu_supports("avx2") && !(scalar && *scalar == '1');
#endif
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

/* Rebuild the nibble tables from the sorted prefixes: neighbours share a bucket. */
static void build_nibble_tables(struct cs_prefilter *p)
{
	memset(p->lo, 0, sizeof(p->lo));
	memset(p->hi, 0, sizeof(p->hi));
	for (size_t f = 0; f < p->nfp; f++) {
		uint8_t bucket = (uint8_t)(1u << (f * PF_BUCKETS / p->nfp));

		for (int j = 0; j < 3; j++) {
			p->lo[j][p->fp[f][j] & 15] |= bucket;
			p->hi[j][p->fp[f][j] >> 4] |= bucket;
		}
	}
}

/* Remember the literal's first three bytes for the SIMD stage; -1 when full. */
static int add_prefix(struct cs_prefilter *p, const uint8_t *lit)
{
	size_t i = 0;

	while (i < p->nfp && memcmp(p->fp[i], lit, 3) < 0)
		i++;
	if (i < p->nfp && memcmp(p->fp[i], lit, 3) == 0)
		return 0;
	if (p->nfp == PF_FP_MAX)
		return -1;
	memmove(p->fp[i + 1], p->fp[i], (p->nfp - i) * 3);
	memcpy(p->fp[i], lit, 3);
	p->nfp++;
	build_nibble_tables(p);
	return 0;
}

int cs_prefilter_add(struct cs_prefilter *p, const uint8_t *lit, size_t len, uint32_t rule)
{
	if (len < CS_LITERAL_MIN || len > CS_LITERAL_MAX || p->n >= PF_SLOTS / 2 ||
	    add_prefix(p, lit) != 0)
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

static size_t next_scalar(const struct cs_prefilter *p, const uint8_t *buf, size_t from, size_t to)
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

#ifdef PF_HAVE_AVX2
__attribute__((target("avx2"))) static inline __m256i nibble_match(const struct cs_prefilter *p,
								   int j, __m256i v)
{
	const __m256i low = _mm256_set1_epi8(0x0f);
	__m256i lo_t = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p->lo[j]));
	__m256i hi_t = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p->hi[j]));
	__m256i lo = _mm256_shuffle_epi8(lo_t, _mm256_and_si256(v, low));
	__m256i hi = _mm256_shuffle_epi8(hi_t, _mm256_and_si256(_mm256_srli_epi16(v, 4), low));

	return _mm256_and_si256(lo, hi);
}

/* 32 positions per step; survivors of the nibble test are checked in the bitmap. */
__attribute__((target("avx2"))) static size_t next_avx2(const struct cs_prefilter *p,
							const uint8_t *buf, size_t from, size_t to)
{
	const __m256i zero = _mm256_setzero_si256();
	size_t i = from;

	for (; i + 32 <= to; i += 32) {
		__m256i m = nibble_match(p, 0, _mm256_loadu_si256((const __m256i *)(buf + i)));

		m = _mm256_and_si256(
			m, nibble_match(p, 1, _mm256_loadu_si256((const __m256i *)(buf + i + 1))));
		m = _mm256_and_si256(
			m, nibble_match(p, 2, _mm256_loadu_si256((const __m256i *)(buf + i + 2))));
		uint32_t cand = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(m, zero));

		for (; cand; cand &= cand - 1) {
			size_t at = i + (size_t)__builtin_ctz(cand);

			if (pf_hit(p, buf + at))
				return at;
		}
	}
	return next_scalar(p, buf, i, to);
}
#endif

size_t cs_prefilter_next(const struct cs_prefilter *p, const uint8_t *buf, size_t from, size_t to)
{
#ifdef PF_HAVE_AVX2
	if (p->simd)
		return next_avx2(p, buf, from, to);
#endif
	return next_scalar(p, buf, from, to);
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
