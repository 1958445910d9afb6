/* SPDX-License-Identifier: MIT */
/* targets.c - find the processes to watch through /proc and Docker's metadata. */
#include "targets.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "elfsym.h"
#include "tls_stack.h"
#include "fsutil.h"
#include "procstat.h"
#include "v2source.h"

#define PROC "/proc"
#define CMDLINE_MAX 4096
#define DOCKER_CONFIG_MAX (4u << 20)

struct rules {
	int pids[CS_TARGETS_MAX];
	size_t n_pids;
	regex_t re[32];
	bool re_default[32]; /* the NanoClaw default: also needs a checkout */
	size_t n_re;
	char prefix[64];
	char label[128];
	char docker[PATH_MAX];
};

struct cs_targets {
	struct rules rules;
	bool have_rules;
	struct cs_target *t[CS_TARGETS_MAX];
	size_t n;
	cs_target_fn fn;
	void *ctx;
};

/* What /proc says about one process. */
struct procinfo {
	int pid;
	uint64_t start_time;
	char comm[16];
	char cmdline[CMDLINE_MAX];
	char container[128];
	char group[65];
	char session[65];
	char folder[65];
	bool in_container;
};

const char *cs_tls_path_name(enum cs_tls_path p)
{
	switch (p) {
	case CS_TLS_LIBSSL:
		return "libssl";
	case CS_TLS_GNUTLS:
		return "gnutls";
	case CS_TLS_STATIC_OPENSSL:
		return "static_openssl";
	case CS_TLS_BORINGSSL_AEAD:
		return "boringssl_aead";
	case CS_TLS_GO:
		return "go";
	default:
		return "none";
	}
}

void cs_source_comm(const char *in, char *out, size_t len)
{
	size_t i = 0;

	for (; in[i] && i + 1 < len; i++)
		out[i] = in[i] == '/' ? '?' : in[i];
	out[i] = '\0';
}

void cs_target_source(const struct cs_target *t, char *out, size_t len)
{
	char comm[sizeof(t->comm)];

	cs_source_comm(t->comm, comm, sizeof(comm));
	if (t->session[0] && !cs_v2_source(out, len, t->group, t->session, comm, t->pid))
		return;
	if (t->container[0])
		snprintf(out, len, "%s/%s/%d", t->container, comm, t->pid);
	else
		snprintf(out, len, "%s/%d", comm, t->pid);
}

static void free_rules(struct rules *r)
{
	for (size_t i = 0; i < r->n_re; i++)
		regfree(&r->re[i]);
	r->n_re = 0;
}

struct cs_targets *cs_targets_new(cs_target_fn fn, void *ctx)
{
	struct cs_targets *ts = calloc(1, sizeof(*ts));

	if (!ts)
		return NULL;
	ts->fn = fn;
	ts->ctx = ctx;
	return ts;
}

void cs_targets_free(struct cs_targets *ts)
{
	if (!ts)
		return;
	for (size_t i = 0; i < ts->n; i++)
		free(ts->t[i]);
	if (ts->have_rules)
		free_rules(&ts->rules);
	free(ts);
}

static int compile_rules(struct rules *nr, const struct cs_target_rules *r, char *err,
			 size_t errlen)
{
	if (r->n_pids > CS_TARGETS_MAX || r->n_cmdline > 32) {
		snprintf(err, errlen, "too many target pids or cmdline patterns");
		return -1;
	}
	for (size_t i = 0; i < r->n_pids; i++)
		nr->pids[i] = r->pids[i];
	nr->n_pids = r->n_pids;
	for (size_t i = 0; i < r->n_cmdline; i++) {
		int rc = regcomp(&nr->re[i], r->cmdline[i], REG_EXTENDED | REG_NOSUB);

		if (rc) {
			char msg[128];

			regerror(rc, &nr->re[i], msg, sizeof(msg));
			snprintf(err, errlen, "target_cmdline[%zu]: %s", i, msg);
			free_rules(nr);
			return -1;
		}
		nr->re_default[i] = !strcmp(r->cmdline[i], CS_TARGET_DEFAULT_CMDLINE);
		nr->n_re = i + 1;
	}
	snprintf(nr->prefix, sizeof(nr->prefix), "%s",
		 r->container_prefix ? r->container_prefix : "");
	snprintf(nr->label, sizeof(nr->label), "%s", r->container_label ? r->container_label : "");
	snprintf(nr->docker, sizeof(nr->docker), "%s",
		 r->docker_root ? r->docker_root : "/var/lib/docker/containers");
	return 0;
}

