// SPDX-License-Identifier: MIT
/*
 * registry.c - compile the rule table once: JIT for complete and partial
 * matching (the scanner asks for a partial match at the end of a chunk) and
 * the per-direction literal prefilters.
 */
#include "registry.h"
#include "errbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credhome.h"
#include "detector.h"
#include "prefilter.h"
#include "scanner.h"

size_t cs_family_count(void)
{
	return cs_families_count;
}

const char *cs_family_id(size_t i)
{
	return i < cs_families_count ? cs_families[i] : NULL;
}

int cs_family_index(const char *id)
{
	for (size_t i = 0; id && i < cs_families_count; i++)
		if (strcmp(cs_families[i], id) == 0)
			return (int)i;
	return -1;
}

bool cs_family_known(const char *id)
{
	return cs_family_index(id) >= 0;
}

static bool family_disabled(const char *family, const char *const *disabled)
{
	for (size_t i = 0; disabled && disabled[i]; i++)
		if (strcmp(disabled[i], family) == 0)
			return true;
	return false;
}

/* Expand "A-Za-z0-9" style ranges into a 256-entry membership table. */
static void class_table(const char *spec, bool out[256])
{
	memset(out, 0, 256 * sizeof(bool));
	for (const unsigned char *s = (const unsigned char *)spec; s && *s; s++) {
		if (s[1] == '-' && s[2]) {
			for (unsigned c = s[0]; c <= s[2]; c++)
				out[c] = true;
			s += 2;
		} else {
			out[*s] = true;
		}
	}
}

static int add_literal(struct cs_prefilter *pf, const struct cs_rule *rule, const char *lit,
		       uint32_t idx, char *err, size_t errlen)
{
	size_t len = strlen(lit);

	if (len >= CS_LITERAL_MIN) {
		if (cs_prefilter_add(pf, (const uint8_t *)lit, len, idx) == 0)
			return 0;
		cs_set_err(err, errlen, "rule %s: literal \"%s\" rejected", rule->id, lit);
		return -1;
	}
	if (len != CS_LITERAL_MIN - 1 || !rule->literal_next) {
		cs_set_err(err, errlen, "rule %s: literal \"%s\" too short", rule->id, lit);
		return -1;
	}
	/* A 3-byte literal becomes one 4-byte literal per allowed next byte. */
	bool next[256];
	uint8_t buf[CS_LITERAL_MIN];

	class_table(rule->literal_next, next);
	memcpy(buf, lit, len);
	for (unsigned c = 0; c < 256; c++) {
		if (!next[c])
			continue;
		buf[len] = (uint8_t)c;
		if (cs_prefilter_add(pf, buf, sizeof(buf), idx) != 0) {
			cs_set_err(err, errlen, "rule %s: too many literals", rule->id);
			return -1;
		}
	}
	return 0;
}

/* JIT where the platform allows it (CS_PCRE2_NO_JIT=1 forces the interpreter, for tests). */
static bool want_jit(void)
{
	const char *no = getenv("CS_PCRE2_NO_JIT");

	return !(no && *no == '1');
}

static pcre2_code *compile_rule(struct cs_registry *r, const struct cs_rule *rule, char *err,
				size_t errlen)
{
	int ec;
	PCRE2_SIZE off;
	/*
	 * Anchoring must be a compile option: pcre2_jit_match() ignores
	 * PCRE2_ANCHORED at match time and would search the whole subject.
	 * A lookback rule's match starts at most at its literal: the scanner
	 * says so with an offset limit, so a rule that reaches far past the
	 * literal is not retried from every byte up to its end.
	 */
	uint32_t opts = rule->lookback ? PCRE2_USE_OFFSET_LIMIT : PCRE2_ANCHORED;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)rule->regex, PCRE2_ZERO_TERMINATED, opts, &ec,
					 &off, NULL);

	if (!code) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		cs_set_err(err, errlen, "rule %s: regex error at %zu: %s", rule->id, (size_t)off,
			   (const char *)msg);
		return NULL;
	}
	/*
	 * Without JIT (no executable memory, an unsupported CPU) the rules still
	 * work through the interpreter, only slower: the registry records it.
	 */
	if (!want_jit() ||
	    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE | PCRE2_JIT_PARTIAL_HARD) != 0)
		r->jit = false;
	return code;
}

static int check_disabled(const char *const *disabled, char *err, size_t errlen)
{
	for (size_t i = 0; disabled && disabled[i]; i++) {
		if (!cs_family_known(disabled[i])) {
			cs_set_err(err, errlen, "unknown pattern family \"%s\"", disabled[i]);
			return -1;
		}
	}
	return 0;
}

static int add_rule(struct cs_registry *r, const struct cs_rule *rule, char *err, size_t errlen)
{
	uint32_t idx = (uint32_t)r->n;
	uint32_t groups = 0;

	r->code[idx] = compile_rule(r, rule, err, errlen);
	if (!r->code[idx])
		return -1;
	r->rules[idx] = rule;
	r->n++;
	pcre2_pattern_info(r->code[idx], PCRE2_INFO_CAPTURECOUNT, &groups);
	if (groups + 1 > r->max_groups)
		r->max_groups = groups + 1;
	if (rule->secret_group > (int)groups || !rule->literals || !rule->literals[0] ||
	    rule->lookback > CS_RULE_LOOKBACK_MAX || rule->keep_prefix > 4 ||
	    (rule->reach && !rule->lookback) || rule->lookback + rule->reach > CS_SCAN_MAX_MATCH ||
	    (rule->home && !cs_home_known(rule->home))) {
		cs_set_err(err, errlen,
			   "rule %s: bad secret group, literal, lookback, reach, prefix or home",
			   rule->id);
		return -1;
	}
	for (size_t i = 0; rule->literals[i]; i++)
		if (add_literal(r->pf[rule->dir], rule, rule->literals[i], idx, err, errlen))
			return -1;
	return 0;
}

struct cs_registry *cs_registry_new(const char *const *disabled, char *err, size_t errlen)
{
	if (check_disabled(disabled, err, errlen))
		return NULL;
	struct cs_registry *r = calloc(1, sizeof(*r));

	if (!r)
		goto oom;
	r->rules = calloc(cs_rules_count, sizeof(*r->rules));
	r->code = calloc(cs_rules_count, sizeof(*r->code));
	r->pf[CS_DIR_OUTBOUND] = cs_prefilter_new();
	r->pf[CS_DIR_INBOUND] = cs_prefilter_new();
	if (!r->rules || !r->code || !r->pf[0] || !r->pf[1])
		goto oom;
	r->max_groups = 1;
	r->jit = true;
	for (size_t i = 0; i < cs_rules_count; i++) {
		if (family_disabled(cs_rules[i].family, disabled))
			continue;
		if (add_rule(r, &cs_rules[i], err, errlen)) {
			cs_registry_free(r);
			return NULL;
		}
	}
	return r;
oom:
	cs_registry_free(r);
	cs_set_err(err, errlen, "out of memory building the pattern registry");
	return NULL;
}

void cs_registry_free(struct cs_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->code && i < r->n; i++)
		pcre2_code_free(r->code[i]);
	free(r->code);
	free(r->rules);
	cs_prefilter_free(r->pf[0]);
	cs_prefilter_free(r->pf[1]);
	free(r);
}
