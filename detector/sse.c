// SPDX-License-Identifier: MIT
/* sse.c - Server-Sent Events parsing and text-delta reassembly. */
#include "sse.h"

#include <stdlib.h>
#include <string.h>

#include "jsonwalk.h"

enum { ST_LINE_START, ST_FIELD, ST_DATA, ST_SKIP };

void cs_sse_init(struct cs_sse *s, bool ndjson)
{
	memset(s, 0, sizeof(*s));
	s->ndjson = ndjson;
	cs_jsonstr_init(&s->js);
}

void cs_sse_free(struct cs_sse *s)
{
	free(s->data);
	s->data = NULL;
	s->data_len = s->data_cap = 0;
}

static void put_other(const struct cs_sse_sink *sink, const void *p, size_t n)
{
	cs_sink_put(&sink->other, p, n);
	cs_sink_put(&sink->other, (const uint8_t *)"\n", 1);
}

static bool key_is(const uint8_t *k, size_t n, const char *want)
{
	return n == strlen(want) && !memcmp(k, want, n);
}

/* Keys whose string values are the text the model streams. */
static bool text_key(const uint8_t *k, size_t n)
{
	return key_is(k, n, "text") || key_is(k, n, "delta") || key_is(k, n, "content") ||
	       key_is(k, n, "thinking") || key_is(k, n, "completion") || key_is(k, n, "response");
}

/* Keys whose string values are JSON text streamed in pieces (tool-call arguments). */
static bool json_text_key(const uint8_t *k, size_t n)
{
	return key_is(k, n, "partial_json") || key_is(k, n, "arguments");
}

struct walk {
	struct cs_sse *s;
	const struct cs_sse_sink *sink;
	/* Strings for the other sink, gathered: an event holds many short ones. */
	uint8_t other[512];
	size_t other_len;
};

static void walk_flush(struct walk *w)
{
	cs_sink_put(&w->sink->other, w->other, w->other_len);
	w->other_len = 0;
}

static void walk_other(struct walk *w, const uint8_t *v, size_t n)
{
	if (w->other_len + n + 1 > sizeof(w->other))
		walk_flush(w);
	if (n + 1 > sizeof(w->other)) {
		put_other(w->sink, v, n);
		return;
	}
	memcpy(w->other + w->other_len, v, n);
	w->other[w->other_len + n] = '\n';
	w->other_len += n + 1;
}

static void on_string(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *v, size_t n,
		      bool is_name)
{
	struct walk *w = ctx;

	if (!is_name && key && json_text_key(key, key_len)) {
		cs_jsonstr_feed(&w->s->js, v, n, &w->sink->text);
	} else if (!is_name && key && text_key(key, key_len)) {
		cs_jsonstr_flush(&w->s->js, &w->sink->text);
		cs_sink_put(&w->sink->text, v, n);
	} else {
		walk_other(w, v, n); /* member names too: every string is scanned */
	}
}

static size_t skip_space(const uint8_t *p, size_t i, size_t n)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	return i;
}

static bool json_start(uint8_t c)
{
	return c == '{' || c == '[';
}

/*
 * An event's data: JSON documents (usually one; several data lines may
 * each hold one) are walked; data that is not JSON at all is text; what
 * starts like JSON but is broken is scanned as it is.
 */
static void dispatch_data(struct cs_sse *s, const struct cs_sse_sink *sink)
{
	uint8_t *p = s->data;
	size_t n = s->data_len, i = skip_space(p, 0, n);
	struct walk w = {.s = s, .sink = sink};

	if (i == n || !json_start(p[i])) {
		cs_jsonstr_flush(&s->js, &sink->text);
		cs_sink_put(&sink->text, p, n);
		return;
	}
	while (i < n) {
		size_t len = json_start(p[i]) ? cs_json_check(p + i, n - i) : 0;

		if (!len) {
			walk_other(&w, p + i, n - i);
			break;
		}
		cs_json_walk(p + i, len, on_string, &w);
		i = skip_space(p, i + len, n);
	}
	walk_flush(&w);
}

/* A blank line ends the event. */
static void dispatch(struct cs_sse *s, const struct cs_sse_sink *sink)
{
	if (s->overflow || s->data_len)
		s->events++;
	if (!s->overflow && s->data_len) {
		s->data_len--; /* the LF after the last data line */
		dispatch_data(s, sink);
	}
	s->overflow = false;
	s->data_len = 0;
}

