// SPDX-License-Identifier: MIT
/*
 * flow.c - the decoding pipeline between wire bytes and the scanner.
 *
 * Per direction of a flow:
 *
 *   wire bytes -> HTTP framing (or raw) -> chunked removed -> gzip/deflate
 *     -> by content type: SSE text reassembly | form percent-decoding |
 *        JSON escape decoding (everything else, labelled JSON or not)
 *     -> scanner -> cs_detector_report()
 *
 * The head of a message (start line with its request target
 * percent-decoded, repeatedly so double encoding hides nothing, then the
 * header fields) is one scan part, the body
 * another. Every scanned text is also searched for base64 runs, which are
 * decoded and scanned one level deeper, up to cs_detector_base64_depth.
 *
 * At most max_scan_bytes decoded bytes are scanned from the start of each
 * HTTP message, then its last min(max_scan_bytes / 4, TAIL_MAX) decoded
 * bytes (kept in a ring while the message runs on and scanned at its end),
 * so padding in front of a secret does not hide it; only the middle of a
 * longer message is skipped, counted in bytes_unscanned. Raw bytes
 * (non-HTTP streams, tunnels after CONNECT or 101) are scanned in full,
 * with a fresh budget every max_scan_bytes. Compressed bodies are inflated
 * up to INFLATE_FACTOR x max_scan_bytes (the bound on decoding work per
 * message); compressed bytes left over then are counted as unscanned as
 * they are (their decoded size is never computed). Bytes the capture lost
 * (cs_flow_gap) are counted as unscanned too. bytes_scanned counts each
 * message's decoded text once; the base64 rescans are extra work on top,
 * bounded per message (or raw budget) and depth by the same max_scan_bytes
 * (decode_truncated counts where that bound cut them).
 *
 * Body text runs on from one message to the next of the same direction:
 * the scanner keeps its tail at a message's end (matches are still decided
 * and reported then), so a key split across two requests on one
 * connection is found. Heads are scanned on the side lane so they do not
 * come between two bodies. The tail is dropped across a capture gap, a
 * tunnel and a change of dest (dest_from_host).
 *
 * Memory per flow (bounded): for each direction, the message head being
 * parsed (<= CS_HTTP_MAX_HEAD, grown as needed), once there is text to scan
 * a scanner for the main text (about 18 KiB) with a LANE_STAGE (4 KiB)
 * buffer that gathers small pieces for it, while a compressed body is
 * decoded a zlib state (about 44 KiB), a brotli one (<= CS_BROTLI_MAX_MEM,
 * 4.25 MiB; only br bodies with large windows come near it) or a zstd one
 * (<= 8 MiB window + 160 KiB, for zstd bodies with large windows), while an SSE
 * body is decoded one event (<= CS_SSE_MAX_EVENT) plus a second scanner for
 * its non-text fields (also used for trailers; it has a 4 KiB buffer too),
 * and for each of these two scanners one more per base64 depth reached
 * (<= CS_BASE64_DEPTH_MAX),
 * created on first use; while a message runs past its budget, a tail ring
 * per lane (<= TAIL_MAX, 256 KiB); after a WebSocket upgrade a frame
 * decoder per direction (plus a 44 KiB zlib state with permessage-deflate);
 * on HTTP/2 an HPACK inflater per direction (<= CS_H2_HPACK_MAX_MEM,
 * 256 KiB) and, per stream with DATA, up to H2_BODIES at once, the body
 * decoders and main scanner an HTTP/1 body has, plus a scanner for the
 * frames' opaque bytes (padding, PING, ...) once there are some; for a
 * stream that began with no HTTP, its first bytes (<= LATE_HOLD, 16 KiB)
 * until they are judged, and if they are WebSocket frames joined late a
 * frame decoder and a scanner more; while a git push body is decoded a
 * zlib state (44 KiB); the rest is the flow itself with its fixed-size decoder state, about 10 KiB.
 * Worst case without brotli about 2 x (32 + 44 + 64 + 8 + 10 x 18) KiB + 10 KiB = 666 KiB; a plain
 * HTTP flow uses about 2 x 22 + 10 = 54 KiB. HTTP/2 adds per direction the HPACK inflater and
 * H2_BODIES x (22
 * + 44) KiB for gzip'd streams: up to 2 x (256 + 264) KiB.
 *
 * Content codings other than gzip, deflate, br and zstd (compress, stacked
 * codings) are not decoded: such bodies are counted as unscanned rather
 * than scanned as noise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "detector_internal.h"
#include "gitpack.h"
#include "http.h"
#include "http2.h"
#include "inflate.h"
#include "jsonstr.h"
#include "percent.h"
#include "sse.h"
#include "websocket.h"

/* Body bytes kept in case a "compressed" body turns out not to be. */
#define BODY_PEEK 16
/* Requests whose responses have not been seen yet, for HEAD / CONNECT. */
#define PENDING_MAX 32
#define DEST_MAX 272

struct dir;

/*
 * Decoders hand on tiny pieces (SSE deltas, text between JSON escapes) and
 * the scanner and the base64 finder pay per call, so a top-level lane
 * gathers up to this many bytes before it scans them. It scans what it
 * gathered when full, at the end of a part or budget, and at the end of
 * every cs_flow_feed / cs_flow_gap call, so no finding waits for a later
 * call.
 */
#define LANE_STAGE 4096
/*
 * Past a message's budget, its last decoded bytes are kept in a ring of
 * this size (at most a quarter of max_scan_bytes) and scanned when the
 * message ends: padding before a secret does not hide it.
 */
#define TAIL_MAX (256u << 10)
/* Compressed bodies inflate up to this many times max_scan_bytes, so their tail is seen. */
#define INFLATE_FACTOR 8
/*
 * HTTP/2 streams whose bodies are decoded at the same time, per direction.
 * One more evicts the stream that had DATA least recently: its decoders
 * end, and if it goes on, a compressed body is counted as not scanned,
 * a plain one is scanned from there as a new text.
 */
#define H2_BODIES CS_H2_BODY_STREAMS

/* The last bytes of a message past its budget (allocated only then). */
struct ring {
	uint8_t *p;
	size_t start, len;
};

/* A scanner plus the base64 runs found in what it scans, scanned one level deeper. */
struct lane {
	struct cs_scanner *sc;
	struct cs_b64 b64;
	uint8_t *stage; /* LANE_STAGE bytes at depth 0; NULL deeper (or out of memory) */
	size_t staged;
	struct lane *inner;
	unsigned depth;
	bool decodes_b64;    /* below the detector's base64 depth */
	uint64_t limit_hits; /* the scanner's regex limit hits already counted */
	struct ring tail;    /* depth 0: bytes past the budget, scanned at the part's end */
	bool raw_part;	     /* its findings are CS_PART_RAW whatever the direction reads now */
	struct dir *ds;
};

enum body_kind { BODY_TEXT, BODY_FORM, BODY_SSE, BODY_NDJSON, BODY_GITPACK };
enum pending_kind { REQ_OTHER, REQ_HEAD, REQ_CONNECT };

