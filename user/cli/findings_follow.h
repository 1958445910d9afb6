/* SPDX-License-Identifier: MIT */
/*
 * findings_follow.h - the live views of the findings log: `findings
 * --follow` (new lines as they are written, like journalctl -f, across
 * rotation) and `findings --html FILE` (one self-contained page).
 */
#ifndef CLAWSEC_FINDINGS_FOLLOW_H
#define CLAWSEC_FINDINGS_FOLLOW_H

#include <stdbool.h>

#include "logstore.h"

/*
 * Print the last few matching findings, then every new matching finding
 * and fold summary as it is appended, until stdout fails or a signal ends
 * the process. A rotated or truncated file is read to its end, then the new
 * one from its start. Returns an exit status on error only.
 */
int cs_findings_follow(const char *log_dir, const struct cs_findings_query *q, bool json,
		       unsigned width);

/*
 * Write the matching findings as one HTML page to path (0600, no external
 * assets, no server): a timeline by severity, counts by pattern and by
 * destination, and a filterable table. 0, or -1 with a message on stderr.
 */
int cs_findings_html(const char *log_dir, const struct cs_findings_query *q, const char *path);

#endif
