/* SPDX-License-Identifier: MIT */
/*
 * registry.h - the pattern registry: the one rule table (patterns.c) and
 * its compiled form.
 *
 * Every rule is anchored on literals: each match of a rule's regex begins
 * with one of its literals. The scanner finds literal candidates with a
 * multi-literal prefilter and runs the JIT-compiled regex anchored at the
 * candidate, so a regex only ever runs where its rule can start.
 */
#ifndef CLAWSEC_REGISTRY_H
#define CLAWSEC_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Validators applied to the secret bytes before a match becomes a finding. */
enum {
	CS_VAL_ENTROPY = 1u << 0,    /* Shannon entropy >= rule's min_entropy */
	CS_VAL_ALLOWLIST = 1u << 1,  /* documented examples and placeholders */
	CS_VAL_PEM_B64 = 1u << 2,    /* base64 decodes to a private-key PEM header */
	CS_VAL_SNOWFLAKE = 1u << 3,  /* first dot-separated part is base64 of a numeric id */
	CS_VAL_GITHUB_CRC = 1u << 4, /* a wrong GitHub checksum lowers the severity */
};

/* Largest `lookback` a rule may ask for (the scanner keeps this much tail). */
#define CS_RULE_LOOKBACK_MAX 200u

/* The secret group of a rule whose matched text is not secret (paths, commands). */
#define CS_SECRET_NONE (-1)

struct cs_rule {
	const char *id;	    /* unique, e.g. "anthropic_api_key" */
	const char *family; /* the finding's `pattern` */
	enum cs_threat threat;
	enum cs_direction dir;
	enum cs_severity severity;
	const char *description;
	/*
	 * Every match starts with one of `literals`, unless lookback > 0: then
	 * the regex is searched from up to `lookback` bytes before the literal
	 * (for rules whose distinctive word comes last, like authorized_keys).
	 */
	const char *regex;
	unsigned lookback;
	/*
	 * Lookback rules only: how far past the literal's start a match may
	 * run (0: just past the literal, for rules that end with it). A rule
	 * whose distinctive word sits in the middle (an assignment x=curl, a
	 * spliced shell name before -c) sets it; lookback + reach <=
	 * CS_SCAN_MAX_MATCH.
	 */
	unsigned reach;
	const char *const *literals; /* NULL-terminated, each >= 3 bytes */
	/* Bytes that may follow a 3-byte literal ("A-Za-z0-9" style ranges). */
	const char *literal_next;
	int secret_group;     /* CS_SECRET_NONE, 0 = whole match, n = group */
	unsigned keep_prefix; /* secret bytes shown before "…[REDACTED]", <= 4 */
	bool redact_after;    /* hide everything after the match (PEM bodies) */
	unsigned validators;  /* CS_VAL_* */
	double min_entropy;   /* bits per byte, with CS_VAL_ENTROPY */
	/*
	 * Credentials: the provider whose hosts are this key's normal
	 * destination (credhome.h), NULL when it has none (a private key,
	 * a secret that is never sent).
	 */
	const char *home;
};

/* The rule table and family list, defined in patterns.c. */
extern const struct cs_rule cs_rules[];
extern const size_t cs_rules_count;
extern const char *const cs_families[];
extern const size_t cs_families_count;

struct cs_prefilter;

struct cs_registry {
	size_t n;		      /* enabled rules */
	const struct cs_rule **rules; /* [n] */
	pcre2_code **code;	      /* [n] */
	struct cs_prefilter *pf[2];   /* per direction */
	uint32_t max_groups;	      /* largest capture count + 1 */
	bool jit;		      /* every rule JIT-compiled (else the interpreter) */
};

/*
 * Compile every rule whose family is not in `disabled` (NULL-terminated,
 * may be NULL). NULL with a reason in err on an unknown family or a regex
 * that does not compile.
 */
struct cs_registry *cs_registry_new(const char *const *disabled, char *err, size_t errlen);
void cs_registry_free(struct cs_registry *r);
/* Index of a family id in cs_families, -1 when unknown. */
int cs_family_index(const char *id);

#endif
