// SPDX-License-Identifier: MIT
/*
 * redact.c - snippet construction. Output is written in whole units (an
 * escape, a UTF-8 sequence, a marker), so truncation at the end of the
 * buffer never splits one; truncation only ever drops information.
 */
#include "redact.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "registry.h"

#define ELLIPSIS "\xe2\x80\xa6"

struct out {
	char *p;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->len + n + 1 > o->cap) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Length of a valid UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates), or 0. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t len;
	uint32_t min;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	uint32_t cp = c & (0x7f >> len);

	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Copy bytes as text: printable ASCII and valid UTF-8 as is, the rest escaped. */
static void put_text(struct out *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n && !o->full;) {
		uint8_t c = p[i];
		char esc[8];

		if (c >= 0x20 && c < 0x7f) {
			put(o, (const char *)&p[i++], 1);
			continue;
		}
		size_t u = c >= 0x80 ? utf8_len(p + i, n - i) : 0;

		if (u) {
			put(o, (const char *)p + i, u);
			i += u;
			continue;
		}
		if (c == '\n')
			put_str(o, "\\n");
		else if (c == '\r')
			put_str(o, "\\r");
		else if (c == '\t')
			put_str(o, "\\t");
		else {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			put_str(o, esc);
		}
		i++;
	}
}

static bool token_byte(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '+' || c == '/' || c == '=';
}

/* Does this run of token bytes look like a credential (long, and not plain lowercase words)? */
static bool credential_like(const uint8_t *p, size_t n, bool at_cut)
{
	bool digit = false, upper = false, lower = false;

	if (n < (at_cut ? 8u : 20u))
		return false;
	for (size_t i = 0; i < n; i++) {
		digit |= p[i] >= '0' && p[i] <= '9';
		upper |= p[i] >= 'A' && p[i] <= 'Z';
		lower |= p[i] >= 'a' && p[i] <= 'z';
	}
	return digit || (upper && lower);
}

/*
 * Context text: runs that look like credentials (another key next to the
 * one found) are masked. cut_left/cut_right say the run at that edge may
 * continue outside the shown bytes, so a shorter run is enough to mask.
 */
static void put_masked(struct out *o, const uint8_t *p, size_t n, bool cut_left, bool cut_right)
{
	size_t i = 0;

	while (i < n && !o->full) {
		size_t j = i;

		while (j < n && token_byte(p[j]))
			j++;
		if (j > i) {
			bool at_cut = (i == 0 && cut_left) || (j == n && cut_right);

			if (credential_like(p + i, j - i, at_cut))
				put_str(o, CS_REDACTED);
			else
				put_text(o, p + i, j - i);
			i = j;
			continue;
		}
		while (j < n && !token_byte(p[j]))
			j++;
		put_text(o, p + i, j - i);
		i = j;
	}
}

static void put_before(struct out *o, const struct cs_match *m)
{
	size_t from = m->start > CS_SNIPPET_CONTEXT ? m->start - CS_SNIPPET_CONTEXT : 0;

	put_masked(o, m->buf + from, m->start - from, from > 0, false);
}

static void put_after(struct out *o, const struct cs_match *m)
{
	size_t to = m->end + CS_SNIPPET_CONTEXT;

	if (to > m->buf_len)
		to = m->buf_len;
	put_masked(o, m->buf + m->end, to - m->end, false, to < m->buf_len);
}

/* A path or command: shown (commands masked), at most CS_SNIPPET_MATCH_MAX bytes. */
static void put_shown_match(struct out *o, const struct cs_match *m, bool mask)
{
	size_t n = m->end - m->start;
	bool cut = n > CS_SNIPPET_MATCH_MAX;

	if (cut)
		n = CS_SNIPPET_MATCH_MAX;
	if (mask)
		put_masked(o, m->buf + m->start, n, false, cut);
	else
		put_text(o, m->buf + m->start, n);
	if (cut)
		put_str(o, ELLIPSIS);
}

static void put_secret_match(struct out *o, const struct cs_match *m, unsigned keep)
{
	size_t slen = m->secret_end - m->secret_start;

	/* Never show more than a quarter of a secret, whatever the rule says. */
	if (keep > 4)
		keep = 4;
	if (keep > slen / 4)
		keep = (unsigned)(slen / 4);
	put_masked(o, m->buf + m->start, m->secret_start - m->start, false, false);
	if (keep) {
		put_text(o, m->buf + m->secret_start, keep);
		put_str(o, ELLIPSIS);
	}
	put_str(o, CS_REDACTED);
	put_masked(o, m->buf + m->secret_end, m->end - m->secret_end, false, false);
}

void cs_redact_snippet(const struct cs_match *m, char *out, size_t outlen)
{
	const struct cs_rule *rule = m->rule;
	struct out o = {.p = out, .cap = outlen};

	if (!outlen)
		return;
	out[0] = '\0';
	put_before(&o, m);
	if (rule->secret_group == CS_SECRET_NONE)
		put_shown_match(&o, m, rule->threat == CS_THREAT_INJECTION);
	else
		put_secret_match(&o, m, rule->keep_prefix);
	if (rule->redact_after) {
		if (rule->secret_group == CS_SECRET_NONE)
			put_str(&o, CS_REDACTED);
		return;
	}
	put_after(&o, m);
}
