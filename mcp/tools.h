/* SPDX-License-Identifier: MIT */
/*
 * tools.h - the three read-only MCP tools of the traffic guardian. Each one
 * validates its arguments, asks the host service over IPC and returns the
 * answer as structuredContent plus the same JSON in a text block.
 */
#ifndef CLAWSEC_MCP_TOOLS_H
#define CLAWSEC_MCP_TOOLS_H

#include <cjson/cJSON.h>

#include "ipc_client.h"

/* Parse the built-in schemas once; -1 when that fails (out of memory). */
int mcp_tools_init(void);
void mcp_tools_fini(void);

/* A new {"tools":[...]} object for tools/list; NULL when out of memory. */
cJSON *mcp_tools_list(void);

enum mcp_call {
	MCP_CALL_DONE,	       /* *result is a CallToolResult (maybe isError) */
	MCP_CALL_UNKNOWN_TOOL, /* answer the request with -32602 */
	MCP_CALL_CANCELLED,    /* the client cancelled: send nothing */
	MCP_CALL_NOMEM,
};

enum mcp_call mcp_tools_call(struct mcp_ipc *ipc, const char *name, const cJSON *args,
			     mcp_ipc_wait_fn wait, void *ctx, cJSON **result);

#endif
