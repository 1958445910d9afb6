// SPDX-License-Identifier: MIT
/*
 * tools.c - definitions and calls of the three MCP tools.
 *
 * The outputSchemas are the result shapes of the IPC protocol
 * (docs/ipc-response.schema.json, $defs.*_result): the host's `result` is
 * passed through as structuredContent unchanged, so the two must agree; a
 * test compares them. The schemas are written with single quotes to keep
 * them readable in C and turned into JSON when parsed.
 */
#include "tools.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_args.h"

#define NO_ARGS "{'type':'object','properties':{},'additionalProperties':false}"

static const char findings_input[] =
	"{'type':'object','additionalProperties':false,'properties':{"
	"'since':{'type':'string','description':'Only findings at or after this time, RFC 3339 "
	"(e.g. 2026-11-24T00:00:00.000Z or 2026-11-24T01:00:00+01:00)'},"
	"'severity':{'type':'string','enum':['low','medium','high','critical'],"
	"'description':'Minimum severity'},"
	"'pattern':{'type':'string','pattern':'^[a-z0-9_]{1,31}$',"
	"'description':'Pattern family id, e.g. ai_api_key or pipe_to_shell'},"
	"'limit':{'type':'integer','minimum':1,'maximum':500,'default':50,"
	"'description':'Most findings to return, newest first'}}}";

static const char status_output[] =
	"{'type':'object','additionalProperties':false,'required':['agent','mode','targets',"
	"'not_visible','capture','detector','findings_by_severity','findings_by_pattern',"
	"'proxy','posture'],'properties':{'agent':{'type':'string','enum':['up','down']},"
	"'mode':{'const':'detect'},'targets':{'type':'array','maxItems':1024,"
	"'items':{'type':'object','additionalProperties':false,'required':['pid','comm',"
	"'container','group','tls_path','binary','attached','tls_visible','note'],"
	"'properties':{'pid':{'type':'integer','minimum':0},'comm':{'type':'string'},"
	"'container':{'type':['string','null']},'group':{'type':['string','null']},"
	"'tls_path':{'type':'string','enum':['libssl','static_openssl','none']},"
	"'binary':{'type':'string'},'attached':{'type':'boolean'},"
	"'tls_visible':{'type':'boolean'},'note':{'type':'string'}}}},"
	"'not_visible':{'type':'array','maxItems':1024,'items':{'type':'object',"
	"'additionalProperties':false,'required':['pid','comm','container','reason'],"
	"'properties':{'pid':{'type':'integer','minimum':0},'comm':{'type':'string'},"
	"'container':{'type':['string','null']},'reason':{'type':'string'}}}},"
	"'capture':{'type':'object','additionalProperties':false,'required':['enabled',"
	"'events','events_per_sec','bytes','ringbuf_full','bytes_cut','bytes_lost',"
	"'missed_returns','read_failures'],'properties':{'enabled':{'type':'boolean'},"
	"'events':{'type':'integer','minimum':0},'events_per_sec':{'type':'number',"
	"'minimum':0},'bytes':{'type':'integer','minimum':0},"
	"'ringbuf_full':{'type':'integer','minimum':0},'bytes_cut':{'type':'integer',"
	"'minimum':0},'bytes_lost':{'type':'integer','minimum':0},"
	"'missed_returns':{'type':'integer','minimum':0},'read_failures':{'type':'integer',"
	"'minimum':0}}},'detector':{'type':'object','additionalProperties':false,"
	"'required':['bytes_in','bytes_scanned','bytes_unscanned','messages','decode_errors',"
	"'decode_truncated','regex_limit_hits','findings','findings_suppressed',"
	"'flows_open'],'properties':{'bytes_in':{'type':'integer','minimum':0},"
	"'bytes_scanned':{'type':'integer','minimum':0},'bytes_unscanned':{'type':'integer',"
	"'minimum':0},'messages':{'type':'integer','minimum':0},"
	"'decode_errors':{'type':'integer','minimum':0},'decode_truncated':{'type':'integer',"
	"'minimum':0},'regex_limit_hits':{'type':'integer','minimum':0},"
	"'findings':{'type':'integer','minimum':0},'findings_suppressed':{'type':'integer',"
	"'minimum':0},'flows_open':{'type':'integer','minimum':0}}},"
	"'findings_by_severity':{'type':'object','additionalProperties':false,"
	"'properties':{'low':{'type':'integer','minimum':0},'medium':{'type':'integer',"
	"'minimum':0},'high':{'type':'integer','minimum':0},'critical':{'type':'integer',"
	"'minimum':0}}},'findings_by_pattern':{'type':'object',"
	"'additionalProperties':{'type':'integer','minimum':0}},'proxy':{'type':['object',"
	"'null'],'additionalProperties':false,'required':['enabled','listen',"
	"'https_inspection','connections','active','bytes_up','bytes_down','inspected',"
	"'tunnelled','upstream_errors'],'properties':{'enabled':{'type':'boolean'},"
	"'listen':{'type':'string'},'https_inspection':{'type':'boolean'},"
	"'connections':{'type':'integer','minimum':0},'active':{'type':'integer',"
	"'minimum':0},'bytes_up':{'type':'integer','minimum':0},"
	"'bytes_down':{'type':'integer','minimum':0},'inspected':{'type':'integer',"
	"'minimum':0},'tunnelled':{'type':'integer','minimum':0},"
	"'upstream_errors':{'type':'integer','minimum':0}}},'posture':{'type':'object',"
	"'additionalProperties':false,'required':['schema','monitor_status','mode',"
	"'https_inspection','ca_fingerprint_sha256','config_sha256','finding_log_sha256',"
	"'generated_at'],'properties':{'schema':{'const':'clawsec-traffic-posture/v1'},"
	"'monitor_status':{'type':'string','enum':['running','stopped','degraded']},"
	"'mode':{'const':'detect'},'https_inspection':{'type':'boolean'},"
	"'ca_fingerprint_sha256':{'type':['string','null'],'pattern':'^[0-9a-f]{64}$'},"
	"'config_sha256':{'type':'string','pattern':'^[0-9a-f]{64}$'},"
	"'finding_log_sha256':{'type':['string','null'],'pattern':'^[0-9a-f]{64}$'},"
	"'generated_at':{'type':'string'}}}}}";