/* The decoders of one message body. */
struct body {
	enum body_kind kind;
	struct cs_inflate *z;
	bool z_failed;
	bool opaque; /* a content coding we cannot decode */
	uint8_t peek[BODY_PEEK];
	size_t body_seen;
	struct cs_jsonstr js, js2; /* JSON escapes, two levels */
	struct cs_percent_multi pct;
	struct cs_sse *sse;
	struct cs_gitpack *gp; /* a git push body */
};

/*
 * HTTP/2: a stream's body decoders and text lane, so that interleaved
 * DATA of several streams each decode and scan as one text. A slot whose
 * stream ended (id 0) keeps its settled lane: the next stream that takes
 * it runs on from it, as HTTP/1 bodies do from message to message.
 */
struct h2_body {
	uint32_t id;	     /* 0: free */
	uint64_t used;	     /* when its stream last had DATA or ended (the dir's h2_tick) */
	char dest[DEST_MAX]; /* of the stream it serves or served last */
	struct body b;
	struct lane lane;
};

struct h2_dest {
	uint32_t id;
	char dest[DEST_MAX];
};

struct dir {
	struct cs_flow *flow;
	enum cs_direction dir;
	struct cs_http http;
	struct lane main;
	struct lane side;	      /* SSE non-text fields, trailers */
	struct lane opaque;	      /* HTTP/2 bytes with no HTTP meaning (padding, PING, ...) */
	size_t max_scan;	      /* the detector's max_scan_bytes */
	size_t tail_cap;	      /* ring size: min(max_scan / 4, TAIL_MAX) */
	uint64_t scanned_unpublished; /* bytes_scanned not yet added to the shared stats */
	/* The message or raw stretch being decoded. */
	size_t budget_used;
	bool raw_active;
	struct body body; /* HTTP/1 */
	/* The body being decoded and the lane its text goes to: body and main, or an HTTP/2
	 * stream's. */
	struct body *b;
	struct lane *text;
	struct cs_ws *ws; /* after a WebSocket upgrade, until its framing breaks */
	/* A WebSocket joined late (no 101 seen): see late_feed(). */
	struct cs_ws *ws_late;
	uint8_t *late_hold; /* the stream's first bytes, until judged */
	size_t late_len;
	bool late_judged;
	struct body late_body;
	struct lane late_lane;
	enum cs_part part; /* what is being scanned now, for the finding's context */
	/* HTTP/2: told from the first bytes, which are held until then. */
	uint8_t sniff[CS_H2_PREFACE_LEN];
	size_t sniff_len;
	bool sniffed;
	bool format_raw;
	struct cs_h2 *h2;
	bool h2_first; /* HTTP/2 from the first byte (not after an h2c upgrade) */
	bool h2_dead;  /* HTTP/2 framing broke or was lost: the rest is raw bytes */
	/* h2c: a request asked to upgrade; raw bytes may start with the preface (matched so far).
	 */
	bool h2c_wait;
	size_t h2c_seen;
	struct h2_body *h2b[H2_BODIES]; /* allocated as streams need them */
	struct h2_body *h2_last;	/* the slot that had DATA last: it may hold staged text */
	uint64_t h2_tick;
	/* dest_from_host on HTTP/2: the dest of the stream being decoded (set: h2_dest[0]). */
	char h2_dest[DEST_MAX];
	bool h2_in_block;
	/* A request block's pseudo-header fields, held until its :authority is known. */
	uint8_t *held;
	size_t held_len;
	bool holding;
};

struct cs_flow {
	struct cs_detector *d;
	char source[128];
	char dest[DEST_MAX];
	char protocol[16];
	struct dir dirs[2];
	uint8_t pending[PENDING_MAX];
	unsigned pend_head, pend_count;
	/* dest_from_host: the dest of each pending request, and of the response read now. */
	char (*pend_dest)[DEST_MAX];
	char resp_dest[DEST_MAX];
	/* dest_from_host on HTTP/2: each recent stream's :authority (CS_H2_STREAMS, reused in
	 * turn). */
	struct h2_dest *h2_dests;
	unsigned h2_dest_next;
};

static void copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static struct cs_detector_stats *stats(struct dir *ds)
{
	return cs_detector_stats_mut(ds->flow->d);
}

/* Flows of one detector may be fed from several threads: counters add atomically. */
#define COUNT(ds, field, n) __atomic_fetch_add(&stats(ds)->field, (uint64_t)(n), __ATOMIC_RELAXED)

/* ---- lanes ---- */

/* The dest this direction's findings are reported with now. */
static const char *dir_dest(const struct dir *ds)
{
	const struct cs_flow *f = ds->flow;

	if (ds->h2_dest[0])
		return ds->h2_dest;
	return f->pend_dest && ds->dir == CS_DIR_INBOUND ? f->resp_dest : f->dest;
}

static void on_match(void *ctx, const struct cs_match *m)
{
	struct lane *l = ctx;
	struct cs_flow *f = l->ds->flow;
	const struct cs_flow_meta meta = {f->source, dir_dest(l->ds), f->protocol,
					  l->raw_part ? CS_PART_RAW : l->ds->part};

	cs_detector_report(f->d, &meta, l->ds->dir, m);
}

static int lane_init(struct lane *l, struct dir *ds, unsigned depth)
{
	bool raw_part = l->raw_part;

	memset(l, 0, sizeof(*l));
	l->raw_part = raw_part;
	l->ds = ds;
	l->depth = depth;
	l->decodes_b64 = depth < cs_detector_base64_depth(ds->flow->d);
	cs_b64_init(&l->b64, ds->max_scan);
	l->sc = cs_scanner_new(cs_detector_registry(ds->flow->d), ds->dir, on_match, l);
	if (!l->sc)
		return -1; /* nothing held: the next piece may try again */
	if (depth == 0)
		l->stage = malloc(LANE_STAGE); /* without it, pieces are scanned as they come */
	return 0;
}

static void lane_feed(struct lane *l, const uint8_t *p, size_t n);
static void lane_end(struct lane *l);

static void inner_data(void *ctx, const uint8_t *p, size_t n)
{
	struct lane *l = ctx;

	if (!l->inner) {
		l->inner = calloc(1, sizeof(*l->inner));
		if (l->inner)
			l->inner->raw_part = l->raw_part;
		if (!l->inner || lane_init(l->inner, l->ds, l->depth + 1) < 0) {
			free(l->inner);
			l->inner = NULL;
			COUNT(l->ds, decode_truncated, 1);
			return;
		}
	}
	lane_feed(l->inner, p, n);
}

static void inner_end(void *ctx)
{
	struct lane *l = ctx;

	if (l->inner)
		lane_end(l->inner);
}

static void lane_feed(struct lane *l, const uint8_t *p, size_t n)
{
	const struct cs_b64_sink sink = {inner_data, inner_end, l};

	cs_scanner_feed(l->sc, p, n);
	if (l->decodes_b64)
		cs_b64_feed(&l->b64, p, n, &sink);
}

/* Scan what the lane gathered. */
static void lane_flush(struct lane *l)
{
	if (l->staged) {
		lane_feed(l, l->stage, l->staged);
		l->staged = 0;
	}
}

/* Bytes for a top-level lane: gathered, or scanned at once when large. */
static void lane_put(struct lane *l, const uint8_t *p, size_t n)
{
	if (!l->stage || n >= LANE_STAGE / 2) {
		lane_flush(l);
		lane_feed(l, p, n);
		return;
	}
	if (l->staged + n > LANE_STAGE)
		lane_flush(l);
	memcpy(l->stage + l->staged, p, n);
	l->staged += n;
}

