/* SPDX-License-Identifier: MIT */
/*
 * flow_internal.h - the decoding pipeline's per-flow state, shared by
 * flow.c (HTTP/1, WebSocket, raw bytes, the public API) and flow_h2.c
 * (HTTP/2 frames and streams). Nothing outside those two includes it.
 */
#ifndef CLAWSEC_FLOW_INTERNAL_H
#define CLAWSEC_FLOW_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	/* A WebSocket joined late (no 101 seen): see flow_ws.c. */
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

static inline struct cs_detector_stats *stats(struct dir *ds)
{
	return cs_detector_stats_mut(ds->flow->d);
}

/* Flows of one detector may be fed from several threads: counters add atomically. */
#define COUNT(ds, field, n) __atomic_fetch_add(&stats(ds)->field, (uint64_t)(n), __ATOMIC_RELAXED)

/* flow.c: the lanes, text decoding, heads and bodies flow_h2.c and flow_ws.c feed. */
void flow_body_free(struct dir *ds);
void flow_body_start(struct dir *ds, const struct cs_http_head *h);
void flow_copy_str(char *dst, size_t cap, const char *src);
bool flow_dest_of_host(const struct cs_flow *f, char out[DEST_MAX], const uint8_t *host,
		       size_t len);
const char *flow_dir_dest(const struct dir *ds);
void flow_lane_end(struct lane *l);
void flow_lane_flush(struct lane *l);
void flow_lane_free(struct lane *l);
void flow_message_start(struct dir *ds);
void flow_on_body(void *ctx, const uint8_t *p, size_t n);
void flow_on_end(void *ctx, bool complete);
void flow_on_raw(void *ctx, const uint8_t *p, size_t n);
void flow_scan(struct dir *ds, struct lane *l, const uint8_t *p, size_t n);
void flow_scan_target(struct dir *ds, const uint8_t *target, size_t len);

void flow_lane_settle(struct lane *l);
void flow_text_feed(struct dir *ds, const uint8_t *p, size_t n);
void flow_text_flush(struct dir *ds);
void flow_text_init(struct dir *ds);

/* flow_ws.c: WebSocket frames after a 101, and a WebSocket joined after its 101. */
void flow_late_feed(struct dir *ds, const uint8_t *p, size_t n);
void flow_late_stop(struct dir *ds);
void flow_ws_feed(struct dir *ds, const uint8_t *p, size_t n);
void flow_ws_start(struct cs_flow *f, const struct cs_http_head *h);
void flow_ws_stop(struct dir *ds);

/* flow_h2.c: HTTP/2 on one direction, from its preface (or an h2c upgrade) on. */
void flow_h2_start(struct dir *ds, bool preface);
void flow_h2_feed(struct dir *ds, const uint8_t *p, size_t n);
void flow_h2_flush_last(struct dir *ds);
void flow_h2_bodies_free(struct dir *ds);
void flow_h2_stop(struct dir *ds);

#endif
