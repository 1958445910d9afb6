/* SPDX-License-Identifier: MIT */
/*
 * jsonrpc.h - newline-delimited JSON-RPC 2.0 over a pair of file descriptors,
 * as the MCP stdio transport carries it: one message per line, no batches.
 * stdout carries only protocol messages; diagnostics go to stderr.
 */
#ifndef CLAWSEC_MCP_JSONRPC_H
#define CLAWSEC_MCP_JSONRPC_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* JSON-RPC 2.0 error codes used by MCP. */
#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_INTERNAL_ERROR -32603

/* The longest message accepted; longer lines are answered with -32600. */
#define MCP_MAX_LINE (1024 * 1024)

struct mcp_reader;

enum mcp_read {
	MCP_READ_LINE,	   /* *line holds one message without its newline */
	MCP_READ_TOO_LONG, /* a line over the limit was skipped */
	MCP_READ_TIMEOUT,  /* nothing complete arrived in time */
	MCP_READ_EOF,	   /* input closed (or failed): no more messages */
};

struct mcp_reader *mcp_reader_new(int fd, size_t max_line);
void mcp_reader_free(struct mcp_reader *r);
/*
 * The next line, waiting at most timeout_ms (-1: until one arrives or EOF).
 * On MCP_READ_LINE *line is malloc'd, NUL-terminated, its length in *len.
 */
enum mcp_read mcp_reader_next(struct mcp_reader *r, int timeout_ms, char **line, size_t *len);

enum mcp_msg_kind {
	MCP_MSG_REQUEST,      /* method and id: must be answered */
	MCP_MSG_NOTIFICATION, /* method, no id: never answered */
	MCP_MSG_RESPONSE,     /* result or error: we send no requests, ignored */
	MCP_MSG_INVALID,      /* answer with error_code (id may be NULL) */
};

struct mcp_msg {
	enum mcp_msg_kind kind;
	cJSON *root;	     /* owned; NULL when the line is not JSON */
	const cJSON *id;     /* inside root, or NULL */
	const char *method;  /* inside root, or NULL */
	const cJSON *params; /* inside root: an object, or NULL when absent */
	int error_code;	     /* for MCP_MSG_INVALID */
	const char *error_message;
};

/* Classify one line. Always fills *m; release it with mcp_msg_free(). */
void mcp_msg_parse(const char *line, size_t len, struct mcp_msg *m);
void mcp_msg_free(struct mcp_msg *m);

/* Ids are strings or integers; equal when both type and value match. */
bool mcp_id_equal(const cJSON *a, const cJSON *b);

/*
 * Write one response line to stdout. `result` is consumed. A NULL id is
 * written as null (errors for messages whose id could not be read).
 * Return 0, or -1 when stdout is gone.
 */
int mcp_send_result(const cJSON *id, cJSON *result);
int mcp_send_error(const cJSON *id, int code, const char *message);
/* An error with a `data` member (consumed; NULL: none). */
int mcp_send_error_data(const cJSON *id, int code, const char *message, cJSON *data);

#endif
