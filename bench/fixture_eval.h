/* SPDX-License-Identifier: MIT */
/*
 * fixture_eval.h - run the credential fixtures of
 * bench/gen-credential-fixtures.js through the whole detector and count,
 * per group, what was found. Shared by the benchmark (bench_fixtures.c,
 * which prints the table) and the unit test (test_fixture_recall.c, which
 * asserts the goals): both judge the same set the same way.
 *
 * A true-positive fixture is found when a finding of its family is
 * reported for its request at high or critical (the collector is no
 * provider's host, so nothing lowers it); a low-confidence one (a GitHub
 * token with a wrong checksum) when its family's highest finding is
 * medium; a negative is a false positive when any credential (EXFIL)
 * finding is. Every finding's snippet is searched for
 * the raw secret: a leak is counted apart and fails the goals.
 */
#ifndef CS_BENCH_FIXTURE_EVAL_H
#define CS_BENCH_FIXTURE_EVAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector.h"

#define FX_MAX_GROUPS 96
#define FX_NAME 48
/* Bytes of a secret that must not appear together in any output. */
#define FX_LEAK_WINDOW 10

struct fx_rec {
	char kind[4]; /* "tp", "lc" or "fp" */
	char group[FX_NAME], family[FX_NAME], cls[8];
	const uint8_t *secret, *req;
	size_t secret_len, req_len;
};

struct fx_group {
	char name[FX_NAME], family[FX_NAME], cls[8];
	bool negative;
	unsigned n, found, leaks;
	unsigned sev[4]; /* per fixture: the highest severity of its family reported */
};

struct fx_tally {
	struct fx_group g[FX_MAX_GROUPS];
	size_t n;
	unsigned tp, tp_found, fp, fp_found, leaks;
};

/* The fixture being judged, and what its findings said. */
struct fx_state {
	const struct fx_rec *rec;
	bool found, leaked;
	int best_sev;
	FILE *verbose;
};

/* Next fixture at *off: 1 read, 0 at the end, -1 on a malformed file. */
static inline int fx_next(const uint8_t *buf, size_t len, size_t *off, struct fx_rec *r)
{
	const uint8_t *nl;
	char line[256];
	size_t sl, rl;

	if (*off == 0) {
		if (len < 8 || memcmp(buf, "CSFIXT1\n", 8) != 0)
			return -1;
		*off = 8;
	}
	if (*off >= len)
		return 0;
	nl = memchr(buf + *off, '\n', len - *off);
	if (!nl || (size_t)(nl - (buf + *off)) >= sizeof(line))
		return -1;
	memcpy(line, buf + *off, (size_t)(nl - (buf + *off)));
	line[nl - (buf + *off)] = '\0';
	if (sscanf(line, "%3s %47s %47s %7s %zu %zu", r->kind, r->group, r->family, r->cls, &sl,
		   &rl) != 6)
		return -1;
	*off = (size_t)(nl - buf) + 1;
	if (sl > len - *off || rl > len - *off - sl)
		return -1;
	r->secret = buf + *off;
	r->secret_len = sl;
	r->req = buf + *off + sl;
	r->req_len = rl;
	*off += sl + rl;
	return 1;
}

/* True when FX_LEAK_WINDOW consecutive secret bytes past its first 4 appear in s. */
static inline bool fx_leaks(const char *s, const uint8_t *secret, size_t n)
{
	for (size_t i = 4; i + FX_LEAK_WINDOW <= n; i++)
		if (memmem(s, strlen(s), secret + i, FX_LEAK_WINDOW))
			return true;
	return false;
}

static inline void fx_on_finding(void *ctx, const struct cs_finding *f)
{
	struct fx_state *st = ctx;
	const struct fx_rec *r = st->rec;
	bool neg = strcmp(r->kind, "fp") == 0;

	if (fx_leaks(f->snippet, r->secret, r->secret_len))
		st->leaked = true;
	if (neg ? f->threat != CS_THREAT_EXFIL : strcmp(f->pattern, r->family) != 0)
		return;
	if ((int)f->severity > st->best_sev)
		st->best_sev = (int)f->severity;
	if (st->verbose && neg)
		fprintf(st->verbose, "false positive (%s) %s/%s: %s\n", r->group, f->pattern,
			f->rule, f->snippet);
}

