// SPDX-License-Identifier: MIT
/*
 * runchars.c - base64 run characters classified 64 bytes per step: AVX2
 * (chosen at run time), SSE2, or byte by byte; the same masks from each.
 */
#include "runchars.h"

#include <stdlib.h>

#include "base64.h"

#ifdef CS_RUNCHARS_HAVE_AVX2
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2")))
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

static const bool run_char[256] = {
	['A' ... 'Z'] = true, ['a' ... 'z'] = true, ['0' ... '9'] = true, ['+'] = true,
	['/'] = true,	      ['-'] = true,	    ['_'] = true,
};

bool cs_runchars_avx2(void)
{
#ifdef CS_RUNCHARS_HAVE_AVX2
	/* CS_B64_SCALAR=1 forces the portable path (tests compare both). */
	const char *scalar = getenv("CS_B64_SCALAR");

	return __builtin_cpu_supports("avx2") && !(scalar && *scalar == '1');
#else
	return false;
#endif
}

uint64_t cs_runchars_mask_scalar(const uint8_t *p)
{
	uint64_t m = 0;

	for (unsigned k = 0; k < 64; k++)
		m |= (uint64_t)run_char[p[k]] << k;
	return m;
}

#ifdef __SSE2__
/* x in [lo, hi] for each byte: moved to the bottom of the signed range, one compare. */
static inline __m128i in_range(__m128i v, uint8_t lo, uint8_t hi)
{
	__m128i x = _mm_add_epi8(v, _mm_set1_epi8((char)(0x80 - lo)));

	return _mm_cmplt_epi8(x, _mm_set1_epi8((char)(0x80 + (hi - lo + 1))));
}

/* Bit k set when p[k] is a run character, for 16 bytes. */
static inline unsigned mask16_sse2(const uint8_t *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)p);
	/* | 0x20 folds A-Z onto a-z and nothing else into a-z. */
	__m128i m = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');
	/* + , - . / 0-9, less ',' and '.' */
	__m128i d = in_range(v, '+', '9');
	__m128i cut = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(',')),
				   _mm_cmpeq_epi8(v, _mm_set1_epi8('.')));

	m = _mm_or_si128(m, _mm_andnot_si128(cut, d));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
	return (unsigned)_mm_movemask_epi8(m);
}

static inline uint64_t mask_portable(const uint8_t *p)
{
	return (uint64_t)mask16_sse2(p) | (uint64_t)mask16_sse2(p + 16) << 16 |
	       (uint64_t)mask16_sse2(p + 32) << 32 | (uint64_t)mask16_sse2(p + 48) << 48;
}

uint64_t cs_runchars_mask_sse2(const uint8_t *p)
{
	return mask_portable(p);
}
#else
static inline uint64_t mask_portable(const uint8_t *p)
{
	return cs_runchars_mask_scalar(p);
}
#endif

/* Bit k set when m has CS_B64_MIN_RUN (= 16 + 8) set bits from bit k on. */
static inline uint64_t long_runs(uint64_t m)
{
	m &= m >> 1;
	m &= m >> 2;
	m &= m >> 4;
	m &= m >> 8;
	return m & m >> (CS_B64_MIN_RUN - 16);
}

/*
 * One 64-byte block at i with run-character mask m, for next(); *c run
 * characters end just before it. True (and *at) when a run that may be
 * long enough starts: a block of ordinary text costs one well-predicted
 * branch.
 */
static inline bool block_next(uint64_t m, size_t i, size_t *c, size_t *at)
{
	uint64_t x;

	if (m == ~0ULL || *c + (size_t)__builtin_ctzll(~m) >= CS_B64_MIN_RUN) {
		*at = i - *c;
		return true;
	}
	x = long_runs(m);
	if (x) {
		*at = i + (size_t)__builtin_ctzll(x);
		return true;
	}
	*c = (size_t)__builtin_clzll(~m);
	return false;
}

/* The last bytes (fewer than 64) of span and next, one at a time. */
static size_t span_tail(const uint8_t *in, size_t i, size_t len)
{
	while (i < len && run_char[in[i]])
		i++;
	return i;
}

static size_t next_tail(const uint8_t *in, size_t i, size_t len, size_t c)
{
	for (; i < len; i++) {
		c = run_char[in[i]] ? c + 1 : 0;
		if (c == CS_B64_MIN_RUN)
			return i + 1 - c;
	}
	return len - c;
}

