/* SPDX-License-Identifier: MIT */
/*
 * fold.h - the clawsec-traffic-fold/v1 record: what the findings log says
 * when deduplication folded repeats of a finding, so that nothing is ever
 * throttled silently. One record per closed window with repeats:
 * "N more of pattern P to D in the last M s". docs/finding-schema.md
 * describes it; readers of clawsec-traffic-finding/v1 lines tell the two
 * apart by schema_version.
 */
#ifndef CLAWSEC_FOLD_H
#define CLAWSEC_FOLD_H

#include <stdbool.h>

#include "finding.h"

#define CS_FOLD_SCHEMA "clawsec-traffic-fold/v1"

struct cJSON;

/* The JSON form of a summary (f->folded > 0); NULL on allocation failure. */
struct cJSON *cs_fold_to_json(const struct cs_finding *f);
/* True when obj is a fold summary record (readers of findings skip or show it). */
bool cs_fold_record(const struct cJSON *obj);
/*
 * Read a fold record back (for views that show them): 0 and *out with
 * folded > 0, or -1 when obj is not a well-formed clawsec-traffic-fold/v1.
 */
int cs_fold_from_json(const struct cJSON *obj, struct cs_finding *out);
/* The record's message, "N more of pattern P to D in the last M s", into out. */
void cs_fold_message(const struct cs_finding *f, char *out, size_t len);

#endif