static void append(struct cs_sse *s, const uint8_t *p, size_t n, const struct cs_sse_sink *sink)
{
	if (s->overflow) {
		cs_sink_put(&sink->other, p, n);
		return;
	}
	if (s->data_len + n > s->data_cap) {
		size_t cap = s->data_cap ? s->data_cap : 1024;
		uint8_t *d;

		while (cap < s->data_len + n && cap < CS_SSE_MAX_EVENT)
			cap *= 2;
		d = cap >= s->data_len + n ? realloc(s->data, cap) : NULL;
		if (!d) {
			/* Too big for one event: pass it on unparsed. */
			s->truncated++;
			s->overflow = true;
			cs_sink_put(&sink->other, s->data, s->data_len);
			cs_sink_put(&sink->other, p, n);
			s->data_len = 0;
			return;
		}
		s->data = d;
		s->data_cap = cap;
	}
	memcpy(s->data + s->data_len, p, n);
	s->data_len += n;
}

static void line_end(struct cs_sse *s, uint8_t ch, const struct cs_sse_sink *sink)
{
	if (s->state == ST_FIELD && s->field_len == 4 && !memcmp(s->field, "data", 4))
		append(s, (const uint8_t *)"\n", 1, sink); /* "data" alone: an empty line */
	else if (s->state == ST_DATA)
		append(s, (const uint8_t *)"\n", 1, sink);
	s->state = ST_LINE_START;
	s->after_cr = ch == '\r';
}

static size_t field_byte(struct cs_sse *s, uint8_t ch)
{
	if (ch == ':') {
		bool data = s->field_len == 4 && !memcmp(s->field, "data", 4);

		s->state = data ? ST_DATA : ST_SKIP;
		s->value_started = false;
	} else if (s->field_len == sizeof(s->field)) {
		s->state = ST_SKIP;
	} else {
		s->field[s->field_len++] = (char)ch;
	}
	return 1;
}

/*
 * Bytes before the first CR or LF. memchr beats a byte loop on long lines;
 * it looks 256 bytes ahead at most, so lines that end in CR alone cost no
 * search to the far end of the input each.
 */
static size_t line_len(const uint8_t *in, size_t len)
{
	for (size_t n = 0; n < len; n += 256) {
		size_t w = len - n < 256 ? len - n : 256;
		const uint8_t *lf = memchr(in + n, '\n', w);
		size_t k = lf ? (size_t)(lf - (in + n)) : w;
		const uint8_t *cr = memchr(in + n, '\r', k);

		if (cr)
			return (size_t)(cr - in);
		if (lf)
			return n + k;
	}
	return len;
}

/* Data bytes up to the line end; returns the bytes used. */
static size_t data_bytes(struct cs_sse *s, const uint8_t *in, size_t len,
			 const struct cs_sse_sink *sink)
{
	size_t n;

	if (!s->value_started) {
		s->value_started = true;
		if (in[0] == ' ')
			return 1;
	}
	n = line_len(in, len);
	append(s, in, n, sink);
	return n;
}

static size_t step(struct cs_sse *s, const uint8_t *in, size_t len, const struct cs_sse_sink *sink)
{
	uint8_t ch = in[0];

	if (s->state == ST_LINE_START && s->after_cr && ch == '\n') {
		s->after_cr = false;
		return 1;
	}
	s->after_cr = false;
	if (ch == '\n' || ch == '\r') {
		if (s->state == ST_LINE_START || s->ndjson) {
			line_end(s, ch, sink);
			dispatch(s, sink);
		} else {
			line_end(s, ch, sink);
		}
		return 1;
	}
	switch (s->state) {
	case ST_LINE_START:
		if (s->ndjson) {
			/* Every line is a whole event's data. */
			s->state = ST_DATA;
			s->value_started = true;
			return data_bytes(s, in, len, sink);
		}
		s->field_len = 0;
		s->state = ch == ':' ? ST_SKIP : ST_FIELD;
		return ch == ':' ? 1 : field_byte(s, ch);
	case ST_FIELD:
		return field_byte(s, ch);
	case ST_DATA:
		return data_bytes(s, in, len, sink);
	default:
		return line_len(in, len);
	}
}

void cs_sse_feed(struct cs_sse *s, const uint8_t *in, size_t len, const struct cs_sse_sink *sink)
{
	size_t i = 0;

	while (i < len)
		i += step(s, in + i, len - i, sink);
}

void cs_sse_finish(struct cs_sse *s, const struct cs_sse_sink *sink)
{
	if (s->state != ST_LINE_START)
		line_end(s, '\n', sink);
	dispatch(s, sink);
	cs_jsonstr_flush(&s->js, &sink->text);
}
