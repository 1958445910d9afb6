// SPDX-License-Identifier: MIT
/*
 * flow_h2.c - HTTP/2 in the decoding pipeline (flow.c): frames and HPACK
 * through http2.c, each stream's head scanned as a message head and its
 * DATA through the body decoders and a text lane of its own (up to
 * H2_BODIES streams at once per direction), the opaque bytes of frames with
 * no HTTP meaning (padding, PING, GOAWAY debug data, unknown types) on a
 * lane of their own, and with dest_from_host a stream's :authority as its
 * dest. Memory: see flow.c's header.
 */
#include <stdlib.h>
#include <string.h>

#include "flow_internal.h"

/* Later text goes to another lane or part: what the last stream's lane gathered is scanned now. */
void flow_h2_flush_last(struct dir *ds)
{
	if (ds->h2_last)
		flow_lane_flush(&ds->h2_last->lane);
}

/* dest_from_host: the dest a recent stream's request named, NULL if none. */
static struct h2_dest *h2_dest_find(struct cs_flow *f, uint32_t id)
{
	if (!f->h2_dests || !id)
		return NULL;
	for (unsigned i = 0; i < CS_H2_STREAMS; i++)
		if (f->h2_dests[i].id == id)
			return &f->h2_dests[i];
	return NULL;
}

/* A request's :authority is its stream's dest in both directions, like HTTP/1's Host. */
static void h2_dest_set(struct dir *ds, uint32_t id, const uint8_t *v, size_t n)
{
	struct cs_flow *f = ds->flow;
	struct h2_dest *e = h2_dest_find(f, id);
	char dest[DEST_MAX];

	if (!flow_dest_of_host(f, dest, v, n))
		return; /* unfit: the dest before it is kept */
	if (!f->h2_dests)
		f->h2_dests = calloc(CS_H2_STREAMS, sizeof(*f->h2_dests));
	if (!f->h2_dests)
		return; /* out of memory: the flow's dest */
	if (!e) {
		e = &f->h2_dests[f->h2_dest_next++ % CS_H2_STREAMS];
		e->id = id;
	}
	flow_copy_str(e->dest, DEST_MAX, dest);
	flow_copy_str(ds->h2_dest, DEST_MAX, dest);
}

/* What is scanned from now on belongs to stream id: its dest, or the flow's. */
static void h2_dest_use(struct dir *ds, uint32_t id)
{
	const struct h2_dest *e = h2_dest_find(ds->flow, id);

	ds->h2_dest[0] = 0;
	if (e)
		flow_copy_str(ds->h2_dest, DEST_MAX, e->dest);
}

/* Pseudo-header fields held per request block, at most. */
#define HELD_MAX 4096

/* A header field as "name: value" on a line; :path is percent-decoded like a request target. */
static void h2_scan_field(struct dir *ds, const uint8_t *name, size_t nl, const uint8_t *value,
			  size_t vl)
{
	flow_scan(ds, &ds->side, name, nl);
	flow_scan(ds, &ds->side, (const uint8_t *)": ", 2);
	if (nl == 5 && !memcmp(name, ":path", 5))
		flow_scan_target(ds, value, vl);
	else
		flow_scan(ds, &ds->side, value, vl);
	flow_scan(ds, &ds->side, (const uint8_t *)"\n", 1);
}

/* Scan the held fields in their order; hold no more in this block. */
static void h2_release(struct dir *ds)
{
	size_t i = 0;

	while (i < ds->held_len) {
		const uint8_t *e = ds->held + i;
		size_t nl = e[0], vl = (size_t)e[1] << 8 | e[2];

		h2_scan_field(ds, e + 3, nl, e + 3 + nl, vl);
		i += 3 + nl + vl;
	}
	ds->held_len = 0;
	ds->holding = false;
}

/* Keep a pseudo-header field until the block's dest is known; false if it does not fit. */
static bool h2_hold(struct dir *ds, const uint8_t *name, size_t nl, const uint8_t *value, size_t vl)
{
	uint8_t *e;

	if (nl > 255 || 3 + nl + vl > HELD_MAX - ds->held_len)
		return false;
	if (!ds->held && !(ds->held = malloc(HELD_MAX)))
		return false;
	e = ds->held + ds->held_len;
	e[0] = (uint8_t)nl;
	e[1] = (uint8_t)(vl >> 8);
	e[2] = (uint8_t)vl;
	memcpy(e + 3, name, nl);
	memcpy(e + 3 + nl, value, vl);
	ds->held_len += 3 + nl + vl;
	return true;
}

