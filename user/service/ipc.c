/* SPDX-License-Identifier: MIT */
/*
 * ipc.c - files of the IPC protocol: group discovery, claiming, answering,
 * quarantine. The content of tasks is tasks.c's business.
 *
 * The group directory is opened by its path (its parents are the host's);
 * everything beneath it, which the container owns and can swap for a
 * symlink at any moment, only through safedir.c: resolved beneath that
 * descriptor without following links, mode and owner set through fds.
 * docs/threat-model.md lists every call site.
 */
#include "ipc.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "findings_cache.h"
#include "fsutil.h"
#include "quarantine.h"
#include "safedir.h"
#include "tasks.h"

#define TASKS_DIR "clawsec_tasks"
#define RESULTS_DIR "clawsec_results"
#define MAX_GROUPS 4096
#define RECENT_IDS 16384
#define NAME_MAX_LEN 128
#define RESULT_TTL_S 600
#define SWEEP_INTERVAL_MS 60000

struct group {
	char path[PATH_MAX];	  /* the group directory */
	char name[65];		  /* group name (first wildcard component) */
	char work[PATH_MAX + 96]; /* <home>/ipc/<name>-<hash> */
	uint64_t hash;
	int wd; /* inotify watch on clawsec_tasks/, -1 if none */
	bool dirty, seen, recovered;
};

struct cs_ipc {
	struct cs_config *cfg;
	int ifd;
	struct group *groups;
	size_t n_groups, cap_groups;
	uint64_t next_scan_ms, next_sweep_ms;
	int budget;		     /* tasks this cs_ipc_process() call may still handle */
	const atomic_bool *stop;     /* set: stop between two tasks (NULL: never) */
	size_t next_group;	     /* where the next call starts, for fairness */
	uint64_t recent[RECENT_IDS]; /* hashes of (group dir, requestId) */
	size_t recent_pos;
	struct cs_ipc_stats st;
};

/* One group while it is handled: descriptors, never paths, below g->path. */
struct gctx {
	struct group *g;
	int gfd;   /* the group directory */
	int pfd;   /* <work>/processing (host-private) */
	uid_t uid; /* owner of clawsec_tasks/ (the container user), -1 unknown */
	gid_t gid;
};

/* What one task turned into. */
struct outcome {
	struct cs_task task;
	const char *code; /* NULL = ok */
	char msg[256];
	cJSON *result;
	bool quarantine;
	bool answered_before; /* its result file exists: never write another */
};

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull;
}

#define LOG_BURST 20	    /* lines per LOG_WINDOW_MS ... */
#define LOG_WINDOW_MS 10000 /* ... so that a flooding container cannot flood the journal */

static void log_msg(const char *fmt, const char *a, const char *b, const char *c)
{
	static uint64_t window_start, suppressed;
	static unsigned lines;
	uint64_t now = cs_now_ms();

	if (now - window_start >= LOG_WINDOW_MS) {
		if (suppressed)
			fprintf(stderr, "clawsec-traffic: ipc: %llu messages suppressed\n",
				(unsigned long long)suppressed);
		window_start = now;
		lines = 0;
		suppressed = 0;
	}
	if (++lines > LOG_BURST) {
		suppressed++;
		return;
	}
	fprintf(stderr, "clawsec-traffic: ipc: ");
	fprintf(stderr, fmt, a, b, c);
	fputc('\n', stderr);
}

/* ---- groups ---- */

