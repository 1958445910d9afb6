// SPDX-License-Identifier: MIT
/*
 * jsonrpc.c - line framing and JSON-RPC 2.0 message handling for the MCP
 * stdio transport. The reader never holds more than one line plus the bytes
 * of one read(), so a client cannot make the server grow without bound.
 */
#include "jsonrpc.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "textsafe.h"

/* Integers a double (and so a JavaScript client) holds exactly: 2^53 - 1. */
#define MAX_SAFE_ID 9007199254740991.0

struct mcp_reader {
	int fd;
	char *buf;
	size_t len;	/* bytes held */
	size_t cap;	/* max line + its newline */
	size_t scanned; /* bytes already searched for a newline */
	bool eof;
	bool skipping; /* discarding the rest of an over-long line */
};

struct mcp_reader *mcp_reader_new(int fd, size_t max_line)
{
	struct mcp_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = fd;
	r->cap = max_line + 1;
	r->buf = malloc(r->cap);
	if (!r->buf) {
		free(r);
		return NULL;
	}
	return r;
}

void mcp_reader_free(struct mcp_reader *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	}
	return true;
}

static void consume(struct mcp_reader *r, size_t n)
{
	memmove(r->buf, r->buf + n, r->len - n);
	r->len -= n;
	r->scanned = 0;
}

/* Take buf[0, n) as a line (if not blank); 1 when *line was set. */
static int take_line(struct mcp_reader *r, size_t n, size_t drop, char **line, size_t *len)
{
	size_t l = n;
	char *copy;

	if (l > 0 && r->buf[l - 1] == '\r')
		l--;
	if (is_blank(r->buf, l)) {
		consume(r, drop);
		return 0;
	}
	copy = malloc(l + 1);
	if (!copy) {
		/* Out of memory: drop the message rather than stall the stream. */
		fprintf(stderr, "clawsec-traffic-mcp: out of memory, message dropped\n");
		consume(r, drop);
		return 0;
	}
	memcpy(copy, r->buf, l);
	copy[l] = '\0';
	consume(r, drop);
	*line = copy;
	*len = l;
	return 1;
}

/*
 * Look for a complete line in what is buffered. Returns MCP_READ_LINE or
 * MCP_READ_TOO_LONG when it has one to report, MCP_READ_TIMEOUT when more
 * input is needed.
 */
static enum mcp_read scan_buffer(struct mcp_reader *r, char **line, size_t *len)
{
	for (;;) {
		char *nl = memchr(r->buf + r->scanned, '\n', r->len - r->scanned);

		if (!nl) {
			r->scanned = r->len;
			if (r->len < r->cap)
				return MCP_READ_TIMEOUT;
			/* A full buffer with no newline: report once, skip the rest. */
			bool reported = r->skipping;

			r->len = 0;
			r->scanned = 0;
			r->skipping = true;
			if (!reported)
				return MCP_READ_TOO_LONG;
			continue;
		}
		size_t n = (size_t)(nl - r->buf);

		if (r->skipping) {
			consume(r, n + 1);
			r->skipping = false;
			continue;
		}
		if (take_line(r, n, n + 1, line, len))
			return MCP_READ_LINE;
	}
}

/* One read() after poll(); false when the deadline passed first. */
static bool fill(struct mcp_reader *r, int64_t deadline)
{
	struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
	int wait = -1;
	int rc;

	if (deadline >= 0) {
		int64_t left = deadline - now_ms();

		wait = left > 0 ? (int)left : 0;
	}
	rc = poll(&pfd, 1, wait);
	if (rc < 0)
		return errno == EINTR;
	if (rc == 0)
		return false;
	ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len);

	if (n > 0)
		r->len += (size_t)n;
	else if (n == 0 || errno != EINTR)
		r->eof = true;
	return true;
}

enum mcp_read mcp_reader_next(struct mcp_reader *r, int timeout_ms, char **line, size_t *len)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

	for (;;) {
		enum mcp_read got = scan_buffer(r, line, len);

		if (got != MCP_READ_TIMEOUT)
			return got;
		if (r->eof) {
			/* A last message without its newline still counts. */
			if (!r->skipping && r->len > 0 && take_line(r, r->len, r->len, line, len))
				return MCP_READ_LINE;
			r->len = 0;
			return MCP_READ_EOF;
		}
		if (!fill(r, deadline))
			return MCP_READ_TIMEOUT;
	}
}

