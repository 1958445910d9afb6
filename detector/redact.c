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
#include "utf8.h"

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
		size_t u = c >= 0x80 ? cs_utf8_len(p + i, n - i) : 0;

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

/*
 * Around a secret or a credential file, the neighbouring values are as
 * sensitive as the finding, whatever they look like: a creds.json holds
 * "data":"aGVsbG8=" next to the key that matched. For EXFIL rules, JSON
 * string values and key=value values longer than VALUE_SHOWN bytes are
 * masked in the context; keys, punctuation and the string holding the match
 * stay readable.
 */
#define VALUE_SHOWN 3
/* 2 x 40 context bytes hold at most ~14 masked values of >= 4 bytes plus delimiters. */
#define MAX_HIDDEN 32

struct hidden {
	size_t n;
	size_t from[MAX_HIDDEN], to[MAX_HIDDEN];
};

static void hide(struct hidden *h, const struct cs_match *m, size_t from, size_t to)
{
	/* The match is shown or redacted by its own rule, never here. */
	if (to - from <= VALUE_SHOWN || (from < m->end && to > m->start))
		return;
	if (h->n == MAX_HIDDEN) {
		/* Cannot happen with 40-byte contexts; stay safe: hide up to `to`. */
		h->to[h->n - 1] = to;
		return;
	}
	h->from[h->n] = from;
	h->to[h->n++] = to;
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool key_byte(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* A value after '=' ends at a separator, a quote or an escape (\n inside JSON). */
static bool value_end(uint8_t c)
{
	return is_space(c) || strchr("&;,\"'<>(){}[]\\", c) != NULL;
}

/* Does the JSON string closing at q name a key (q is followed by ':')? */
static bool is_key(const uint8_t *p, size_t q, size_t to)
{
	size_t i = q + 1;

	while (i < to && is_space(p[i]))
		i++;
	return i < to && p[i] == ':';
}

/*
 * A context cut on its left may start inside a string: assume so when the
 * first quote ends a string (':', ',', '}' or ']' follows) and does not open
 * one ('{', '[', ',' or ':' precedes). Decoded JSON holds real newlines
 * inside strings, so lines do not end them.
 */
static bool starts_in_string(const uint8_t *p, size_t from, size_t to)
{
	size_t i = from, q;

	while (i < to && p[i] != '"')
		i += p[i] == '\\' ? 2 : 1;
	if (i >= to)
		return false;
	q = i;
	if (q > from && strchr("{[,:", p[q - 1]))
		return false;
	for (i++; i < to && is_space(p[i]); i++)
		;
	return i < to && strchr(":,}]", p[i]) != NULL;
}

/* A key=value at p[eq] == '=': hide the value; returns where scanning resumes. */
static size_t kv_value(struct hidden *h, const struct cs_match *m, const uint8_t *p, size_t eq,
		       size_t from, size_t to)
{
	size_t j = eq + 1;

	if (eq == from || !key_byte(p[eq - 1]) || j >= to || p[j] == '=')
		return j;
	while (j < to && !value_end(p[j]))
		j++;
	hide(h, m, eq + 1, j);
	return j;
}

/* Find the values to hide in [from, to), the match included for quote parity. */
static void find_values(struct hidden *h, const struct cs_match *m, size_t from, size_t to,
			bool cut_left)
{
	const uint8_t *p = m->buf;
	bool in_str = cut_left && starts_in_string(p, from, to);
	size_t str = from;

	for (size_t i = from; i < to;) {
		uint8_t c = p[i];

		if (in_str && c == '\\') {
			i += 2;
		} else if (in_str && c == '"') {
			if (!is_key(p, i, to))
				hide(h, m, str, i);
			in_str = false;
			i++;
		} else if (c == '"') {
			in_str = true;
			str = ++i;
		} else if (c == '=') {
			i = kv_value(h, m, p, i, from, to);
		} else {
			i++;
		}
	}
	/* A string still open at the edge: its end is unseen, treat it as a value. */
	if (in_str)
		hide(h, m, str, to);
}

/* Context bytes [from, to): hidden values masked, the rest as put_masked shows it. */
static void put_context(struct out *o, const struct cs_match *m, const struct hidden *h,
			size_t from, size_t to, bool cut_left, bool cut_right)
{
	size_t i = from;

	for (size_t k = 0; k < h->n && i < to; k++) {
		size_t a = h->from[k] > i ? h->from[k] : i;
		size_t b = h->to[k] < to ? h->to[k] : to;

		if (a >= b)
			continue;
		put_masked(o, m->buf + i, a - i, cut_left && i == from, false);
		put_str(o, CS_REDACTED);
		i = b;
	}
	put_masked(o, m->buf + i, to - i, cut_left && i == from, cut_right);
}

static size_t before_from(const struct cs_match *m)
{
	return m->start > CS_SNIPPET_CONTEXT ? m->start - CS_SNIPPET_CONTEXT : 0;
}

static size_t after_to(const struct cs_match *m)
{
	size_t to = m->end + CS_SNIPPET_CONTEXT;

	return to < m->buf_len ? to : m->buf_len;
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
	struct hidden h = {0};
	size_t from = before_from(m), to = after_to(m);

	if (!outlen)
		return;
	out[0] = '\0';
	if (rule->threat == CS_THREAT_EXFIL)
		find_values(&h, m, from, to, from > 0);
	put_context(&o, m, &h, from, m->start, from > 0, false);
	if (rule->secret_group == CS_SECRET_NONE)
		put_shown_match(&o, m, rule->threat == CS_THREAT_INJECTION);
	else
		put_secret_match(&o, m, rule->keep_prefix);
	if (rule->redact_after) {
		if (rule->secret_group == CS_SECRET_NONE)
			put_str(&o, CS_REDACTED);
		return;
	}
	put_context(&o, m, &h, m->end, to, false, to < m->buf_len);
}
