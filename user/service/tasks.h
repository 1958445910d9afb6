/* SPDX-License-Identifier: MIT */
/*
 * tasks.h - the content side of IPC tasks (docs/ipc.md): parse and validate
 * a task document, run the tool it names for one group, build the response.
 * No file handling here: user/service/ipc.c does that.
 */
#ifndef CLAWSEC_TASKS_H
#define CLAWSEC_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "finding.h"

#define CS_IPC_RESPONSE_SCHEMA "clawsec-traffic-ipc-response/v1"
#define CS_TASK_MAX_BYTES 65536
#define CS_TASK_ID_MAX 64
#define CS_FINDINGS_LIMIT_DEFAULT 50
#define CS_FINDINGS_LIMIT_MAX 500
/*
 * Log one findings task may read, newest first: tasks are answered one after
 * another, so a query that matches little must not read the whole store
 * (11 x 16 MiB by default) while other groups wait. Past it, truncated.
 */
#define CS_FINDINGS_TASK_MAX_BYTES (16u << 20)
#define CS_TASK_FUTURE_SLACK_MS 60000

/* Error codes of the protocol. */
#define CS_ERR_INVALID_JSON "invalid_json"
#define CS_ERR_INVALID_TASK "invalid_task"
#define CS_ERR_TOO_LARGE "too_large"
#define CS_ERR_UNKNOWN_TYPE "unknown_type"
#define CS_ERR_DUPLICATE "duplicate_request"
#define CS_ERR_TIMEOUT "timeout"
#define CS_ERR_UNAVAILABLE "unavailable"
#define CS_ERR_INTERNAL "internal"

struct cs_task {
	char request_id[CS_TASK_ID_MAX + 1]; /* "" when none could be read */
	char type[CS_TASK_ID_MAX + 1];	     /* echoed in errors when it is [a-z_]+ */
	uint64_t timestamp_ms;
	uint32_t timeout_ms; /* 0 = use the config's task_timeout_ms */
	uint64_t since_ms;
	bool has_severity;
	enum cs_severity severity;
	char pattern[32];
	unsigned limit;
};

struct cJSON;

bool cs_request_id_valid(const char *s);
/*
 * Parse a task. Returns NULL when it is valid, else an error code with the
 * reason in msg; request_id and type are filled whenever they are readable,
 * so the caller can answer.
 */
const char *cs_task_parse(const char *text, size_t len, uint64_t now_ms, struct cs_task *t,
			  char *msg, size_t msglen);
/*
 * Find a valid "requestId" string in the first CS_TASK_MAX_BYTES of a
 * document that is too large to parse; true when found.
 */
bool cs_task_scan_request_id(const char *text, size_t len, char out[CS_TASK_ID_MAX + 1]);
/* The absolute deadline of a parsed task. */
uint64_t cs_task_deadline(const struct cs_task *t, const struct cs_config *c);

/*
 * Run the tool for `group` (NULL = host operator view, unfiltered). Returns
 * the result object, or NULL with an error code and message.
 */
struct cJSON *cs_task_execute(const struct cs_config *c, const char *group, const struct cs_task *t,
			      const char **code, char *msg, size_t msglen);

struct cJSON *cs_task_response_ok(const struct cs_task *t, struct cJSON *result);
struct cJSON *cs_task_response_error(const struct cs_task *t, const char *code, const char *msg);

/* The tools' structuredContent, also for the host operator (group NULL). */
struct cJSON *cs_status_result(const struct cs_config *c, const char *group);
struct cJSON *cs_check_config_result(const struct cs_config *c);

#endif
