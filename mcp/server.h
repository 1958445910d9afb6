/* SPDX-License-Identifier: MIT */
/*
 * server.h - the MCP session: reads requests from stdin one at a time,
 * answers on stdout, and watches stdin for cancellations while a tool call
 * waits on the host.
 */
#ifndef CLAWSEC_MCP_SERVER_H
#define CLAWSEC_MCP_SERVER_H

#include "ipc_client.h"

#define MCP_SERVER_NAME "clawsec-traffic-mcp"
#define MCP_SERVER_VERSION "0.1.0"

/* Serve until stdin closes; returns the process exit status. */
int mcp_server_run(struct mcp_ipc *ipc);

#endif
