// SPDX-License-Identifier: MIT
/*
 * server.c - MCP lifecycle and method dispatch.
 *
 * Requests are handled in arrival order, one at a time. While a tools/call
 * waits for the host, stdin is still read: messages are queued (bounded)
 * and notifications/cancelled is acted on at once, for the call in flight
 * (it is never answered) or for a queued request (dropped unanswered).
 */
#include "server.h"

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "era.h"
#include "jsonrpc.h"
#include "tools.h"

#define QUEUE_MAX 64

struct queued {
	char *line; /* NULL: a line over the limit was skipped here */
	size_t len;
};

struct server {
	struct mcp_reader *in;
	struct mcp_ipc *ipc;
	struct queued queue[QUEUE_MAX];
	size_t queued;
	bool eof;
	bool out_failed;
	const cJSON *in_flight; /* id of the tools/call waiting on the host */
	enum mcp_era era;	/* of the request being answered */
};

/* 2026-07-28 results say they are complete (no further input is asked for). */
static void send_result(struct server *s, const cJSON *id, cJSON *result)
{
	if (result && s->era == MCP_ERA_STATELESS &&
	    !cJSON_AddStringToObject(result, "resultType", "complete")) {
		cJSON_Delete(result);
		result = NULL;
	}
	if (mcp_send_result(id, result) != 0)
		s->out_failed = true;
}

static void send_error(struct server *s, const cJSON *id, int code, const char *message)
{
	if (mcp_send_error(id, code, message) != 0)
		s->out_failed = true;
}

/* A legacy version initialize agrees on; anything else gets the newest. */
static const char *negotiate(const char *requested)
{
	for (size_t i = 0; i < mcp_legacy_versions_count; i++) {
		if (strcmp(requested, mcp_legacy_versions[i]) == 0)
			return mcp_legacy_versions[i];
	}
	return mcp_legacy_versions[0];
}

/* capabilities, serverInfo and instructions: shared by initialize and server/discover. */
static cJSON *server_description(void)
{
	cJSON *res = cJSON_CreateObject();
	cJSON *caps = cJSON_AddObjectToObject(res, "capabilities");
	cJSON *tools = cJSON_AddObjectToObject(caps, "tools");
	cJSON *info = cJSON_AddObjectToObject(res, "serverInfo");

	if (!cJSON_AddBoolToObject(tools, "listChanged", 0) ||
	    !cJSON_AddStringToObject(info, "name", MCP_SERVER_NAME) ||
	    !cJSON_AddStringToObject(info, "title", "ClawSec traffic guardian") ||
	    !cJSON_AddStringToObject(info, "version", MCP_SERVER_VERSION) ||
	    !cJSON_AddStringToObject(res, "instructions",
				     "Read-only view of the host's network traffic guardian: "
				     "status, redacted findings and config check. It detects "
				     "and logs; it never blocks traffic.")) {
		cJSON_Delete(res);
		return NULL;
	}
	return res;
}

static cJSON *initialize_result(const char *version)
{
	cJSON *res = server_description();

	if (res && !cJSON_AddStringToObject(res, "protocolVersion", version)) {
		cJSON_Delete(res);
		return NULL;
	}
	return res;
}

/* server/discover (2026-07-28): every version spoken, then the description. */
static cJSON *discover_result(void)
{
	cJSON *res = server_description();
	cJSON *versions = mcp_era_versions();

	if (!res || !versions || !cJSON_AddItemToObject(res, "supportedVersions", versions)) {
		cJSON_Delete(res);
		cJSON_Delete(versions);
		return NULL;
	}
	return res;
}

/* -32004 with the versions spoken and the one asked for. */
static void refuse_version(struct server *s, const struct mcp_msg *m, const char *message)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(m->params, "_meta");
	const cJSON *v =
		cJSON_GetObjectItemCaseSensitive(meta, "io.modelcontextprotocol/protocolVersion");
	cJSON *data = cJSON_CreateObject();

	if (data) {
		cJSON_AddItemToObject(data, "supported", mcp_era_versions());
		cJSON_AddItemToObject(data, "requested", cJSON_Duplicate(v, 0));
	}
	if (mcp_send_error_data(m->id, RPC_UNSUPPORTED_VERSION, message, data) != 0)
		s->out_failed = true;
}