static bool valid_group_name(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && s[0] != '-' && s[0] != '_' &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* Index of the first path component of a glob that holds a wildcard. */
static int wildcard_component(const char *pattern)
{
	int idx = -1;

	for (const char *p = pattern; *p; p++) {
		if (*p == '/')
			idx++;
		else if (strchr("*?[", *p))
			return idx;
	}
	return -1;
}

static bool component(const char *path, int idx, char *out, size_t size)
{
	const char *p = path;
	size_t n;

	for (int i = -1; i < idx; i++) {
		p = strchr(p, '/');
		if (!p)
			return false;
		p++;
	}
	n = strcspn(p, "/");
	if (n == 0 || n >= size)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static struct group *find_group(struct cs_ipc *ipc, const char *path)
{
	for (size_t i = 0; i < ipc->n_groups; i++)
		if (!strcmp(ipc->groups[i].path, path))
			return &ipc->groups[i];
	return NULL;
}

static struct group *add_group(struct cs_ipc *ipc, const char *path, const char *name)
{
	struct group *g;

	if (ipc->n_groups == MAX_GROUPS)
		return NULL;
	if (ipc->n_groups == ipc->cap_groups) {
		size_t cap = ipc->cap_groups ? ipc->cap_groups * 2 : 16;
		struct group *ng = realloc(ipc->groups, cap * sizeof(*ng));

		if (!ng)
			return NULL;
		ipc->groups = ng;
		ipc->cap_groups = cap;
	}
	g = &ipc->groups[ipc->n_groups++];
	memset(g, 0, sizeof(*g));
	snprintf(g->path, sizeof(g->path), "%s", path);
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->hash = fnv1a(1469598103934665603ull, path);
	snprintf(g->work, sizeof(g->work), "%s/ipc/%s-%016llx", ipc->cfg->home, name,
		 (unsigned long long)g->hash);
	g->wd = -1;
	return g;
}

static int open_group(const struct group *g)
{
	return open(g->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/*
 * Watch the clawsec_tasks/ we opened safely, through its /proc/self/fd
 * name, so that the watch lands on that very directory.
 */
static void watch_group(struct cs_ipc *ipc, struct group *g)
{
	char fdpath[64];
	int gfd, tfd;

	if (ipc->ifd < 0 || g->wd >= 0)
		return;
	gfd = open_group(g);
	tfd = gfd >= 0 ? cs_sd_opendir(gfd, TASKS_DIR) : -1;
	if (tfd >= 0) {
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", tfd);
		g->wd = inotify_add_watch(ipc->ifd, fdpath,
					  IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
		if (g->wd < 0)
			ipc->st.watch_failures++;
		close(tfd);
	}
	if (gfd >= 0)
		close(gfd);
}

static void consider_match(struct cs_ipc *ipc, const char *path, int idx)
{
	char name[65];
	struct stat st;
	struct group *g;

	if (lstat(path, &st) || !S_ISDIR(st.st_mode))
		return;
	if (!component(path, idx, name, sizeof(name)) || !valid_group_name(name)) {
		ipc->st.groups_refused++;
		return;
	}
	g = find_group(ipc, path);
	if (!g)
		g = add_group(ipc, path, name);
	if (!g) {
		ipc->st.groups_refused++;
		return;
	}
	g->seen = true;
	g->dirty = true;
	watch_group(ipc, g);
}

static void drop_unseen(struct cs_ipc *ipc)
{
	size_t j = 0;

	for (size_t i = 0; i < ipc->n_groups; i++) {
		struct group *g = &ipc->groups[i];

		if (!g->seen) {
			char proc[PATH_MAX + 128];

			if (g->wd >= 0)
				inotify_rm_watch(ipc->ifd, g->wd);
			/* Gone (an ended v2 session): drop its work directory if empty. */
			snprintf(proc, sizeof(proc), "%s/processing", g->work);
			if (!rmdir(proc))
				rmdir(g->work);
			continue;
		}
		g->seen = false;
		ipc->groups[j++] = *g;
	}
	ipc->n_groups = j;
	ipc->st.groups = j;
}

static void rescan(struct cs_ipc *ipc)
{
	ipc->st.scans++;
	ipc->st.groups_refused = 0; /* a gauge: what this scan refused */
	for (size_t r = 0; r < ipc->cfg->n_ipc_roots; r++) {
		const char *pattern = ipc->cfg->ipc_roots[r];
		int idx = wildcard_component(pattern);
		glob_t gl;

		if (glob(pattern, GLOB_ONLYDIR | GLOB_NOSORT, NULL, &gl))
			continue;
		for (size_t i = 0; i < gl.gl_pathc; i++)
			consider_match(ipc, gl.gl_pathv[i], idx < 0 ? 0 : idx);
		globfree(&gl);
	}
	drop_unseen(ipc);
}

/* ---- answering ---- */

/*
 * The results directory, created 0755 and owned like clawsec_tasks/ (which
 * the container made), so that the client can delete the answers it read.
 * Mode and owner are set through its descriptor (safedir.c): a symlink
 * swapped in for it is never followed.
 */
static int open_results_dir(const struct gctx *c)
{
	return cs_sd_mkdir_open(c->gfd, RESULTS_DIR, 0755, c->uid, c->gid);
}

/* Answers nobody collected (the client died) and our own stray temp files. */
static void sweep_results(struct cs_ipc *ipc, const struct group *g, time_t cutoff)
{
	int gfd = open_group(g), rfd, fd;
	DIR *d;
	struct dirent *e;

	rfd = gfd >= 0 ? cs_sd_opendir(gfd, RESULTS_DIR) : -1;
	if (gfd >= 0)
		close(gfd);
	fd = rfd >= 0 ? dup(rfd) : -1;
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		if (rfd >= 0)
			close(rfd);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(rfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode) ||
		    st.st_mtime >= cutoff || st.st_uid != geteuid())
			continue;
		if (!unlinkat(rfd, e->d_name, 0))
			ipc->st.results_expired++;
	}
	closedir(d);
	close(rfd);
}

static void sweep_all(struct cs_ipc *ipc, uint64_t now_ms)
{
	time_t cutoff = (time_t)(now_ms / 1000) - RESULT_TTL_S;

	if (now_ms < ipc->next_sweep_ms)
		return;
	ipc->next_sweep_ms = now_ms + SWEEP_INTERVAL_MS;
	for (size_t i = 0; i < ipc->n_groups; i++)
		sweep_results(ipc, &ipc->groups[i], cutoff);
}

static bool result_exists(const struct gctx *c, const char *id)
{
	char name[96];
	struct stat st;
	int rfd = cs_sd_opendir(c->gfd, RESULTS_DIR);
	bool found;

	if (rfd < 0)
		return false;
	snprintf(name, sizeof(name), "%s.json", id);
	found = fstatat(rfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	close(rfd);
	return found;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Temp file (O_EXCL|O_NOFOLLOW), fsync, rename without replacing: an
 * existing answer is never overwritten. 0 when written or already there.
 */
static int write_result(const struct gctx *c, const char *id, const char *text)
{
	char tmp[160], name[96];
	int rfd = open_results_dir(c), fd, rc = -1;

	if (rfd < 0)
		return -1;
	snprintf(name, sizeof(name), "%s.json", id);
	snprintf(tmp, sizeof(tmp), ".%s.json.%d.tmp", id, (int)getpid());
	fd = cs_sd_openat(rfd, tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 && errno == EEXIST && !unlinkat(rfd, tmp, 0))
		fd = cs_sd_openat(rfd, tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd >= 0) {
		bool ok = !fchmod(fd, 0644) && !write_all(fd, text, strlen(text)) && !fsync(fd);

		close(fd);
		if (ok && (!renameat2(rfd, tmp, rfd, name, RENAME_NOREPLACE) || errno == EEXIST))
			rc = 0;
		if (rc == 0)
			fsync(rfd);
		unlinkat(rfd, tmp, 0);
	}
	close(rfd);
	return rc;
}

static void answer(struct cs_ipc *ipc, const struct gctx *c, struct outcome *o)
{
	const struct group *g = c->g;
	cJSON *resp;
	char *text;

	if (o->answered_before)
		return;
	if (!o->task.request_id[0]) {
		ipc->st.unanswered++;
		return;
	}
	if (o->code)
		resp = cs_task_response_error(&o->task, o->code, o->msg);
	else
		resp = cs_task_response_ok(&o->task, o->result);
	o->result = NULL; /* owned by resp now */
	text = resp ? cJSON_PrintUnformatted(resp) : NULL;
	cJSON_Delete(resp);
	if (!text || write_result(c, o->task.request_id, text)) {
		ipc->st.answer_failures++;
		o->quarantine = true;
		snprintf(o->msg, sizeof(o->msg), "its answer could not be written");
		log_msg("cannot answer %s in %s: %s", o->task.request_id, g->path, strerror(errno));
	} else if (o->code) {
		ipc->st.answered_error++;
	} else {
		ipc->st.answered_ok++;
	}
	cJSON_free(text);
}

/* ---- quarantine ---- */

static void quarantine(struct cs_ipc *ipc, const struct group *g, int pfd, const char *name,
		       const char *why)
{
	struct cs_quarantine_outcome o = cs_quarantine(ipc->cfg->home, g->name, pfd, name);

	if (o.kept) {
		ipc->st.quarantined++;
		ipc->st.quarantine_bytes_cut += o.cut_bytes;
		log_msg("quarantined %s from %s: %s", name, g->path, why);
	} else {
		/* Full, a directory, or unusable: bounded disk use matters more. */
		ipc->st.dropped++;
	}
}

/* ---- one task ---- */

static bool valid_task_name(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && n <= NAME_MAX_LEN && !strcmp(name + n - 5, ".json") && name[0] != '.' &&
	       !strstr(name, "..") && !strchr(name, '/') &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
		       n;
}

static char *read_claimed(int pfd, const char *name, size_t *len)
{
	int fd = openat(pfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	char *buf = malloc(CS_TASK_MAX_BYTES + 2);
	ssize_t n = -1;
	size_t used = 0;

	if (fd >= 0 && buf) {
		while (used <= CS_TASK_MAX_BYTES) {
			n = read(fd, buf + used, CS_TASK_MAX_BYTES + 1 - used);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			used += (size_t)n;
		}
	}
	if (fd >= 0)
		close(fd);
	if (n < 0 || !buf) {
		free(buf);
		return NULL;
	}
	buf[used] = '\0';
	*len = used;
	return buf;
}

static bool seen_recently(struct cs_ipc *ipc, const struct group *g, const char *id)
{
	uint64_t h = fnv1a(g->hash, id) | 1; /* 0 marks an empty slot */

	for (size_t i = 0; i < RECENT_IDS; i++)
		if (ipc->recent[i] == h)
			return true;
	ipc->recent[ipc->recent_pos] = h;
	ipc->recent_pos = (ipc->recent_pos + 1) % RECENT_IDS;
	return false;
}

/* File-level checks; NULL when fine. */
static const char *check_file(const struct cs_ipc *ipc, const char *name, const struct stat *st,
			      char *msg, size_t msglen)
{
	if (!valid_task_name(name)) {
		snprintf(msg, msglen, "bad task file name (want <epoch-ms>-<random>.json)");
		return CS_ERR_INVALID_TASK;
	}
	if (st->st_nlink > 1) {
		snprintf(msg, msglen, "task file has %lu hard links", (unsigned long)st->st_nlink);
		return CS_ERR_INVALID_TASK;
	}
	if (ipc->cfg->ipc_uid >= 0 && st->st_uid != (uid_t)ipc->cfg->ipc_uid) {
		snprintf(msg, msglen, "task file owned by uid %u, expected uid %d",
			 (unsigned)st->st_uid, ipc->cfg->ipc_uid);
		return CS_ERR_INVALID_TASK;
	}
	return NULL;
}

static void evaluate(struct cs_ipc *ipc, const struct gctx *c, const char *text, size_t len,
		     const char *file_code, uint64_t now, bool recovering, struct outcome *o)
{
	const struct group *g = c->g;

	o->code = cs_task_parse(text, len, now, &o->task, o->msg, sizeof(o->msg));
	if (file_code) {
		o->code = file_code;
		o->quarantine = true;
		return;
	}
	if (o->code) {
		o->quarantine = true;
		return;
	}
	if (result_exists(c, o->task.request_id)) {
		/* Answered before a crash, or a reused id: the first answer stands. */
		if (!recovering) {
			o->quarantine = true;
			ipc->st.duplicates++;
		}
		o->answered_before = true;
		o->code = CS_ERR_DUPLICATE;
		snprintf(o->msg, sizeof(o->msg), "a result for this requestId exists");
		return;
	}
	if (seen_recently(ipc, g, o->task.request_id)) {
		ipc->st.duplicates++;
		o->code = CS_ERR_DUPLICATE;
		snprintf(o->msg, sizeof(o->msg), "requestId was already used in this group");
		o->quarantine = true;
		return;
	}
	if (now > cs_task_deadline(&o->task, ipc->cfg)) {
		ipc->st.timeouts++;
		o->code = CS_ERR_TIMEOUT;
		snprintf(o->msg, sizeof(o->msg), "task expired %llu ms before it was handled",
			 (unsigned long long)(now - cs_task_deadline(&o->task, ipc->cfg)));
		return;
	}
	o->result = cs_task_execute(ipc->cfg, g->name, &o->task, &o->code, o->msg, sizeof(o->msg));
}

static void handle_claimed(struct cs_ipc *ipc, const struct gctx *c, const char *name,
			   bool recovering)
{
	const struct group *g = c->g;
	int pfd = c->pfd;
	struct outcome o = {0};
	struct stat st;
	const char *file_code;
	char file_msg[256];
	char *text;
	size_t len = 0;

	ipc->st.tasks++;
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode)) {
		ipc->st.invalid++;
		ipc->st.unanswered++;
		quarantine(ipc, g, pfd, name, "not a regular file (symlink, directory, ...)");
		return;
	}
	file_code = check_file(ipc, name, &st, file_msg, sizeof(file_msg));
	text = read_claimed(pfd, name, &len);
	if (!text) {
		ipc->st.unanswered++;
		quarantine(ipc, g, pfd, name, "unreadable");
		return;
	}
	evaluate(ipc, c, text, len, file_code, cs_now_ms(), recovering, &o);
	free(text);
	if (file_code)
		snprintf(o.msg, sizeof(o.msg), "%s", file_msg);
	if (o.code && strcmp(o.code, CS_ERR_DUPLICATE) && strcmp(o.code, CS_ERR_TIMEOUT) &&
	    o.quarantine)
		ipc->st.invalid++;
	answer(ipc, c, &o);
	cJSON_Delete(o.result);
	if (recovering)
		ipc->st.recovered++;
	if (o.quarantine)
		quarantine(ipc, g, pfd, name, o.msg);
	else
		unlinkat(pfd, name, 0);
}

/* ---- claiming ---- */

/*
 * Across filesystems rename() cannot claim: copy a regular file's first
 * bytes (owner preserved, so the uid check still applies) and remove the
 * original. Anything else is removed unread.
 */
static int claim_copy(int tfd, int pfd, const char *name)
{
	int in = cs_sd_openat(tfd, name, O_RDONLY | O_NONBLOCK, 0), out;
	char *buf = malloc(CS_TASK_MAX_BYTES + 1);
	struct stat st;
	ssize_t n = -1;

	if (in < 0 || fstat(in, &st) || !S_ISREG(st.st_mode) || st.st_nlink > 1 || !buf) {
		if (in >= 0)
			close(in);
		free(buf);
		if (unlinkat(tfd, name, 0))
			unlinkat(tfd, name, AT_REMOVEDIR);
		return -1;
	}
	n = read(in, buf, CS_TASK_MAX_BYTES + 1);
	close(in);
	out = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0 || n < 0 || write_all(out, buf, (size_t)n) || fsync(out) ||
	    fchown(out, st.st_uid, st.st_gid)) {
		if (out >= 0) {
			close(out);
			unlinkat(pfd, name, 0);
		}
		free(buf);
		return -1;
	}
	close(out);
	free(buf);
	return unlinkat(tfd, name, 0);
}

static bool claim(struct cs_ipc *ipc, int tfd, int pfd, const char *name)
{
	if (!renameat2(tfd, name, pfd, name, RENAME_NOREPLACE))
		return true;
	if (errno == ENOENT) /* someone else took it, or it was renamed away */
		return false;
	if (errno == EXDEV && !claim_copy(tfd, pfd, name))
		return true;
	ipc->st.claim_failures++;
	return false;
}

static int open_dir_at(int dfd, const char *path)
{
	return openat(dfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static bool skip_name(const char *n)
{
	size_t len = strlen(n);

	/* Being written by the client (<name>.tmp, then renamed). */
	return !strcmp(n, ".") || !strcmp(n, "..") || (len > 4 && !strcmp(n + len - 4, ".tmp"));
}

/*
 * Handle the entries of a directory fd, within the call's budget; claims
 * from tfd into pfd unless recovering (then tfd is pfd). A group left with
 * work stays dirty.
 */
static int drain(struct cs_ipc *ipc, const struct gctx *c, int tfd, bool recovering)
{
	struct group *g = c->g;
	int g_budget = CS_IPC_GROUP_TURN;
	int fd = dup(tfd), handled = 0;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(d))) {
		if (skip_name(e->d_name))
			continue;
		if (ipc->budget <= 0 || g_budget <= 0 || (ipc->stop && atomic_load(ipc->stop))) {
			g->dirty = true;
			break;
		}
		if (!recovering && !claim(ipc, tfd, c->pfd, e->d_name))
			continue;
		handle_claimed(ipc, c, e->d_name, recovering);
		ipc->budget--;
		g_budget--;
		handled++;
	}
	closedir(d);
	return handled;
}

static int process_group(struct cs_ipc *ipc, struct group *g)
{
	char proc[PATH_MAX + 128];
	struct gctx c = {.g = g, .uid = (uid_t)-1, .gid = (gid_t)-1};
	struct stat st;
	int tfd, handled = 0;

	g->dirty = false;
	snprintf(proc, sizeof(proc), "%s/processing", g->work);
	if (cs_mkdir_p(proc, 0700)) {
		ipc->st.claim_failures++;
		return 0;
	}
	c.pfd = open_dir_at(AT_FDCWD, proc);
	c.gfd = open_group(g);
	tfd = c.gfd >= 0 ? cs_sd_opendir(c.gfd, TASKS_DIR) : -1;
	if (tfd >= 0 && !fstat(tfd, &st)) {
		c.uid = st.st_uid;
		c.gid = st.st_gid;
	}
	if (c.pfd >= 0 && c.gfd >= 0 && !g->recovered) {
		/* Claimed by an earlier run that stopped before answering. */
		handled += drain(ipc, &c, c.pfd, true);
		g->recovered = !g->dirty;
	}
	if (c.pfd >= 0 && tfd >= 0 && !g->dirty)
		handled += drain(ipc, &c, tfd, false);
	if (tfd >= 0)
		close(tfd);
	if (c.gfd >= 0)
		close(c.gfd);
	if (c.pfd >= 0)
		close(c.pfd);
	return handled;
}

/* ---- the loop ---- */

static void read_events(struct cs_ipc *ipc)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(ipc->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			for (size_t i = 0; i < ipc->n_groups; i++) {
				struct group *g = &ipc->groups[i];

				if (ev->mask & IN_Q_OVERFLOW)
					g->dirty = true;
				else if (g->wd == ev->wd)
					g->dirty = true;
				if (g->wd == ev->wd && (ev->mask & IN_IGNORED))
					g->wd = -1;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
}

int cs_ipc_process(struct cs_ipc *ipc, uint64_t now_ms)
{
	int handled = 0;

	if (ipc->ifd >= 0)
		read_events(ipc);
	if (now_ms >= ipc->next_scan_ms) {
		rescan(ipc);
		sweep_all(ipc, now_ms);
		ipc->next_scan_ms = now_ms + ipc->cfg->ipc_poll_ms;
	}
	ipc->budget = CS_IPC_BATCH;
	for (size_t k = 0, n = ipc->n_groups; k < n && ipc->budget > 0; k++) {
		size_t i = (ipc->next_group + k) % n;

		if (!ipc->groups[i].dirty)
			continue;
		handled += process_group(ipc, &ipc->groups[i]);
		/* A flooding group must not starve the others: start after it next time. */
		if (ipc->budget <= 0)
			ipc->next_group = (i + 1) % n;
	}
	return handled;
}

void cs_ipc_set_stop_flag(struct cs_ipc *ipc, const atomic_bool *stop)
{
	ipc->stop = stop;
}

int cs_ipc_fd(const struct cs_ipc *ipc)
{
	return ipc->ifd;
}

int cs_ipc_timeout_ms(const struct cs_ipc *ipc, uint64_t now_ms)
{
	for (size_t i = 0; i < ipc->n_groups; i++)
		if (ipc->groups[i].dirty)
			return 0;
	return now_ms >= ipc->next_scan_ms ? 0 : (int)(ipc->next_scan_ms - now_ms);
}

struct cs_ipc *cs_ipc_new(const struct cs_config *c, char *err, size_t errlen)
{
	struct cs_ipc *ipc = calloc(1, sizeof(*ipc));
	char dir[PATH_MAX + 16];
	int rc;

	if (!ipc || !(ipc->cfg = malloc(sizeof(*c)))) {
		free(ipc);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*ipc->cfg = *c;
	for (int i = 0; i < 2; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", c->home, i ? "quarantine" : "ipc");
		rc = cs_mkdir_p(dir, 0700);
		if (rc) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
			cs_ipc_free(ipc);
			return NULL;
		}
	}
	ipc->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	return ipc;
}

void cs_ipc_set_config(struct cs_ipc *ipc, const struct cs_config *c)
{
	*ipc->cfg = *c;
	/* Work directories derive from home: rebuild the group list from scratch. */
	for (size_t i = 0; i < ipc->n_groups; i++)
		if (ipc->groups[i].wd >= 0)
			inotify_rm_watch(ipc->ifd, ipc->groups[i].wd);
	ipc->n_groups = 0;
	ipc->next_scan_ms = 0;
}

void cs_ipc_free(struct cs_ipc *ipc)
{
	if (!ipc)
		return;
	if (ipc->ifd >= 0)
		close(ipc->ifd);
	free(ipc->groups);
	free(ipc->cfg);
	free(ipc);
}

void cs_ipc_get_stats(const struct cs_ipc *ipc, struct cs_ipc_stats *out)
{
	*out = ipc->st;
}

cJSON *cs_ipc_stats_json(const struct cs_ipc_stats *s)
{
	cJSON *o = cJSON_CreateObject();
	uint64_t hits, misses;
#define ADD(f) cJSON_AddNumberToObject(o, #f, (double)s->f)
	ADD(groups);
	ADD(groups_refused);
	ADD(scans);
	ADD(tasks);
	ADD(answered_ok);
	ADD(answered_error);
	ADD(unanswered);
	ADD(invalid);
	ADD(duplicates);
	ADD(timeouts);
	ADD(quarantined);
	ADD(dropped);
	ADD(quarantine_bytes_cut);
	ADD(recovered);
	ADD(answer_failures);
	ADD(claim_failures);
	ADD(watch_failures);
	ADD(results_expired);
#undef ADD
	cs_fcache_counts(&hits, &misses);
	cJSON_AddNumberToObject(o, "findings_cache_hits", (double)hits);
	cJSON_AddNumberToObject(o, "findings_cache_misses", (double)misses);
	return o;
}