static const char findings_output[] =
	"{'type':'object','additionalProperties':false,'required':['findings','count',"
	"'truncated'],'properties':{'findings':{'type':'array','maxItems':500,"
	"'items':{'type':'object','additionalProperties':false,'required':['schema_version',"
	"'platform','direction','protocol','threat_type','pattern','severity','source',"
	"'dest','snippet','timestamp'],'properties':{'schema_version':{'const':'clawsec-traff"
	"ic-finding/v1'},'platform':{'const':'nanoclaw'},'direction':{'type':'string',"
	"'enum':['outbound','inbound']},'protocol':{'type':'string'},"
	"'threat_type':{'type':'string','enum':['EXFIL','INJECTION']},"
	"'pattern':{'type':'string'},'severity':{'type':'string','enum':['low','medium',"
	"'high','critical']},'source':{'type':'string'},'dest':{'type':'string'},"
	"'snippet':{'type':'string'},'timestamp':{'type':'string'}}}},"
	"'count':{'type':'integer','minimum':0,'maximum':500},"
	"'truncated':{'type':'boolean'}}}";

static const char check_config_output[] =
	"{'type':'object','additionalProperties':false,'required':['valid','config_path',"
	"'config_sha256','problems'],'properties':{'valid':{'type':'boolean'},"
	"'config_path':{'type':'string'},'config_sha256':{'type':['string','null'],"
	"'pattern':'^[0-9a-f]{64}$'},'problems':{'type':'array','maxItems':64,"
	"'items':{'type':'object','additionalProperties':false,'required':['path','reason'],"
	"'properties':{'path':{'type':'string'},'reason':{'type':'string'}}}}}}";