/* A header block starts: its fields belong to its stream. */
static void h2_block_begin(struct dir *ds)
{
	flow_h2_flush_last(ds); /* gathered DATA is reported as body, towards its own dest */
	ds->part = CS_PART_HEAD;
	ds->h2_in_block = true;
	h2_dest_use(ds, ds->h2->block_stream);
	/* A request's :authority may come after other pseudo-header fields (all come first). */
	ds->holding = ds->flow->pend_dest && ds->dir == CS_DIR_OUTBOUND && !ds->h2_dest[0];
}

static void h2_field(void *ctx, const uint8_t *name, size_t nl, const uint8_t *value, size_t vl)
{
	struct dir *ds = ctx;

	if (!ds->h2_in_block)
		h2_block_begin(ds);
	if (ds->holding) {
		if (nl == 10 && !memcmp(name, ":authority", 10))
			h2_dest_set(ds, ds->h2->block_stream, value, vl);
		else if (nl && name[0] == ':' && h2_hold(ds, name, nl, value, vl))
			return;
		h2_release(ds);
	}
	h2_scan_field(ds, name, nl, value, vl);
}

static void h2_block_end(void *ctx, const struct cs_h2_stream *st)
{
	struct dir *ds = ctx;

	(void)st;
	if (ds->holding)
		h2_release(ds);
	ds->h2_in_block = false;
	COUNT(ds, messages, 1);
	flow_lane_end(&ds->side);
}

/* The body decoders and lane of slot s serve the next calls. */
static void h2_enter(struct dir *ds, struct h2_body *s)
{
	if (ds->h2_last != s)
		flow_h2_flush_last(ds);
	ds->h2_last = s;
	ds->b = &s->b;
	ds->text = &s->lane;
}

/* What the slot's text is, for the findings' context. */
static void h2_part(struct dir *ds, const struct h2_body *s)
{
	ds->part =
		s->b.kind == BODY_SSE || s->b.kind == BODY_NDJSON ? CS_PART_STREAM : CS_PART_BODY;
}

static void h2_leave(struct dir *ds)
{
	ds->b = &ds->body;
	ds->text = &ds->main;
}

/*
 * The stream in slot s ended, or is evicted (not complete: the rest of a
 * compressed body will be counted when it comes); its lane settles for the next.
 */
static void h2_body_end(struct dir *ds, struct h2_body *s, bool complete)
{
	h2_enter(ds, s);
	h2_dest_use(ds, s->id);
	h2_part(ds, s); /* a trailer block may have come last: what is flushed now is body */
	flow_on_end(ds, complete);
	h2_leave(ds);
	s->id = 0;
	s->used = ++ds->h2_tick;
}

/*
 * The slot for a stream's DATA: its own, else the free slot that ended
 * last (its text runs on), else a new one, else the least recently used
 * one, whose stream is evicted (its lane forgets what it held).
 */
static struct h2_body *h2_slot(struct dir *ds, uint32_t id)
{
	struct h2_body *best = NULL, *lru = NULL;
	unsigned i;

	for (i = 0; i < H2_BODIES && ds->h2b[i]; i++) {
		struct h2_body *s = ds->h2b[i];

		if (id && s->id == id)
			return s;
		if (!s->id && (!best || s->used > best->used))
			best = s;
		if (s->id && (!lru || s->used < lru->used))
			lru = s;
	}
	if (best)
		return best;
	if (i < H2_BODIES) {
		ds->h2b[i] =
			calloc(1, sizeof(*ds->h2b[i])); /* flow_body_start() sets up its decoders */
		return ds->h2b[i];
	}
	h2_body_end(ds, lru, false);
	flow_lane_end(&lru->lane);
	return lru;
}

