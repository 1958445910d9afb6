// SPDX-License-Identifier: MIT
/*
 * fuzz_mcp_request.c - whatever a client writes to the MCP server, it never
 * crashes, every line it writes back is valid UTF-8 and one well-formed
 * JSON-RPC response, a result always carries a usable id (never null, never
 * a number that did not survive the round trip), it never answers more
 * messages than it got, and no task file is left in the IPC directory.
 *
 * The input is the server's stdin (a memfd, so it reads as lines and then
 * EOF), split into messages at each newline: without one it is a single
 * line. stdout is another memfd read back after the run. No host service
 * runs: tools/call writes a real task into a temp IPC directory and gives up
 * after 1 ms, which also lets the server read further lines (queueing and
 * notifications/cancelled) while the call waits. The whole input is also
 * classified directly as one message.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "era.h"
#include "fuzz_util.h"
#include "ipc_client.h"
#include "jsonrpc.h"
#include "server.h"
#include "textsafe.h"
#include "tools.h"

static struct mcp_ipc ipc;
static char *out_buf;
static size_t out_cap;

static void remove_ipc_dir(void)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/clawsec_tasks", ipc.dir);
	rmdir(path);
	rmdir(ipc.dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	int out = memfd_create("mcp-stdout", MFD_CLOEXEC);

	(void)argc;
	(void)argv;
	snprintf(ipc.dir, sizeof(ipc.dir), "%s/cs-fuzz-mcp-XXXXXX", base);
	CHECK(mkdtemp(ipc.dir));
	atexit(remove_ipc_dir);
	snprintf(ipc.group, sizeof(ipc.group), "fuzz");
	ipc.timeout_ms = 1;
	/* The server writes its responses to fd 1; libFuzzer reports on fd 2. */
	CHECK(out >= 0 && dup2(out, STDOUT_FILENO) == STDOUT_FILENO);
	close(out);
	CHECK(mcp_tools_init() == 0);
	return 0;
}

static void feed_stdin(const uint8_t *data, size_t size)
{
	int in = memfd_create("mcp-stdin", MFD_CLOEXEC);

	CHECK(in >= 0);
	CHECK(size == 0 || write(in, data, size) == (ssize_t)size);
	CHECK(lseek(in, 0, SEEK_SET) == 0);
	CHECK(dup2(in, STDIN_FILENO) == STDIN_FILENO);
	close(in);
}

static size_t read_stdout(void)
{
	off_t n = lseek(STDOUT_FILENO, 0, SEEK_END);

	CHECK(n >= 0);
	if ((size_t)n + 1 > out_cap) {
		out_cap = (size_t)n + 1;
		out_buf = realloc(out_buf, out_cap);
		CHECK(out_buf);
	}
	CHECK(pread(STDOUT_FILENO, out_buf, (size_t)n, 0) == n);
	out_buf[n] = '\0';
	CHECK(ftruncate(STDOUT_FILENO, 0) == 0 && lseek(STDOUT_FILENO, 0, SEEK_SET) == 0);
	return (size_t)n;
}

static bool known_error(int code)
{
	return code == RPC_PARSE_ERROR || code == RPC_INVALID_REQUEST ||
	       code == RPC_UNSUPPORTED_VERSION || code == RPC_METHOD_NOT_FOUND ||
	       code == RPC_INVALID_PARAMS || code == RPC_INTERNAL_ERROR;
}

/* An id a result may carry: a string, or an integer a double holds exactly. */
static bool exact_id(const cJSON *id)
{
	if (cJSON_IsString(id))
		return true;
	return cJSON_IsNumber(id) && isfinite(id->valuedouble) &&
	       floor(id->valuedouble) == id->valuedouble &&
	       fabs(id->valuedouble) <= 9007199254740991.0;
}

static void check_response(const char *line, size_t len)
{
	CHECK(mcp_utf8_valid(line, len));
	cJSON *r = cJSON_ParseWithLength(line, len);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "result");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(r, "error");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "jsonrpc");

	CHECK(cJSON_IsObject(r));
	CHECK(cJSON_IsString(v) && !strcmp(v->valuestring, "2.0"));
	CHECK(exact_id(id) || cJSON_IsNull(id));
	CHECK(!res != !err);
	if (err) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(err, "message");

		CHECK(cJSON_IsNumber(code) && known_error(code->valueint));
		CHECK(cJSON_IsString(msg) && msg->valuestring[0]);
	} else {
		CHECK(cJSON_IsObject(res) && exact_id(id));
		/* A tool result: no host ever answers here, so it must be an error. */
		if (cJSON_HasObjectItem(res, "content"))
			CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "isError")) &&
			      !cJSON_HasObjectItem(res, "structuredContent"));
	}
	cJSON_Delete(r);
}

static void check_output(const uint8_t *data, size_t size)
{
	size_t n = read_stdout(), lines_in = 1, lines_out = 0;

	for (size_t i = 0; i < size; i++)
		lines_in += data[i] == '\n';
	CHECK(n == 0 || out_buf[n - 1] == '\n');
	for (char *p = out_buf, *nl; (nl = memchr(p, '\n', n - (size_t)(p - out_buf)));
	     p = nl + 1) {
		CHECK(nl > p);
		check_response(p, (size_t)(nl - p));
		lines_out++;
	}
	CHECK(lines_out <= lines_in);
}

/* Every task was withdrawn after its 1 ms, and nothing answered it. */
static void check_ipc_dir(void)
{
	char path[PATH_MAX + 32];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/clawsec_results", ipc.dir);
	CHECK(access(path, F_OK) != 0 && errno == ENOENT);
	snprintf(path, sizeof(path), "%s/clawsec_tasks", ipc.dir);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)))
		CHECK(!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."));
	closedir(d);
}

/* The whole input as one message: the classification is consistent. */
static void check_single(const uint8_t *data, size_t size)
{
	struct mcp_msg m;

	mcp_msg_parse((const char *)data, size, &m);
	switch (m.kind) {
	case MCP_MSG_REQUEST:
		CHECK(m.method && (cJSON_IsString(m.id) || cJSON_IsNumber(m.id)));
		CHECK(!m.params || cJSON_IsObject(m.params));
		break;
	case MCP_MSG_NOTIFICATION:
		CHECK(m.method && !m.id);
		CHECK(!m.params || cJSON_IsObject(m.params));
		break;
	case MCP_MSG_RESPONSE:
		CHECK(m.id && !m.method);
		break;
	case MCP_MSG_INVALID:
		CHECK(known_error(m.error_code) && m.error_message && m.error_message[0]);
		CHECK(!m.root == (m.error_code == RPC_PARSE_ERROR));
		break;
	}
	mcp_msg_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_single(data, size);
	feed_stdin(data, size);
	memset(ipc.orphans, 0, sizeof(ipc.orphans));
	CHECK(mcp_server_run(&ipc) == 0);
	check_output(data, size);
	check_ipc_dir();
	return 0;
}