int cs_targets_set_rules(struct cs_targets *ts, const struct cs_target_rules *r, char *err,
			 size_t errlen)
{
	struct rules *nr = calloc(1, sizeof(*nr));

	if (!nr) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (compile_rules(nr, r, err, errlen)) {
		free(nr);
		return -1;
	}
	if (ts->have_rules)
		free_rules(&ts->rules);
	ts->rules = *nr;
	ts->have_rules = true;
	free(nr);
	return 0;
}

/* Read a small /proc file into buf (NUL-terminated); bytes read or -1. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* comm and start time from /proc/PID/stat; comm may hold spaces and ')'. */
static int read_stat(int pid, struct procinfo *pi)
{
	char path[PATH_MAX], buf[1024];
	char *open_p, *close_p;
	const char *p;

	snprintf(path, sizeof(path), "%s/%d/stat", PROC, pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	open_p = strchr(buf, '(');
	close_p = strrchr(buf, ')');
	if (!open_p || !close_p || close_p < open_p)
		return -1;
	snprintf(pi->comm, sizeof(pi->comm), "%.*s", (int)(close_p - open_p - 1), open_p + 1);
	p = cs_procstat_field(buf, 22); /* the start time */
	if (!p)
		return -1;
	pi->start_time = strtoull(p, NULL, 10);
	return 0;
}

static int read_cmdline(int pid, char *out, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%d/cmdline", PROC, pid);
	n = read_small(path, out, len);
	if (n < 0)
		return -1;
	/* argv is NUL-separated: join with spaces, drop the trailing NUL. */
	while (n > 0 && out[n - 1] == '\0')
		n--;
	out[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (out[i] == '\0')
			out[i] = ' ';
	return 0;
}

static bool is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

int cs_cgroup_container_id(const char *text, char id[65])
{
	/*
	 * Docker puts the id in the last path component of the cgroup:
	 * ".../docker/<id>", ".../docker-<id>.scope", ".../<id>" (cgroupfs).
	 */
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t llen = end ? (size_t)(end - line) : strlen(line);

		for (size_t i = 0; i + 64 <= llen; i++) {
			const char *c = line + i;
			bool start = i == 0 || c[-1] == '/' || c[-1] == '-';
			bool stop = i + 64 == llen || c[64] == '/' || c[64] == '.';

			if (start && stop && is_hex64(c)) {
				memcpy(id, c, 64);
				id[64] = '\0';
				return 0;
			}
		}
		line = end ? end + 1 : NULL;
	}
	return -1;
}

int cs_container_group(const char *name, const char *prefix, char *group, size_t len)
{
	size_t plen = strlen(prefix), nlen = strlen(name);
	const char *dash;

	if (nlen <= plen || strncmp(name, prefix, plen))
		return -1;
	dash = strrchr(name + plen, '-');
	if (!dash || dash == name + plen || !dash[1])
		return -1;
	for (const char *p = dash + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	if ((size_t)(dash - (name + plen)) >= len)
		return -1;
	snprintf(group, len, "%.*s", (int)(dash - (name + plen)), name + plen);
	return 0;
}

static const char *label_value(const cJSON *labels, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*
 * NanoClaw v2 labels: the agent group and session ids, when both are valid
 * (they replace what the name said), and the group folder. True when found.
 */
static bool v2_labels(const cJSON *labels, struct procinfo *pi)
{
	const char *g = label_value(labels, CS_LABEL_V2_GROUP);
	const char *s = label_value(labels, CS_LABEL_V2_SESSION);
	const char *f = label_value(labels, CS_LABEL_V2_FOLDER);

	if (f && cs_v2_valid_id(f))
		snprintf(pi->folder, sizeof(pi->folder), "%s", f);
	if (!g || !s || !cs_v2_valid_id(g) || !cs_v2_valid_id(s))
		return false;
	snprintf(pi->group, sizeof(pi->group), "%s", g);
	snprintf(pi->session, sizeof(pi->session), "%s", s);
	return true;
}

/*
 * The name: "<prefix><group>-<ms>" (v1) gives the group. A v2 name
 * "<prefix>v2-<folder>-<ms>" gives only the folder; it still yields group
 * "v2-<folder>" as it always did, which no v2 IPC directory is named (those
 * use the agent group id from the labels).
 */
static bool name_identity(const struct rules *r, const char *n, struct procinfo *pi)
{
	char v2prefix[sizeof(r->prefix) + sizeof(CS_V2_NAME_PREFIX)];

	snprintf(pi->container, sizeof(pi->container), "%s", n);
	if (!r->prefix[0] || strncmp(n, r->prefix, strlen(r->prefix)))
		return false;
	cs_container_group(n, r->prefix, pi->group, sizeof(pi->group));
	snprintf(v2prefix, sizeof(v2prefix), "%s%s", r->prefix, CS_V2_NAME_PREFIX);
	if (cs_container_group(n, v2prefix, pi->folder, sizeof(pi->folder)))
		pi->folder[0] = '\0';
	return true;
}

/* Name and labels of a Docker container; true when it is a NanoClaw one. */
static bool docker_lookup(const struct rules *r, const char *id, struct procinfo *pi)
{
	char path[PATH_MAX + 96];
	size_t len;
	char *text;
	cJSON *doc, *name, *labels, *label = NULL;
	bool match = false;

	snprintf(path, sizeof(path), "%s/%s/config.v2.json", r->docker, id);
	text = cs_read_file(path, DOCKER_CONFIG_MAX, &len);
	if (!text)
		return false;
	doc = cJSON_ParseWithLength(text, len);
	free(text);
	if (!doc)
		return false;
	name = cJSON_GetObjectItemCaseSensitive(doc, "Name");
	labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "Config"),
						  "Labels");
	if (!cJSON_IsObject(labels))
		labels = NULL;
	if (cJSON_IsString(name))
		match = name_identity(r, name->valuestring + (name->valuestring[0] == '/'), pi);
	if (r->label[0])
		label = cJSON_GetObjectItemCaseSensitive(labels, r->label);
	if (cJSON_IsString(label)) {
		match = true;
		if (label->valuestring[0])
			snprintf(pi->group, sizeof(pi->group), "%s", label->valuestring);
	}
	/* NanoClaw's own labels are its adoption contract: a NanoClaw container whatever its name.
	 */
	if (v2_labels(labels, pi))
		match = true;
	cJSON_Delete(doc);
	return match;
}

static bool container_match(const struct rules *r, int pid, struct procinfo *pi)
{
	char path[PATH_MAX], buf[4096], id[65];

	if (!r->prefix[0] && !r->label[0])
		return false;
	snprintf(path, sizeof(path), "%s/%d/cgroup", PROC, pid);
	if (read_small(path, buf, sizeof(buf)) <= 0 || cs_cgroup_container_id(buf, id))
		return false;
	pi->in_container = true;
	return docker_lookup(r, id, pi);
}

/* Is `dir`/package.json the manifest of a NanoClaw checkout? */
static bool nanoclaw_manifest(const char *dir)
{
	char path[PATH_MAX + 16];
	size_t len;
	char *text;
	cJSON *doc, *name;
	bool yes;

	snprintf(path, sizeof(path), "%s/package.json", dir);
	text = cs_read_file(path, 1u << 20, &len);
	if (!text)
		return false;
	doc = cJSON_ParseWithLength(text, len);
	free(text);
	name = cJSON_GetObjectItemCaseSensitive(doc, "name");
	yes = cJSON_IsString(name) && !strcmp(name->valuestring, "nanoclaw");
	cJSON_Delete(doc);
	return yes;
}

/*
 * The default matcher wants NanoClaw's own script: the checkout holding the
 * `dist/index.js` argument (relative to the process's cwd, or absolute in
 * its root) has a package.json named "nanoclaw".
 */
static bool in_nanoclaw_checkout(int pid, const char *cmdline)
{
	static const char script[] = "dist/index.js";
	const size_t slen = sizeof(script) - 1;
	char dir[PATH_MAX];

	for (const char *tok = cmdline, *end; *tok; tok = *end ? end + 1 : end) {
		size_t n;

		end = strchr(tok, ' ');
		if (!end)
			end = tok + strlen(tok);
		n = (size_t)(end - tok);
		if (n < slen || memcmp(end - slen, script, slen) ||
		    (n > slen && *(end - slen - 1) != '/'))
			continue;
		snprintf(dir, sizeof(dir), "%s/%d/%s/%.*s", PROC, pid,
			 tok[0] == '/' ? "root" : "cwd", (int)(n - slen), tok);
		return nanoclaw_manifest(dir);
	}
	return false;
}

static bool cmdline_match(const struct rules *r, int pid, const char *cmdline)
{
	for (size_t i = 0; i < r->n_re; i++) {
		if (regexec(&r->re[i], cmdline, 0, NULL, 0))
			continue;
		if (!r->re_default[i] || in_nanoclaw_checkout(pid, cmdline))
			return true;
	}
	return false;
}

static bool pid_listed(const struct rules *r, int pid)
{
	for (size_t i = 0; i < r->n_pids; i++)
		if (r->pids[i] == pid)
			return true;
	return false;
}

/* Does a process match the rules? Fills pi; 0 = no match. */
static enum cs_target_why match(const struct rules *r, int pid, struct procinfo *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	if (read_stat(pid, pi))
		return 0;
	/* Kernel threads have an empty cmdline and are never targets. */
	if (read_cmdline(pid, pi->cmdline, sizeof(pi->cmdline)) || !pi->cmdline[0])
		return 0;
	if (container_match(r, pid, pi))
		return CS_WHY_CONTAINER;
	if (pid_listed(r, pid))
		return CS_WHY_PID;
	if (cmdline_match(r, pid, pi->cmdline))
		return CS_WHY_CMDLINE;
	return 0;
}

/*
 * "Not visible" only for a process that did network I/O no TLS probe covers:
 * wrappers that never open a socket (bash, timeout, git's parent) stay quiet.
 */
static void visibility_note(struct cs_target *t, const char *why)
{
	if (t->tls == CS_TLS_NONE && t->net_io && why[0])
		snprintf(t->note, sizeof(t->note), "TLS not visible (%.100s): use proxy mode", why);
	else if (t->tls == CS_TLS_NONE && t->net_io)
		snprintf(t->note, sizeof(t->note), "%s", CS_TLS_NOT_VISIBLE_NOTE);
	else
		t->note[0] = '\0';
}

/*
 * Which binary holds this process's TLS calls: a mapped libssl first (what
 * the process's own TLS calls go through), then a mapped libgnutls, else the
 * executable itself.
 */
static void classify_tls(struct cs_target *t)
{
	struct cs_mapped_bin mb;
	unsigned int mask = 0;
	char why[96] = ""; /* a TLS stack found but refused */

	t->tls = CS_TLS_NONE;
	t->dev = 0;
	t->ino = 0;
	if (cs_find_libssl(t->pid, &mb) == 0 && cs_elf_tls_symbols(mb.open_path, &mask) == 0 &&
	    (mask & CS_SYM_DATA)) {
		t->tls = CS_TLS_LIBSSL;
	} else if (cs_find_libgnutls(t->pid, &mb) == 0) {
		t->tls = CS_TLS_GNUTLS; /* the gnutls stack checks its symbols at attach */
	} else if (cs_find_exe(t->pid, &mb) == 0) {
		mask = 0;
		if (cs_elf_tls_symbols(mb.open_path, &mask) == 0 && (mask & CS_SYM_DATA))
			t->tls = CS_TLS_STATIC_OPENSSL;
		else if (cs_tls_boringssl_present(mb.open_path))
			t->tls = CS_TLS_BORINGSSL_AEAD;
		else if (cs_tls_go_present(mb.open_path, why, sizeof(why)))
			t->tls = CS_TLS_GO;
	} else {
		mb.open_path[0] = mb.mapped[0] = '\0';
		mb.key.dev = mb.key.ino = 0;
	}
	snprintf(t->binary, sizeof(t->binary), "%s", mb.open_path);
	snprintf(t->binary_shown, sizeof(t->binary_shown), "%s", mb.mapped);
	t->dev = (dev_t)mb.key.dev;
	t->ino = (ino_t)mb.key.ino;
	visibility_note(t, why);
}

static struct cs_target *target_from(const struct procinfo *pi, enum cs_target_why why)
{
	struct cs_target *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->pid = pi->pid;
	t->start_time = pi->start_time;
	t->why = why;
	memcpy(t->comm, pi->comm, sizeof(t->comm));
	snprintf(t->container, sizeof(t->container), "%s", pi->container);
	snprintf(t->group, sizeof(t->group), "%s", pi->group);
	snprintf(t->session, sizeof(t->session), "%s", pi->session);
	snprintf(t->folder, sizeof(t->folder), "%s", pi->folder);
	classify_tls(t);
	t->classified_ns = cs_mono_ns();
	return t;
}

static void add(struct cs_targets *ts, struct cs_target *t)
{
	if (ts->n == CS_TARGETS_MAX) {
		fprintf(stderr, "clawsec-traffic: more than %d targets; pid %d not watched\n",
			CS_TARGETS_MAX, t->pid);
		free(t);
		return;
	}
	ts->t[ts->n++] = t;
	ts->fn(ts->ctx, CS_TARGET_ADDED, t);
}

static void remove_at(struct cs_targets *ts, size_t i)
{
	struct cs_target *t = ts->t[i];

	ts->t[i] = ts->t[--ts->n];
	ts->fn(ts->ctx, CS_TARGET_REMOVED, t);
	free(t);
}

size_t cs_targets_count(const struct cs_targets *ts)
{
	return ts->n;
}

struct cs_target *cs_targets_at(struct cs_targets *ts, size_t i)
{
	return i < ts->n ? ts->t[i] : NULL;
}

static ssize_t index_of(const struct cs_targets *ts, int pid)
{
	for (size_t i = 0; i < ts->n; i++)
		if (ts->t[i]->pid == pid)
			return (ssize_t)i;
	return -1;
}

struct cs_target *cs_targets_find(struct cs_targets *ts, int pid)
{
	ssize_t i = index_of(ts, pid);

	return i < 0 ? NULL : ts->t[i];
}

/* Is the target still the process we matched, and still wanted? */
static bool still_valid(const struct cs_targets *ts, const struct cs_target *t)
{
	struct procinfo pi;
	enum cs_target_why why = match(&ts->rules, t->pid, &pi);

	if (!pi.comm[0] || pi.start_time != t->start_time)
		return false; /* gone, or the pid was reused */
	return why || t->why == CS_WHY_CHILD;
}

int cs_targets_scan(struct cs_targets *ts)
{
	DIR *d;
	struct dirent *de;

	if (!ts->have_rules)
		return -EINVAL;
	for (size_t i = ts->n; i-- > 0;)
		if (!still_valid(ts, ts->t[i]))
			remove_at(ts, i);
	d = opendir(PROC);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		struct procinfo pi;
		enum cs_target_why why;
		struct cs_target *t;

		if (*end || pid <= 0 || index_of(ts, (int)pid) >= 0)
			continue;
		why = match(&ts->rules, (int)pid, &pi);
		if (why && (t = target_from(&pi, why)))
			add(ts, t);
	}
	closedir(d);
	return 0;
}