static void handle_initialize(struct server *s, const struct mcp_msg *m)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(m->params, "protocolVersion");

	if (!cJSON_IsString(v))
		return send_error(s, m->id, RPC_INVALID_PARAMS,
				  "Invalid params: protocolVersion must be a string");
	const char *version = negotiate(v->valuestring);

	if (strcmp(version, v->valuestring) != 0)
		fprintf(stderr,
			"clawsec-traffic-mcp: client asked for protocol %.32s, offering %s\n",
			v->valuestring, version);
	send_result(s, m->id, initialize_result(version));
}

static int wait_for_host(void *ctx, int timeout_ms);

static void handle_tools_call(struct server *s, const struct mcp_msg *m)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(m->params, "name");
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(m->params, "arguments");
	char msg[128];
	cJSON *result;

	if (!cJSON_IsString(name))
		return send_error(s, m->id, RPC_INVALID_PARAMS,
				  "Invalid params: name must be a string");
	s->in_flight = m->id;
	enum mcp_call rc =
		mcp_tools_call(s->ipc, name->valuestring, args, wait_for_host, s, &result);

	s->in_flight = NULL;
	switch (rc) {
	case MCP_CALL_DONE:
		return send_result(s, m->id, result);
	case MCP_CALL_UNKNOWN_TOOL:
		snprintf(msg, sizeof(msg), "Unknown tool: %.64s", name->valuestring);
		return send_error(s, m->id, RPC_INVALID_PARAMS, msg);
	case MCP_CALL_CANCELLED:
		fprintf(stderr, "clawsec-traffic-mcp: %s cancelled by the client\n",
			name->valuestring);
		return;
	case MCP_CALL_NOMEM:
		return send_error(s, m->id, RPC_INTERNAL_ERROR, "Internal error: out of memory");
	}
}

static void handle_request(struct server *s, const struct mcp_msg *m)
{
	struct mcp_era_check era;
	char msg[128];

	if (strcmp(m->method, "initialize") == 0) {
		s->era = MCP_ERA_LEGACY; /* the handshake is legacy whatever _meta says */
		return handle_initialize(s, m);
	}
	mcp_era_of(m->params, &era);
	s->era = era.era;
	if (era.era == MCP_ERA_BAD && era.error_code == RPC_UNSUPPORTED_VERSION)
		return refuse_version(s, m, era.error_message);
	if (era.era == MCP_ERA_BAD)
		return send_error(s, m->id, era.error_code, era.error_message);
	if (strcmp(m->method, "server/discover") == 0) {
		s->era = MCP_ERA_STATELESS; /* a 2026-07-28 result even for a bare probe */
		return send_result(s, m->id, discover_result());
	}
	if (strcmp(m->method, "ping") == 0)
		return send_result(s, m->id, cJSON_CreateObject());
	if (strcmp(m->method, "tools/list") == 0)
		return send_result(s, m->id, mcp_tools_list());
	if (strcmp(m->method, "tools/call") == 0)
		return handle_tools_call(s, m);
	snprintf(msg, sizeof(msg), "Method not found: %.64s", m->method);
	send_error(s, m->id, RPC_METHOD_NOT_FOUND, msg);
}

static void handle_line(struct server *s, const char *line, size_t len)
{
	struct mcp_msg m;

	if (!line)
		return send_error(s, NULL, RPC_INVALID_REQUEST,
				  "Invalid Request: message longer than 1048576 bytes");
	mcp_msg_parse(line, len, &m);
	switch (m.kind) {
	case MCP_MSG_INVALID:
		send_error(s, m.id, m.error_code, m.error_message);
		break;
	case MCP_MSG_REQUEST:
		handle_request(s, &m);
		break;
	case MCP_MSG_NOTIFICATION:
	case MCP_MSG_RESPONSE:
		/* initialized, cancelled (nothing in flight now) and the rest need no action. */
		break;
	}
	mcp_msg_free(&m);
}

