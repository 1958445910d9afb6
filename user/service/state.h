/* SPDX-License-Identifier: MIT */
/*
 * state.h - the live state file <home>/state.json (clawsec-traffic-state/v1)
 * and the posture block derived from it (clawsec-traffic-posture/v1).
 *
 * The running agent (or `serve`) builds a document with cs_state_new(),
 * replaces the blocks it owns ("capture", "targets", "proxy", ...) and calls
 * cs_state_write() about once a second. Readers treat the file as stale when
 * its pid is dead or updated_at is more than CS_STATE_STALE_MS old.
 */
#ifndef CLAWSEC_STATE_H
#define CLAWSEC_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "detector.h"
#include "jsonl.h"

#define CS_STATE_SCHEMA "clawsec-traffic-state/v1"
#define CS_POSTURE_SCHEMA "clawsec-traffic-posture/v1"
#define CS_STATE_STALE_MS 10000
/* Under home: the state of a standalone `clawsec-traffic proxy`, kept apart from state.json. */
#define CS_PROXY_STATE_NAME "proxy-state.json"

struct cJSON;

/*
 * A state document for this process: schema, pid, started_at, mode,
 * config_path, config_sha256, log_file, and default blocks (capture and
 * proxy disabled, zero counters, no targets). NULL on allocation failure.
 */
struct cJSON *cs_state_new(const struct cs_config *c, uint64_t started_at_ms);
/* Replace (or add) one top-level block; takes ownership of value. */
void cs_state_set(struct cJSON *state, const char *key, struct cJSON *value);
struct cJSON *cs_state_detector_json(const struct cs_detector_stats *s);
struct cJSON *cs_state_writer_json(const struct cs_jsonl_stats *s);
/* Stamp updated_at = now and write atomically with mode 0600; 0 or -errno. */
int cs_state_write(const char *path, struct cJSON *state);
/*
 * What cs_state_write() writes (ship and updated_at added), as malloc'd
 * text, for a state_file_writer.h thread; NULL when out of memory.
 */
char *cs_state_render(struct cJSON *state);
/*
 * Read a state file (at most 4 MiB). NULL when absent or unreadable (reason
 * in err). *alive tells whether its writer is running and fresh.
 */
struct cJSON *cs_state_read(const char *path, bool *alive, char *err, size_t errlen);
/* True when pid runs and updated_at is at most CS_STATE_STALE_MS before now_ms. */
bool cs_state_alive(const struct cJSON *state, uint64_t now_ms);

/* <home>/proxy-state.json for config c. */
void cs_proxy_state_path(const struct cs_config *c, char *out, size_t len);
/*
 * Fold a standalone proxy's state (proxy_path) into a state read with
 * cs_state_read(): when *state is missing or not alive, a live proxy state
 * takes its place (*alive becomes true); when *state is alive but runs no
 * proxy, a live proxy state's "proxy" block replaces its own. A proxy state
 * that is stale or dead is ignored.
 */
void cs_state_merge_proxy(struct cJSON **state, bool *alive, const char *proxy_path);

/*
 * The posture block. state may be NULL (nothing running). monitor_status is
 * "stopped" when !alive, "degraded" when neither capture nor the proxy is
 * enabled or the writer lost lines, else "running".
 */
struct cJSON *cs_posture_json(const struct cs_config *c, const struct cJSON *state, bool alive);
/* SHA-256 of the DER of the PEM certificate at path; 0, or -1 when absent/invalid. */
int cs_cert_fingerprint(const char *path, char out[65]);

#endif