void cs_targets_on_exec(struct cs_targets *ts, int pid)
{
	struct procinfo pi;
	enum cs_target_why why;
	struct cs_target *t = cs_targets_find(ts, pid);

	if (!ts->have_rules)
		return;
	why = match(&ts->rules, pid, &pi);
	if (t) {
		/* A new program: its TLS may live in another binary now. */
		memcpy(t->comm, pi.comm, sizeof(t->comm));
		if (why && why != t->why && t->why == CS_WHY_CHILD)
			t->why = why;
		t->net_io = false; /* what matters is what the new program does */
		classify_tls(t);
		t->classified_ns = cs_mono_ns();
		ts->fn(ts->ctx, CS_TARGET_CHANGED, t);
		return;
	}
	if (why && (t = target_from(&pi, why)))
		add(ts, t);
}

void cs_targets_recheck_tls(struct cs_targets *ts, uint64_t young_ms)
{
	uint64_t now = cs_mono_ns();
	struct cs_mapped_bin mb;

	for (size_t i = 0; i < ts->n; i++) {
		struct cs_target *t = ts->t[i];

		if (t->tls != CS_TLS_NONE ||
		    (young_ms && now - t->classified_ns >= young_ms * 1000000ull))
			continue;
		/* Only the maps are read here: the executable was already looked at. */
		if (cs_find_libssl(t->pid, &mb) != 0 && cs_find_libgnutls(t->pid, &mb) != 0)
			continue;
		classify_tls(t);
		if (t->tls != CS_TLS_NONE)
			ts->fn(ts->ctx, CS_TARGET_CHANGED, t);
	}
}

