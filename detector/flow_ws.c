// SPDX-License-Identifier: MIT
/*
 * flow_ws.c - WebSocket in the decoding pipeline (flow.c): after a 101
 * with Upgrade: websocket, each direction's frames are decoded by
 * websocket.c (unmasked, fragments joined, permessage-deflate inflated) and
 * their text scanned as one message per frame run; a stream that began with
 * no HTTP and whose first bytes are three consistent frame headers (a
 * WebSocket joined after its 101) is decoded as frames too, while its raw
 * bytes are still scanned (docs/threat-model.md). Memory: see flow.c's header.
 */
#include <stdlib.h>
#include <string.h>

#include "flow_internal.h"

static void ws_data(void *ctx, const uint8_t *p, size_t n)
{
	flow_text_feed(ctx, p, n);
}

/* A message ended: text runs on into the next one, like HTTP bodies. */
static void ws_end(void *ctx)
{
	struct dir *ds = ctx;

	flow_text_flush(ds);
	flow_lane_settle(ds->text);
}

static void ws_control(void *ctx, const uint8_t *p, size_t n)
{
	struct dir *ds = ctx;

	flow_scan(ds, &ds->side, p, n);
}

/* Take the decoder's counters. */
static void ws_publish(struct dir *ds)
{
	struct cs_ws *w = ds->ws;

	COUNT(ds, decode_errors, w->errors);
	COUNT(ds, decode_truncated, w->truncated);
	COUNT(ds, bytes_unscanned, w->unscanned);
	w->errors = w->truncated = w->unscanned = 0;
}

void flow_ws_stop(struct dir *ds)
{
	if (!ds->ws)
		return;
	ws_publish(ds);
	cs_ws_free(ds->ws);
	free(ds->ws);
	ds->ws = NULL;
}

/* A 101 to WebSocket: both directions decode frames (out of memory: raw bytes). */
void flow_ws_start(struct cs_flow *f, const struct cs_http_head *h)
{
	bool deflate, no_takeover[2];

	if (!cs_ws_upgrade(h->raw, h->raw_len, &deflate, no_takeover))
		return;
	for (int i = 0; i < 2; i++) {
		struct dir *ds = &f->dirs[i];

		flow_ws_stop(ds);
		ds->ws = malloc(sizeof(*ds->ws));
		if (ds->ws)
			cs_ws_init(ds->ws, deflate, no_takeover[i], ds->max_scan * INFLATE_FACTOR);
	}
}

/* Frames in a tunnel; once the framing breaks, the rest is scanned as raw text. */
void flow_ws_feed(struct dir *ds, const uint8_t *p, size_t n)
{
	const struct cs_ws_sink sink = {ws_data, ws_end, ws_control, ds};
	size_t used = cs_ws_feed(ds->ws, p, n, &sink);
	bool failed = ds->ws->failed;

	ws_publish(ds);
	if (failed) {
		flow_ws_stop(ds);
		flow_text_feed(ds, p + used, n - used);
	}
}

/*
 * A WebSocket joined late (the capture started after the 101): a stream
 * that began with no HTTP and whose first bytes are recognised as frames
 * (cs_ws_recognise) is also decoded as frames, on a body and lane of its
 * own, while the raw scan of the same bytes goes on: on a raw connection
 * an agent could shape bytes like masked frames that its own server reads
 * as they are. Up to LATE_HOLD first bytes are copied aside until judged.
 */
#define LATE_HOLD 16384

static void late_enter(struct dir *ds)
{
	ds->b = &ds->late_body;
	ds->text = &ds->late_lane;
}

static void late_leave(struct dir *ds)
{
	ds->b = &ds->body;
	ds->text = &ds->main;
}

/* The decoder's counters; what it could not decode was scanned raw all the same. */
static void late_publish(struct dir *ds)
{
	struct cs_ws *w = ds->ws_late;

	COUNT(ds, decode_errors, w->errors);
	COUNT(ds, decode_truncated, w->truncated);
	w->errors = w->truncated = w->unscanned = 0;
}

void flow_late_stop(struct dir *ds)
{
	if (!ds->ws_late)
		return;
	late_publish(ds);
	late_enter(ds);
	flow_text_flush(ds);
	flow_lane_end(ds->text);
	late_leave(ds);
	cs_ws_free(ds->ws_late);
	free(ds->ws_late);
	ds->ws_late = NULL;
}

static void late_decode(struct dir *ds, const uint8_t *p, size_t n)
{
	const struct cs_ws_sink sink = {ws_data, ws_end, ws_control, ds};

	late_enter(ds);
	cs_ws_feed(ds->ws_late, p, n, &sink);
	late_leave(ds);
	late_publish(ds);
	if (ds->ws_late->failed)
		flow_late_stop(ds);
}

/* Context takeover unknown: a compressed message that needs the lost window is an error. */
static void late_start(struct dir *ds, bool deflate)
{
	ds->ws_late = malloc(sizeof(*ds->ws_late));
	if (!ds->ws_late)
		return;
	cs_ws_init(ds->ws_late, deflate, false, ds->max_scan * INFLATE_FACTOR);
	late_enter(ds);
	flow_text_init(ds);
	late_leave(ds);
}

/* Raw bytes (already scanned raw): frames of a WebSocket joined late too? */
void flow_late_feed(struct dir *ds, const uint8_t *p, size_t n)
{
	enum cs_ws_guess g;
	bool deflate;
	size_t k;

	if (ds->ws_late) {
		late_decode(ds, p, n);
		return;
	}
	if (ds->late_judged)
		return;
	ds->late_judged = ds->format_raw || ds->http.seen_http || ds->h2_dead;
	/* Most streams are told from their first bytes, before anything is copied. */
	if (!ds->late_judged && !ds->late_len)
		ds->late_judged =
			cs_ws_recognise(p, n, ds->dir == CS_DIR_OUTBOUND, &deflate) == CS_WS_NO;
	if (!ds->late_judged && !ds->late_hold && !(ds->late_hold = malloc(LATE_HOLD)))
		ds->late_judged = true;
	if (ds->late_judged)
		return;
	k = n < LATE_HOLD - ds->late_len ? n : LATE_HOLD - ds->late_len;
	memcpy(ds->late_hold + ds->late_len, p, k);
	ds->late_len += k;
	g = cs_ws_recognise(ds->late_hold, ds->late_len, ds->dir == CS_DIR_OUTBOUND, &deflate);
	if (g == CS_WS_MAYBE && ds->late_len < LATE_HOLD)
		return;
	ds->late_judged = true;
	if (g == CS_WS_YES)
		late_start(ds, deflate);
	if (ds->ws_late)
		late_decode(ds, ds->late_hold, ds->late_len);
	if (ds->ws_late)
		late_decode(ds, p + k, n - k);
	free(ds->late_hold);
	ds->late_hold = NULL;
	ds->late_len = 0;
}
