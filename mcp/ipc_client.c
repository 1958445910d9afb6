// SPDX-License-Identifier: MIT
/*
 * ipc_client.c - send one task to the host service and wait for its answer.
 *
 * The wait never outlives ipc->timeout_ms: a host that is not running, is
 * busy, or dies mid-task yields a failure that names the cause. Task files
 * not yet claimed when we give up are withdrawn; answers that arrive after
 * we gave up are removed later (orphans) so results do not pile up.
 */
#include "ipc_client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TASKS_DIR "clawsec_tasks"
#define RESULTS_DIR "clawsec_results"
#define RESPONSE_SCHEMA "clawsec-traffic-ipc-response/v1"
#define POLL_MS 20
#define ORPHAN_KEEP_MS 60000

struct request {
	char id[65];
	char task_path[PATH_MAX];
	char result_path[PATH_MAX];
};

static int64_t clock_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void format_timestamp(int64_t ms, char out[32])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char base[24];

	gmtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%03dZ", base, (int)(ms % 1000));
}

/* Random hex: getrandom() needs no /dev, so it also works in a bare chroot. */
static void random_hex(char *out, size_t bytes)
{
	static uint64_t fallback;
	unsigned char buf[16];

	if (bytes > sizeof(buf))
		bytes = sizeof(buf);
	if (getrandom(buf, bytes, GRND_NONBLOCK) != (ssize_t)bytes) {
		/* Uniqueness, not secrecy, is what matters for a request id. */
		fallback += (uint64_t)clock_ms(CLOCK_MONOTONIC) ^ ((uint64_t)getpid() << 32);
		fallback ^= fallback << 13;
		fallback ^= fallback >> 7;
		for (size_t i = 0; i < bytes; i++)
			buf[i] = (unsigned char)(fallback >> (8 * (i % 8)));
	}
	for (size_t i = 0; i < bytes; i++)
		snprintf(out + 2 * i, 3, "%02x", buf[i]);
}

static int path_join(char *out, const char *dir, const char *sub, const char *name,
		     const char *suffix)
{
	int n = snprintf(out, PATH_MAX, "%s/%s/%s%s", dir, sub, name, suffix);

	return n < 0 || n >= PATH_MAX ? -1 : 0;
}

