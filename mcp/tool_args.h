/* SPDX-License-Identifier: MIT */
/*
 * tool_args.h - validation of tools/call arguments before anything reaches
 * the host: a bad argument is the client's mistake, reported as an isError
 * result that names it, and no task is written for it.
 */
#ifndef CLAWSEC_MCP_TOOL_ARGS_H
#define CLAWSEC_MCP_TOOL_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define MCP_FINDINGS_LIMIT_DEFAULT 50
#define MCP_FINDINGS_LIMIT_MAX 500

/*
 * Check `args` (an object, or NULL/null for none) and build the task's args
 * object in *out. Tools without `filters` take no arguments; the findings
 * tool takes since, severity, pattern and limit (normalised, limit
 * defaulted). Returns 0, or -1 with a message in err (*out NULL; an empty
 * message means out of memory).
 */
int mcp_tool_args(const char *tool, bool filters, const cJSON *args, cJSON **out, char *err,
		  size_t errlen);

#endif
