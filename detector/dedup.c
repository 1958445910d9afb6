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

/* The fields a summary repeats; set when the entry came from a finding. */
struct about {
	bool set;
	enum cs_direction direction;
	enum cs_threat threat;
	enum cs_severity severity;
	char protocol[sizeof(((struct cs_finding *)0)->protocol)];
	char pattern[sizeof(((struct cs_finding *)0)->pattern)];
	char source[sizeof(((struct cs_finding *)0)->source)];
	char dest[sizeof(((struct cs_finding *)0)->dest)];
};

struct entry {
	uint64_t key; /* 0 = free */
	uint64_t first_ms, last_ms;
	uint64_t count;
	struct about about;
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

/* The summary of an entry's folded repeats, if it has any and knows its fields. */
static void summarise(const struct cs_dedup *d, const struct entry *e, uint64_t now_ms,
		      cs_fold_fn emit, void *ctx)
{
	struct cs_finding f;

	if (e->count < 2 || !e->about.set || !emit)
		return;
	memset(&f, 0, sizeof(f));
	f.direction = e->about.direction;
	f.threat = e->about.threat;
	f.severity = e->about.severity;
	memcpy(f.protocol, e->about.protocol, sizeof(f.protocol));
	memcpy(f.pattern, e->about.pattern, sizeof(f.pattern));
	memcpy(f.source, e->about.source, sizeof(f.source));
	memcpy(f.dest, e->about.dest, sizeof(f.dest));
	f.timestamp_ms = now_ms;
	f.folded = e->count - 1;
	f.fold_first_ms = e->first_ms;
	f.fold_last_ms = e->last_ms;
	f.fold_window_ms = d->window_ms;
	emit(ctx, &f);
}

static void remember(struct about *a, const struct cs_finding *f)
{
	if (!f) {
		a->set = false;
		return;
	}
	a->set = true;
	a->direction = f->direction;
	a->threat = f->threat;
	a->severity = f->severity;
	memcpy(a->protocol, f->protocol, sizeof(a->protocol));
	memcpy(a->pattern, f->pattern, sizeof(a->pattern));
	memcpy(a->source, f->source, sizeof(a->source));
	memcpy(a->dest, f->dest, sizeof(a->dest));
}

static void restart(struct entry *e, uint64_t key, uint64_t now_ms, const struct cs_finding *f)
{
	e->key = key;
	e->first_ms = e->last_ms = now_ms;
	e->count = 1;
	remember(&e->about, f);
}

/* The common path: f (may be NULL) supplies the fields a summary needs. */
static bool check(struct cs_dedup *d, uint64_t key, uint64_t now_ms, const struct cs_finding *f,
		  uint64_t *count, cs_fold_fn emit, void *ctx)
{
	struct entry *set = &d->e[(key % d->sets) * WAYS];
	struct entry *victim = &set[0];

	if (count)
		*count = 1;
	for (int i = 0; i < WAYS; i++) {
		struct entry *e = &set[i];

		if (e->key == key) {
			if (now_ms - e->first_ms < d->window_ms && now_ms >= e->first_ms) {
				e->last_ms = now_ms;
				e->count++;
				if (count)
					*count = e->count;
				return false;
			}
			summarise(d, e, now_ms, emit, ctx);
			restart(e, key, now_ms, f);
			return true;
		}
		if (!e->key || (victim->key && e->last_ms < victim->last_ms))
			victim = e;
	}
	if (victim->key) {
		d->evictions++;
		summarise(d, victim, now_ms, emit, ctx);
	}
	restart(victim, key, now_ms, f);
	return true;
}

bool cs_dedup_check(struct cs_dedup *d, const char *pattern, enum cs_direction dir,
		    const char *dest, uint64_t fingerprint, uint64_t now_ms, uint64_t *count)
{
	return check(d, tuple_key(pattern, dir, dest, fingerprint), now_ms, NULL, count, NULL,
		     NULL);
}

bool cs_dedup_finding(struct cs_dedup *d, const struct cs_finding *f, cs_fold_fn emit, void *ctx)
{
	uint64_t key = tuple_key(f->pattern, f->direction, f->dest, f->fingerprint);

	return check(d, key, f->timestamp_ms, f, NULL, emit, ctx);
}

size_t cs_dedup_sweep(struct cs_dedup *d, uint64_t now_ms, cs_fold_fn emit, void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < d->sets * WAYS; i++) {
		struct entry *e = &d->e[i];

		if (!e->key || (now_ms != UINT64_MAX && now_ms - e->first_ms < d->window_ms &&
				now_ms >= e->first_ms))
			continue;
		if (e->count > 1 && e->about.set) {
			summarise(d, e, now_ms == UINT64_MAX ? cs_now_ms() : now_ms, emit, ctx);
			n++;
		}
		memset(e, 0, sizeof(*e));
	}
	return n;
}
