/* SPDX-License-Identifier: MIT */
/*
 * engine_helpers.h - shared by the detector-engine unit tests: run text
 * through a scanner and cs_detector_report, and collect the findings.
 */
#ifndef CS_TEST_ENGINE_HELPERS_H
#define CS_TEST_ENGINE_HELPERS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detector.h"
#include "detector_internal.h"
#include "scanner.h"

#define EH_MAX_FINDINGS 64

struct eh_sink {
	struct cs_finding f[EH_MAX_FINDINGS];
	size_t n;
	size_t total;
};

static inline void eh_collect(void *ctx, const struct cs_finding *f)
{
	struct eh_sink *s = ctx;

	if (s->n < EH_MAX_FINDINGS)
		s->f[s->n++] = *f;
	s->total++;
}

static const uint8_t eh_key[32] = "clawsec-test-fingerprint-key-32b";

/* A detector with a fixed key; window_ms 0 reports every match. */
static inline struct cs_detector *eh_detector(struct eh_sink *sink, uint64_t window_ms)
{
	struct cs_detector_config cfg = {
		.dedup_window_ms = window_ms,
		.fingerprint_key = eh_key,
	};
	char err[256];

	return cs_detector_new(&cfg, eh_collect, sink, err, sizeof(err));
}

struct eh_ctx {
	struct cs_detector *d;
	enum cs_direction dir;
	const char *dest;
};

static inline void eh_on_match(void *ctx, const struct cs_match *m)
{
	struct eh_ctx *c = ctx;
	struct cs_flow_meta meta = {.source = "test/1", .dest = c->dest, .protocol = "http"};

	cs_detector_report(c->d, &meta, c->dir, m);
}

/* Scan text as one part, fed in chunks of `chunk` bytes (0 = all at once). */
static inline void eh_scan(struct cs_detector *d, enum cs_direction dir, const void *text,
			   size_t len, size_t chunk)
{
	struct eh_ctx c = {.d = d, .dir = dir, .dest = "api.example.com:443"};
	struct cs_scanner *s = cs_scanner_new(cs_detector_registry(d), dir, eh_on_match, &c);
	const uint8_t *p = text;

	if (!s)
		abort();
	if (!chunk)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len; off += chunk)
		cs_scanner_feed(s, p + off, len - off < chunk ? len - off : chunk);
	cs_scanner_reset(s);
	cs_scanner_free(s);
}

/* Deterministic pseudo-random text from an alphabet. */
static inline void eh_random(char *out, size_t n, const char *alphabet, uint32_t *seed)
{
	size_t k = strlen(alphabet);

	for (size_t i = 0; i < n; i++) {
		*seed = *seed * 1103515245u + 12345u;
		out[i] = alphabet[(*seed >> 16) % k];
	}
	out[n] = '\0';
}

#define EH_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

#endif
