// SPDX-License-Identifier: MIT
/*
 * scanner.c - streaming scan of one decoded text part.
 *
 * Bytes are appended to a window made of the kept tail of the previous
 * data and at most CS_SCAN_PIECE new bytes. In the window the prefilter
 * finds literal candidates and each candidate's rule runs there (anchored at
 * the literal, or from `lookback` bytes before it; JIT-compiled unless the
 * platform refuses JIT). A match that reaches the end of the window is asked for
 * as a PCRE2 partial match: when it could still grow, the candidate is kept
 * in the tail and retried once more bytes arrive (or the part ends). Each
 * rule remembers where its last reported match ended, so a match is
 * reported once no matter how many windows see it.
 */
#include "scanner.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "prefilter.h"
#include "registry.h"

/* New bytes scanned per window; the window buffer is this plus the tail. */
#define CS_SCAN_PIECE (16u << 10)
/*
 * While a candidate waits for more bytes, rescan only once this many new
 * bytes arrived: tiny chunks (SSE deltas) then cost amortised, not
 * quadratic, time.
 */
#define CS_SCAN_RESCAN_MIN 256u
/* Bytes kept before the first unfinished candidate: lookback or snippet context. */
#define CS_SCAN_BACK (CS_RULE_LOOKBACK_MAX + CS_SNIPPET_CONTEXT)
/* Bytes a lookback rule may look at past the end of its longest literal. */
#define CS_SCAN_LOOKBACK_SLACK 16u
#define CS_SCAN_TAIL_MAX (CS_SCAN_MAX_MATCH + CS_SCAN_BACK + CS_LITERAL_MAX)
#define CS_SCAN_CAP (CS_SCAN_TAIL_MAX + CS_SCAN_PIECE)
/*
 * The window starts small and grows to CS_SCAN_CAP only for a flow that
 * feeds big chunks: most scanners (idle base64 lanes, small requests) stay
 * at a few KiB. It must hold the largest tail plus a rescan step.
 */
#define CS_SCAN_MIN_CAP 4096u
_Static_assert(CS_SCAN_MIN_CAP > CS_SCAN_TAIL_MAX + CS_SCAN_RESCAN_MIN, "window too small");

struct cs_scanner {
	const struct cs_registry *reg;
	const struct cs_prefilter *pf;
	cs_match_fn fn;
	void *ctx;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	uint64_t limit_hits;

	uint8_t *buf; /* cap bytes, plus 4 readable zero bytes past len */
	size_t cap;
	size_t len;
	uint64_t base;	  /* stream offset of buf[0] */
	uint64_t next;	  /* stream offset of the first candidate not yet settled */
	uint64_t scanned; /* stream offset of the window end at the last scan */
	bool pending;	  /* the last scan left a candidate waiting for more bytes */
	uint64_t *done;	  /* per rule: stream offset where its last match ended */
	bool *waiting;	  /* per rule: has a partial candidate in this window */
};

struct cs_scanner *cs_scanner_new(const struct cs_registry *reg, enum cs_direction dir,
				  cs_match_fn fn, void *ctx)
{
	struct cs_scanner *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->reg = reg;
	s->pf = reg->pf[dir];
	s->fn = fn;
	s->ctx = ctx;
	s->md = pcre2_match_data_create(reg->max_groups, NULL);
	s->mctx = pcre2_match_context_create(NULL);
	/* +4: reading a 4-byte window at the last positions stays in bounds. */
	s->cap = CS_SCAN_MIN_CAP;
	s->buf = malloc(s->cap + 4);
	s->done = calloc(reg->n ? reg->n : 1, sizeof(*s->done));
	s->waiting = calloc(reg->n ? reg->n : 1, sizeof(*s->waiting));
	if (!s->md || !s->mctx || !s->buf || !s->done || !s->waiting) {
		cs_scanner_free(s);
		return NULL;
	}
	/* Bounded patterns need far less; these only stop a pathological case. */
	pcre2_set_match_limit(s->mctx, 200000);
	pcre2_set_depth_limit(s->mctx, 2000);
	return s;
}

