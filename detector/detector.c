// SPDX-License-Identifier: MIT
/*
 * detector.c - the detector object and the one path from a scanner match
 * to a finding: validators -> redaction -> fingerprint -> dedup -> callback.
 */
#include "detector.h"
#include "errbuf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "context.h"
#include "dedup.h"
#include "credhome.h"
#include "detector_internal.h"
#include "redact.h"
#include "registry.h"
#include "validators.h"

struct cs_detector {
	struct cs_registry *reg;
	cs_finding_fn fn;
	void *ctx;
	size_t max_scan_bytes;
	unsigned base64_depth;
	uint64_t dedup_window_ms;
	struct cs_dedup *dedup; /* NULL when every finding is reported */
	struct cs_dest_policy *policy;
	int severity[64]; /* per family: override, or -1 */
	uint8_t key[CS_FINGERPRINT_KEY_LEN];
	struct cs_detector_stats stats;
	pthread_mutex_t lock; /* findings may be reported from several threads */
};

/* Limits, overrides and the fingerprint key; -1 with a reason for a bad config. */
static int apply_config(struct cs_detector *d, const struct cs_detector_config *cfg, char *err,
			size_t errlen)
{
	d->max_scan_bytes = cfg->max_scan_bytes ? cfg->max_scan_bytes : CS_MAX_SCAN_BYTES_DEFAULT;
	if (d->max_scan_bytes > CS_MAX_SCAN_BYTES_HARD) {
		cs_set_err(err, errlen, "max_scan_bytes %zu exceeds the hard limit %u",
			   cfg->max_scan_bytes, CS_MAX_SCAN_BYTES_HARD);
		return -1;
	}
	d->base64_depth = cfg->base64_depth ? cfg->base64_depth : CS_BASE64_DEPTH_DEFAULT;
	if (d->base64_depth > CS_BASE64_DEPTH_MAX) {
		cs_set_err(err, errlen, "base64_depth %u exceeds %u", cfg->base64_depth,
			   CS_BASE64_DEPTH_MAX);
		return -1;
	}
	d->dedup_window_ms = cfg->dedup_window_ms;
	for (size_t i = 0; i < sizeof(d->severity) / sizeof(d->severity[0]); i++)
		d->severity[i] = -1;
	for (size_t i = 0; i < cfg->n_overrides; i++) {
		const struct cs_severity_override *o = &cfg->overrides[i];
		int fam = cs_family_index(o->family);

		if (fam < 0 || o->severity < CS_SEV_LOW || o->severity > CS_SEV_CRITICAL) {
			cs_set_err(err, errlen,
				   "severity override: unknown family \"%s\" or bad severity",
				   o->family ? o->family : "(null)");
			return -1;
		}
		d->severity[fam] = (int)o->severity;
	}
	if (cfg->fingerprint_key) {
		memcpy(d->key, cfg->fingerprint_key, sizeof(d->key));
	} else if (RAND_bytes(d->key, sizeof(d->key)) != 1) {
		cs_set_err(err, errlen, "no randomness for the fingerprint key");
		return -1;
	}
	return 0;
}

struct cs_detector *cs_detector_new(const struct cs_detector_config *cfg, cs_finding_fn fn,
				    void *ctx, char *err, size_t errlen)
{
	static const struct cs_detector_config defaults = {
		.dedup_window_ms = CS_DEDUP_WINDOW_DEFAULT_MS,
	};
	struct cs_detector *d;

	if (!cfg)
		cfg = &defaults;
	if (cs_families_count > sizeof(d->severity) / sizeof(d->severity[0])) {
		cs_set_err(err, errlen, "too many pattern families");
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		cs_set_err(err, errlen, "out of memory");
		return NULL;
	}
	d->fn = fn;
	d->ctx = ctx;
	pthread_mutex_init(&d->lock, NULL);
	if (apply_config(d, cfg, err, errlen))
		goto fail;
	d->reg = cs_registry_new(cfg->disabled, err, errlen);
	if (!d->reg)
		goto fail;
	d->policy = cs_dest_policy_new(
		cfg->home_hosts, cfg->n_home_hosts,
		cfg->strict_origins_set ? cfg->strict_origins : CS_STRICT_DEFAULT, err, errlen);
	if (!d->policy)
		goto fail;
	if (d->dedup_window_ms) {
		d->dedup = cs_dedup_new(0, d->dedup_window_ms);
		if (!d->dedup) {
			cs_set_err(err, errlen, "out of memory");
			goto fail;
		}
	}
	return d;
fail:
	cs_detector_free(d);
	return NULL;
}

