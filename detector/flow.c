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

#include "flow_internal.h"

void flow_copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* ---- lanes ---- */

/* The dest this direction's findings are reported with now. */
const char *flow_dir_dest(const struct dir *ds)
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
	const struct cs_flow_meta meta = {f->source, flow_dir_dest(l->ds), f->protocol,
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
		flow_lane_end(l->inner);
}

static void lane_feed(struct lane *l, const uint8_t *p, size_t n)
{
	const struct cs_b64_sink sink = {inner_data, inner_end, l};

	cs_scanner_feed(l->sc, p, n);
	if (l->decodes_b64)
		cs_b64_feed(&l->b64, p, n, &sink);
}

/* Scan what the lane gathered. */
void flow_lane_flush(struct lane *l)
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
		flow_lane_flush(l);
		lane_feed(l, p, n);
		return;
	}
	if (l->staged + n > LANE_STAGE)
		flow_lane_flush(l);
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
	flow_lane_flush(l);
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

void flow_lane_end(struct lane *l)
{
	lane_close_part(l, false);
}

/* The end of a message whose stream goes on: a match may span into the next one. */
void flow_lane_settle(struct lane *l)
{
	lane_close_part(l, true);
}

/* A new message: base64 budgets start again at every depth; truncations are counted. */
static void lane_new_budget(struct lane *l)
{
	flow_lane_flush(l); /* gathered bytes belong to the old budget */
	for (; l && l->sc; l = l->inner) {
		COUNT(l->ds, decode_truncated, l->b64.truncated);
		l->b64.truncated = 0;
		cs_b64_new_budget(&l->b64);
	}
}

void flow_lane_free(struct lane *l)
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
void flow_scan(struct dir *ds, struct lane *l, const uint8_t *p, size_t n)
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

	flow_scan(ds, ds->text, p, n);
}

static void sink_side(void *ctx, const uint8_t *p, size_t n)
{
	struct dir *ds = ctx;

	flow_scan(ds, &ds->side, p, n);
}

void flow_message_start(struct dir *ds)
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

void flow_text_init(struct dir *ds)
{
	cs_jsonstr_init(&ds->b->js);
	cs_jsonstr_init(&ds->b->js2);
}

void flow_text_feed(struct dir *ds, const uint8_t *p, size_t n)
{
	const struct cs_sink once = {sink_unescaped_once, ds};

	cs_jsonstr_feed(&ds->b->js, p, n, &once);
}

static void sink_text(void *ctx, const uint8_t *p, size_t n)
{
	flow_text_feed(ctx, p, n);
}

void flow_text_flush(struct dir *ds)
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
void flow_scan_target(struct dir *ds, const uint8_t *target, size_t len)
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
	flow_scan(ds, &ds->side, h->raw, h->method_len + 1);
	flow_scan_target(ds, h->target, h->target_len);
}