static void h2_data(void *ctx, const struct cs_h2_stream *st, const uint8_t *p, size_t n)
{
	struct dir *ds = ctx;
	struct h2_body *s = h2_slot(ds, st->id);

	if (!s) {
		COUNT(ds, bytes_unscanned, n); /* out of memory */
		return;
	}
	h2_enter(ds, s);
	h2_dest_use(ds, st->id);
	if (s->id != st->id) {
		struct cs_http_head h = {.body = CS_HTTP_BODY_LENGTH};

		/* Text runs on from the slot's last stream only towards the same dest. */
		if (strcmp(s->dest, flow_dir_dest(ds)))
			flow_lane_end(&s->lane);
		flow_copy_str(s->dest, sizeof(s->dest), flow_dir_dest(ds));

		flow_copy_str(h.content_type, sizeof(h.content_type), st->content_type);
		flow_copy_str(h.content_encoding, sizeof(h.content_encoding), st->content_encoding);
		flow_body_start(ds, &h);
		/* A compressed body whose start was decoded in an evicted slot: counted. */
		if (st->data_seen && (s->b.z || s->b.opaque)) {
			flow_body_free(ds);
			s->b.opaque = true;
		}
		s->id = st->id;
	}
	s->used = ++ds->h2_tick;
	h2_part(ds, s);
	flow_on_body(ds, p, n);
	h2_leave(ds);
}

static struct h2_body *h2_find(struct dir *ds, uint32_t id)
{
	for (unsigned i = 0; i < H2_BODIES && ds->h2b[i]; i++)
		if (id && ds->h2b[i]->id == id)
			return ds->h2b[i];
	return NULL;
}

static void h2_stream_end(void *ctx, uint32_t id)
{
	struct dir *ds = ctx;
	struct h2_body *s = h2_find(ds, id);

	if (s)
		h2_body_end(ds, s, true);
}

/*
 * Padding, PING and GOAWAY data, unknown frames: room a peer fills as it
 * likes, so a covert channel. Scanned as raw text on a lane of their own,
 * one text for the connection, so a key cut over many frames is found.
 */
static void h2_opaque(void *ctx, const uint8_t *p, size_t n)
{
	struct dir *ds = ctx;

	ds->opaque.raw_part = true;
	flow_scan(ds, &ds->opaque, p, n);
}

static void h2_publish(struct dir *ds)
{
	COUNT(ds, decode_errors, ds->h2->errors);
	COUNT(ds, bytes_unscanned, ds->h2->unscanned);
	ds->h2->errors = ds->h2->unscanned = 0;
}

/* Every stream's body ends and its lane with it (a gap, the end, broken framing). */
static void h2_bodies_end(struct dir *ds)
{
	for (unsigned i = 0; i < H2_BODIES && ds->h2b[i]; i++) {
		struct h2_body *s = ds->h2b[i];

		if (s->id)
			h2_body_end(ds, s, true);
		flow_lane_end(&s->lane);
	}
}

void flow_h2_bodies_free(struct dir *ds)
{
	for (unsigned i = 0; i < H2_BODIES && ds->h2b[i]; i++) {
		h2_enter(ds, ds->h2b[i]);
		flow_body_free(ds);
		flow_lane_free(ds->text);
		h2_leave(ds);
		ds->h2_last = NULL;
		free(ds->h2b[i]);
		ds->h2b[i] = NULL;
	}
}

/* Frames can no longer be followed: what comes next is raw bytes. */
void flow_h2_stop(struct dir *ds)
{
	if (!ds->h2)
		return;
	if (ds->holding)
		h2_release(ds);
	h2_bodies_end(ds);
	flow_lane_end(&ds->side);
	flow_lane_end(&ds->opaque);
	ds->h2_dest[0] = 0;
	ds->h2_in_block = false;
	h2_publish(ds);
	cs_h2_free(ds->h2);
	free(ds->h2);
	ds->h2 = NULL;
	ds->h2_dead = true;
}

/*
 * Both directions are scanned in full, budget after budget, like raw
 * streams. preface: the client's connection preface is still to come.
 */
void flow_h2_start(struct dir *ds, bool preface)
{
	ds->h2 = malloc(sizeof(*ds->h2));
	if (ds->h2 && cs_h2_init(ds->h2, preface) < 0) {
		free(ds->h2);
		ds->h2 = NULL;
	}
	if (!ds->h2)
		return; /* out of memory: HTTP/1 parsing will see raw bytes */
	flow_message_start(ds);
	ds->raw_active = true;
}

void flow_h2_feed(struct dir *ds, const uint8_t *p, size_t n)
{
	const struct cs_h2_sink sink = {h2_field,      h2_block_end, h2_data,
					h2_stream_end, h2_opaque,    ds};
	size_t used = cs_h2_feed(ds->h2, p, n, &sink);

	h2_publish(ds);
	if (ds->h2->failed) {
		flow_h2_stop(ds);
		flow_on_raw(ds, p + used, n - used);
	}
}