void cs_detector_free(struct cs_detector *d)
{
	if (!d)
		return;
	cs_registry_free(d->reg);
	cs_dedup_free(d->dedup);
	cs_dest_policy_free(d->policy);
	pthread_mutex_destroy(&d->lock);
	OPENSSL_cleanse(d->key, sizeof(d->key));
	free(d);
}

void cs_detector_get_stats(const struct cs_detector *d, struct cs_detector_stats *out)
{
	pthread_mutex_lock((pthread_mutex_t *)&d->lock);
	*out = d->stats;
	pthread_mutex_unlock((pthread_mutex_t *)&d->lock);
}

const struct cs_registry *cs_detector_registry(const struct cs_detector *d)
{
	return d->reg;
}

size_t cs_detector_max_scan_bytes(const struct cs_detector *d)
{
	return d->max_scan_bytes;
}

unsigned cs_detector_base64_depth(const struct cs_detector *d)
{
	return d->base64_depth;
}

struct cs_detector_stats *cs_detector_stats_mut(struct cs_detector *d)
{
	return &d->stats;
}

static void copy_str(char *dst, size_t cap, const char *src, const char *fallback)
{
	snprintf(dst, cap, "%s", src && *src ? src : fallback);
}

static void build_finding(struct cs_detector *d, const struct cs_flow_meta *meta,
			  enum cs_direction dir, const struct cs_match *m, struct cs_finding *f)
{
	const struct cs_rule *rule = m->rule;
	int fam = cs_family_index(rule->family);

	memset(f, 0, sizeof(*f));
	f->direction = dir;
	f->threat = rule->threat;
	/* An operator's override is the family's severity everywhere; else the context ranks it. */
	if (fam >= 0 && d->severity[fam] >= 0) {
		f->severity = (enum cs_severity)d->severity[fam];
	} else {
		f->severity = cs_context_severity(d->policy, meta, dir, m, rule->severity);
		/* A key no real one looks like (a wrong checksum) is reported, at most medium. */
		if (f->severity > CS_SEV_MEDIUM &&
		    cs_validate_demotes(rule, m->buf + m->secret_start,
					m->secret_end - m->secret_start))
			f->severity = CS_SEV_MEDIUM;
	}
	copy_str(f->protocol, sizeof(f->protocol), meta ? meta->protocol : NULL, "tcp");
	copy_str(f->pattern, sizeof(f->pattern), rule->family, "unknown");
	copy_str(f->rule, sizeof(f->rule), rule->id, "unknown");
	copy_str(f->source, sizeof(f->source), meta ? meta->source : NULL, "unknown");
	copy_str(f->dest, sizeof(f->dest), meta ? meta->dest : NULL, "unknown");
	cs_redact_snippet(m, f->snippet, sizeof(f->snippet));
	f->timestamp_ms = cs_now_ms();
	f->fingerprint = cs_fingerprint(d->key, rule->family, m->buf + m->secret_start,
					m->secret_end - m->secret_start);
}

/* A closed dedup window with repeats: its summary goes out like a finding (lock held). */
static void emit_fold(void *ctx, const struct cs_finding *summary)
{
	struct cs_detector *d = ctx;

	d->stats.fold_summaries++;
	if (d->fn)
		d->fn(d->ctx, summary);
}

void cs_detector_sweep_folds(struct cs_detector *d, bool all)
{
	if (!d || !d->dedup)
		return;
	pthread_mutex_lock(&d->lock);
	cs_dedup_sweep(d->dedup, all ? UINT64_MAX : cs_now_ms(), emit_fold, d);
	pthread_mutex_unlock(&d->lock);
}

void cs_detector_report(struct cs_detector *d, const struct cs_flow_meta *meta,
			enum cs_direction dir, const struct cs_match *m)
{
	struct cs_finding f;

	if (!cs_validate(m->rule, m->buf + m->secret_start, m->secret_end - m->secret_start))
		return;
	build_finding(d, meta, dir, m, &f);
	/*
	 * The same key can be a low record (its provider's auth header) and a
	 * critical one (pasted in a body to that host) within one window: the
	 * severity is part of what is folded, so the low one never hides the other.
	 */
	f.fingerprint ^= (uint64_t)f.severity * 0x9e3779b97f4a7c15ull;
	pthread_mutex_lock(&d->lock);
	if (d->dedup && !cs_dedup_finding(d->dedup, &f, emit_fold, d)) {
		d->stats.findings_suppressed++;
		pthread_mutex_unlock(&d->lock);
		return;
	}
	d->stats.findings++;
	if (d->fn)
		d->fn(d->ctx, &f);
	pthread_mutex_unlock(&d->lock);
}
