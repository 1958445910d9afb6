/* SPDX-License-Identifier: MIT */
/*
 * flows.h - turn ring-buffer records (bpf/capture.h) into detector flows.
 *
 * One flow per (tgid, SSL*) and per (tgid, socket fd). Data records of one
 * call are put back together by call_id/offset; what the kernel cut (past
 * the per-call cap) or lost (ring buffer full) reaches the detector as a
 * gap, never silently. An SSL* learns its socket from CS_EV_SSL_FD, and so
 * its peer ip:port; with the SNI from CS_EV_SSL_SNI the destination is
 * "sni:port", else "ip:port". Plaintext of an SSL flow is held back (bounded
 * in bytes and time) until its destination is known, so findings carry it.
 *
 * A socket whose bytes are TLS records is never scanned as cleartext: the
 * SSL flow over it covers its plaintext. The number of flows is bounded;
 * the least recently used one is closed (and flushed) to make room.
 */
#ifndef CLAWSEC_FLOWS_H
#define CLAWSEC_FLOWS_H

#include <stddef.h>
#include <stdint.h>

#include "detector.h"

#define CS_FLOWS_MAX_DEFAULT 4096
#define CS_FLOWS_HOLD_BYTES (256u << 10) /* per flow, waiting for a destination */
#define CS_FLOWS_HOLD_TOTAL (16u << 20)	 /* all flows together */
#define CS_FLOWS_HOLD_MS 300		 /* then released with what is known */

struct cs_flows_stats {
	uint64_t records;     /* records handled */
	uint64_t bad_records; /* malformed, ignored */
	uint64_t flows_opened;
	uint64_t flows_evicted;		/* closed early to stay under the bound */
	uint64_t gaps;			/* gap reports sent to the detector */
	uint64_t gap_bytes;		/* bytes those gaps stood for */
	uint64_t tls_sockets;		/* sockets found carrying TLS, not scanned */
	uint64_t released_without_dest; /* held data released before the dest was known */
	uint64_t open;
};

/* Names the local side of a flow ("comm/pid" or "container/comm/pid"). */
typedef void (*cs_source_fn)(void *ctx, uint32_t tgid, char *out, size_t len);

struct cs_flows;

struct cs_flows *cs_flows_new(struct cs_detector *d, size_t max_flows, cs_source_fn fn, void *ctx);
/* Closes (flushes) every flow, then frees. */
void cs_flows_free(struct cs_flows *fl);
/* Handle one ring-buffer record of `len` bytes; -1 when it is malformed. */
int cs_flows_record(struct cs_flows *fl, const void *rec, size_t len);
/* Release held data older than CS_FLOWS_HOLD_MS (ts from bpf_ktime_get_ns's clock). */
void cs_flows_tick(struct cs_flows *fl, uint64_t now_ns);
/* Close every flow of a process (it exited or is no longer a target). */
void cs_flows_close_pid(struct cs_flows *fl, uint32_t tgid);
/* Close every flow and continue with another detector (config reload). */
void cs_flows_set_detector(struct cs_flows *fl, struct cs_detector *d);
void cs_flows_get_stats(const struct cs_flows *fl, struct cs_flows_stats *out);

#endif
