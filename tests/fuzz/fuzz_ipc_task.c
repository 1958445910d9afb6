// SPDX-License-Identifier: MIT
/*
 * fuzz_ipc_task.c - whatever a container writes as a task, parsing never
 * crashes, a task accepted is well-formed, any requestId read back is
 * valid, and the error answer built from it is JSON that parses again.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tasks.h"

static void check_answer(const struct cs_task *t, const char *code, const char *msg)
{
	cJSON *r = cs_task_response_error(t, code, msg);
	char *text = cJSON_PrintUnformatted(r);
	cJSON *back = text ? cJSON_Parse(text) : NULL;

	if (r && text && !back)
		abort();
	cJSON_Delete(back);
	cJSON_free(text);
	cJSON_Delete(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_task t;
	char msg[256], id[CS_TASK_ID_MAX + 1];
	const char *code =
		cs_task_parse((const char *)data, size, 1800000000000ull, &t, msg, sizeof(msg));

	if (t.request_id[0] && !cs_request_id_valid(t.request_id))
		abort();
	if (!code && (!t.request_id[0] || strncmp(t.type, "clawsec_traffic_", 16) || !t.limit ||
		      t.limit > CS_FINDINGS_LIMIT_MAX))
		abort();
	if (code)
		check_answer(&t, code, msg);
	if (cs_task_scan_request_id((const char *)data, size, id) && !cs_request_id_valid(id))
		abort();
	return 0;
}
