/* SPDX-License-Identifier: MIT */
/*
 * scanner.h - streaming pattern scanner (internal to the detector).
 *
 * The decoding pipeline (flow.c) turns wire bytes into decoded text parts
 * (a header block, a body, an SSE text run) and pushes each part through a
 * scanner in chunks of any size. The scanner keeps a bounded tail so that a
 * match straddling two chunks is still found, runs only the rules of its
 * direction, and hands each match to a callback together with enough
 * surrounding bytes to build a redacted snippet.
 */
#ifndef CLAWSEC_SCANNER_H
#define CLAWSEC_SCANNER_H

#include <stddef.h>
#include <stdint.h>

#include "finding.h"

/* Longest match a rule may produce; the tail kept between chunks is this plus context. */
#define CS_SCAN_MAX_MATCH 1024
/* Context bytes kept on each side of a match for the snippet. */
#define CS_SNIPPET_CONTEXT 40

struct cs_registry;
struct cs_rule;

struct cs_match {
	const struct cs_rule *rule;
	/* The window the match was found in, and offsets into it. */
	const uint8_t *buf;
	size_t buf_len;
	size_t start, end;		 /* whole match */
	size_t secret_start, secret_end; /* the bytes to redact (subset of the match) */
};

typedef void (*cs_match_fn)(void *ctx, const struct cs_match *m);

struct cs_scanner;

struct cs_scanner *cs_scanner_new(const struct cs_registry *reg, enum cs_direction dir,
				  cs_match_fn fn, void *ctx);
/*
 * Start a new part: the tail of the previous part is forgotten. A match that
 * reached the end of the part and was waiting for more bytes is decided (and
 * reported) first, so call this when a part ends, not only when one starts.
 */
void cs_scanner_reset(struct cs_scanner *s);
/*
 * A message ended but its stream goes on (the next request on the same
 * connection): what waited for more bytes is decided and reported now, as
 * by cs_scanner_reset, but the tail is kept, so a match that the next bytes
 * complete (a key split across two requests) is still found, once.
 */
void cs_scanner_settle(struct cs_scanner *s);
void cs_scanner_feed(struct cs_scanner *s, const uint8_t *data, size_t len);
void cs_scanner_free(struct cs_scanner *s);
/* PCRE2 match-limit hits since creation. */
uint64_t cs_scanner_limit_hits(const struct cs_scanner *s);
/* Bytes held between feeds (the tail); at most CS_SCAN_MAX_MATCH + 512. */
size_t cs_scanner_buffered(const struct cs_scanner *s);

#endif