void cs_scanner_free(struct cs_scanner *s)
{
	if (!s)
		return;
	pcre2_match_data_free(s->md);
	pcre2_match_context_free(s->mctx);
	free(s->buf);
	free(s->done);
	free(s->waiting);
	free(s);
}

uint64_t cs_scanner_limit_hits(const struct cs_scanner *s)
{
	return s->limit_hits;
}

size_t cs_scanner_buffered(const struct cs_scanner *s)
{
	return s->len;
}

static void emit(struct cs_scanner *s, size_t ri, size_t start, size_t end)
{
	const struct cs_rule *rule = s->reg->rules[ri];
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
	struct cs_match m = {
		.rule = rule,
		.buf = s->buf,
		.buf_len = s->len,
		.start = start,
		.end = end,
		.secret_start = start,
		.secret_end = end,
	};

	if (rule->secret_group > 0 && ov[2 * rule->secret_group] != PCRE2_UNSET) {
		m.secret_start = ov[2 * rule->secret_group];
		m.secret_end = ov[2 * rule->secret_group + 1];
	}
	s->done[ri] = s->base + end;
	s->fn(s->ctx, &m);
}

enum attempt { ATT_NONE, ATT_MATCH, ATT_PARTIAL };

/*
 * Run rule ri for the literal at pos. Anchored rules (compiled anchored)
 * start at the literal and may run CS_SCAN_MAX_MATCH bytes; lookback rules
 * search from `lookback` bytes before it to just past it (they end with
 * their literal), or to `reach` bytes past it.
 */
static enum attempt attempt(struct cs_scanner *s, size_t ri, size_t pos, bool final)
{
	const struct cs_rule *rule = s->reg->rules[ri];
	size_t from = pos, end = pos + CS_SCAN_MAX_MATCH;
	uint32_t opts = 0;

	if (rule->lookback) {
		from = pos > rule->lookback ? pos - rule->lookback : 0;
		end = pos + (rule->reach ? rule->reach : CS_LITERAL_MAX + CS_SCAN_LOOKBACK_SLACK);
		if (s->base + from < s->done[ri])
			from = (size_t)(s->done[ri] - s->base);
	}
	if (end > s->len)
		end = s->len;
	if (!final && end == s->len)
		opts |= PCRE2_PARTIAL_HARD;
	/* A lookback match starts at or before its literal (registry.c). */
	pcre2_set_offset_limit(s->mctx, rule->lookback ? pos : PCRE2_UNSET);
	int rc =
		s->reg->jit
			? pcre2_jit_match(s->reg->code[ri], s->buf, end, from, opts, s->md, s->mctx)
			: pcre2_match(s->reg->code[ri], s->buf, end, from, opts, s->md, s->mctx);

	if (rc == PCRE2_ERROR_PARTIAL)
		return ATT_PARTIAL;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_JIT_STACKLIMIT)
		s->limit_hits++;
	if (rc <= 0)
		return ATT_NONE;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);

	/* An empty match cannot be redacted or deduplicated meaningfully. */
	if (ov[1] <= ov[0])
		return ATT_NONE;
	emit(s, ri, ov[0], ov[1]);
	return ATT_MATCH;
}

/* Try every literal starting at pos; returns false when one must wait for more bytes. */
static bool candidates_at(struct cs_scanner *s, size_t pos, bool final)
{
	bool settled = true;

	for (int32_t li = cs_prefilter_first(s->pf, s->buf + pos); li >= 0;) {
		const struct cs_literal *lit = cs_prefilter_literal(s->pf, li);
		size_t ri = lit->rule;

		li = lit->next;
		if (pos + lit->len > s->len) {
			/* The literal may continue past the window. */
			if (!final && memcmp(s->buf + pos, lit->bytes, s->len - pos) == 0)
				settled = false;
			continue;
		}
		if (memcmp(s->buf + pos, lit->bytes, lit->len) != 0)
			continue;
		if (s->waiting[ri] || s->base + pos < s->done[ri])
			continue;
		if (attempt(s, ri, pos, final) == ATT_PARTIAL) {
			s->waiting[ri] = true;
			settled = false;
		}
	}
	return settled;
}