/* Bytes past the budget: the ring keeps the last tail_cap of them, older ones are counted. */
static void tail_keep(struct lane *l, const uint8_t *p, size_t n)
{
	struct ring *r = &l->tail;
	size_t cap = l->ds->tail_cap, drop, at, first;

	if (!r->p && cap)
		r->p = malloc(cap);
	if (!r->p) {
		COUNT(l->ds, bytes_unscanned, n);
		return;
	}
	if (n >= cap) {
		COUNT(l->ds, bytes_unscanned, r->len + n - cap);
		memcpy(r->p, p + n - cap, cap);
		r->start = 0;
		r->len = cap;
		return;
	}
	drop = r->len + n > cap ? r->len + n - cap : 0;
	COUNT(l->ds, bytes_unscanned, drop);
	r->start = (r->start + drop) % cap;
	r->len -= drop;
	at = (r->start + r->len) % cap;
	first = n < cap - at ? n : cap - at;
	memcpy(r->p + at, p, first);
	memcpy(r->p, p + first, n - first);
	r->len += n;
}

/*
 * The kept tail of a message, scanned as a part of its own (the bytes
 * before it were skipped, so nothing may match across the hole).
 */
static void tail_scan(struct lane *l)
{
	const struct cs_b64_sink sink = {inner_data, inner_end, l};
	struct ring *r = &l->tail;
	size_t cap = l->ds->tail_cap, first;

	if (r->len) {
		cs_scanner_reset(l->sc);
		if (l->decodes_b64)
			cs_b64_end(&l->b64, &sink);
		first = r->len < cap - r->start ? r->len : cap - r->start;
		lane_feed(l, r->p + r->start, first);
		lane_feed(l, r->p, r->len - first);
		l->ds->scanned_unpublished += r->len;
	}
	free(r->p);
	memset(r, 0, sizeof(*r));
}

/*
 * End of a part: scan the kept tail, settle pending matches. `carry` keeps
 * the scanner's tail for the next part of the same stream (the next
 * message on the connection); otherwise it is forgotten.
 */
static void lane_close_part(struct lane *l, bool carry)
{
	const struct cs_b64_sink sink = {inner_data, inner_end, l};
	uint64_t hits;

	if (!l->sc)
		return;
	lane_flush(l);
	tail_scan(l);
	if (carry)
		cs_scanner_settle(l->sc);
	else
		cs_scanner_reset(l->sc);
	hits = cs_scanner_limit_hits(l->sc);
	COUNT(l->ds, regex_limit_hits, hits - l->limit_hits);
	l->limit_hits = hits;
	if (l->decodes_b64)
		cs_b64_end(&l->b64, &sink);
}

static void lane_end(struct lane *l)
{
	lane_close_part(l, false);
}

/* The end of a message whose stream goes on: a match may span into the next one. */
static void lane_settle(struct lane *l)
{
	lane_close_part(l, true);
}

/* A new message: base64 budgets start again at every depth; truncations are counted. */
static void lane_new_budget(struct lane *l)
{
	lane_flush(l); /* gathered bytes belong to the old budget */
	for (; l && l->sc; l = l->inner) {
		COUNT(l->ds, decode_truncated, l->b64.truncated);
		l->b64.truncated = 0;
		cs_b64_new_budget(&l->b64);
	}
}

static void lane_free(struct lane *l)
{
	struct lane *in;

	lane_new_budget(l); /* scans what is gathered, counts what is left */
	if (l->tail.len)
		COUNT(l->ds, bytes_unscanned, l->tail.len);
	free(l->tail.p);
	memset(&l->tail, 0, sizeof(l->tail));
	in = l->inner;
	cs_scanner_free(l->sc);
	l->sc = NULL;
	free(l->stage);
	l->stage = NULL;
	while (in) {
		struct lane *next = in->inner;

		cs_scanner_free(in->sc);
		free(in);
		in = next;
	}
	l->inner = NULL;
}

/* ---- the per-message scan budget ---- */

/* Every lane of the direction starts a new budget. */
static void dir_new_budget(struct dir *ds)
{
	lane_new_budget(&ds->main);
	lane_new_budget(&ds->side);
	lane_new_budget(&ds->opaque);
	lane_new_budget(&ds->late_lane);
	for (unsigned i = 0; i < H2_BODIES; i++)
		if (ds->h2b[i])
			lane_new_budget(&ds->h2b[i]->lane);
}

/* Scanners are created when a direction first has text to scan. */
static void scan_bounded(struct dir *ds, struct lane *l, const uint8_t *p, size_t n)
{
	size_t max = ds->max_scan;
	size_t room = max > ds->budget_used ? max - ds->budget_used : 0;
	size_t take = n < room ? n : room;

	if (!l->sc && lane_init(l, ds, 0) < 0)
		take = 0; /* out of memory: counted as not scanned */
	if (take) {
		lane_put(l, p, take);
		ds->budget_used += take;
		ds->scanned_unpublished += take; /* no atomic add per piece: see flow_publish() */
	}
	if (n > take && l->sc)
		tail_keep(l, p + take, n - take);
	else if (n > take)
		COUNT(ds, bytes_unscanned, n - take);
}

/*
 * Raw bytes (a non-HTTP stream, a tunnel) have no message to bound, and
 * padding must not push what follows out of reach: they get a fresh budget
 * every max_scan_bytes. The scanner is not reset in between, so its tail
 * still spans the boundary; the scanner's cost is bounded per byte.
 */
static void scan(struct dir *ds, struct lane *l, const uint8_t *p, size_t n)
{
	size_t max = ds->max_scan;

	while (ds->raw_active && ds->budget_used <= max && n > max - ds->budget_used) {
		size_t room = max - ds->budget_used;

		scan_bounded(ds, l, p, room);
		p += room;
		n -= room;
		ds->budget_used = 0;
		dir_new_budget(ds);
	}
	scan_bounded(ds, l, p, n);
}

static void sink_main(void *ctx, const uint8_t *p, size_t n)
{
	struct dir *ds = ctx;

	scan(ds, ds->text, p, n);
}

static void sink_side(void *ctx, const uint8_t *p, size_t n)
{
	struct dir *ds = ctx;

	scan(ds, &ds->side, p, n);
}

static void message_start(struct dir *ds)
{
	COUNT(ds, messages, 1);
	ds->budget_used = 0;
	dir_new_budget(ds);
}

/* ---- text: JSON escapes decoded twice ---- */

/*
 * JSON text inside a JSON string (OpenAI tool-call "arguments", tool
 * results) is escaped twice over, so text gets two decoding passes. A
 * second pass over text that was escaped once only turns a literal "\n"
 * into a line break, which can only give the scanner more context.
 */
static void sink_unescaped_once(void *ctx, const uint8_t *p, size_t n)
{
	struct dir *ds = ctx;
	const struct cs_sink out = {sink_main, ds};

	cs_jsonstr_feed(&ds->b->js2, p, n, &out);
}

static void text_init(struct dir *ds)
{
	cs_jsonstr_init(&ds->b->js);
	cs_jsonstr_init(&ds->b->js2);
}

