// SPDX-License-Identifier: MIT
/*
 * era.c - reading a request's _meta for the 2026-07-28 stateless style.
 */
#include "era.h"

#include <string.h>

#include "jsonrpc.h"

#define META_VERSION "io.modelcontextprotocol/protocolVersion"
#define META_CAPS "io.modelcontextprotocol/clientCapabilities"

const char *const mcp_legacy_versions[] = {"2025-11-25", "2025-06-18"};
const size_t mcp_legacy_versions_count =
	sizeof(mcp_legacy_versions) / sizeof(mcp_legacy_versions[0]);

static bool legacy(const char *v)
{
	for (size_t i = 0; i < mcp_legacy_versions_count; i++)
		if (strcmp(v, mcp_legacy_versions[i]) == 0)
			return true;
	return false;
}

static void bad(struct mcp_era_check *out, int code, const char *message)
{
	out->era = MCP_ERA_BAD;
	out->error_code = code;
	out->error_message = message;
}

void mcp_era_of(const cJSON *params, struct mcp_era_check *out)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(params, "_meta");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, META_VERSION);

	memset(out, 0, sizeof(*out));
	out->era = MCP_ERA_LEGACY;
	if (meta && !cJSON_IsObject(meta))
		return bad(out, RPC_INVALID_PARAMS, "Invalid params: _meta must be an object");
	if (!v)
		return;
	if (!cJSON_IsString(v))
		return bad(out, RPC_INVALID_PARAMS,
			   "Invalid params: _meta." META_VERSION " must be a string");
	if (legacy(v->valuestring))
		return; /* a handshake-era client that also labels its requests */
	if (strcmp(v->valuestring, MCP_STATELESS_VERSION) != 0)
		return bad(out, RPC_UNSUPPORTED_VERSION, "Unsupported protocol version");
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(meta, META_CAPS)))
		return bad(out, RPC_INVALID_PARAMS,
			   "Invalid params: _meta." META_CAPS " must be an object "
			   "(required with protocol version " MCP_STATELESS_VERSION ")");
	out->era = MCP_ERA_STATELESS;
}

cJSON *mcp_era_versions(void)
{
	cJSON *a = cJSON_CreateArray();

	if (!a || !cJSON_AddItemToArray(a, cJSON_CreateString(MCP_STATELESS_VERSION))) {
		cJSON_Delete(a);
		return NULL;
	}
	for (size_t i = 0; i < mcp_legacy_versions_count; i++) {
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(mcp_legacy_versions[i]))) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}
