// SPDX-License-Identifier: MIT
/* sse.c - Server-Sent Events parsing and text-delta reassembly. */
#include "sse.h"

#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#define MAX_WALK_DEPTH 64

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

/* Called for every string of every event: the first letter rules out most keys. */
static bool text_key(const char *k)
{
	switch (k[0]) {
	case 't':
		return !strcmp(k, "text") || !strcmp(k, "thinking");
	case 'c':
		return !strcmp(k, "content") || !strcmp(k, "completion");
	case 'd':
		return !strcmp(k, "delta");
	case 'r':
		return !strcmp(k, "response");
	default:
		return false;
	}
}

static bool json_text_key(const char *k)
{
	return !strcmp(k, "partial_json") || !strcmp(k, "arguments");
}

static void walk(struct cs_sse *s, const cJSON *item, const char *key, int depth,
		 const struct cs_sse_sink *sink)
{
	if (cJSON_IsString(item)) {
		const uint8_t *v = (const uint8_t *)item->valuestring;
		size_t n = strlen(item->valuestring);

		if (key && json_text_key(key)) {
			cs_jsonstr_feed(&s->js, v, n, &sink->text);
		} else if (key && text_key(key)) {
			cs_jsonstr_flush(&s->js, &sink->text);
			cs_sink_put(&sink->text, v, n);
		} else {
			put_other(sink, v, n);
		}
		return;
	}
	if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
		return;
	if (depth >= MAX_WALK_DEPTH) {
		/* Too deep to walk: scan the rest of it as JSON text. */
		char *txt = cJSON_PrintUnformatted(item);

		if (txt)
			put_other(sink, txt, strlen(txt));
		free(txt);
		return;
	}
	for (const cJSON *c = item->child; c; c = c->next)
		walk(s, c, cJSON_IsObject(item) ? c->string : NULL, depth + 1, sink);
}

static void dispatch_data(struct cs_sse *s, const struct cs_sse_sink *sink)
{
	const uint8_t *p = s->data;
	size_t n = s->data_len, i = 0;
	cJSON *root = NULL;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	if (i < n && (p[i] == '{' || p[i] == '['))
		root = cJSON_ParseWithLength((const char *)p, n);
	if (root) {
		walk(s, root, NULL, 0, sink);
		cJSON_Delete(root);
	} else if (i < n && (p[i] == '{' || p[i] == '[')) {
		put_other(sink, p, n); /* broken JSON: scan it as it is */
	} else {
		cs_jsonstr_flush(&s->js, &sink->text);
		cs_sink_put(&sink->text, p, n);
	}
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
