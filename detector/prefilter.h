/* SPDX-License-Identifier: MIT */
/*
 * prefilter.h - multi-literal prefilter.
 *
 * One pass over the text tests the hash of every 4-byte window against a
 * small bitmap (it stays in L1 cache) built from the first four bytes of
 * every literal. Only the rare positions whose bit is set are looked up in
 * an exact table and compared with the literals, so the regexes run only
 * where a rule can actually start.
 */
#ifndef CLAWSEC_PREFILTER_H
#define CLAWSEC_PREFILTER_H

#include <stddef.h>
#include <stdint.h>

#define CS_LITERAL_MIN 4
#define CS_LITERAL_MAX 32

struct cs_literal {
	uint8_t bytes[CS_LITERAL_MAX];
	uint8_t len;
	uint32_t rule; /* registry rule index */
	int32_t next;  /* next literal with the same first four bytes, -1 = none */
};

struct cs_prefilter;

struct cs_prefilter *cs_prefilter_new(void);
void cs_prefilter_free(struct cs_prefilter *p);
/* 0 on success; -1 when len is outside [CS_LITERAL_MIN, CS_LITERAL_MAX] or memory runs out. */
int cs_prefilter_add(struct cs_prefilter *p, const uint8_t *lit, size_t len, uint32_t rule);
size_t cs_prefilter_size(const struct cs_prefilter *p);

/*
 * First position i in [from, to) whose four bytes buf[i..i+3] may begin a
 * literal, or `to`. The caller guarantees buf[to + 2] is readable.
 */
size_t cs_prefilter_next(const struct cs_prefilter *p, const uint8_t *buf, size_t from, size_t to);
/* The literals whose first four bytes are `at[0..3]`, as a chain (-1 = none). */
int32_t cs_prefilter_first(const struct cs_prefilter *p, const uint8_t *at);
const struct cs_literal *cs_prefilter_literal(const struct cs_prefilter *p, int32_t idx);

#endif
