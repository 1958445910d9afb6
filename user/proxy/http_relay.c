/* SPDX-License-Identifier: MIT */
/*
 * http_relay.c - plain HTTP through the proxy: request heads are parsed and
 * rewritten to origin form, bodies and responses stream through unchanged
 * while their framing is followed, so keep-alive and pipelining work and a
 * request for another origin waits until the responses in flight are done.
 */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *reason_of(int status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 408:
		return "Request Timeout";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	default:
		return "Bad Gateway";
	}
}

/* Answer and stop reading requests; mid-pipeline there is no place for an answer. */
static void answer_stop(struct conn *c, int status, int refused)
{
	c->rq = RQ_STOP;
	c->phase_timed = false;
	if (c->inflight || c->cout.len || conn_answer(c, status, reason_of(status), refused))
		conn_close(c);
}

static void refuse(struct conn *c, int status)
{
	if (status != 502)
		atomic_fetch_add(&c->px->client_errors, 1);
	answer_stop(c, status, 0);
}

static void read_head(struct conn *c)
{
	size_t max = c->gen->cfg.proxy_max_header_bytes, end;
	int st;

	if (!c->cin.len)
		return;
	if (!c->phase_timed) {
		c->phase_timed = true;
		c->phase_start = cs_mono_ms();
	}
	end = hm_head_end(c->cin.data + c->cin.off, c->cin.len, &c->rq_scan);
	if (!end) {
		if (c->cin.len > max)
			refuse(c, 431);
		return;
	}
	if (end > max) {
		refuse(c, 431);
		return;
	}
	free(c->head);
	c->head = malloc(end + HM_HOST_MAX + 16);
	if (!c->head) {
		conn_close(c);
		return;
	}
	st = hm_parse_request(c->cin.data + c->cin.off, end, &c->req, c->head,
			      end + HM_HOST_MAX + 16, &c->head_len);
	if (st) {
		refuse(c, st);
		return;
	}
	c->cin.off += end;
	c->cin.len -= end;
	if (!c->cin.len)
		c->cin.off = 0;
	c->rq_scan = 0;
	c->phase_timed = false;
	c->rq = RQ_WAIT;
}

static bool same_origin(const struct conn *c)
{
	return c->up.w.fd >= 0 && !c->up.rd_eof && !c->up.wr_shut && c->port == c->req.port &&
	       !strcasecmp(c->host, c->req.host);
}

static void next_request(struct conn *c)
{
	c->rq = c->client_last ? RQ_STOP : RQ_HEAD;
}

/* A parsed request: open (or switch) the upstream, then send its head. */
static void dispatch(struct conn *c)
{
	if (c->opening)
		return;
	if (c->req.connect) {
		if (c->inflight || c->cout.len)
			return;
		conn_drop_upstream(c);
		free(c->head);
		c->head = NULL;
		c->st = C_CONNECT;
		c->phase_timed = true;
		c->phase_start = cs_mono_ms();
		conn_open_upstream(c, c->req.host, c->req.port);
		return;
	}
	if (!same_origin(c)) {
		if (c->inflight)
			return;
		conn_drop_upstream(c);
		conn_open_upstream(c, c->req.host, c->req.port);
		return;
	}
	if (c->inflight == CS_PIPELINE_MAX || c->upout.len >= CS_IO_CHUNK)
		return;
	if (buf_append(&c->upout, c->head, c->head_len)) {
		conn_close(c);
		return;
	}
	conn_feed(c, CS_DIR_OUTBOUND, c->head, c->head_len);
	free(c->head);
	c->head = NULL;
	c->inflight_head[(c->inflight_start + c->inflight++) % CS_PIPELINE_MAX] = c->req.head;
	c->client_last = !c->req.keep_alive;
	hm_body_start(&c->rq_body, c->req.body, c->req.length);
	if (hm_body_done(&c->rq_body))
		next_request(c);
	else
		c->rq = RQ_BODY;
}

static void stream_body(struct conn *c)
{
	size_t room = CS_IO_CHUNK > c->upout.len ? CS_IO_CHUNK - c->upout.len : 0;
	size_t n = c->cin.len < room ? c->cin.len : room;
	const char *p = c->cin.data + c->cin.off;
	ssize_t used;

	if (!c->cin.len && c->cl.rd_eof) {
		conn_close(c); /* the body will never be complete */
		return;
	}
	if (!n)
		return;
	used = hm_body_feed(&c->rq_body, p, n);
	if (used < 0) {
		atomic_fetch_add(&c->px->client_errors, 1);
		conn_close(c);
		return;
	}
	if (buf_append(&c->upout, p, (size_t)used)) {
		conn_close(c);
		return;
	}
	conn_feed(c, CS_DIR_OUTBOUND, p, (size_t)used);
	c->cin.off += (size_t)used;
	c->cin.len -= (size_t)used;
	if (!c->cin.len)
		c->cin.off = 0;
	if (hm_body_done(&c->rq_body))
		next_request(c);
}