/* Whether the fixture's findings are what its kind asks for (see above). */
static inline bool fx_found(const struct fx_state *st)
{
	if (strcmp(st->rec->kind, "tp") == 0)
		return st->best_sev >= (int)CS_SEV_HIGH;
	if (strcmp(st->rec->kind, "lc") == 0)
		return st->best_sev == (int)CS_SEV_MEDIUM;
	return st->best_sev >= 0;
}

static inline struct fx_group *fx_group(struct fx_tally *t, const struct fx_rec *r)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->g[i].name, r->group) == 0)
			return &t->g[i];
	if (t->n == FX_MAX_GROUPS)
		return NULL;
	struct fx_group *g = &t->g[t->n++];

	snprintf(g->name, sizeof(g->name), "%s", r->group);
	snprintf(g->family, sizeof(g->family), "%s", r->family);
	snprintf(g->cls, sizeof(g->cls), "%s", r->cls);
	g->negative = strcmp(r->kind, "fp") == 0;
	return g;
}

/* Feed one fixture's request on a fresh flow whose dest is its Host. */
static inline int fx_judge(struct cs_detector *d, struct fx_state *st)
{
	struct cs_flow_info info = {"node/4242", "unknown:0", "https", CS_FORMAT_HTTP};
	struct cs_flow *f = cs_flow_new(d, &info);

	if (!f || cs_flow_dest_from_host(f) < 0) {
		cs_flow_close(f);
		return -1;
	}
	cs_flow_feed(f, CS_DIR_OUTBOUND, st->rec->req, st->rec->req_len);
	cs_flow_close(f);
	return 0;
}

static inline void fx_count(struct fx_tally *t, struct fx_group *g, const struct fx_state *st)
{
	g->n++;
	if (st->leaked) {
		g->leaks++;
		t->leaks++;
	}
	if (g->negative) {
		t->fp++;
		t->fp_found += st->found;
	} else {
		t->tp++;
		t->tp_found += st->found;
	}
	g->found += st->found;
	if (st->best_sev >= 0)
		g->sev[st->best_sev]++;
}

/*
 * Judge every fixture in buf; 0, or -1 on a malformed file or out of
 * memory. verbose (may be NULL) gets every miss and false positive.
 */
static inline int fx_evaluate(const uint8_t *buf, size_t len, struct fx_tally *t, FILE *verbose)
{
	static const uint8_t key[32] = "clawsec-fixture-fingerprint-key!";
	struct cs_detector_config cfg = {.dedup_window_ms = 0, .fingerprint_key = key};
	struct fx_state st = {.verbose = verbose};
	struct fx_rec r;
	size_t off = 0;
	char err[256];
	int rc;
	struct cs_detector *d = cs_detector_new(&cfg, fx_on_finding, &st, err, sizeof(err));

	if (!d) {
		fprintf(stderr, "fixtures: %s\n", err);
		return -1;
	}
	memset(t, 0, sizeof(*t));
	while ((rc = fx_next(buf, len, &off, &r)) == 1) {
		struct fx_group *g = fx_group(t, &r);

		st.rec = &r;
		st.found = st.leaked = false;
		st.best_sev = -1;
		if (!g || fx_judge(d, &st) < 0) {
			rc = -1;
			break;
		}
		st.found = fx_found(&st);
		fx_count(t, g, &st);
		if (verbose && !g->negative && !st.found)
			fprintf(verbose, "missed (%s): %.*s\n", r.group, (int)r.req_len, r.req);
	}
	cs_detector_free(d);
	return rc;
}

/* The goal of a group: every AI/AWS/PEM key, >= 90% of the others, no negative. */
static inline bool fx_group_meets_goal(const struct fx_group *g)
{
	if (g->leaks)
		return false;
	if (g->negative)
		return g->found == 0;
	if (strcmp(g->cls, "other") == 0)
		return g->found * 10 >= g->n * 9;
	return g->found == g->n;
}

static inline double fx_pct(unsigned a, unsigned b)
{
	return b ? 100.0 * a / b : 0;
}

#endif