static void scan_window(struct cs_scanner *s, bool final)
{
	size_t start = (size_t)(s->next - s->base);
	/* Positions past `to` cannot hold a whole literal yet: see them next time. */
	size_t to = s->len >= CS_LITERAL_MIN ? s->len - (CS_LITERAL_MIN - 1) : 0;
	uint64_t unsettled = UINT64_MAX;

	memset(s->waiting, 0, s->reg->n * sizeof(*s->waiting));
	for (size_t pos = start; pos < to; pos++) {
		pos = cs_prefilter_next(s->pf, s->buf, pos, to);
		if (pos >= to)
			break;
		if (!candidates_at(s, pos, final) && unsettled == UINT64_MAX)
			unsettled = s->base + pos;
	}
	s->pending = unsettled != UINT64_MAX;
	s->scanned = s->base + s->len;
	if (s->pending)
		s->next = unsettled;
	else if (to > start)
		s->next = s->base + to;
}

/* Drop what no later match or snippet can need; keeps the tail bounded. */
static void compact(struct cs_scanner *s)
{
	size_t next = (size_t)(s->next - s->base);
	size_t keep_from = next > CS_SCAN_BACK ? next - CS_SCAN_BACK : 0;

	/* A partial match never starts more than CS_SCAN_MAX_MATCH bytes back. */
	if (s->len > CS_SCAN_TAIL_MAX && keep_from < s->len - CS_SCAN_TAIL_MAX)
		keep_from = s->len - CS_SCAN_TAIL_MAX;
	if (s->base + keep_from > s->next)
		s->next = s->base + keep_from;
	memmove(s->buf, s->buf + keep_from, s->len - keep_from);
	s->len -= keep_from;
	s->base += keep_from;
}

/* Grow the window towards CS_SCAN_CAP; on failure the current one still works. */
static void grow(struct cs_scanner *s, size_t want)
{
	size_t cap = s->cap * 2 > want ? s->cap * 2 : want;
	uint8_t *b;

	if (cap > CS_SCAN_CAP)
		cap = CS_SCAN_CAP;
	b = realloc(s->buf, cap + 4);
	if (b) {
		s->buf = b;
		s->cap = cap;
	}
}

void cs_scanner_feed(struct cs_scanner *s, const uint8_t *data, size_t len)
{
	if (s->len + len > s->cap && s->cap < CS_SCAN_CAP)
		grow(s, s->len + len);
	while (len > 0) {
		size_t room = s->cap - s->len;
		size_t n = len < room ? len : room;

		memcpy(s->buf + s->len, data, n);
		memset(s->buf + s->len + n, 0, 4);
		s->len += n;
		data += n;
		len -= n;
		if (s->pending && s->len < s->cap &&
		    s->base + s->len - s->scanned < CS_SCAN_RESCAN_MIN)
			continue;
		scan_window(s, false);
		compact(s);
	}
}

/*
 * Settle as at the end of a part, then go back to the first candidate that
 * was still open: the next bytes retry it, while matches already reported
 * stay done (their rule's end offset skips them).
 */
void cs_scanner_settle(struct cs_scanner *s)
{
	uint64_t next = s->next;
	bool pending = s->pending;

	if (s->len == 0)
		return;
	scan_window(s, true);
	s->next = next;
	s->pending = pending;
}

void cs_scanner_reset(struct cs_scanner *s)
{
	/* The part ended: what waited for more bytes is decided now. */
	if (s->len > 0)
		scan_window(s, true);
	s->len = 0;
	s->base = 0;
	s->next = 0;
	s->scanned = 0;
	s->pending = false;
	memset(s->done, 0, (s->reg->n ? s->reg->n : 1) * sizeof(*s->done));
}