static void set_invalid(struct mcp_msg *m, int code, const char *message, const cJSON *id)
{
	m->kind = MCP_MSG_INVALID;
	m->error_code = code;
	m->error_message = message;
	m->id = id;
}

/*
 * A number id is echoed as cJSON prints its double: only integers that a
 * double holds exactly come back as sent. 1e999 (infinite), 5000 digits or
 * 2.5 are refused rather than answered under another id.
 */
static bool valid_id(const cJSON *id)
{
	if (cJSON_IsString(id))
		return true;
	if (!cJSON_IsNumber(id))
		return false;
	double v = id->valuedouble;

	return isfinite(v) && floor(v) == v && fabs(v) <= MAX_SAFE_ID;
}

static bool trailing_blank(const char *end, const char *stop)
{
	for (; end < stop; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n')
			return false;
	}
	return true;
}

static void classify(struct mcp_msg *m)
{
	const cJSON *root = m->root;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
	const cJSON *method = cJSON_GetObjectItemCaseSensitive(root, "method");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "params");
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "jsonrpc");

	if (id && !valid_id(id))
		return set_invalid(m, RPC_INVALID_REQUEST,
				   "Invalid Request: id must be a string or an integer "
				   "of at most 2^53-1",
				   NULL);
	if (!cJSON_IsString(version) || strcmp(version->valuestring, "2.0") != 0)
		return set_invalid(m, RPC_INVALID_REQUEST,
				   "Invalid Request: jsonrpc must be \"2.0\"", id);
	if (!method) {
		if (id &&
		    (cJSON_HasObjectItem(root, "result") || cJSON_HasObjectItem(root, "error"))) {
			m->kind = MCP_MSG_RESPONSE;
			m->id = id;
			return;
		}
		return set_invalid(m, RPC_INVALID_REQUEST, "Invalid Request: method is missing",
				   id);
	}
	if (!cJSON_IsString(method))
		return set_invalid(m, RPC_INVALID_REQUEST,
				   "Invalid Request: method must be a string", id);
	m->method = method->valuestring;
	m->id = id;
	m->kind = id ? MCP_MSG_REQUEST : MCP_MSG_NOTIFICATION;
	if (!params || cJSON_IsNull(params))
		return;
	if (cJSON_IsObject(params)) {
		m->params = params;
		return;
	}
	if (m->kind == MCP_MSG_NOTIFICATION)
		return; /* never answered; treated as having no params */
	if (cJSON_IsArray(params))
		return set_invalid(m, RPC_INVALID_PARAMS,
				   "Invalid params: params must be an object", id);
	set_invalid(m, RPC_INVALID_REQUEST, "Invalid Request: params must be an object", id);
}

/*
 * cJSON ends a string at a decoded \u0000, so "ping\u0000x" would run as
 * ping and an id would be echoed cut short. Such a message is refused; its
 * id is echoed only when it is a number (the NUL was elsewhere).
 */
static void refuse_nul(struct mcp_msg *m)
{
	const cJSON *id = cJSON_IsNumber(m->id) ? m->id : NULL;

	m->method = NULL;
	m->params = NULL;
	set_invalid(m, RPC_INVALID_REQUEST, "Invalid Request: strings must not contain \\u0000",
		    id);
}

void mcp_msg_parse(const char *line, size_t len, struct mcp_msg *m)
{
	const char *end = NULL;

	memset(m, 0, sizeof(*m));
	if (!mcp_utf8_valid(line, len))
		return set_invalid(m, RPC_PARSE_ERROR,
				   "Parse error: the message is not valid UTF-8", NULL);
	m->root = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (!m->root || !trailing_blank(end, line + len)) {
		cJSON_Delete(m->root);
		m->root = NULL;
		return set_invalid(m, RPC_PARSE_ERROR, "Parse error: the message is not valid JSON",
				   NULL);
	}
	if (!cJSON_IsObject(m->root))
		return set_invalid(m, RPC_INVALID_REQUEST,
				   "Invalid Request: a message must be a JSON object "
				   "(batches are not supported)",
				   NULL);
	classify(m);
	if ((m->kind == MCP_MSG_REQUEST || m->kind == MCP_MSG_NOTIFICATION) &&
	    mcp_json_has_nul_escape(line, len))
		refuse_nul(m);
}