void cs_targets_on_fork(struct cs_targets *ts, int parent, int child)
{
	struct cs_target *p = cs_targets_find(ts, parent);
	struct cs_target *t;
	struct procinfo pi;

	if (!p || cs_targets_find(ts, child))
		return;
	memset(&pi, 0, sizeof(pi));
	pi.pid = child;
	if (read_stat(child, &pi))
		return; /* already gone */
	memcpy(pi.container, p->container, sizeof(pi.container));
	memcpy(pi.group, p->group, sizeof(pi.group));
	memcpy(pi.session, p->session, sizeof(pi.session));
	memcpy(pi.folder, p->folder, sizeof(pi.folder));
	t = target_from(&pi, CS_WHY_CHILD);
	if (t)
		add(ts, t);
}

bool cs_targets_on_net_io(struct cs_targets *ts, int pid)
{
	struct cs_target *t = cs_targets_find(ts, pid);

	if (!t || t->net_io)
		return false;
	t->net_io = true;
	if (t->tls != CS_TLS_NONE || t->note[0])
		return false; /* covered, or already explained (e.g. not attached) */
	/*
	 * A dynamically linked program maps its TLS library after exec, and a
	 * short-lived one (curl, git) may connect before the next recheck: its
	 * maps are read again now, so a covered process is not called blind and
	 * gets its library attached. Still none: classify_tls() sets the note.
	 */
	classify_tls(t);
	if (t->tls == CS_TLS_NONE)
		return true;
	t->classified_ns = cs_mono_ns();
	ts->fn(ts->ctx, CS_TARGET_CHANGED, t);
	return false;
}

void cs_targets_on_exit(struct cs_targets *ts, int pid)
{
	ssize_t i = index_of(ts, pid);

	if (i >= 0)
		remove_at(ts, (size_t)i);
}