static void text_feed(struct dir *ds, const uint8_t *p, size_t n)
{
	const struct cs_sink once = {sink_unescaped_once, ds};

	cs_jsonstr_feed(&ds->b->js, p, n, &once);
}

static void sink_text(void *ctx, const uint8_t *p, size_t n)
{
	text_feed(ctx, p, n);
}

static void text_flush(struct dir *ds)
{
	const struct cs_sink once = {sink_unescaped_once, ds}, out = {sink_main, ds};

	cs_jsonstr_flush(&ds->b->js, &once);
	cs_jsonstr_flush(&ds->b->js2, &out);
}

/* ---- message heads ---- */

static bool media_is(const char *type, const char *want)
{
	return !strcmp(type, want);
}

/* A request target percent-decoded ('+' is a space in the query). */
static void scan_target(struct dir *ds, const uint8_t *target, size_t len)
{
	const struct cs_sink out = {sink_side, ds};
	const uint8_t *q = memchr(target, '?', len);
	size_t path_len = q ? (size_t)(q - target) : len;
	struct cs_percent_multi pct;

	cs_percent_multi_init(&pct, false);
	cs_percent_multi_feed(&pct, target, path_len, &out);
	cs_percent_multi_flush(&pct, &out);
	cs_percent_multi_init(&pct, true);
	cs_percent_multi_feed(&pct, target + path_len, len - path_len, &out);
	cs_percent_multi_flush(&pct, &out);
}

static void scan_request_line(struct dir *ds, const struct cs_http_head *h)
{
	scan(ds, &ds->side, h->raw, h->method_len + 1);
	scan_target(ds, h->target, h->target_len);
}

static void scan_head(struct dir *ds, const struct cs_http_head *h)
{
	size_t rest = 0;

	if (h->is_request) {
		scan_request_line(ds, h);
		rest = h->method_len + 1 + h->target_len;
	}
	scan(ds, &ds->side, h->raw + rest, h->raw_len - rest);
	lane_end(&ds->side);
}

static enum body_kind body_kind(const struct cs_http_head *h)
{
	if (media_is(h->content_type, "text/event-stream"))
		return BODY_SSE;
	if (media_is(h->content_type, "application/x-ndjson") ||
	    media_is(h->content_type, "application/jsonl") ||
	    media_is(h->content_type, "application/x-jsonlines"))
		return BODY_NDJSON;
	if (media_is(h->content_type, "application/x-www-form-urlencoded"))
		return BODY_FORM;
	if (media_is(h->content_type, "application/x-git-receive-pack-request"))
		return BODY_GITPACK;
	return BODY_TEXT;
}

static enum cs_coding coding(const char *ce)
{
	if (media_is(ce, "br"))
		return CS_CODING_BROTLI;
	if (media_is(ce, "zstd"))
		return CS_CODING_ZSTD;
	return media_is(ce, "deflate") ? CS_CODING_DEFLATE : CS_CODING_GZIP;
}

static void body_start(struct dir *ds, const struct cs_http_head *h)
{
	const char *ce = h->content_encoding;

	ds->b->kind = body_kind(h);
	ds->b->body_seen = 0;
	ds->b->z_failed = false;
	ds->b->opaque = false;
	text_init(ds);
	cs_percent_multi_init(&ds->b->pct, true);
	if (ds->b->kind == BODY_SSE || ds->b->kind == BODY_NDJSON) {
		ds->b->sse = malloc(sizeof(*ds->b->sse));
		if (ds->b->sse)
			cs_sse_init(ds->b->sse, ds->b->kind == BODY_NDJSON);
		else
			ds->b->kind = BODY_TEXT;
	}
	if (ds->b->kind == BODY_GITPACK) {
		ds->b->gp = malloc(sizeof(*ds->b->gp));
		if (ds->b->gp)
			cs_gitpack_init(ds->b->gp, ds->max_scan * INFLATE_FACTOR);
		else
			ds->b->kind = BODY_TEXT;
	}
	if (media_is(ce, "gzip") || media_is(ce, "x-gzip") || media_is(ce, "deflate") ||
	    media_is(ce, "br") || media_is(ce, "zstd")) {
		ds->b->z = malloc(sizeof(*ds->b->z));
		if (ds->b->z)
			cs_inflate_init(ds->b->z, coding(ce), ds->max_scan * INFLATE_FACTOR);
		else
			ds->b->z_failed = true; /* scanned as it is */
	} else if (*ce && !media_is(ce, "identity")) {
		ds->b->opaque = true;
	}
}

/* Requests remember their method so the response can be framed right. */
static void pending_push(struct cs_flow *f, enum pending_kind k)
{
	if (f->pend_count == PENDING_MAX) {
		f->pend_head = (f->pend_head + 1) % PENDING_MAX;
		f->pend_count--;
	}
	f->pending[(f->pend_head + f->pend_count) % PENDING_MAX] = (uint8_t)k;
	if (f->pend_dest)
		copy_str(f->pend_dest[(f->pend_head + f->pend_count) % PENDING_MAX], DEST_MAX,
			 f->dest);
	f->pend_count++;
}

static enum pending_kind pending_pop(struct cs_flow *f)
{
	enum pending_kind k;

	if (!f->pend_count)
		return REQ_OTHER;
	k = (enum pending_kind)f->pending[f->pend_head];
	f->pend_head = (f->pend_head + 1) % PENDING_MAX;
	f->pend_count--;
	return k;
}

/* A response answers the oldest request still pending (the flow's dest when none is). */
static void response_dest(struct cs_flow *f)
{
	if (f->pend_dest)
		copy_str(f->resp_dest, DEST_MAX,
			 f->pend_count ? f->pend_dest[f->pend_head] : f->dest);
}

/* A Host value fit to report: printable ASCII without '/', an optional valid port. */
static bool host_ok(const uint8_t *v, size_t n, bool *has_port)
{
	const uint8_t *end = v + n, *colon;
	unsigned long port = 0;

	if (!n || n > DEST_MAX - 8)
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] <= ' ' || v[i] >= 0x7f || v[i] == '/' || v[i] == '\\' || v[i] == '@')
			return false;
	if (v[0] == '[') {
		const uint8_t *rb = memchr(v, ']', n);

		if (!rb || rb == v + 1)
			return false;
		colon = rb + 1 < end ? rb + 1 : NULL;
		if (colon && *colon != ':')
			return false;
	} else {
		colon = memchr(v, ':', n);
		if (colon && (colon == v || memchr(colon + 1, ':', (size_t)(end - colon - 1))))
			return false;
	}
	*has_port = colon != NULL;
	if (!colon)
		return true;
	if (colon + 1 == end || end - colon > 6)
		return false;
	for (const uint8_t *p = colon + 1; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	return port <= 65535;
}

/* A Host or :authority value as a dest (host:port); false, out untouched, if unfit. */
static bool dest_of_host(const struct cs_flow *f, char out[DEST_MAX], const uint8_t *host,
			 size_t len)
{
	bool has_port;

	if (!host || !host_ok(host, len, &has_port))
		return false;
	snprintf(out, DEST_MAX, "%.*s%s", (int)len, (const char *)host,
		 has_port			 ? ""
		 : !strcmp(f->protocol, "https") ? ":443"
						 : ":80");
	return true;
}

