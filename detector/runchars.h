/* SPDX-License-Identifier: MIT */
/*
 * runchars.h - where runs of base64 / base64url characters ([A-Za-z0-9+/_-])
 * start and end, for the run finder of base64.c.
 *
 * Bytes are classified 64 at a time into a bit mask: with AVX2 (x86-64,
 * chosen at run time) as two 32-byte vectors by a nibble-table lookup,
 * otherwise with SSE2 range compares, or byte by byte where neither
 * exists. Every path gives the same mask (tests compare them for every
 * byte value at every position).
 */
#ifndef CLAWSEC_RUNCHARS_H
#define CLAWSEC_RUNCHARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether this CPU runs the AVX2 path and CS_B64_SCALAR=1 does not force the portable one. */
bool cs_runchars_avx2(void);

/* The first position at or after i that is not a run character, or len. */
size_t cs_runchars_span(bool avx2, const uint8_t *in, size_t i, size_t len);

/*
 * Where the next run that may reach CS_B64_MIN_RUN characters starts (a
 * run reaching len may continue in the next feed), or len. The byte
 * before i is not a run character.
 */
size_t cs_runchars_next(bool avx2, const uint8_t *in, size_t i, size_t len);

/* Bit k set when p[k] is a run character, for 64 bytes; per path, so tests can compare them. */
uint64_t cs_runchars_mask_scalar(const uint8_t *p);
#ifdef __SSE2__
uint64_t cs_runchars_mask_sse2(const uint8_t *p);
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CS_RUNCHARS_HAVE_AVX2 1
/* Only when the CPU has AVX2 (__builtin_cpu_supports). */
uint64_t cs_runchars_mask_avx2(const uint8_t *p);
#endif

#endif
