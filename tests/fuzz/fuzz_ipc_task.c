// SPDX-License-Identifier: MIT
/*
 * fuzz_ipc_task.c - whatever a container writes as a task, parsing never
 * crashes, a task accepted is well-formed (no repeated field, no \u0000 in
 * any string), any requestId read back is valid, and the error answer built
 * from it is JSON that parses again.
 */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
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

/* Some object in the tree names a member twice. */
static bool repeats_a_name(const cJSON *node)
{
	for (const cJSON *a = node ? node->child : NULL; a; a = a->next) {
		for (const cJSON *b = a->next; b && cJSON_IsObject(node); b = b->next)
			if (a->string && b->string && !strcmp(a->string, b->string))
				return true;
		if (repeats_a_name(a))
			return true;
	}
	return false;
}

/* "u0000" after an odd run of backslashes: an escaped NUL (a different walk from tasks.c's). */
static bool escapes_nul(const char *text, size_t len)
{
	for (const char *p = text; (p = memmem(p, len - (size_t)(p - text), "u0000", 5)); p++) {
		size_t k = 0;

		while (p - k > text && p[-1 - (ptrdiff_t)k] == '\\')
			k++;
		if (k % 2)
			return true;
	}
	return false;
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
	if (!code) {
		cJSON *doc = cJSON_ParseWithLength((const char *)data, size);

		if (repeats_a_name(doc) || escapes_nul((const char *)data, size))
			abort();
		cJSON_Delete(doc);
	}
	if (code)
		check_answer(&t, code, msg);
	if (cs_task_scan_request_id((const char *)data, size, id) && !cs_request_id_valid(id))
		abort();
	return 0;
}
