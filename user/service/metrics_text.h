/* SPDX-License-Identifier: MIT */
/*
 * metrics_text.h - the Prometheus text exposition (format 0.0.4) of one
 * process's state document: every counter the state keeps, under
 * clawsec_traffic_* names with HELP and TYPE, counters ending in _total,
 * bytes and seconds in base units. Labels only ever take values from small
 * fixed sets (pattern ids, severities, directions, TLS paths, outcomes):
 * never a pid, a dest, a group or a container id.
 */
#ifndef CLAWSEC_METRICS_TEXT_H
#define CLAWSEC_METRICS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "finding.h"

struct cJSON;

/* Findings by (pattern, severity, direction): at most every family x 4 x 2. */
#define CS_METRICS_MAX_FINDING_KEYS 512

struct cs_metrics_finding_count {
	char pattern[32];
	enum cs_severity severity;
	enum cs_direction direction;
	uint64_t count;
};

struct cs_metrics_view {
	const struct cJSON *state; /* the latest state document, or NULL */
	const char *process;	   /* "agent", "serve" or "proxy" */
	const char *version;	   /* of the build */
	const struct cs_metrics_finding_count *findings;
	size_t n_findings;
	const char *log_sha256; /* of the findings log, or NULL */
	uint64_t scrapes;	/* answered before this one */
	uint64_t refused;	/* connections refused over the cap */
};

/* The whole exposition, malloc'd and NUL-terminated; NULL when out of memory. */
char *cs_metrics_render(const struct cs_metrics_view *v, size_t *len);

#endif