static void enqueue(struct server *s, char *line, size_t len)
{
	s->queue[s->queued].line = line;
	s->queue[s->queued].len = len;
	s->queued++;
}

static void dequeue(struct server *s, size_t i)
{
	free(s->queue[i].line);
	memmove(&s->queue[i], &s->queue[i + 1], (s->queued - i - 1) * sizeof(s->queue[0]));
	s->queued--;
}

/* Drop a queued request with this id, so it is never answered. */
static void cancel_queued(struct server *s, const cJSON *id)
{
	for (size_t i = 0; i < s->queued; i++) {
		struct mcp_msg m;
		bool match;

		if (!s->queue[i].line)
			continue;
		mcp_msg_parse(s->queue[i].line, s->queue[i].len, &m);
		match = m.kind == MCP_MSG_REQUEST && mcp_id_equal(m.id, id);
		mcp_msg_free(&m);
		if (match) {
			dequeue(s, i);
			return;
		}
	}
}

/*
 * Act on a cancellation arriving while a call is in flight. Returns true
 * when it names the call in flight; other lines are queued by the caller.
 */
static bool take_cancellation(struct server *s, const char *line, size_t len, bool *consumed)
{
	struct mcp_msg m;
	bool hit = false;

	mcp_msg_parse(line, len, &m);
	*consumed =
		m.kind == MCP_MSG_NOTIFICATION && strcmp(m.method, "notifications/cancelled") == 0;
	if (*consumed) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(m.params, "requestId");

		hit = mcp_id_equal(id, s->in_flight);
		if (!hit && id)
			cancel_queued(s, id);
	}
	mcp_msg_free(&m);
	return hit;
}

/* The IPC wait callback: read stdin for up to timeout_ms; nonzero = cancelled. */
static int wait_for_host(void *ctx, int timeout_ms)
{
	struct server *s = ctx;
	char *line = NULL;
	size_t len = 0;
	bool consumed;

	if (s->eof || s->queued == QUEUE_MAX) {
		/* Nothing more can be read now: just let time pass. */
		poll(NULL, 0, timeout_ms);
		return 0;
	}
	switch (mcp_reader_next(s->in, timeout_ms, &line, &len)) {
	case MCP_READ_EOF:
		s->eof = true;
		return 0;
	case MCP_READ_TIMEOUT:
		return 0;
	case MCP_READ_TOO_LONG:
		enqueue(s, NULL, 0);
		return 0;
	case MCP_READ_LINE:
		break;
	}
	bool hit = take_cancellation(s, line, len, &consumed);

	if (consumed)
		free(line);
	else
		enqueue(s, line, len);
	return hit;
}

/* The next message: queued first, then stdin. False at end of input. */
static bool next_message(struct server *s, char **line, size_t *len)
{
	for (;;) {
		if (s->queued > 0) {
			*line = s->queue[0].line;
			*len = s->queue[0].len;
			s->queue[0].line = NULL;
			dequeue(s, 0);
			return true;
		}
		if (s->eof)
			return false;
		switch (mcp_reader_next(s->in, -1, line, len)) {
		case MCP_READ_LINE:
			return true;
		case MCP_READ_TOO_LONG:
			*line = NULL;
			*len = 0;
			return true;
		case MCP_READ_EOF:
		case MCP_READ_TIMEOUT:
			s->eof = true;
			break;
		}
	}
}

int mcp_server_run(struct mcp_ipc *ipc)
{
	struct server s = {.ipc = ipc};
	char *line;
	size_t len;

	s.in = mcp_reader_new(STDIN_FILENO, MCP_MAX_LINE);
	if (!s.in) {
		fprintf(stderr, "clawsec-traffic-mcp: out of memory\n");
		return 1;
	}
	while (!s.out_failed && next_message(&s, &line, &len)) {
		handle_line(&s, line, len);
		free(line);
	}
	while (s.queued > 0)
		dequeue(&s, 0);
	mcp_reader_free(s.in);
	mcp_ipc_sweep_orphans(ipc);
	if (s.out_failed) {
		fprintf(stderr, "clawsec-traffic-mcp: stdout closed, exiting\n");
		return 1;
	}
	return 0;
}