static cJSON *build_task(const struct mcp_ipc *ipc, const char *type, const char *id,
			 const cJSON *args)
{
	cJSON *task = cJSON_CreateObject();
	cJSON *copy = args ? cJSON_Duplicate(args, 1) : cJSON_CreateObject();
	char ts[32];

	format_timestamp(clock_ms(CLOCK_REALTIME), ts);
	if (!task || !copy || !cJSON_AddStringToObject(task, "type", type) ||
	    !cJSON_AddStringToObject(task, "requestId", id) ||
	    !cJSON_AddStringToObject(task, "groupFolder", ipc->group) ||
	    !cJSON_AddStringToObject(task, "timestamp", ts) ||
	    !cJSON_AddNumberToObject(task, "timeout_ms", ipc->timeout_ms)) {
		cJSON_Delete(task);
		cJSON_Delete(copy);
		return NULL;
	}
	cJSON_AddItemToObject(task, "args", copy);
	return task;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write the task as <name>.tmp and rename it, so the host never sees half a file. */
static int publish_task(const char *path, const char *text)
{
	char tmp[PATH_MAX + 8];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -1;
	/* 0644 whatever the umask: the host service may run as another user. */
	if (fchmod(fd, 0644) != 0 || write_all(fd, text, strlen(text)) != 0 || fsync(fd) != 0) {
		int saved = errno;

		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int saved = errno;

		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

__attribute__((format(printf, 2, 3))) static void fail(struct mcp_ipc_reply *reply, const char *fmt,
						       ...)
{
	va_list ap;

	reply->status = MCP_IPC_FAILED;
	va_start(ap, fmt);
	vsnprintf(reply->message, sizeof(reply->message), fmt, ap);
	va_end(ap);
}

static int send_task(const struct mcp_ipc *ipc, const char *type, const cJSON *args,
		     const struct request *rq, struct mcp_ipc_reply *reply)
{
	char tasks[sizeof(ipc->dir) + sizeof(TASKS_DIR) + 1];
	cJSON *task = build_task(ipc, type, rq->id, args);
	char *text = task ? cJSON_PrintUnformatted(task) : NULL;
	int rc;

	cJSON_Delete(task);
	if (!text) {
		fail(reply, "out of memory building the task");
		return -1;
	}
	snprintf(tasks, sizeof(tasks), "%s/%s", ipc->dir, TASKS_DIR);
	/* The host normally creates it; a fresh group directory may not have it yet. */
	if (mkdir(tasks, 0755) != 0 && errno != EEXIST) {
		fail(reply, "cannot create %s: %s (is the IPC directory mounted?)", tasks,
		     strerror(errno));
		free(text);
		return -1;
	}
	rc = publish_task(rq->task_path, text);
	free(text);
	if (rc != 0) {
		fail(reply, "cannot write the task file %s: %s", rq->task_path, strerror(errno));
		return -1;
	}
	return 0;
}

/* 1: *out holds the parsed answer, 0: not there yet, -1: unusable (reply set). */
static int read_answer(const char *path, cJSON **out, struct mcp_ipc_reply *reply)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	char *buf;
	ssize_t n;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		fail(reply, "cannot open the host's answer %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MCP_IPC_MAX_RESULT) {
		close(fd);
		fail(reply, "the host's answer %s is not a regular file of at most 8 MiB", path);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		free(buf);
		fail(reply, "cannot read the host's answer %s", path);
		return -1;
	}
	*out = cJSON_ParseWithLength(buf, (size_t)n);
	free(buf);
	if (!*out) {
		fail(reply, "the host's answer %s is not valid JSON", path);
		return -1;
	}
	return 1;
}

static bool str_is(const cJSON *obj, const char *key, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) && strcmp(v->valuestring, want) == 0;
}

static void take_host_error(const cJSON *err, struct mcp_ipc_reply *reply)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(err, "message");

	reply->status = MCP_IPC_HOST_ERROR;
	snprintf(reply->code, sizeof(reply->code), "%s",
		 cJSON_IsString(code) ? code->valuestring : "internal");
	snprintf(reply->message, sizeof(reply->message), "%s",
		 cJSON_IsString(msg) ? msg->valuestring : "no message");
}

/* Check the envelope against the task we sent and take its result or error. */
static void take_answer(cJSON *root, const char *id, const char *type, struct mcp_ipc_reply *reply)
{
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(root, "ok");
	cJSON *result = cJSON_GetObjectItemCaseSensitive(root, "result");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");

	if (!str_is(root, "schema", RESPONSE_SCHEMA) || !str_is(root, "requestId", id) ||
	    !str_is(root, "type", type))
		return fail(reply, "the host's answer to %s has a wrong schema, requestId or type",
			    id);
	if (cJSON_IsTrue(ok) && cJSON_IsObject(result)) {
		reply->status = MCP_IPC_OK;
		reply->result = cJSON_DetachItemViaPointer(root, result);
		return;
	}
	if (cJSON_IsFalse(ok) && cJSON_IsObject(err))
		return take_host_error(err, reply);
	fail(reply, "the host's answer to %s has neither a result object nor an error", id);
}

static void add_orphan(struct mcp_ipc *ipc, const char *result_path)
{
	struct mcp_ipc_orphan *slot = &ipc->orphans[0];

	for (size_t i = 0; i < MCP_IPC_MAX_ORPHANS; i++) {
		struct mcp_ipc_orphan *o = &ipc->orphans[i];

		if (!o->result_path[0]) {
			slot = o;
			break;
		}
		if (o->forget_at_ms < slot->forget_at_ms)
			slot = o;
	}
	snprintf(slot->result_path, sizeof(slot->result_path), "%s", result_path);
	slot->forget_at_ms = clock_ms(CLOCK_MONOTONIC) + ipc->timeout_ms + ORPHAN_KEEP_MS;
}