/* dest_from_host: this request's findings (and its response's) go to its Host. */
static void request_dest(struct cs_flow *f, const struct cs_http_head *h)
{
	if (f->pend_dest)
		dest_of_host(f, f->dest, h->host, h->host_len);
}

static bool method_is(const struct cs_http_head *h, const char *m)
{
	return h->method_len == strlen(m) && !memcmp(h->method, m, h->method_len);
}

/* ---- WebSocket ---- */

static void ws_data(void *ctx, const uint8_t *p, size_t n)
{
	text_feed(ctx, p, n);
}

/* A message ended: text runs on into the next one, like HTTP bodies. */
static void ws_end(void *ctx)
{
	struct dir *ds = ctx;

	text_flush(ds);
	lane_settle(ds->text);
}

static void ws_control(void *ctx, const uint8_t *p, size_t n)
{
	struct dir *ds = ctx;

	scan(ds, &ds->side, p, n);
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

static void ws_stop(struct dir *ds)
{
	if (!ds->ws)
		return;
	ws_publish(ds);
	cs_ws_free(ds->ws);
	free(ds->ws);
	ds->ws = NULL;
}

/* A 101 to WebSocket: both directions decode frames (out of memory: raw bytes). */
static void ws_start(struct cs_flow *f, const struct cs_http_head *h)
{
	bool deflate, no_takeover[2];

	if (!cs_ws_upgrade(h->raw, h->raw_len, &deflate, no_takeover))
		return;
	for (int i = 0; i < 2; i++) {
		struct dir *ds = &f->dirs[i];

		ws_stop(ds);
		ds->ws = malloc(sizeof(*ds->ws));
		if (ds->ws)
			cs_ws_init(ds->ws, deflate, no_takeover[i], ds->max_scan * INFLATE_FACTOR);
	}
}

/* Frames in a tunnel; once the framing breaks, the rest is scanned as raw text. */
static void ws_feed(struct dir *ds, const uint8_t *p, size_t n)
{
	const struct cs_ws_sink sink = {ws_data, ws_end, ws_control, ds};
	size_t used = cs_ws_feed(ds->ws, p, n, &sink);
	bool failed = ds->ws->failed;

	ws_publish(ds);
	if (failed) {
		ws_stop(ds);
		text_feed(ds, p + used, n - used);
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

static void late_stop(struct dir *ds)
{
	if (!ds->ws_late)
		return;
	late_publish(ds);
	late_enter(ds);
	text_flush(ds);
	lane_end(ds->text);
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
		late_stop(ds);
}

/* Context takeover unknown: a compressed message that needs the lost window is an error. */
static void late_start(struct dir *ds, bool deflate)
{
	ds->ws_late = malloc(sizeof(*ds->ws_late));
	if (!ds->ws_late)
		return;
	cs_ws_init(ds->ws_late, deflate, false, ds->max_scan * INFLATE_FACTOR);
	late_enter(ds);
	text_init(ds);
	late_leave(ds);
}

/* Raw bytes (already scanned raw): frames of a WebSocket joined late too? */
static void late_feed(struct dir *ds, const uint8_t *p, size_t n)
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

static void h2_start(struct dir *ds, bool preface);
static void h2_feed(struct dir *ds, const uint8_t *p, size_t n);

/*
 * A 101 to h2c (RFC 7540 3.2): the server's frames follow this head, the
 * client's follow its connection preface; the upgrade request is stream 1.
 */
static void h2c_start(struct cs_flow *f)
{
	struct dir *out = &f->dirs[CS_DIR_OUTBOUND];

	h2_start(&f->dirs[CS_DIR_INBOUND], false);
	if (out->h2)
		return; /* its preface came first: its frames are decoded already */
	out->h2c_wait = true;
	cs_http_tunnel(&out->http);
}

static enum cs_http_verdict verdict(struct dir *ds, const struct cs_http_head *h)
{
	struct cs_flow *f = ds->flow;
	enum pending_kind k;

	if (h->is_request) {
		request_dest(f, h);
		if (ds->dir == CS_DIR_OUTBOUND && cs_h2_upgrade(h->raw, h->raw_len))
			ds->h2c_wait = true;
		pending_push(f, method_is(h, "HEAD")	  ? REQ_HEAD
				: method_is(h, "CONNECT") ? REQ_CONNECT
							  : REQ_OTHER);
		return CS_HTTP_AS_USUAL;
	}
	response_dest(f);
	if (h->status == 101) {
		/* Upgraded: WebSocket frames and HTTP/2 are decoded, other protocols are raw bytes.
		 */
		if (cs_h2_upgrade(h->raw, h->raw_len)) {
			h2c_start(f);
			return CS_HTTP_TUNNEL;
		}
		ws_start(f, h);
		cs_http_tunnel(&f->dirs[CS_DIR_OUTBOUND].http);
		return CS_HTTP_TUNNEL;
	}
	if (h->status < 200)
		return CS_HTTP_AS_USUAL;
	k = pending_pop(f);
	if (k == REQ_HEAD)
		return CS_HTTP_NO_BODY;
	if (k == REQ_CONNECT && h->status < 300) {
		cs_http_tunnel(&f->dirs[CS_DIR_OUTBOUND].http);
		return CS_HTTP_TUNNEL;
	}
	return CS_HTTP_AS_USUAL;
}

static enum cs_http_verdict on_head(void *ctx, const struct cs_http_head *h)
{
	struct dir *ds = ctx;
	char before[DEST_MAX];
	enum cs_http_verdict v;

	copy_str(before, sizeof(before), dir_dest(ds));
	v = verdict(ds, h);
	/* Body text runs on from message to message only towards one dest. */
	if (strcmp(before, dir_dest(ds)))
		lane_end(&ds->main);
	message_start(ds);
	ds->part = CS_PART_HEAD;
	scan_head(ds, h);
	ds->part = CS_PART_BODY;
	if (v == CS_HTTP_AS_USUAL && h->body != CS_HTTP_BODY_NONE)
		body_start(ds, h);
	if (ds->b->kind == BODY_SSE || ds->b->kind == BODY_NDJSON)
		ds->part = CS_PART_STREAM;
	return v;
}

/* ---- bodies ---- */

/* git push: object texts are bodies of their own, each scanned through the text path. */
static void gp_data(void *ctx, const uint8_t *p, size_t n)
{
	text_feed(ctx, p, n);
}

static void gp_end(void *ctx)
{
	struct dir *ds = ctx;

	text_flush(ds);
	lane_end(ds->text);
}

static void gp_publish(struct dir *ds)
{
	struct cs_gitpack *g = ds->b->gp;

	COUNT(ds, decode_errors, g->errors);
	COUNT(ds, decode_truncated, g->truncated);
	/* What deltas copy from their bases is not reassembled: counted as unscanned. */
	COUNT(ds, bytes_unscanned, g->unscanned + g->copied);
	g->errors = g->truncated = g->unscanned = g->copied = 0;
}

static void content(struct dir *ds, const uint8_t *p, size_t n)
{
	const struct cs_sink to_text = {sink_text, ds};
	const struct cs_sse_sink sse = {{sink_main, ds}, {sink_side, ds}};
	const struct cs_gitpack_sink gp = {gp_data, gp_end, ds};

	switch (ds->b->kind) {
	case BODY_GITPACK:
		cs_gitpack_feed(ds->b->gp, p, n, &gp);
		gp_publish(ds);
		break;
	case BODY_SSE:
	case BODY_NDJSON:
		cs_sse_feed(ds->b->sse, p, n, &sse);
		break;
	case BODY_FORM:
		cs_percent_multi_feed(&ds->b->pct, p, n, &to_text);
		break;
	default:
		text_feed(ds, p, n);
		break;
	}
}

static void content_sink(void *ctx, const uint8_t *p, size_t n)
{
	content(ctx, p, n);
}

/*
 * Corrupt compressed data. A body labelled compressed that is not (the
 * first bytes already fail) is scanned as it is; otherwise the rest of the
 * body cannot be decoded and is counted as unscanned.
 */
static void inflate_failed(struct dir *ds, const uint8_t *p, size_t n, size_t seen_before)
{
	COUNT(ds, decode_errors, 1);
	if (ds->b->z->out_total == 0 && seen_before <= BODY_PEEK) {
		ds->b->z_failed = true;
		content(ds, ds->b->peek, seen_before);
		content(ds, p, n);
	}
}

static void body_compressed(struct dir *ds, const uint8_t *p, size_t n, size_t seen_before)
{
	const struct cs_sink out = {content_sink, ds};
	enum cs_inflate_status was = ds->b->z->status, now;
	size_t used;

	now = cs_inflate_feed(ds->b->z, p, n, &out, &used);
	if (now == CS_INFLATE_MORE)
		return;
	if (was == CS_INFLATE_MORE && now == CS_INFLATE_ERROR) {
		inflate_failed(ds, p, n, seen_before);
		if (ds->b->z_failed)
			return;
	}
	if (was == CS_INFLATE_MORE && now == CS_INFLATE_LIMIT)
		COUNT(ds, decode_truncated, 1);
	/* Past the end of the stream, the limit or an error: not decoded, counted. */
	COUNT(ds, bytes_unscanned, n - used);
}

static void on_body(void *ctx, const uint8_t *p, size_t n)
{
	struct dir *ds = ctx;
	size_t seen_before = ds->b->body_seen;

	if (seen_before < BODY_PEEK) {
		size_t k = n < BODY_PEEK - seen_before ? n : BODY_PEEK - seen_before;

		memcpy(ds->b->peek + seen_before, p, k);
	}
	ds->b->body_seen += n;
	if (ds->b->opaque)
		COUNT(ds, bytes_unscanned, n);
	else if (ds->b->z && !ds->b->z_failed)
		body_compressed(ds, p, n, seen_before);
	else
		content(ds, p, n);
}

static void on_trailer(void *ctx, const uint8_t *p, size_t n)
{
	sink_side(ctx, p, n);
}

/* Flush the content decoders into the scanner. */
static void content_flush(struct dir *ds)
{
	const struct cs_sink to_text = {sink_text, ds};
	const struct cs_sse_sink sse = {{sink_main, ds}, {sink_side, ds}};

	if (ds->b->sse)
		cs_sse_finish(ds->b->sse, &sse);
	cs_percent_multi_flush(&ds->b->pct, &to_text);
	text_flush(ds);
}

/* Bytes of the body are missing: what follows is a new part. */
static void on_body_gap(void *ctx)
{
	struct dir *ds = ctx;

	if (ds->b->z && !ds->b->z_failed && ds->b->z->status == CS_INFLATE_MORE) {
		/* A compressed stream cannot continue after a hole. */
		COUNT(ds, decode_errors, 1);
		ds->b->z->status = CS_INFLATE_ERROR;
	}
	content_flush(ds);
	lane_end(ds->text);
}

static void body_free(struct dir *ds)
{
	if (ds->b->gp) {
		const struct cs_gitpack_sink gp = {gp_data, gp_end, ds};

		cs_gitpack_finish(ds->b->gp, &gp);
		gp_publish(ds);
		cs_gitpack_free(ds->b->gp);
		free(ds->b->gp);
		ds->b->gp = NULL;
	}
	if (ds->b->z) {
		cs_inflate_end(ds->b->z);
		free(ds->b->z);
		ds->b->z = NULL;
	}
	if (ds->b->sse) {
		COUNT(ds, decode_truncated, ds->b->sse->truncated);
		cs_sse_free(ds->b->sse);
		free(ds->b->sse);
		ds->b->sse = NULL;
	}
}

static void on_end(void *ctx, bool complete)
{
	struct dir *ds = ctx;

	/* A body whose framing ended before its compressed stream did. */
	if (complete && ds->b->z && !ds->b->z_failed && ds->b->z->status == CS_INFLATE_MORE &&
	    !cs_inflate_complete(ds->b->z) && ds->b->body_seen)
		COUNT(ds, decode_errors, 1);
	content_flush(ds);
	lane_settle(ds->text);
	lane_end(&ds->side);
	body_free(ds);
	ds->b->kind = BODY_TEXT;
	cs_percent_multi_init(&ds->b->pct, true);
	text_init(ds);
}

/* ---- raw bytes ---- */

static void raw_text(struct dir *ds, const uint8_t *p, size_t n)
{
	if (!n)
		return;
	if (!ds->raw_active) {
		lane_end(&ds->main); /* a tunnel or a non-HTTP stretch: nothing runs on into it */
		ds->raw_active = true;
		message_start(ds);
		ds->part = CS_PART_RAW;
		text_init(ds);
	}
	if (ds->ws) {
		ws_feed(ds, p, n);
	} else {
		text_feed(ds, p, n);
		late_feed(ds, p, n);
	}
}

/*
 * h2c: once a request asked to upgrade, the client's raw bytes may start
 * with the HTTP/2 preface (sent after the 101). Returns the bytes used
 * matching it; once it is whole, frames are decoded from the next byte.
 * Bytes that turn out not to be the preface are raw text.
 */
static size_t h2c_preface(struct dir *ds, const uint8_t *p, size_t n)
{
	size_t i = 0, k;

	while (i < n && ds->h2c_seen < CS_H2_PREFACE_LEN &&
	       p[i] == (uint8_t)CS_H2_PREFACE[ds->h2c_seen]) {
		i++;
		ds->h2c_seen++;
	}
	if (ds->h2c_seen == CS_H2_PREFACE_LEN) {
		ds->h2c_wait = false;
		h2_start(ds, false);
		if (ds->h2)
			cs_http_opaque(&ds->http); /* no HTTP/1 is looked for inside frames */
	} else if (i < n) {
		k = ds->h2c_seen;
		ds->h2c_wait = false;
		ds->h2c_seen = 0;
		raw_text(ds, (const uint8_t *)CS_H2_PREFACE, k);
	}
	return i;
}

static void on_raw(void *ctx, const uint8_t *p, size_t n)
{
	struct dir *ds = ctx;
	size_t used = 0;

	if (ds->h2c_wait && !ds->h2)
		used = h2c_preface(ds, p, n);
	if (ds->h2)
		h2_feed(ds, p + used, n - used); /* h2c, after the 101 */
	else
		raw_text(ds, p + used, n - used);
}

static void on_raw_end(void *ctx)
{
	struct dir *ds = ctx;

	if (ds->h2)
		return; /* the parser's raw stretch ended, HTTP/2 frames go on */
	ws_stop(ds);	/* a gap or the end: frames cannot be followed any further */
	late_stop(ds);
	text_flush(ds);
	lane_end(&ds->main);
	lane_end(&ds->side);
	ds->raw_active = false;
}

static void on_error(void *ctx)
{
	struct dir *ds = ctx;

	COUNT(ds, decode_errors, 1);
}

/* ---- HTTP/2 ---- */

/* Later text goes to another lane or part: what the last stream's lane gathered is scanned now. */
static void h2_flush_last(struct dir *ds)
{
	if (ds->h2_last)
		lane_flush(&ds->h2_last->lane);
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

	if (!dest_of_host(f, dest, v, n))
		return; /* unfit: the dest before it is kept */
	if (!f->h2_dests)
		f->h2_dests = calloc(CS_H2_STREAMS, sizeof(*f->h2_dests));
	if (!f->h2_dests)
		return; /* out of memory: the flow's dest */
	if (!e) {
		e = &f->h2_dests[f->h2_dest_next++ % CS_H2_STREAMS];
		e->id = id;
	}
	copy_str(e->dest, DEST_MAX, dest);
	copy_str(ds->h2_dest, DEST_MAX, dest);
}

/* What is scanned from now on belongs to stream id: its dest, or the flow's. */
static void h2_dest_use(struct dir *ds, uint32_t id)
{
	const struct h2_dest *e = h2_dest_find(ds->flow, id);

	ds->h2_dest[0] = 0;
	if (e)
		copy_str(ds->h2_dest, DEST_MAX, e->dest);
}

/* Pseudo-header fields held per request block, at most. */
#define HELD_MAX 4096

/* A header field as "name: value" on a line; :path is percent-decoded like a request target. */
static void h2_scan_field(struct dir *ds, const uint8_t *name, size_t nl, const uint8_t *value,
			  size_t vl)
{
	scan(ds, &ds->side, name, nl);
	scan(ds, &ds->side, (const uint8_t *)": ", 2);
	if (nl == 5 && !memcmp(name, ":path", 5))
		scan_target(ds, value, vl);
	else
		scan(ds, &ds->side, value, vl);
	scan(ds, &ds->side, (const uint8_t *)"\n", 1);
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
	h2_flush_last(ds); /* gathered DATA is reported as body, towards its own dest */
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
	lane_end(&ds->side);
}

/* The body decoders and lane of slot s serve the next calls. */
static void h2_enter(struct dir *ds, struct h2_body *s)
{
	if (ds->h2_last != s)
		h2_flush_last(ds);
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
	on_end(ds, complete);
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
		ds->h2b[i] = calloc(1, sizeof(*ds->h2b[i])); /* body_start() sets up its decoders */
		return ds->h2b[i];
	}
	h2_body_end(ds, lru, false);
	lane_end(&lru->lane);
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
		if (strcmp(s->dest, dir_dest(ds)))
			lane_end(&s->lane);
		copy_str(s->dest, sizeof(s->dest), dir_dest(ds));

		copy_str(h.content_type, sizeof(h.content_type), st->content_type);
		copy_str(h.content_encoding, sizeof(h.content_encoding), st->content_encoding);
		body_start(ds, &h);
		/* A compressed body whose start was decoded in an evicted slot: counted. */
		if (st->data_seen && (s->b.z || s->b.opaque)) {
			body_free(ds);
			s->b.opaque = true;
		}
		s->id = st->id;
	}
	s->used = ++ds->h2_tick;
	h2_part(ds, s);
	on_body(ds, p, n);
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
	scan(ds, &ds->opaque, p, n);
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
		lane_end(&s->lane);
	}
}

