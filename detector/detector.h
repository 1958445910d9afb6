/* SPDX-License-Identifier: MIT */
/*
 * detector.h - public API of the detection library.
 *
 * Everything above the detector (the eBPF agent, the proxy, `scan`) talks
 * to it through this header only: create a detector from a config, open a
 * flow per connection, feed it bytes in chunks of any size per direction,
 * and receive redacted, deduplicated findings through a callback.
 */
#ifndef CLAWSEC_DETECTOR_H
#define CLAWSEC_DETECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credhome.h"
#include "finding.h"

#define CS_MAX_SCAN_BYTES_DEFAULT (4u << 20)
#define CS_MAX_SCAN_BYTES_HARD (16u << 20)
#define CS_BASE64_DEPTH_DEFAULT 2
#define CS_BASE64_DEPTH_MAX 4
#define CS_DEDUP_WINDOW_DEFAULT_MS 60000u

struct cs_severity_override {
	const char *family;
	enum cs_severity severity;
};

struct cs_detector_config {
	size_t max_scan_bytes;	     /* decoded bytes scanned per message; 0 = default */
	unsigned base64_depth;	     /* 0 = default */
	uint64_t dedup_window_ms;    /* 0 = report every finding */
	const char *const *disabled; /* NULL-terminated family ids, or NULL */
	const struct cs_severity_override *overrides;
	size_t n_overrides;
	const uint8_t *fingerprint_key; /* 32 bytes; NULL = random per process */
	/*
	 * Credentials and their destinations (credhome.h): hosts added to
	 * the built-in homes, and the source classes (bits of enum cs_origin)
	 * whose real keys are an alert even to their own provider.
	 */
	const struct cs_home_host *home_hosts;
	size_t n_home_hosts;
	unsigned strict_origins;
	bool strict_origins_set; /* false: CS_STRICT_DEFAULT (containers) */
};

/* Counters; every byte not scanned and every decode failure is counted here. */
struct cs_detector_stats {
	uint64_t bytes_in;	      /* raw bytes fed to flows */
	uint64_t bytes_scanned;	      /* decoded bytes run through the scanner */
	uint64_t bytes_unscanned;     /* past max_scan_bytes in an HTTP message, or lost */
	uint64_t messages;	      /* HTTP messages (or raw stretches) seen */
	uint64_t decode_errors;	      /* malformed chunked / gzip / framing */
	uint64_t decode_truncated;    /* decoder output bounds hit */
	uint64_t regex_limit_hits;    /* PCRE2 match or depth limit reached */
	uint64_t findings;	      /* reported after deduplication */
	uint64_t findings_suppressed; /* folded into an earlier finding */
	uint64_t fold_summaries;      /* clawsec-traffic-fold/v1 records saying so */
	uint64_t flows_open;
};

/*
 * Receives each finding, and each summary of folded repeats (f->folded > 0,
 * a clawsec-traffic-fold/v1 record when serialised: count it apart).
 */
typedef void (*cs_finding_fn)(void *ctx, const struct cs_finding *f);

struct cs_detector;

/* NULL with a reason in err on a bad config or a regex that fails to compile. */
struct cs_detector *cs_detector_new(const struct cs_detector_config *cfg, cs_finding_fn fn,
				    void *ctx, char *err, size_t errlen);
void cs_detector_free(struct cs_detector *d);
void cs_detector_get_stats(const struct cs_detector *d, struct cs_detector_stats *out);
/*
 * Summarise dedup windows that have closed (all: every open one, before
 * shutdown) through the finding callback. Call it from a periodic timer so
 * a flood that stops is still reported; NULL is a no-op.
 */
void cs_detector_sweep_folds(struct cs_detector *d, bool all);

/* The family ids the registry knows, for config validation and listings. */
size_t cs_family_count(void);
const char *cs_family_id(size_t i);
bool cs_family_known(const char *id);

enum cs_format { CS_FORMAT_AUTO = 0, CS_FORMAT_HTTP, CS_FORMAT_RAW };

struct cs_flow_info {
	const char *source;    /* copied */
	const char *dest;      /* copied; host:port, may be updated later */
	const char *protocol;  /* copied; "http", "https", "tcp" */
	enum cs_format format; /* AUTO: HTTP when the bytes parse as HTTP/1.x */
};

struct cs_flow;

struct cs_flow *cs_flow_new(struct cs_detector *d, const struct cs_flow_info *info);
/* Learned later (TLS SNI, connect()): applies to findings from now on. */
void cs_flow_set_dest(struct cs_flow *f, const char *dest);
void cs_flow_set_protocol(struct cs_flow *f, const char *protocol);
/*
 * Offline traffic with no known peer (call before feeding): each request's
 * Host field (HTTP/2: its :authority) names the dest of its findings and of
 * its response's (":80", or ":443" for protocol "https", when it has no
 * port). A missing, repeated or invalid Host keeps the dest before it. A function rather than a
 * cs_flow_info field so that callers' initialisers stay complete.
 * -1 when out of memory.
 */
int cs_flow_dest_from_host(struct cs_flow *f);
/*
 * Feed bytes as seen on the wire in one direction. Outbound carries requests,
 * inbound carries responses. Chunks may split anywhere.
 */
void cs_flow_feed(struct cs_flow *f, enum cs_direction dir, const void *data, size_t len);
/* The capture lost `lost` bytes in this direction: resynchronise, count it. */
void cs_flow_gap(struct cs_flow *f, enum cs_direction dir, size_t lost);
/* Flush what is pending (an unterminated body, a trailing SSE event) and free. */
void cs_flow_close(struct cs_flow *f);

/* Scan one standalone buffer as a raw message in one direction (no HTTP framing). */
void cs_detector_scan_buffer(struct cs_detector *d, const struct cs_flow_info *info,
			     enum cs_direction dir, const void *data, size_t len);

#endif
