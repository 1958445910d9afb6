/* SPDX-License-Identifier: MIT */
/*
 * ipc_client.h - the container side of the clawsec IPC protocol (docs/ipc.md):
 * a task file goes into <ipc-dir>/clawsec_tasks/ (written as .tmp, then
 * renamed), the host service answers in <ipc-dir>/clawsec_results/<id>.json.
 */
#ifndef CLAWSEC_MCP_IPC_CLIENT_H
#define CLAWSEC_MCP_IPC_CLIENT_H

#include <limits.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define MCP_IPC_MAX_ORPHANS 16
/* Largest answer read: 500 findings of a few KiB each fit well inside. */
#define MCP_IPC_MAX_RESULT (8u * 1024 * 1024)

/* A request given up (timed out or cancelled) whose answer may still come. */
struct mcp_ipc_orphan {
	char result_path[PATH_MAX];
	int64_t forget_at_ms; /* stop looking for its answer after this */
};

struct mcp_ipc {
	char dir[PATH_MAX];
	char group[65];
	int timeout_ms;
	struct mcp_ipc_orphan orphans[MCP_IPC_MAX_ORPHANS];
};

/*
 * Called while waiting for an answer: block at most timeout_ms (it doubles
 * as the poll interval), return nonzero to abandon the request (cancelled).
 */
typedef int (*mcp_ipc_wait_fn)(void *ctx, int timeout_ms);

enum mcp_ipc_status {
	MCP_IPC_OK,	    /* result holds the answer's "result" object */
	MCP_IPC_HOST_ERROR, /* the host answered ok:false: code and message set */
	MCP_IPC_FAILED,	    /* no usable answer: message says why */
	MCP_IPC_CANCELLED,  /* the wait callback gave up */
};

struct mcp_ipc_reply {
	enum mcp_ipc_status status;
	cJSON *result; /* MCP_IPC_OK only; owned by the caller */
	char code[32];
	char message[768];
};

/* Send task `type` with `args` (not consumed) and wait for its answer. */
void mcp_ipc_request(struct mcp_ipc *ipc, const char *type, const cJSON *args, mcp_ipc_wait_fn wait,
		     void *ctx, struct mcp_ipc_reply *reply);
/* Remove answers that arrived for abandoned requests. */
void mcp_ipc_sweep_orphans(struct mcp_ipc *ipc);

#endif
