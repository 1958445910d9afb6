/* SPDX-License-Identifier: MIT */
/*
 * ship_format.h - one finding (or fold summary) as the log pipeline takes
 * it: an RFC 5424 syslog message whose MSG is the redacted JSON line and
 * whose structured data names pattern, severity and direction; and a
 * journald native-protocol datagram with MESSAGE= and CLAWSEC_* fields.
 */
#ifndef CLAWSEC_SHIP_FORMAT_H
#define CLAWSEC_SHIP_FORMAT_H

#include <stddef.h>

#include "finding.h"

/* syslog facility local0; severities as in docs/fleet.md. */
#define CS_SHIP_FACILITY 16
/* SD-ID: the RFC 5612 documentation enterprise number until one is assigned. */
#define CS_SHIP_SD_ID "clawsec@32473"

struct cs_ship_rec {
	char *json; /* the JSONL line, as written to findings.jsonl */
	enum cs_severity severity;
	enum cs_direction direction;
	char pattern[32];
	char dest[272];
	int fold; /* a clawsec-traffic-fold/v1 summary */
	uint64_t timestamp_ms;
};

/* syslog severity (and journald PRIORITY) for a finding severity. */
int cs_ship_priority(enum cs_severity s);
/*
 * The RFC 5424 message (no framing) into out; returns its length, or 0 when
 * it does not fit in cap. host: this machine's name (sanitised here).
 */
size_t cs_ship_syslog(const struct cs_ship_rec *r, const char *host, int pid, char *out,
		      size_t cap);
/* The journald native datagram into out; its length, or 0 when it does not fit. */
size_t cs_ship_journald(const struct cs_ship_rec *r, char *out, size_t cap);

#endif