void mcp_msg_free(struct mcp_msg *m)
{
	cJSON_Delete(m->root);
	memset(m, 0, sizeof(*m));
}

bool mcp_id_equal(const cJSON *a, const cJSON *b)
{
	if (!a || !b)
		return false;
	if (cJSON_IsString(a) && cJSON_IsString(b))
		return strcmp(a->valuestring, b->valuestring) == 0;
	if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
		return a->valuedouble == b->valuedouble;
	return false;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Serialise `msg` as one line on stdout; consumes msg. Requests were
 * checked for UTF-8, but the text can still hold a value quoted from a
 * host answer or cut at a byte count: repaired here, never written raw.
 */
static int send_line(cJSON *msg)
{
	char *printed = cJSON_PrintUnformatted(msg);
	char *text = printed ? mcp_utf8_repair(printed) : NULL;
	int rc = -1;

	cJSON_Delete(msg);
	if (text != printed)
		free(printed);
	if (!text) {
		fprintf(stderr, "clawsec-traffic-mcp: out of memory serialising a response\n");
		return 0;
	}
	size_t n = strlen(text);

	if (write_all(STDOUT_FILENO, text, n) == 0 && write_all(STDOUT_FILENO, "\n", 1) == 0)
		rc = 0;
	free(text);
	return rc;
}

/*
 * The id as it goes out. cJSON prints numbers with 15 significant digits
 * (9007199254740991 becomes 9.00719925474099e+15), so an integer id, exact
 * in a double once valid_id() let it in, is written with all its digits.
 */
static cJSON *copy_id(const cJSON *id)
{
	char digits[32];

	if (!id)
		return cJSON_CreateNull();
	if (!cJSON_IsNumber(id))
		return cJSON_Duplicate(id, 1);
	snprintf(digits, sizeof(digits), "%.0f", id->valuedouble);
	return cJSON_CreateRaw(digits);
}

static cJSON *envelope(const cJSON *id)
{
	cJSON *msg = cJSON_CreateObject();
	cJSON *idcopy = copy_id(id);

	if (!msg || !idcopy || !cJSON_AddStringToObject(msg, "jsonrpc", "2.0")) {
		cJSON_Delete(msg);
		cJSON_Delete(idcopy);
		return NULL;
	}
	cJSON_AddItemToObject(msg, "id", idcopy);
	return msg;
}

int mcp_send_result(const cJSON *id, cJSON *result)
{
	cJSON *msg = envelope(id);

	if (!msg || !result) {
		cJSON_Delete(msg);
		cJSON_Delete(result);
		return mcp_send_error(id, RPC_INTERNAL_ERROR, "Internal error: out of memory");
	}
	cJSON_AddItemToObject(msg, "result", result);
	return send_line(msg);
}

int mcp_send_error(const cJSON *id, int code, const char *message)
{
	return mcp_send_error_data(id, code, message, NULL);
}

int mcp_send_error_data(const cJSON *id, int code, const char *message, cJSON *data)
{
	cJSON *msg = envelope(id);
	cJSON *err = cJSON_CreateObject();

	if (!msg || !err || !cJSON_AddNumberToObject(err, "code", code) ||
	    !cJSON_AddStringToObject(err, "message", message)) {
		cJSON_Delete(msg);
		cJSON_Delete(err);
		cJSON_Delete(data);
		fprintf(stderr, "clawsec-traffic-mcp: out of memory writing an error\n");
		return 0;
	}
	if (data)
		cJSON_AddItemToObject(err, "data", data);
	cJSON_AddItemToObject(msg, "error", err);
	return send_line(msg);
}