static void scan_head(struct dir *ds, const struct cs_http_head *h)
{
	size_t rest = 0;

	if (h->is_request) {
		scan_request_line(ds, h);
		rest = h->method_len + 1 + h->target_len;
	}
	flow_scan(ds, &ds->side, h->raw + rest, h->raw_len - rest);
	flow_lane_end(&ds->side);
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

void flow_body_start(struct dir *ds, const struct cs_http_head *h)
{
	const char *ce = h->content_encoding;

	ds->b->kind = body_kind(h);
	ds->b->body_seen = 0;
	ds->b->z_failed = false;
	ds->b->opaque = false;
	flow_text_init(ds);
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
		flow_copy_str(f->pend_dest[(f->pend_head + f->pend_count) % PENDING_MAX], DEST_MAX,
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
		flow_copy_str(f->resp_dest, DEST_MAX,
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
bool flow_dest_of_host(const struct cs_flow *f, char out[DEST_MAX], const uint8_t *host, size_t len)
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
		flow_dest_of_host(f, f->dest, h->host, h->host_len);
}

static bool method_is(const struct cs_http_head *h, const char *m)
{
	return h->method_len == strlen(m) && !memcmp(h->method, m, h->method_len);
}

/* ---- message heads: what follows them ---- */

/*
 * A 101 to h2c (RFC 7540 3.2): the server's frames follow this head, the
 * client's follow its connection preface; the upgrade request is stream 1.
 */
static void h2c_start(struct cs_flow *f)
{
	struct dir *out = &f->dirs[CS_DIR_OUTBOUND];

	flow_h2_start(&f->dirs[CS_DIR_INBOUND], false);
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
		flow_ws_start(f, h);
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

	flow_copy_str(before, sizeof(before), flow_dir_dest(ds));
	v = verdict(ds, h);
	/* Body text runs on from message to message only towards one dest. */
	if (strcmp(before, flow_dir_dest(ds)))
		flow_lane_end(&ds->main);
	flow_message_start(ds);
	ds->part = CS_PART_HEAD;
	scan_head(ds, h);
	ds->part = CS_PART_BODY;
	if (v == CS_HTTP_AS_USUAL && h->body != CS_HTTP_BODY_NONE)
		flow_body_start(ds, h);
	if (ds->b->kind == BODY_SSE || ds->b->kind == BODY_NDJSON)
		ds->part = CS_PART_STREAM;
	return v;
}

/* ---- bodies ---- */

/* git push: object texts are bodies of their own, each scanned through the text path. */
static void gp_data(void *ctx, const uint8_t *p, size_t n)
{
	flow_text_feed(ctx, p, n);
}

static void gp_end(void *ctx)
{
	struct dir *ds = ctx;

	flow_text_flush(ds);
	flow_lane_end(ds->text);
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
		flow_text_feed(ds, p, n);
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

void flow_on_body(void *ctx, const uint8_t *p, size_t n)
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
	flow_text_flush(ds);
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
	flow_lane_end(ds->text);
}

void flow_body_free(struct dir *ds)
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

void flow_on_end(void *ctx, bool complete)
{
	struct dir *ds = ctx;

	/* A body whose framing ended before its compressed stream did. */
	if (complete && ds->b->z && !ds->b->z_failed && ds->b->z->status == CS_INFLATE_MORE &&
	    !cs_inflate_complete(ds->b->z) && ds->b->body_seen)
		COUNT(ds, decode_errors, 1);
	content_flush(ds);
	flow_lane_settle(ds->text);
	flow_lane_end(&ds->side);
	flow_body_free(ds);
	ds->b->kind = BODY_TEXT;
	cs_percent_multi_init(&ds->b->pct, true);
	flow_text_init(ds);
}

/* ---- raw bytes ---- */

static void raw_text(struct dir *ds, const uint8_t *p, size_t n)
{
	if (!n)
		return;
	if (!ds->raw_active) {
		flow_lane_end(
			&ds->main); /* a tunnel or a non-HTTP stretch: nothing runs on into it */
		ds->raw_active = true;
		flow_message_start(ds);
		ds->part = CS_PART_RAW;
		flow_text_init(ds);
	}
	if (ds->ws) {
		flow_ws_feed(ds, p, n);
	} else {
		flow_text_feed(ds, p, n);
		flow_late_feed(ds, p, n);
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
		flow_h2_start(ds, false);
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

void flow_on_raw(void *ctx, const uint8_t *p, size_t n)
{
	struct dir *ds = ctx;
	size_t used = 0;

	if (ds->h2c_wait && !ds->h2)
		used = h2c_preface(ds, p, n);
	if (ds->h2)
		flow_h2_feed(ds, p + used, n - used); /* h2c, after the 101 */
	else
		raw_text(ds, p + used, n - used);
}

static void on_raw_end(void *ctx)
{
	struct dir *ds = ctx;

	if (ds->h2)
		return;	  /* the parser's raw stretch ended, HTTP/2 frames go on */
	flow_ws_stop(ds); /* a gap or the end: frames cannot be followed any further */
	flow_late_stop(ds);
	flow_text_flush(ds);
	flow_lane_end(&ds->main);
	flow_lane_end(&ds->side);
	ds->raw_active = false;
}

static void on_error(void *ctx)
{
	struct dir *ds = ctx;

	COUNT(ds, decode_errors, 1);
}

static void dir_feed(struct dir *ds, const uint8_t *p, size_t n)
{
	if (ds->h2)
		flow_h2_feed(ds, p, n);
	else if (ds->h2_dead)
		flow_on_raw(ds, p, n);
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
		flow_h2_start(ds, ds->dir == CS_DIR_OUTBOUND);
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
		.body = flow_on_body,
		.trailer = on_trailer,
		.body_gap = on_body_gap,
		.end = flow_on_end,
		.raw = flow_on_raw,
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
	flow_text_init(ds);
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

		flow_lane_flush(&ds->main);
		flow_lane_flush(&ds->side);
		flow_lane_flush(&ds->opaque);
		flow_lane_flush(&ds->late_lane);
		flow_h2_flush_last(ds);
		if (ds->scanned_unpublished) {
			COUNT(ds, bytes_scanned, ds->scanned_unpublished);
			ds->scanned_unpublished = 0;
		}
	}
}

static void dir_free(struct dir *ds)
{
	flow_ws_stop(ds);
	if (ds->h2) {
		cs_h2_free(ds->h2);
		free(ds->h2);
	}
	flow_h2_bodies_free(ds);
	free(ds->held);
	flow_body_free(ds);
	cs_http_free(&ds->http);
	flow_late_stop(ds);
	free(ds->late_hold);
	flow_lane_free(&ds->late_lane);
	flow_lane_free(&ds->main);
	flow_lane_free(&ds->side);
	flow_lane_free(&ds->opaque);
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
	flow_copy_str(f->source, sizeof(f->source), info->source);
	flow_copy_str(f->dest, sizeof(f->dest), info->dest);
	flow_copy_str(f->resp_dest, sizeof(f->resp_dest), info->dest);
	flow_copy_str(f->protocol, sizeof(f->protocol), info->protocol ? info->protocol : "tcp");
	dir_init(f, CS_DIR_OUTBOUND, info->format);
	dir_init(f, CS_DIR_INBOUND, info->format);
	__atomic_fetch_add(&cs_detector_stats_mut(d)->flows_open, 1, __ATOMIC_RELAXED);
	return f;
}

void cs_flow_set_dest(struct cs_flow *f, const char *dest)
{
	flow_copy_str(f->dest, sizeof(f->dest), dest);
	flow_copy_str(f->resp_dest, sizeof(f->resp_dest), dest);
}

int cs_flow_dest_from_host(struct cs_flow *f)
{
	if (!f->pend_dest)
		f->pend_dest = calloc(PENDING_MAX, sizeof(*f->pend_dest));
	return f->pend_dest ? 0 : -1;
}

void cs_flow_set_protocol(struct cs_flow *f, const char *protocol)
{
	flow_copy_str(f->protocol, sizeof(f->protocol), protocol);
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
		flow_h2_stop(ds); /* frame boundaries are lost with the bytes */
	else if (ds->h2_dead)
		on_raw_end(ds);
	else
		cs_http_gap(&ds->http, lost);
	flow_lane_end(&ds->main); /* nothing runs on across lost bytes */
	flow_publish(f);
}

void cs_flow_close(struct cs_flow *f)
{
	if (!f)
		return;
	for (int i = 0; i < 2; i++) {
		struct dir *ds = &f->dirs[i];

		sniff_release(ds);
		flow_h2_stop(ds);
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