struct tool_def {
	const char *name; /* also the IPC task type */
	const char *title;
	const char *description;
	const char *input_schema;
	const char *output_schema;
};

static const struct tool_def tool_defs[] = {
	{
		"clawsec_traffic_status",
		"Traffic guardian status",
		"Health of the clawsec traffic guardian on the host: agent up or down, mode "
		"(always "
		"detect: nothing is ever blocked), the processes of this group it watches and "
		"those "
		"it cannot see, capture and detector counters (drops included), findings counted "
		"by "
		"severity and pattern, the proxy, and a clawsec-traffic-posture/v1 block.",
		NO_ARGS,
		status_output,
	},
	{
		"clawsec_traffic_findings",
		"Traffic guardian findings",
		"Recent secret-exfiltration and command-injection findings for this group's "
		"network traffic, newest first. Secrets are always redacted. Filters: since "
		"(timestamp), severity (minimum), pattern (family id), limit (1-500, default 50).",
		findings_input,
		findings_output,
	},
	{
		"clawsec_traffic_check_config",
		"Check traffic guardian config",
		"Validate the host's traffic guardian configuration and list every problem with "
		"its "
		"JSON path. Returns the validation result only, never the file's content.",
		NO_ARGS,
		check_config_output,
	},
};

#define TOOL_COUNT (sizeof(tool_defs) / sizeof(tool_defs[0]))

static cJSON *tool_list; /* the "tools" array, built once */

/* Single quotes become double quotes: the schemas above contain no apostrophes. */
static cJSON *parse_quoted(const char *text)
{
	char *json = strdup(text);
	cJSON *obj;

	if (!json)
		return NULL;
	for (char *p = json; *p; p++) {
		if (*p == '\'')
			*p = '"';
	}
	obj = cJSON_Parse(json);
	free(json);
	return obj;
}

static cJSON *annotations(const char *title)
{
	cJSON *a = cJSON_CreateObject();

	if (!a || !cJSON_AddStringToObject(a, "title", title) ||
	    !cJSON_AddBoolToObject(a, "readOnlyHint", 1) ||
	    !cJSON_AddBoolToObject(a, "destructiveHint", 0) ||
	    !cJSON_AddBoolToObject(a, "idempotentHint", 1) ||
	    !cJSON_AddBoolToObject(a, "openWorldHint", 0)) {
		cJSON_Delete(a);
		return NULL;
	}
	return a;
}

static cJSON *tool_json(const struct tool_def *t)
{
	cJSON *tool = cJSON_CreateObject();
	cJSON *in = parse_quoted(t->input_schema);
	cJSON *out = parse_quoted(t->output_schema);
	cJSON *ann = annotations(t->title);

	if (!tool || !in || !out || !ann || !cJSON_AddStringToObject(tool, "name", t->name) ||
	    !cJSON_AddStringToObject(tool, "title", t->title) ||
	    !cJSON_AddStringToObject(tool, "description", t->description)) {
		cJSON_Delete(tool);
		cJSON_Delete(in);
		cJSON_Delete(out);
		cJSON_Delete(ann);
		return NULL;
	}
	cJSON_AddItemToObject(tool, "inputSchema", in);
	cJSON_AddItemToObject(tool, "outputSchema", out);
	cJSON_AddItemToObject(tool, "annotations", ann);
	return tool;
}

int mcp_tools_init(void)
{
	tool_list = cJSON_CreateArray();
	if (!tool_list)
		return -1;
	for (size_t i = 0; i < TOOL_COUNT; i++) {
		cJSON *t = tool_json(&tool_defs[i]);

		if (!t) {
			mcp_tools_fini();
			return -1;
		}
		cJSON_AddItemToArray(tool_list, t);
	}
	return 0;
}

