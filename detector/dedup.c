// SPDX-License-Identifier: MIT
/*
 * dedup.c - keyed fingerprints (OpenSSL HMAC) and the bounded window table.
 */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define WAYS 4

struct entry {
	uint64_t key; /* 0 = free */
	uint64_t first_ms, last_ms;
	uint64_t count;
};

struct cs_dedup {
	struct entry *e;
	size_t sets;
	uint64_t window_ms;
	uint64_t evictions;
};

uint64_t cs_fingerprint(const uint8_t key[CS_FINGERPRINT_KEY_LEN], const char *family,
			const uint8_t *secret, size_t n)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	size_t flen = strlen(family) + 1;
	uint8_t *msg = malloc(flen + n);
	uint64_t fp = 0;

	if (!msg)
		return 0;
	memcpy(msg, family, flen);
	memcpy(msg + flen, secret, n);
	if (HMAC(EVP_sha256(), key, CS_FINGERPRINT_KEY_LEN, msg, flen + n, md, &mdlen) &&
	    mdlen >= 8)
		memcpy(&fp, md, sizeof(fp));
	OPENSSL_cleanse(msg, flen + n);
	free(msg);
	return fp;
}

struct cs_dedup *cs_dedup_new(size_t entries, uint64_t window_ms)
{
	struct cs_dedup *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (!entries)
		entries = CS_DEDUP_ENTRIES;
	d->sets = (entries + WAYS - 1) / WAYS;
	d->window_ms = window_ms;
	d->e = calloc(d->sets * WAYS, sizeof(*d->e));
	if (!d->e) {
		free(d);
		return NULL;
	}
	return d;
}

void cs_dedup_free(struct cs_dedup *d)
{
	if (!d)
		return;
	free(d->e);
	free(d);
}

uint64_t cs_dedup_evictions(const struct cs_dedup *d)
{
	return d->evictions;
}

/* FNV-1a over the tuple, finished with a 64-bit mixer; never 0. */
static uint64_t tuple_key(const char *pattern, enum cs_direction dir, const char *dest, uint64_t fp)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *s = pattern; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	h = (h ^ (0xff00u | (unsigned)dir)) * 0x100000001b3ull;
	for (const char *s = dest ? dest : ""; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	h ^= fp + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h ? h : 1;
}

bool cs_dedup_check(struct cs_dedup *d, const char *pattern, enum cs_direction dir,
		    const char *dest, uint64_t fingerprint, uint64_t now_ms, uint64_t *count)
{
	uint64_t key = tuple_key(pattern, dir, dest, fingerprint);
	struct entry *set = &d->e[(key % d->sets) * WAYS];
	struct entry *victim = &set[0];

	for (int i = 0; i < WAYS; i++) {
		struct entry *e = &set[i];

		if (e->key == key) {
			e->last_ms = now_ms;
			if (now_ms - e->first_ms < d->window_ms && now_ms >= e->first_ms) {
				e->count++;
				if (count)
					*count = e->count;
				return false;
			}
			e->first_ms = now_ms;
			e->count = 1;
			if (count)
				*count = 1;
			return true;
		}
		if (!e->key || (victim->key && e->last_ms < victim->last_ms))
			victim = e;
	}
	if (victim->key)
		d->evictions++;
	*victim = (struct entry){.key = key, .first_ms = now_ms, .last_ms = now_ms, .count = 1};
	if (count)
		*count = 1;
	return true;
}