static void h2_bodies_free(struct dir *ds)
{
	for (unsigned i = 0; i < H2_BODIES && ds->h2b[i]; i++) {
		h2_enter(ds, ds->h2b[i]);
		body_free(ds);
		lane_free(ds->text);
		h2_leave(ds);
		ds->h2_last = NULL;
		free(ds->h2b[i]);
		ds->h2b[i] = NULL;
	}
}

/* Frames can no longer be followed: what comes next is raw bytes. */
static void h2_stop(struct dir *ds)
{
	if (!ds->h2)
		return;
	if (ds->holding)
		h2_release(ds);
	h2_bodies_end(ds);
	lane_end(&ds->side);
	lane_end(&ds->opaque);
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
static void h2_start(struct dir *ds, bool preface)
{
	ds->h2 = malloc(sizeof(*ds->h2));
	if (ds->h2 && cs_h2_init(ds->h2, preface) < 0) {
		free(ds->h2);
		ds->h2 = NULL;
	}
	if (!ds->h2)
		return; /* out of memory: HTTP/1 parsing will see raw bytes */
	message_start(ds);
	ds->raw_active = true;
}

static void h2_feed(struct dir *ds, const uint8_t *p, size_t n)
{
	const struct cs_h2_sink sink = {h2_field,      h2_block_end, h2_data,
					h2_stream_end, h2_opaque,    ds};
	size_t used = cs_h2_feed(ds->h2, p, n, &sink);

	h2_publish(ds);
	if (ds->h2->failed) {
		h2_stop(ds);
		on_raw(ds, p + used, n - used);
	}
}

static void dir_feed(struct dir *ds, const uint8_t *p, size_t n)
{
	if (ds->h2)
		h2_feed(ds, p, n);
	else if (ds->h2_dead)
		on_raw(ds, p, n);
	else
		cs_http_feed(&ds->http, p, n);
}

enum sniff { SNIFF_MAYBE, SNIFF_H2, SNIFF_NOT };

/* A server's first frame: SETTINGS on stream 0, no flags, 6-byte entries. */
static enum sniff server_settings(const uint8_t *s, size_t n)
{
	static const uint8_t want[9] = {0, 0, 0, 4, 0, 0, 0, 0, 0};
	static const uint8_t care[9] = {0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	for (size_t i = 0; i < n && i < 9; i++)
		if ((s[i] & care[i]) != want[i])
			return SNIFF_NOT;
	if (n >= 3 && ((unsigned)s[1] << 8 | s[2]) % 6)
		return SNIFF_NOT;
	return n >= 9 ? SNIFF_H2 : SNIFF_MAYBE;
}

/*
 * HTTP/2 from the first bytes: the client's connection preface, or (for
 * the server side) the client side being HTTP/2 already, or a server
 * SETTINGS frame that came before the client's preface was seen.
 */
static enum sniff judge(struct dir *ds)
{
	const struct dir *client = &ds->flow->dirs[CS_DIR_OUTBOUND];
	size_t n = ds->sniff_len < CS_H2_PREFACE_LEN ? ds->sniff_len : CS_H2_PREFACE_LEN;

	if (ds->format_raw)
		return SNIFF_NOT;
	if (ds->dir == CS_DIR_OUTBOUND) {
		if (memcmp(ds->sniff, CS_H2_PREFACE, n))
			return SNIFF_NOT;
		return n == CS_H2_PREFACE_LEN ? SNIFF_H2 : SNIFF_MAYBE;
	}
	if (client->h2_first)
		return SNIFF_H2;
	if (client->sniffed)
		return SNIFF_NOT;
	return server_settings(ds->sniff, ds->sniff_len);
}

/* The first bytes of a direction are held until judge() can tell. */
static void sniff_feed(struct dir *ds, const uint8_t *p, size_t n)
{
	size_t k = n < sizeof(ds->sniff) - ds->sniff_len ? n : sizeof(ds->sniff) - ds->sniff_len;
	enum sniff v;

	memcpy(ds->sniff + ds->sniff_len, p, k);
	ds->sniff_len += k;
	v = judge(ds);
	if (v == SNIFF_MAYBE && k == n && ds->sniff_len < sizeof(ds->sniff))
		return;
	ds->sniffed = true;
	if (v == SNIFF_H2) {
		h2_start(ds, ds->dir == CS_DIR_OUTBOUND);
		ds->h2_first = ds->h2 != NULL;
	}
	dir_feed(ds, ds->sniff, ds->sniff_len);
	dir_feed(ds, p + k, n - k);
}

/* Bytes still held when the stream ends or has a hole: they were not HTTP/2. */
static void sniff_release(struct dir *ds)
{
	if (ds->sniffed)
		return;
	ds->sniffed = true;
	dir_feed(ds, ds->sniff, ds->sniff_len);
}

/* ---- the public API ---- */

static void dir_init(struct cs_flow *f, enum cs_direction dir, enum cs_format format)
{
	struct dir *ds = &f->dirs[dir];
	const struct cs_http_cb cb = {
		.head = on_head,
		.body = on_body,
		.trailer = on_trailer,
		.body_gap = on_body_gap,
		.end = on_end,
		.raw = on_raw,
		.raw_end = on_raw_end,
		.error = on_error,
		.ctx = ds,
	};

	ds->flow = f;
	ds->dir = dir;
	ds->format_raw = format == CS_FORMAT_RAW;
	ds->max_scan = cs_detector_max_scan_bytes(f->d);
	ds->tail_cap = ds->max_scan / 4 < TAIL_MAX ? ds->max_scan / 4 : TAIL_MAX;
	ds->b = &ds->body;
	ds->text = &ds->main;
	cs_http_init(&ds->http, format, &cb);
	text_init(ds);
	cs_percent_multi_init(&ds->b->pct, true);
}

/*
 * The end of a feed: scan what the lanes gathered and publish the bytes
 * scanned, so the shared stats are right whenever a caller looks. Both
 * directions: a response can end the request side's parsing (CONNECT,
 * 101), which scans what that side had buffered.
 */
static void flow_publish(struct cs_flow *f)
{
	for (int i = 0; i < 2; i++) {
		struct dir *ds = &f->dirs[i];

		lane_flush(&ds->main);
		lane_flush(&ds->side);
		lane_flush(&ds->opaque);
		lane_flush(&ds->late_lane);
		h2_flush_last(ds);
		if (ds->scanned_unpublished) {
			COUNT(ds, bytes_scanned, ds->scanned_unpublished);
			ds->scanned_unpublished = 0;
		}
	}
}

static void dir_free(struct dir *ds)
{
	ws_stop(ds);
	if (ds->h2) {
		cs_h2_free(ds->h2);
		free(ds->h2);
	}
	h2_bodies_free(ds);
	free(ds->held);
	body_free(ds);
	cs_http_free(&ds->http);
	late_stop(ds);
	free(ds->late_hold);
	lane_free(&ds->late_lane);
	lane_free(&ds->main);
	lane_free(&ds->side);
	lane_free(&ds->opaque);
}

struct cs_flow *cs_flow_new(struct cs_detector *d, const struct cs_flow_info *info)
{
	struct cs_flow *f;

	if (!d || !info)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->d = d;
	copy_str(f->source, sizeof(f->source), info->source);
	copy_str(f->dest, sizeof(f->dest), info->dest);
	copy_str(f->resp_dest, sizeof(f->resp_dest), info->dest);
	copy_str(f->protocol, sizeof(f->protocol), info->protocol ? info->protocol : "tcp");
	dir_init(f, CS_DIR_OUTBOUND, info->format);
	dir_init(f, CS_DIR_INBOUND, info->format);
	__atomic_fetch_add(&cs_detector_stats_mut(d)->flows_open, 1, __ATOMIC_RELAXED);
	return f;
}

void cs_flow_set_dest(struct cs_flow *f, const char *dest)
{
	copy_str(f->dest, sizeof(f->dest), dest);
	copy_str(f->resp_dest, sizeof(f->resp_dest), dest);
}

int cs_flow_dest_from_host(struct cs_flow *f)
{
	if (!f->pend_dest)
		f->pend_dest = calloc(PENDING_MAX, sizeof(*f->pend_dest));
	return f->pend_dest ? 0 : -1;
}

void cs_flow_set_protocol(struct cs_flow *f, const char *protocol)
{
	copy_str(f->protocol, sizeof(f->protocol), protocol);
}

void cs_flow_feed(struct cs_flow *f, enum cs_direction dir, const void *data, size_t len)
{
	struct dir *ds = &f->dirs[dir == CS_DIR_INBOUND];

	COUNT(ds, bytes_in, len);
	if (ds->sniffed)
		dir_feed(ds, data, len);
	else
		sniff_feed(ds, data, len);
	flow_publish(f);
}

void cs_flow_gap(struct cs_flow *f, enum cs_direction dir, size_t lost)
{
	struct dir *ds = &f->dirs[dir == CS_DIR_INBOUND];

	COUNT(ds, bytes_unscanned, lost);
	sniff_release(ds);
	if (ds->h2)
		h2_stop(ds); /* frame boundaries are lost with the bytes */
	else if (ds->h2_dead)
		on_raw_end(ds);
	else
		cs_http_gap(&ds->http, lost);
	lane_end(&ds->main); /* nothing runs on across lost bytes */
	flow_publish(f);
}

void cs_flow_close(struct cs_flow *f)
{
	if (!f)
		return;
	for (int i = 0; i < 2; i++) {
		struct dir *ds = &f->dirs[i];

		sniff_release(ds);
		h2_stop(ds);
		if (ds->h2_dead)
			on_raw_end(ds);
		else
			cs_http_finish(&ds->http);
	}
	for (int i = 0; i < 2; i++)
		dir_free(&f->dirs[i]);
	flow_publish(f); /* the counts of what closing scanned */
	__atomic_fetch_sub(&cs_detector_stats_mut(f->d)->flows_open, 1, __ATOMIC_RELAXED);
	free(f->pend_dest);
	free(f->h2_dests);
	free(f);
}

void cs_detector_scan_buffer(struct cs_detector *d, const struct cs_flow_info *info,
			     enum cs_direction dir, const void *data, size_t len)
{
	struct cs_flow_info raw;
	struct cs_flow *f;

	if (!d || !info)
		return;
	raw = *info;
	raw.format = CS_FORMAT_RAW;
	f = cs_flow_new(d, &raw);
	if (!f) {
		__atomic_fetch_add(&cs_detector_stats_mut(d)->bytes_unscanned, len,
				   __ATOMIC_RELAXED);
		return;
	}
	cs_flow_feed(f, dir, data, len);
	cs_flow_close(f);
}