void mcp_tools_fini(void)
{
	cJSON_Delete(tool_list);
	tool_list = NULL;
}

cJSON *mcp_tools_list(void)
{
	cJSON *res = cJSON_CreateObject();
	cJSON *tools = cJSON_Duplicate(tool_list, 1);

	if (!res || !tools) {
		cJSON_Delete(res);
		cJSON_Delete(tools);
		return NULL;
	}
	cJSON_AddItemToObject(res, "tools", tools);
	return res;
}

/* A CallToolResult: one text block, structuredContent when there is one. */
static cJSON *call_result(const char *text, cJSON *structured, bool is_error)
{
	cJSON *res = cJSON_CreateObject();
	cJSON *content = cJSON_AddArrayToObject(res, "content");
	cJSON *block = cJSON_CreateObject();

	if (!res || !content || !block || !cJSON_AddStringToObject(block, "type", "text") ||
	    !cJSON_AddStringToObject(block, "text", text)) {
		cJSON_Delete(res);
		cJSON_Delete(block);
		cJSON_Delete(structured);
		return NULL;
	}
	cJSON_AddItemToArray(content, block);
	if (structured)
		cJSON_AddItemToObject(res, "structuredContent", structured);
	if (!cJSON_AddBoolToObject(res, "isError", is_error)) {
		cJSON_Delete(res);
		return NULL;
	}
	return res;
}

__attribute__((format(printf, 1, 2))) static cJSON *error_result(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return call_result(msg, NULL, true);
}

/*
 * Validate the arguments of tool `def` into a new IPC args object *out.
 * Returns NULL on success, else an isError result; both NULL when out of memory.
 */
static cJSON *check_args(const struct tool_def *def, const cJSON *args, cJSON **out)
{
	char err[512];

	if (mcp_tool_args(def->name, def->input_schema == findings_input, args, out, err,
			  sizeof(err)) == 0)
		return NULL;
	return err[0] ? error_result("%s", err) : NULL;
}

static cJSON *reply_result(struct mcp_ipc_reply *reply)
{
	char *text;
	cJSON *res;

	switch (reply->status) {
	case MCP_IPC_OK:
		text = cJSON_PrintUnformatted(reply->result);
		if (!text) {
			cJSON_Delete(reply->result);
			return NULL;
		}
		res = call_result(text, reply->result, false);
		free(text);
		return res;
	case MCP_IPC_HOST_ERROR:
		return error_result("the clawsec host service answered with an error (%s): %s",
				    reply->code, reply->message);
	default:
		return error_result("%s", reply->message);
	}
}

static const struct tool_def *find_tool(const char *name)
{
	for (size_t i = 0; i < TOOL_COUNT; i++) {
		if (strcmp(tool_defs[i].name, name) == 0)
			return &tool_defs[i];
	}
	return NULL;
}

enum mcp_call mcp_tools_call(struct mcp_ipc *ipc, const char *name, const cJSON *args,
			     mcp_ipc_wait_fn wait, void *ctx, cJSON **result)
{
	const struct tool_def *def = find_tool(name);
	struct mcp_ipc_reply reply;
	cJSON *ipc_args;

	*result = NULL;
	if (!def)
		return MCP_CALL_UNKNOWN_TOOL;
	*result = check_args(def, args, &ipc_args);
	if (*result)
		return MCP_CALL_DONE;
	if (!ipc_args)
		return MCP_CALL_NOMEM;
	mcp_ipc_request(ipc, def->name, ipc_args, wait, ctx, &reply);
	cJSON_Delete(ipc_args);
	if (reply.status == MCP_IPC_CANCELLED)
		return MCP_CALL_CANCELLED;
	*result = reply_result(&reply);
	return *result ? MCP_CALL_DONE : MCP_CALL_NOMEM;
}
