/* SPDX-License-Identifier: MIT */
/*
 * detector_internal.h - what the decoding pipeline (flow.c) needs from the
 * detector core (detector.c): its registry, limits and counters, and the
 * single place where a scanner match becomes a redacted, deduplicated
 * finding handed to the user's callback.
 */
#ifndef CLAWSEC_DETECTOR_INTERNAL_H
#define CLAWSEC_DETECTOR_INTERNAL_H

#include "detector.h"
#include "scanner.h"

/* Which part of a message a match was seen in: it ranks the finding (severity.c). */
enum cs_part {
	CS_PART_RAW = 0, /* not HTTP (a tunnel, a raw buffer): no context known */
	CS_PART_HEAD,	 /* request line and header fields */
	CS_PART_BODY,	 /* a message body */
	CS_PART_STREAM,	 /* an SSE or NDJSON body: streamed model output */
};

/* Where a match was seen; strings are borrowed for the duration of the call. */
struct cs_flow_meta {
	const char *source;
	const char *dest;
	const char *protocol;
	enum cs_part part;
};

const struct cs_registry *cs_detector_registry(const struct cs_detector *d);
/* Effective limits after defaults and hard bounds were applied. */
size_t cs_detector_max_scan_bytes(const struct cs_detector *d);
unsigned cs_detector_base64_depth(const struct cs_detector *d);
/* Counters the pipeline updates (bytes_in, bytes_scanned, decode_errors, ...). */
struct cs_detector_stats *cs_detector_stats_mut(struct cs_detector *d);

/*
 * Turn a match into a finding: apply the rule's validators, redact the
 * snippet, fingerprint the secret with the detector's key, deduplicate,
 * and call the user's callback. The raw secret never leaves this call.
 */
void cs_detector_report(struct cs_detector *d, const struct cs_flow_meta *meta,
			enum cs_direction dir, const struct cs_match *m);

#endif