void mcp_ipc_sweep_orphans(struct mcp_ipc *ipc)
{
	int64_t now = clock_ms(CLOCK_MONOTONIC);

	for (size_t i = 0; i < MCP_IPC_MAX_ORPHANS; i++) {
		struct mcp_ipc_orphan *o = &ipc->orphans[i];

		if (o->result_path[0] && (unlink(o->result_path) == 0 || now > o->forget_at_ms))
			o->result_path[0] = '\0';
	}
}

/* Give up on a request: withdraw an unclaimed task, remember the answer path. */
static bool withdraw(struct mcp_ipc *ipc, const struct request *rq)
{
	bool unclaimed = unlink(rq->task_path) == 0;

	if (!unclaimed)
		add_orphan(ipc, rq->result_path);
	return unclaimed;
}

static void timed_out(struct mcp_ipc *ipc, const struct request *rq, struct mcp_ipc_reply *reply)
{
	reply->status = MCP_IPC_FAILED;
	if (withdraw(ipc, rq))
		snprintf(reply->message, sizeof(reply->message),
			 "no answer from the clawsec host service: the task was not picked up "
			 "within %d ms (is `clawsec-traffic serve` running on the host and "
			 "watching %.400s?)",
			 ipc->timeout_ms, ipc->dir);
	else
		snprintf(reply->message, sizeof(reply->message),
			 "no answer from the clawsec host service: it took the task but did not "
			 "answer within %d ms (host busy, or stopped in the middle of the task)",
			 ipc->timeout_ms);
}

static int new_request(const struct mcp_ipc *ipc, struct request *rq)
{
	char hex[33];
	char name[64];
	long long ms = (long long)clock_ms(CLOCK_REALTIME);

	random_hex(hex, 8);
	snprintf(rq->id, sizeof(rq->id), "mcp-%lld-%s", ms, hex);
	if (path_join(rq->result_path, ipc->dir, RESULTS_DIR, rq->id, ".json") != 0)
		return -1;
	/* The file name is independent of the id: <epoch-ms>-<random>.json. */
	random_hex(hex, 8);
	snprintf(name, sizeof(name), "%lld-%s", ms, hex);
	return path_join(rq->task_path, ipc->dir, TASKS_DIR, name, ".json");
}

/* Poll for the answer until it comes, the deadline passes or wait() gives up. */
static void await_answer(struct mcp_ipc *ipc, const struct request *rq, const char *type,
			 mcp_ipc_wait_fn wait, void *ctx, struct mcp_ipc_reply *reply)
{
	int64_t deadline = clock_ms(CLOCK_MONOTONIC) + ipc->timeout_ms;
	cJSON *root = NULL;

	for (;;) {
		int got = read_answer(rq->result_path, &root, reply);

		if (got < 0) {
			unlink(rq->result_path);
			return;
		}
		if (got > 0)
			break;
		int64_t left = deadline - clock_ms(CLOCK_MONOTONIC);

		if (left <= 0)
			return timed_out(ipc, rq, reply);
		if (wait(ctx, left < POLL_MS ? (int)left : POLL_MS)) {
			withdraw(ipc, rq);
			reply->status = MCP_IPC_CANCELLED;
			return;
		}
	}
	if (unlink(rq->result_path) != 0)
		fprintf(stderr, "clawsec-traffic-mcp: cannot remove %s: %s\n", rq->result_path,
			strerror(errno));
	take_answer(root, rq->id, type, reply);
	cJSON_Delete(root);
}

void mcp_ipc_request(struct mcp_ipc *ipc, const char *type, const cJSON *args, mcp_ipc_wait_fn wait,
		     void *ctx, struct mcp_ipc_reply *reply)
{
	struct request rq;

	memset(reply, 0, sizeof(*reply));
	mcp_ipc_sweep_orphans(ipc);
	if (new_request(ipc, &rq) != 0)
		return fail(reply, "the IPC directory path %s is too long", ipc->dir);
	if (send_task(ipc, type, args, &rq, reply) != 0)
		return;
	await_answer(ipc, &rq, type, wait, ctx, reply);
}
