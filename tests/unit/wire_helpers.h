/* SPDX-License-Identifier: MIT */
/*
 * wire_helpers.h - shared by the evasion and protocol-decoder pipeline
 * tests: a detector that collects findings, generated secrets (so no test
 * file holds one), and feeding wire bytes through a flow in pieces.
 */
#ifndef CS_TEST_WIRE_HELPERS_H
#define CS_TEST_WIRE_HELPERS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "detector.h"
#include "tbuf.h"

#define WH_MAX_HITS 64
#define WH_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

struct wh_hits {
	struct cs_finding f[WH_MAX_HITS];
	size_t n;
};

static inline void wh_collect(void *ctx, const struct cs_finding *f)
{
	struct wh_hits *h = ctx;

	if (h->n < WH_MAX_HITS)
		h->f[h->n] = *f;
	h->n++;
}

static const uint8_t wh_key[32] = "wire-helpers-fingerprint-key-32b";

/* Dedup off: a byte scanned twice would show as two findings. NULL on error. */
static inline struct cs_detector *wh_detector(struct wh_hits *h, size_t max_scan)
{
	struct cs_detector_config cfg = {.max_scan_bytes = max_scan, .fingerprint_key = wh_key};
	char err[256];

	return cs_detector_new(&cfg, wh_collect, h, err, sizeof(err));
}

static const struct cs_flow_info wh_info = {
	.source = "test/127.0.0.1:40000",
	.dest = "127.0.0.1:8080",
	.protocol = "http",
	.format = CS_FORMAT_AUTO,
};

/* Deterministic random token from an alphabet. */
static inline void wh_token(char *out, size_t n, const char *alphabet, uint32_t seed)
{
	size_t k = strlen(alphabet);

	seed |= 1;
	for (size_t i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		out[i] = alphabet[seed % k];
	}
	out[n] = 0;
}

static inline void wh_anthropic_key(char out[128], uint32_t seed)
{
	char body[96];

	wh_token(body, 93, WH_ALNUM "_-", seed);
	snprintf(out, 128, "sk-ant-%s-%sAA", "api03", body);
}

/* A PEM private key of 25 generated lines. */
static inline void wh_pem(struct cs_tbuf *b, uint32_t seed)
{
	char line[65];

	cs_tbuf_puts(b, "-----BEGIN RSA PRIVATE KEY-----\n");
	for (int i = 0; i < 25; i++) {
		wh_token(line, 64, WH_ALNUM "+/", seed + (uint32_t)i);
		cs_tbuf_printf(b, "%s\n", line);
	}
	cs_tbuf_puts(b, "-----END RSA PRIVATE KEY-----\n");
}

static inline size_t wh_count(const struct wh_hits *h, const char *pattern)
{
	size_t c = 0;

	for (size_t i = 0; i < h->n && i < WH_MAX_HITS; i++)
		c += !strcmp(h->f[i].pattern, pattern);
	return c;
}

/* True when a snippet holds the raw secret (redaction failed). */
static inline bool wh_leaked(const struct wh_hits *h, const char *secret)
{
	for (size_t i = 0; i < h->n && i < WH_MAX_HITS; i++)
		if (strstr(h->f[i].snippet, secret))
			return true;
	return false;
}

/* Feed bytes to one direction of a flow in pieces of `piece` bytes. */
static inline void wh_feed(struct cs_flow *f, enum cs_direction dir, const void *p, size_t n,
			   size_t piece)
{
	for (size_t i = 0; i < n; i += piece)
		cs_flow_feed(f, dir, (const uint8_t *)p + i, n - i < piece ? n - i : piece);
}

#endif