void http_client_process(struct conn *c)
{
	for (int guard = 0; guard < CS_PIPELINE_MAX + 2 && !c->dead && c->st == C_HTTP; guard++) {
		enum req_phase before = c->rq;
		size_t before_len = c->cin.len;

		if (c->rq == RQ_HEAD)
			read_head(c);
		else if (c->rq == RQ_WAIT)
			dispatch(c);
		else if (c->rq == RQ_BODY)
			stream_body(c);
		if (c->dead || (c->rq == before && c->cin.len == before_len))
			return;
	}
}

void http_upstream_ready(struct conn *c)
{
	conn_new_flow(c, "http", CS_FORMAT_HTTP);
}

void http_upstream_failed(struct conn *c, int refused)
{
	conn_drop_upstream(c);
	if (refused)
		answer_stop(c, 403, refused); /* counted by reason, not as a client error */
	else
		refuse(c, 502);
}

static void response_done(struct conn *c)
{
	c->rs_in_body = false;
	c->inflight_start = (c->inflight_start + 1) % CS_PIPELINE_MAX;
	c->inflight--;
	if (!c->rs_keep)
		c->close_after_flush = true;
}

/* Parse one response head at cout[ready..]; false when more bytes are needed or it failed. */
static bool response_head(struct conn *c)
{
	const char *p = c->cout.data + c->cout.off + c->ready;
	size_t n = c->cout.len - c->ready, end;
	struct hm_response r;

	end = hm_head_end(p, n, &c->rs_scan);
	if (!end) {
		if (n >= CS_RESP_HEAD_MAX) {
			atomic_fetch_add(&c->px->upstream_errors, 1);
			conn_close(c);
		}
		return false;
	}
	if (hm_parse_response(p, end, c->inflight_head[c->inflight_start], &r)) {
		atomic_fetch_add(&c->px->upstream_errors, 1);
		conn_close(c);
		return false;
	}
	c->ready += end;
	c->rs_scan = 0;
	if (r.status == 101) {
		/* Upgraded (WebSocket...): from here on an opaque tunnel, still scanned. */
		c->inflight = 0;
		c->st = C_TUNNEL;
		c->scan_decided = true;
		c->ready = c->cout.len;
		return false;
	}
	if (r.status < 200)
		return true; /* interim response: the final one follows */
	c->rs_keep = r.keep_alive;
	c->rs_eof = r.body == HM_BODY_EOF;
	hm_body_start(&c->rs_body, r.body, r.length);
	c->rs_in_body = true;
	return true;
}

void http_upstream_process(struct conn *c)
{
	while (!c->dead && c->st == C_HTTP && c->ready < c->cout.len) {
		if (!c->rs_in_body) {
			if (!c->inflight) {
				/* Bytes nobody asked for: drop them and the connection they came
				 * on. */
				c->cout.len = c->ready;
				conn_drop_upstream(c);
				return;
			}
			if (!response_head(c))
				return;
			continue;
		}
		ssize_t used = hm_body_feed(&c->rs_body, c->cout.data + c->cout.off + c->ready,
					    c->cout.len - c->ready);

		if (used < 0) {
			atomic_fetch_add(&c->px->upstream_errors, 1);
			conn_close(c);
			return;
		}
		c->ready += (size_t)used;
		if (hm_body_done(&c->rs_body))
			response_done(c);
	}
}

void http_upstream_eof(struct conn *c)
{
	if (c->rs_in_body && c->rs_eof) {
		c->rs_keep = false;
		response_done(c);
		return;
	}
	if (!c->inflight && !c->rs_in_body && c->ready == c->cout.len) {
		conn_drop_upstream(c); /* an idle keep-alive connection closed by the origin */
		return;
	}
	atomic_fetch_add(&c->px->upstream_errors, 1);
	if (!c->rs_in_body && c->ready == c->cout.len && !c->cout.len && c->inflight == 1) {
		c->inflight = 0;
		conn_drop_upstream(c);
		refuse(c, 502);
		return;
	}
	c->ready = c->cout.len; /* truncated: pass on what came, then close */
	c->close_after_flush = true;
	c->rq = RQ_STOP;
}

bool http_done(const struct conn *c)
{
	if (c->inflight || c->cout.len || c->opening)
		return false;
	if (c->rq == RQ_STOP)
		return true;
	return c->rq == RQ_HEAD && c->cl.rd_eof;
}
