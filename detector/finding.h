/* SPDX-License-Identifier: MIT */
/*
 * finding.h - the clawsec-traffic-finding/v1 record.
 *
 * A finding is what leaves the detector: every text field in it is already
 * redacted and valid UTF-8. The JSON form carries exactly the eleven schema
 * fields (docs/finding.schema.json); the fingerprint and rule id stay in
 * memory for deduplication and statistics.
 */
#ifndef CLAWSEC_FINDING_H
#define CLAWSEC_FINDING_H

#include <stddef.h>
#include <stdint.h>

#define CS_FINDING_SCHEMA "clawsec-traffic-finding/v1"
#define CS_PLATFORM "nanoclaw"

enum cs_direction { CS_DIR_OUTBOUND = 0, CS_DIR_INBOUND = 1 };
enum cs_threat { CS_THREAT_EXFIL = 0, CS_THREAT_INJECTION = 1 };
enum cs_severity { CS_SEV_LOW = 0, CS_SEV_MEDIUM, CS_SEV_HIGH, CS_SEV_CRITICAL };

struct cs_finding {
	enum cs_direction direction;
	enum cs_threat threat;
	enum cs_severity severity;
	char protocol[16];     /* "http", "https", "tcp", "tls" */
	char pattern[32];      /* family id, e.g. "ai_api_key" */
	char rule[48];	       /* rule id inside the family (not serialised) */
	char source[128];      /* local side, see docs/finding-schema.md */
	char dest[272];	       /* host:port */
	char snippet[512];     /* redacted context, valid UTF-8 */
	uint64_t timestamp_ms; /* Unix epoch, milliseconds */
	uint64_t fingerprint;  /* keyed hash of the secret, never the secret */
	/*
	 * Nonzero: not a finding but a summary (CS_FOLD_SCHEMA, detector/fold.h)
	 * of this many repeats folded into an earlier finding with the same
	 * pattern, direction, dest and secret; no snippet.
	 */
	uint64_t folded;
	uint64_t fold_first_ms;	 /* the reported finding the repeats were folded into */
	uint64_t fold_last_ms;	 /* the last repeat */
	uint64_t fold_window_ms; /* the dedup window */
};

const char *cs_direction_name(enum cs_direction d);
const char *cs_threat_name(enum cs_threat t);
const char *cs_severity_name(enum cs_severity s);
/* Parse helpers return 0 on success, -1 for an unknown name. */
int cs_direction_parse(const char *s, enum cs_direction *out);
int cs_threat_parse(const char *s, enum cs_threat *out);
int cs_severity_parse(const char *s, enum cs_severity *out);

/* RFC 3339 UTC with milliseconds: 2026-04-26T00:00:00.000Z (needs 25 bytes). */
#define CS_TIMESTAMP_LEN 32
void cs_format_timestamp(uint64_t epoch_ms, char out[CS_TIMESTAMP_LEN]);
/* Returns 0 and the epoch ms for a timestamp in the form above, -1 otherwise. */
int cs_parse_timestamp(const char *s, uint64_t *epoch_ms);
uint64_t cs_now_ms(void);

struct cJSON;
/* A new cJSON object with exactly the schema fields; NULL on allocation failure. */
struct cJSON *cs_finding_to_json(const struct cs_finding *f);
/* One compact JSON line without the newline, malloc'd; NULL on failure. */
char *cs_finding_to_line(const struct cs_finding *f);
/* Validates and reads a schema object; 0 on success, -1 with a reason in err. */
int cs_finding_from_json(const struct cJSON *obj, struct cs_finding *out, char *err, size_t errlen);

#endif
