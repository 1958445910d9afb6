/* SPDX-License-Identifier: MIT */
/*
 * conn.h - one proxied client connection and its upstream: bounded buffers,
 * backpressure (a side is read only while the buffer towards the other side
 * has room), half-close, timeouts, and the state machine that takes a
 * connection from its first request head to plain HTTP forwarding, an opaque
 * CONNECT tunnel, or an inspected TLS session.
 */
#ifndef CLAWSEC_PROXY_CONN_H
#define CLAWSEC_PROXY_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "destpolicy.h"
#include "http_msg.h"
#include "loop.h"
#include "peers.h"
#include "proxy.h"
#include "resolve.h"
#include "tls_mitm.h"
#include "upstream.h"

#define CS_IO_CHUNK (16u << 10)	     /* per-direction relay buffer */
#define CS_RESP_HEAD_MAX (64u << 10) /* response heads larger than this are refused */
#define CS_PIPELINE_MAX 16	     /* requests in flight on one connection */

/* Settings, detector and CA of one configuration; connections keep theirs across reloads. */
struct px_gen {
	unsigned refs;
	struct cs_config cfg;
	struct cs_parent_proxy parent;
	struct cs_detector *det;
	struct cs_mitm *mitm;	    /* NULL: inspection off */
	struct cs_dest_rules rules; /* points into cfg */
};

struct conn;

struct cs_proxy {
	struct cs_loop *loop;
	struct cs_resolver *res;
	struct cs_watch lw;
	char listen[160];
	bool listen_paused;
	bool inspecting; /* guarded by mu */
	struct px_gen *gen;
	cs_finding_fn fn;
	void *fn_ctx;
	struct conn *conns; /* all open connections */
	struct conn *dead;  /* closed during this batch, freed after it */
	size_t nconns;
	pthread_mutex_t mu;	/* guards pending, stats.detector */
	struct px_gen *pending; /* a reload waiting for the loop */
	bool thread_started;
	pthread_t thread;
	_Atomic uint64_t connections, active, refused, bytes_up, bytes_down, inspected, tunnelled,
		upstream_errors, client_errors, refused_per_client;
	struct cs_detector_stats det_stats;
	size_t leaves;
	struct cs_dest_local local; /* loop thread only */
	struct cs_peers *peers;	    /* open connections per client, loop thread only */
	unsigned ticks;
	_Atomic uint64_t dest_refused[CS_DEST_REASONS];
};

struct cs_buf {
	char *data;
	size_t off, len, cap;
};

struct side {
	struct cs_watch w; /* w.fd < 0: no socket */
	SSL *ssl;
	bool rd_eof;   /* the peer will send nothing more */
	bool wr_shut;  /* we sent our FIN / close_notify */
	uint32_t need; /* events the last blocked operations wait for */
};

enum conn_state {
	C_HTTP,	      /* plain HTTP requests, forwarded in origin form */
	C_CONNECT,    /* CONNECT parsed, upstream being opened */
	C_TUNNEL,     /* opaque bytes both ways */
	C_TLS_CLIENT, /* client handshake (paused at its ClientHello while upstream runs) */
	C_TLS_UP,     /* upstream handshake */
	C_TLS_RELAY,  /* inspected: plaintext between two TLS sessions */
};

enum req_phase { RQ_HEAD, RQ_WAIT, RQ_BODY, RQ_STOP };

struct conn {
	struct cs_proxy *px;
	struct px_gen *gen;
	struct conn *prev, *next;
	bool dead;
	enum conn_state st;
	struct side cl, up;
	struct cs_upstream *opening;
	struct cs_buf cin;	/* from the client */
	struct cs_buf upout;	/* HTTP mode: rewritten requests towards the origin */
	struct cs_buf cout;	/* towards the client */
	size_t ready;		/* HTTP mode: bytes of cout framed and writable */
	bool close_after_flush; /* answer sent or last response: close when cout drains */
	uint64_t last_active, phase_start;
	bool phase_timed;	 /* the header/handshake timeout runs from phase_start */
	char source[80];	 /* "proxy/<ip>:<port>" */
	struct cs_peer_key peer; /* counted in px->peers while open */
	char host[HM_HOST_MAX];	 /* current origin */
	uint16_t port;
	bool scan_decided; /* tunnels: whether to scan was decided on the first byte */
	struct cs_flow *flow;

	/* plain HTTP */
	enum req_phase rq;
	size_t rq_scan;
	struct hm_request req;
	char *head; /* rewritten head waiting for its upstream */
	size_t head_len;
	struct hm_body_state rq_body;
	bool client_last; /* the request in flight said Connection: close */
	bool inflight_head[CS_PIPELINE_MAX];
	unsigned inflight_start, inflight;
	bool rs_in_body, rs_keep, rs_eof;
	size_t rs_scan;
	struct hm_body_state rs_body;

	/* inspection */
	struct cs_mitm_hello hello;
	char tls_name[HM_HOST_MAX];
};

/* proxy.c */
void px_gen_put(struct px_gen *g);
/* Refresh px->local (the host's interface addresses) now. */
void px_local_refresh(struct cs_proxy *px);

/* conn.c */
/* The client's slot in px->peers is taken; conn_accept gives it back if it fails. */
void conn_accept(struct cs_proxy *px, int fd, const struct sockaddr_storage *peer,
		 const struct cs_peer_key *key);
void conn_close(struct conn *c);
void conn_pump(struct conn *c);
void conn_tick(struct conn *c, uint64_t now);
void conn_free(struct conn *c);
/*
 * Queue an answer for the client (cout) and close after it; `refused` (a
 * destination policy verdict, or 0) adds the X-Clawsec-Refused header.
 * -1 when memory is short.
 */
int conn_answer(struct conn *c, int status, const char *reason, int refused);
int buf_append(struct cs_buf *b, const void *p, size_t n);
void conn_drop_upstream(struct conn *c);
void conn_open_upstream(struct conn *c, const char *host, uint16_t port);
void conn_new_flow(struct conn *c, const char *protocol, enum cs_format fmt);
void conn_feed(struct conn *c, enum cs_direction dir, const void *p, size_t n);

/* http_relay.c: plain HTTP framing on a connection in C_HTTP */
void http_client_process(struct conn *c);
void http_upstream_process(struct conn *c);
void http_upstream_eof(struct conn *c);
bool http_done(const struct conn *c);
void http_upstream_ready(struct conn *c);
/* refused: the destination policy's verdict (403), or 0 for an unreachable origin (502). */
void http_upstream_failed(struct conn *c, int refused);

/* tls side of conn.c, also used by http_relay.c for CONNECT */
void conn_connect_parsed(struct conn *c);

#endif
