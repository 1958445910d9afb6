/* SPDX-License-Identifier: MIT */
/*
 * era.h - which MCP protocol era a request speaks. Clients of 2025-06-18
 * and 2025-11-25 open with `initialize`; 2026-07-28 is stateless: no
 * handshake, each request names its protocol version and client
 * capabilities in params._meta, and `server/discover` lists what the server
 * supports. One stdio server answers both, request by request.
 */
#ifndef CLAWSEC_MCP_ERA_H
#define CLAWSEC_MCP_ERA_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define MCP_STATELESS_VERSION "2026-07-28"
/* The error 2026-07-28 defines for a protocol version the server lacks. */
#define RPC_UNSUPPORTED_VERSION -32004

enum mcp_era {
	MCP_ERA_LEGACY,	   /* no _meta version: the initialize handshake era */
	MCP_ERA_STATELESS, /* _meta names 2026-07-28 */
	MCP_ERA_BAD,	   /* _meta is malformed or names an unknown version */
};

struct mcp_era_check {
	enum mcp_era era;
	int error_code; /* MCP_ERA_BAD: RPC_INVALID_PARAMS or RPC_UNSUPPORTED_VERSION */
	const char *error_message;
};

/* The era of a request from its params (NULL when absent). */
void mcp_era_of(const cJSON *params, struct mcp_era_check *out);
/* Every version this server speaks, newest first, as a new JSON array. */
cJSON *mcp_era_versions(void);
/* The legacy versions `initialize` can agree on, newest first. */
extern const char *const mcp_legacy_versions[];
extern const size_t mcp_legacy_versions_count;

#endif