static size_t run_span_portable(const uint8_t *in, size_t i, size_t len)
{
	for (; len - i >= 64; i += 64) {
		uint64_t m = ~mask_portable(in + i);

		if (m)
			return i + (size_t)__builtin_ctzll(m);
	}
	return span_tail(in, i, len);
}

static size_t run_next_portable(const uint8_t *in, size_t i, size_t len)
{
	size_t c = 0, at;

	for (; len - i >= 64; i += 64)
		if (block_next(mask_portable(in + i), i, &c, &at))
			return at;
	return next_tail(in, i, len, c);
}

#ifdef CS_RUNCHARS_HAVE_AVX2
/*
 * For 32 bytes: 0 where a byte is not a run character, not 0 where it
 * is. Each high nibble that can start a run character has a class bit
 * (2: bit 0, 3: bit 1, 4 and 6: bit 2, 5 and 7: bit 3, 5 also bit 4 for
 * '_'); a low nibble's entry holds the classes it completes to a run
 * character. pshufb reads the low nibble and gives 0 for bytes >= 0x80,
 * none of them run characters.
 */
AVX2 static inline __m256i classes32(const uint8_t *p)
{
	const __m256i lo_t =
		_mm256_setr_epi8(0x0a, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0c,
				 0x05, 0x04, 0x05, 0x04, 0x15, 0x0a, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,
				 0x0e, 0x0e, 0x0e, 0x0e, 0x0c, 0x05, 0x04, 0x05, 0x04, 0x15);
	const __m256i hi_t =
		_mm256_setr_epi8(0, 0, 0x01, 0x02, 0x04, 0x18, 0x04, 0x08, 0, 0, 0, 0, 0, 0, 0, 0,
				 0, 0, 0x01, 0x02, 0x04, 0x18, 0x04, 0x08, 0, 0, 0, 0, 0, 0, 0, 0);
	__m256i v = _mm256_loadu_si256((const __m256i *)p);
	__m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0f));

	return _mm256_and_si256(_mm256_shuffle_epi8(lo_t, v), _mm256_shuffle_epi8(hi_t, hi));
}

/* Bit k set when p[k] is NOT a run character, for 32 bytes. */
AVX2 static inline uint32_t others32(const uint8_t *p)
{
	return (uint32_t)_mm256_movemask_epi8(
		_mm256_cmpeq_epi8(classes32(p), _mm256_setzero_si256()));
}

AVX2 static inline uint64_t mask_avx2(const uint8_t *p)
{
	return ~((uint64_t)others32(p) | (uint64_t)others32(p + 32) << 32);
}

AVX2 uint64_t cs_runchars_mask_avx2(const uint8_t *p)
{
	return mask_avx2(p);
}

/* Long runs are the costly case: 64 bytes are tested at once, the mask only built at the end. */
AVX2 static size_t run_span_avx2(const uint8_t *in, size_t i, size_t len)
{
	const __m256i zero = _mm256_setzero_si256();

	for (; len - i >= 64; i += 64) {
		__m256i both = _mm256_min_epu8(classes32(in + i), classes32(in + i + 32));

		if (_mm256_movemask_epi8(_mm256_cmpeq_epi8(both, zero)))
			return i + (size_t)__builtin_ctzll(~mask_avx2(in + i));
	}
	return span_tail(in, i, len);
}

AVX2 static size_t run_next_avx2(const uint8_t *in, size_t i, size_t len)
{
	size_t c = 0, at;

	for (; len - i >= 64; i += 64)
		if (block_next(mask_avx2(in + i), i, &c, &at))
			return at;
	return next_tail(in, i, len, c);
}
#endif

size_t cs_runchars_span(bool avx2, const uint8_t *in, size_t i, size_t len)
{
#ifdef CS_RUNCHARS_HAVE_AVX2
	if (avx2)
		return run_span_avx2(in, i, len);
#endif
	(void)avx2;
	return run_span_portable(in, i, len);
}

size_t cs_runchars_next(bool avx2, const uint8_t *in, size_t i, size_t len)
{
#ifdef CS_RUNCHARS_HAVE_AVX2
	if (avx2)
		return run_next_avx2(in, i, len);
#endif
	(void)avx2;
	return run_next_portable(in, i, len);
}
