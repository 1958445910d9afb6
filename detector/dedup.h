/* SPDX-License-Identifier: MIT */
/*
 * dedup.h - fold repeated findings and fingerprint secrets.
 *
 * The same (pattern, direction, dest, secret fingerprint) seen again within
 * the window is counted, not reported. The table is fixed-size and
 * set-associative: when a set is full its least recently seen entry is
 * evicted, so memory stays bounded whatever the traffic. Entries made from
 * a whole finding keep its fields (no snippet, no secret) so that folded
 * repeats are summarised when their window closes, never dropped silently.
 */
#ifndef CLAWSEC_DEDUP_H
#define CLAWSEC_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"

#define CS_FINGERPRINT_KEY_LEN 32
#define CS_DEDUP_ENTRIES 4096

/* HMAC-SHA256(key, family || 0 || secret) truncated to 64 bits: never the secret. */
uint64_t cs_fingerprint(const uint8_t key[CS_FINGERPRINT_KEY_LEN], const char *family,
			const uint8_t *secret, size_t n);

struct cs_dedup;

/* entries is rounded up to a multiple of the set size; 0 = CS_DEDUP_ENTRIES. */
struct cs_dedup *cs_dedup_new(size_t entries, uint64_t window_ms);
void cs_dedup_free(struct cs_dedup *d);
/*
 * Record one sighting at now_ms. Returns true when it must be reported (first
 * in its window), false when it was folded into an earlier report. *count,
 * if given, receives the number of sightings in the current window.
 */
bool cs_dedup_check(struct cs_dedup *d, const char *pattern, enum cs_direction dir,
		    const char *dest, uint64_t fingerprint, uint64_t now_ms, uint64_t *count);
uint64_t cs_dedup_evictions(const struct cs_dedup *d);

/*
 * Told of a window that closed with repeats folded into its finding: `f`
 * is a summary (f->folded > 0, detector/fold.h), timestamped now_ms.
 */
typedef void (*cs_fold_fn)(void *ctx, const struct cs_finding *f);

/*
 * cs_dedup_check for a whole finding (at f->timestamp_ms), remembering its
 * fields so that the repeats it folds can be summarised. Before a window
 * with repeats is reused or evicted, its summary goes to emit.
 */
bool cs_dedup_finding(struct cs_dedup *d, const struct cs_finding *f, cs_fold_fn emit, void *ctx);
/*
 * Close every window that ended by now_ms (UINT64_MAX: every window, at
 * shutdown): summaries of those with repeats go to emit. Returns how many.
 */
size_t cs_dedup_sweep(struct cs_dedup *d, uint64_t now_ms, cs_fold_fn emit, void *ctx);

#endif
