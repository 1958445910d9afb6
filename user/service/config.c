/* SPDX-License-Identifier: MIT */
/*
 * config.c - load, override and validate the host configuration.
 *
 * Validation never stops at the first problem: the operator gets every
 * problem with its JSON path in one run. Keys are described by a table so
 * that parsing, bounds and the unknown-key check come from one place.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ca_path.h"
#include "digest.h"
#include "fsutil.h"
#include "netlist.h"

#define CONFIG_MAX_BYTES (1u << 20)
#define DOCKER_JSON_MAX (4u << 20)
#define ENV(name) CS_ENV_PREFIX name

enum kind {
	K_STR,	/* string into a fixed buffer */
	K_PATH, /* absolute path */
	K_U64,	/* integer in [min, max] */
	K_U32,
	K_SIZE,
	K_INT,
	K_BOOL,
	K_MODE,	  /* only "detect" */
	K_REDACT, /* only true */
	K_FSYNC,
	K_STRLIST, /* array of strings, CS_CFG_MAX_LIST at most */
	K_PIDLIST,
	K_PORTLIST,
	K_SEVMAP,    /* {"family": "severity"} */
	K_CREDHOSTS, /* {"home": ["host", "*.domain"]} */
	K_ORIGINS,   /* ["container", "host", "proxy", "scan"] */
	K_SECTION,
};

struct key {
	const char *name;
	enum kind kind;
	size_t off;   /* of the value in struct cs_config */
	size_t size;  /* string buffer size, or list element size */
	size_t n_off; /* lists: offset of the element count */
	int64_t min, max;
	const struct key *sub;
};

#define F(field) offsetof(struct cs_config, field), sizeof(((struct cs_config *)0)->field)
#define L(field, n)                                                                   \
	offsetof(struct cs_config, field), sizeof(((struct cs_config *)0)->field[0]), \
		offsetof(struct cs_config, n)

static const struct key proxy_keys[] = {
	{"enabled", K_BOOL, F(proxy_enabled), 0, 0, 0, NULL},
	{"listen", K_STR, F(proxy_listen), 0, 0, 0, NULL},
	{"https_inspection", K_BOOL, F(https_inspection), 0, 0, 0, NULL},
	{"ca_dir", K_PATH, F(ca_dir), 0, 0, 0, NULL},
	{"ca_bundle", K_PATH, F(ca_bundle), 0, 0, 0, NULL},
	{"inspect_ports", K_PORTLIST, L(inspect_ports, n_inspect_ports), 1, 65535, NULL},
	{"inspect_exclude", K_STRLIST, L(inspect_exclude, n_inspect_exclude), 0, 0, NULL},
	{"parent_proxy", K_STR, F(parent_proxy), 0, 0, 0, NULL},
	{"max_conns", K_U32, F(proxy_max_conns), 0, 1, 65536, NULL},
	{"idle_timeout_ms", K_U32, F(proxy_idle_timeout_ms), 0, 1000, 3600000, NULL},
	{"header_timeout_ms", K_U32, F(proxy_header_timeout_ms), 0, 100, 600000, NULL},
	{"max_header_bytes", K_U32, F(proxy_max_header_bytes), 0, 1024, 1 << 20, NULL},
	{"max_conns_per_client", K_U32, F(proxy_max_conns_per_client), 0, 1, 65536, NULL},
	/* destination policy */
	{"allow_hosts", K_STRLIST, L(allow_hosts, n_allow_hosts), 0, 0, NULL},
	{"deny_hosts", K_STRLIST, L(deny_hosts, n_deny_hosts), 0, 0, NULL},
	{"allow_cidrs", K_STRLIST, L(allow_cidrs, n_allow_cidrs), 0, 0, NULL},
	{"deny_cidrs", K_STRLIST, L(deny_cidrs, n_deny_cidrs), 0, 0, NULL},
	{"connect_ports", K_PORTLIST, L(connect_ports, n_connect_ports), 1, 65535, NULL},
	{NULL, 0, 0, 0, 0, 0, 0, NULL},
};

/* fleet (h5): where /metrics is served; "" turns it off. */
static const struct key metrics_keys[] = {
	{"listen", K_STR, F(metrics_listen), 0, 0, 0, NULL},
	{"proxy_listen", K_STR, F(metrics_proxy_listen), 0, 0, 0, NULL},
	{NULL, 0, 0, 0, 0, 0, 0, NULL},
};

/* fleet (h5): each finding also to syslog and/or journald; JSONL stays the record. */
static const struct key ship_keys[] = {
	{"syslog", K_STR, F(ship_syslog), 0, 0, 0, NULL},
	{"journald", K_BOOL, F(ship_journald), 0, 0, 0, NULL},
	{"journald_socket", K_PATH, F(ship_journald_socket), 0, 0, 0, NULL},
	{"queue", K_U32, F(ship_queue), 0, 16, 65536, NULL},
	{NULL, 0, 0, 0, 0, 0, 0, NULL},
};

/* cold start (h13): hold a target stopped at exec of an unexamined executable. */
static const struct key capture_keys[] = {
	{"hold_exec", K_BOOL, F(hold_exec), 0, 0, 0, NULL},
	{"hold_exec_timeout_ms", K_U32, F(hold_exec_timeout_ms), 0, 100, 10000, NULL},
	{"prewarm_host", K_BOOL, F(prewarm_host), 0, 0, 0, NULL},
	{"yield_cpu", K_BOOL, F(yield_cpu), 0, 0, 0, NULL},
	{NULL, 0, 0, 0, 0, 0, 0, NULL},
};

static const struct key root_keys[] = {
	{"home", K_PATH, F(home), 0, 0, 0, NULL},
	{"mode", K_MODE, F(mode), 0, 0, 0, NULL},
	{"redact_snippets", K_REDACT, 0, 0, 0, 0, 0, NULL},
	{"log_dir", K_PATH, F(log_dir), 0, 0, 0, NULL},
	{"rotate_bytes", K_U64, F(rotate_bytes), 0, 65536, 1LL << 40, NULL},
	{"rotate_keep", K_U32, F(rotate_keep), 0, 0, CS_JSONL_MAX_KEEP, NULL},
	{"retention_days", K_U32, F(retention_days), 0, 0, 3650, NULL},
	{"fsync", K_FSYNC, F(fsync), 0, 0, 0, NULL},
	{"fsync_interval_ms", K_U32, F(fsync_interval_ms), 0, 10, 60000, NULL},
	{"max_scan_bytes", K_SIZE, F(max_scan_bytes), 0, 1024, CS_MAX_SCAN_BYTES_HARD, NULL},
	{"dedup_window_ms", K_U64, F(dedup_window_ms), 0, 0, 86400000, NULL},
	{"disabled_patterns", K_STRLIST, L(disabled_patterns, n_disabled_patterns), 0, 0, NULL},
	{"severity_overrides", K_SEVMAP, 0, 0, 0, 0, 0, NULL},
	{"credential_hosts", K_CREDHOSTS, 0, 0, 0, 0, 0, NULL},
	{"credential_strict_sources", K_ORIGINS, 0, 0, 0, 0, 0, NULL},
	{"capture_cap_bytes", K_U32, F(capture_cap_bytes), 0, 256, 4 << 20, NULL},
	{"ringbuf_bytes", K_U32, F(ringbuf_bytes), 0, 1 << 16, 1 << 30, NULL},
	{"bpf_stats", K_BOOL, F(bpf_stats), 0, 0, 0, NULL},
	{"target_pids", K_PIDLIST, L(target_pids, n_target_pids), 1, 4194304, NULL},
	{"target_cmdline", K_STRLIST, L(target_cmdline, n_target_cmdline), 0, 0, NULL},
	{"container_prefix", K_STR, F(container_prefix), 0, 0, 0, NULL},
	{"container_label", K_STR, F(container_label), 0, 0, 0, NULL},
	{"nanoclaw_dir", K_PATH, F(nanoclaw_dir), 0, 0, 0, NULL},
	{"ipc_roots", K_STRLIST, L(ipc_roots, n_ipc_roots), 0, 0, NULL},
	{"ipc_poll_ms", K_U32, F(ipc_poll_ms), 0, 50, 60000, NULL},
	{"task_timeout_ms", K_U32, F(task_timeout_ms), 0, 100, 600000, NULL},
	{"ipc_uid", K_INT, F(ipc_uid), 0, -1, INT32_MAX, NULL},
	{"docker_containers_dir", K_PATH, F(docker_containers_dir), 0, 0, 0, NULL},
	{"proxy", K_SECTION, 0, 0, 0, 0, 0, proxy_keys},
	{"metrics", K_SECTION, 0, 0, 0, 0, 0, metrics_keys},
	{"ship", K_SECTION, 0, 0, 0, 0, 0, ship_keys},
	{"capture", K_SECTION, 0, 0, 0, 0, 0, capture_keys},
	{"status_socket", K_PATH, F(status_socket), 0, 0, 0, NULL},
	{"state_file", K_PATH, F(state_file), 0, 0, 0, NULL},
	{"pid_file", K_PATH, F(pid_file), 0, 0, 0, NULL},
	{NULL, 0, 0, 0, 0, 0, 0, NULL},
};

static void problem(struct cs_config_problems *p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct cs_config_problems *p, const char *path, const char *fmt, ...)
{
	va_list ap;

	if (p->n < sizeof(p->items) / sizeof(p->items[0])) {
		struct cs_config_problem *it = &p->items[p->n];

		snprintf(it->path, sizeof(it->path), "%s", path);
		va_start(ap, fmt);
		vsnprintf(it->reason, sizeof(it->reason), fmt, ap);
		va_end(ap);
	}
	p->n++;
}

static bool copy_str(char *dst, size_t size, const char *src)
{
	return (size_t)snprintf(dst, size, "%s", src) < size;
}

static void join_path(char *dst, size_t size, const char *dir, const char *name)
{
	/* An over-long home is reported by validation; never leave half a path. */
	if ((size_t)snprintf(dst, size, "%s/%s", strcmp(dir, "/") ? dir : "", name) >= size)
		dst[0] = '\0';
}

/* Home-relative paths are filled in after the file and the environment. */
static void derive_paths(struct cs_config *c)
{
	if (!c->log_dir[0])
		join_path(c->log_dir, sizeof(c->log_dir), c->home, "logs");
	if (!c->ca_dir[0])
		join_path(c->ca_dir, sizeof(c->ca_dir), c->home, "ca");
	if (!c->ca_bundle[0])
		join_path(c->ca_bundle, sizeof(c->ca_bundle), c->ca_dir, "ca.crt");
	if (!c->status_socket[0])
		join_path(c->status_socket, sizeof(c->status_socket), c->home, "status.sock");
	if (!c->state_file[0])
		join_path(c->state_file, sizeof(c->state_file), c->home, "state.json");
	if (!c->pid_file[0])
		join_path(c->pid_file, sizeof(c->pid_file), c->home, "clawsec-traffic.pid");
	if (!c->n_ipc_roots) {
		join_path(c->ipc_roots[0], sizeof(c->ipc_roots[0]), c->nanoclaw_dir, "data/ipc/*");
		join_path(c->ipc_roots[1], sizeof(c->ipc_roots[1]), c->nanoclaw_dir,
			  "data/v2-sessions/*/*");
		c->n_ipc_roots = 2;
	}
}

static void base_defaults(struct cs_config *c)
{
	memset(c, 0, sizeof(*c));
	copy_str(c->home, sizeof(c->home), CS_DEFAULT_HOME);
	copy_str(c->mode, sizeof(c->mode), "detect");
	c->rotate_bytes = 16u << 20;
	c->rotate_keep = 10;
	c->retention_days = 30;
	c->fsync = CS_FSYNC_INTERVAL;
	c->fsync_interval_ms = 1000;
	c->max_scan_bytes = CS_MAX_SCAN_BYTES_DEFAULT;
	c->dedup_window_ms = CS_DEDUP_WINDOW_DEFAULT_MS;
	c->credential_strict_sources = CS_STRICT_DEFAULT;
	c->capture_cap_bytes =
		256 << 10; /* a whole 30+ KB API request, with room; bpf/capture.h CS_CAP_DEFAULT */
	c->ringbuf_bytes = 8u << 20;
	c->hold_exec = true;
	c->prewarm_host = true;
	c->yield_cpu = true;
	c->hold_exec_timeout_ms = 5000;
	copy_str(c->container_prefix, sizeof(c->container_prefix), "nanoclaw-");
	copy_str(c->nanoclaw_dir, sizeof(c->nanoclaw_dir), "/opt/nanoclaw");
	c->ipc_poll_ms = 1000;
	c->task_timeout_ms = 10000;
	c->ipc_uid = -1;
	copy_str(c->docker_containers_dir, sizeof(c->docker_containers_dir),
		 "/var/lib/docker/containers");
	copy_str(c->proxy_listen, sizeof(c->proxy_listen), "127.0.0.1:" CS_PROXY_DEFAULT_PORT);
	copy_str(c->metrics_listen, sizeof(c->metrics_listen), CS_METRICS_DEFAULT_LISTEN);
	copy_str(c->metrics_proxy_listen, sizeof(c->metrics_proxy_listen),
		 CS_METRICS_PROXY_DEFAULT_LISTEN);
	copy_str(c->ship_journald_socket, sizeof(c->ship_journald_socket), CS_JOURNALD_SOCKET);
	c->ship_queue = 1024;
	c->inspect_ports[0] = 443;
	c->n_inspect_ports = 1;
	c->proxy_max_conns = 1024;
	c->proxy_idle_timeout_ms = 60000;
	c->proxy_header_timeout_ms = 10000;
	c->proxy_max_header_bytes = 65536;
	c->proxy_max_conns_per_client = 256;
	/* SHA-256 of empty input: no file was loaded. */
	cs_sha256_hex("", 0, c->config_sha256);
}

static const char *env_home(void)
{
	const char *h = getenv(ENV("HOME"));

	return h && h[0] ? h : NULL;
}

void cs_config_defaults(struct cs_config *c)
{
	const char *h = env_home();

	base_defaults(c);
	if (h && h[0] == '/')
		copy_str(c->home, sizeof(c->home), h);
	derive_paths(c);
}

/* ---- reading JSON values ---- */

static bool get_integer(const cJSON *v, const char *path, int64_t min, int64_t max, int64_t *out,
			struct cs_config_problems *p)
{
	double d;

	if (!cJSON_IsNumber(v)) {
		problem(p, path, "wrong type: expected an integer");
		return false;
	}
	d = v->valuedouble;
	if (!isfinite(d) || d != floor(d)) {
		problem(p, path, "wrong type: expected an integer, got %g", d);
		return false;
	}
	if (d < (double)min || d > (double)max) {
		problem(p, path, "out of range: %.0f is not between %lld and %lld", d,
			(long long)min, (long long)max);
		return false;
	}
	*out = (int64_t)d;
	return true;
}

static bool get_string(const cJSON *v, const char *path, char *dst, size_t size,
		       struct cs_config_problems *p)
{
	if (!cJSON_IsString(v)) {
		problem(p, path, "wrong type: expected a string");
		return false;
	}
	if (!copy_str(dst, size, v->valuestring)) {
		problem(p, path, "too long: at most %zu bytes", size - 1);
		return false;
	}
	return true;
}

static bool check_abs_path(const char *s, const char *path, struct cs_config_problems *p)
{
	if (s[0] != '/') {
		problem(p, path, "must be an absolute path, got \"%.64s\"", s);
		return false;
	}
	return true;
}

static void set_mode(const char *s, const char *path, struct cs_config *c,
		     struct cs_config_problems *p)
{
	if (strcmp(s, "detect")) {
		problem(p, path,
			"mode \"%.32s\" is not supported: only \"detect\" exists; blocking does "
			"not exist in clawsec-traffic (it detects and logs, never blocks)",
			s);
		return;
	}
	copy_str(c->mode, sizeof(c->mode), s);
}

static void set_fsync(const char *s, const char *path, struct cs_config *c,
		      struct cs_config_problems *p)
{
	if (!strcmp(s, "never"))
		c->fsync = CS_FSYNC_NEVER;
	else if (!strcmp(s, "interval"))
		c->fsync = CS_FSYNC_INTERVAL;
	else if (!strcmp(s, "always"))
		c->fsync = CS_FSYNC_ALWAYS;
	else
		problem(p, path, "must be \"never\", \"interval\" or \"always\", got \"%.32s\"", s);
}

static void redact_off(const char *path, struct cs_config_problems *p)
{
	problem(p, path, "redaction cannot be turned off: snippets are always redacted");
}

static void parse_list(const struct key *k, const cJSON *v, const char *path, struct cs_config *c,
		       struct cs_config_problems *p)
{
	char *base = (char *)c + k->off;
	size_t *n = (size_t *)((char *)c + k->n_off), i = 0;
	const cJSON *it;
	char ipath[160];

	if (!cJSON_IsArray(v)) {
		problem(p, path, "wrong type: expected an array");
		return;
	}
	if (!cJSON_GetArraySize(v) && k->off == offsetof(struct cs_config, ipc_roots)) {
		problem(p, path, "must list at least one glob");
		return;
	}
	if (cJSON_GetArraySize(v) > CS_CFG_MAX_LIST) {
		problem(p, path, "too many entries: at most %d", CS_CFG_MAX_LIST);
		return;
	}
	*n = 0;
	cJSON_ArrayForEach(it, v) {
		int64_t x;

		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i++);
		if (k->kind == K_STRLIST) {
			if (get_string(it, ipath, base + *n * k->size, k->size, p))
				(*n)++;
		} else if (get_integer(it, ipath, k->min, k->max, &x, p)) {
			if (k->kind == K_PIDLIST)
				((int *)base)[(*n)++] = (int)x;
			else
				((uint16_t *)base)[(*n)++] = (uint16_t)x;
		}
	}
}

static void parse_sevmap(const cJSON *v, const char *path, struct cs_config *c,
			 struct cs_config_problems *p)
{
	const cJSON *it;
	char ipath[160];

	if (!cJSON_IsObject(v)) {
		problem(p, path, "wrong type: expected an object {\"family\": \"severity\"}");
		return;
	}
	c->n_severity_overrides = 0;
	cJSON_ArrayForEach(it, v) {
		enum cs_severity sev;

		if ((size_t)snprintf(ipath, sizeof(ipath), "%s.%.64s", path, it->string) >=
		    sizeof(ipath))
			ipath[sizeof(ipath) - 1] = '\0';
		if (!cs_family_known(it->string)) {
			problem(p, ipath, "unknown pattern family \"%.64s\"", it->string);
			continue;
		}
		if (!cJSON_IsString(it) || cs_severity_parse(it->valuestring, &sev)) {
			problem(p, ipath, "must be \"low\", \"medium\", \"high\" or \"critical\"");
			continue;
		}
		if (c->n_severity_overrides == CS_CFG_MAX_LIST) {
			problem(p, ipath, "too many entries: at most %d", CS_CFG_MAX_LIST);
			return;
		}
		copy_str(c->severity_overrides[c->n_severity_overrides].family,
			 sizeof(c->severity_overrides[0].family), it->string);
		c->severity_overrides[c->n_severity_overrides++].severity = sev;
	}
}

/* ---- credential destinations (h3: detector/credhome.h) ---- */

static void parse_home_hosts(const cJSON *list, const char *path, const char *home,
			     struct cs_config *c, struct cs_config_problems *p)
{
	const cJSON *it;
	char ipath[200];
	size_t i = 0;

	if (!cJSON_IsArray(list)) {
		problem(p, path, "wrong type: expected an array of host names");
		return;
	}
	cJSON_ArrayForEach(it, list) {
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i++);
		if (!cJSON_IsString(it) || !cs_host_pattern_ok(it->valuestring)) {
			problem(p, ipath, "must be a host name or \"*.domain\"");
			continue;
		}
		if (c->n_credential_hosts == CS_CFG_MAX_LIST) {
			problem(p, ipath, "too many hosts: at most %d in all", CS_CFG_MAX_LIST);
			return;
		}
		copy_str(c->credential_hosts[c->n_credential_hosts].home, CS_HOME_ID_MAX, home);
		copy_str(c->credential_hosts[c->n_credential_hosts++].host,
			 sizeof(c->credential_hosts[0].host), it->valuestring);
	}
}

static void parse_credhosts(const cJSON *v, const char *path, struct cs_config *c,
			    struct cs_config_problems *p)
{
	const cJSON *it;
	char ipath[160];

	if (!cJSON_IsObject(v)) {
		problem(p, path, "wrong type: expected an object {\"provider\": [\"host\"]}");
		return;
	}
	c->n_credential_hosts = 0;
	cJSON_ArrayForEach(it, v) {
		if ((size_t)snprintf(ipath, sizeof(ipath), "%s.%.64s", path, it->string) >=
		    sizeof(ipath))
			ipath[sizeof(ipath) - 1] = '\0';
		if (!cs_home_known(it->string))
			problem(p, ipath, "unknown credential provider \"%.64s\"", it->string);
		else
			parse_home_hosts(it, ipath, it->string, c, p);
	}
}

static void parse_origins(const cJSON *v, const char *path, struct cs_config *c,
			  struct cs_config_problems *p)
{
	const cJSON *it;
	char ipath[160];
	size_t i = 0;

	if (!cJSON_IsArray(v)) {
		problem(p, path, "wrong type: expected an array of source classes");
		return;
	}
	c->credential_strict_sources = 0;
	cJSON_ArrayForEach(it, v) {
		enum cs_origin o;

		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i++);
		if (!cJSON_IsString(it) || cs_origin_parse(it->valuestring, &o))
			problem(p, ipath, "must be \"host\", \"container\", \"proxy\" or \"scan\"");
		else
			c->credential_strict_sources |= 1u << o;
	}
}

static void parse_object(const struct key *keys, const cJSON *obj, const char *prefix,
			 struct cs_config *c, struct cs_config_problems *p);

static void parse_value(const struct key *k, const cJSON *v, const char *path, struct cs_config *c,
			struct cs_config_problems *p)
{
	void *dst = (char *)c + k->off;
	int64_t x;

	switch (k->kind) {
	case K_STR:
	case K_PATH:
		if (get_string(v, path, dst, k->size, p) && k->kind == K_PATH)
			check_abs_path(dst, path, p);
		break;
	case K_U64:
	case K_U32:
	case K_SIZE:
	case K_INT:
		if (!get_integer(v, path, k->min, k->max, &x, p))
			break;
		if (k->kind == K_U64)
			*(uint64_t *)dst = (uint64_t)x;
		else if (k->kind == K_U32)
			*(uint32_t *)dst = (uint32_t)x;
		else if (k->kind == K_SIZE)
			*(size_t *)dst = (size_t)x;
		else
			*(int *)dst = (int)x;
		break;
	case K_BOOL:
		if (!cJSON_IsBool(v))
			problem(p, path, "wrong type: expected true or false");
		else
			*(bool *)dst = cJSON_IsTrue(v);
		break;
	case K_MODE:
	case K_FSYNC:
		if (!cJSON_IsString(v))
			problem(p, path, "wrong type: expected a string");
		else if (k->kind == K_MODE)
			set_mode(v->valuestring, path, c, p);
		else
			set_fsync(v->valuestring, path, c, p);
		break;
	case K_REDACT:
		if (!cJSON_IsBool(v))
			problem(p, path, "wrong type: expected true");
		else if (!cJSON_IsTrue(v))
			redact_off(path, p);
		break;
	case K_STRLIST:
	case K_PIDLIST:
	case K_PORTLIST:
		parse_list(k, v, path, c, p);
		break;
	case K_SEVMAP:
		parse_sevmap(v, path, c, p);
		break;
	case K_CREDHOSTS:
		parse_credhosts(v, path, c, p);
		break;
	case K_ORIGINS:
		parse_origins(v, path, c, p);
		break;
	case K_SECTION:
		parse_object(k->sub, v, path, c, p);
		break;
	}
}

static void parse_object(const struct key *keys, const cJSON *obj, const char *prefix,
			 struct cs_config *c, struct cs_config_problems *p)
{
	const cJSON *it;
	char path[128];

	if (!cJSON_IsObject(obj)) {
		problem(p, prefix, "wrong type: expected an object");
		return;
	}
	cJSON_ArrayForEach(it, obj) {
		const struct key *k = keys;

		snprintf(path, sizeof(path), "%s.%.64s", prefix, it->string);
		for (const cJSON *d = obj->child; d != it; d = d->next)
			if (!strcmp(d->string, it->string)) {
				problem(p, path, "duplicate key");
				break;
			}
		while (k->name && strcmp(k->name, it->string))
			k++;
		if (!k->name) {
			problem(p, path, "unknown key");
			continue;
		}
		parse_value(k, it, path, c, p);
	}
}

/* ---- environment ---- */

static bool env_true(const char *s)
{
	return !strcasecmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes") ||
	       !strcasecmp(s, "on");
}

static bool env_false(const char *s)
{
	return !strcasecmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no") ||
	       !strcasecmp(s, "off");
}

static void env_path(const char *name, char *dst, size_t size, struct cs_config_problems *p)
{
	const char *v = getenv(name);
	char path[128];

	if (!v || !v[0])
		return;
	snprintf(path, sizeof(path), "env:%s", name);
	if (check_abs_path(v, path, p) && !copy_str(dst, size, v))
		problem(p, path, "too long: at most %zu bytes", size - 1);
}

/* NANOCLAW_TRAFFIC_GUARDIAN_PROXY_URL: http://host:port, the proxy clients use. */
static void env_proxy_url(struct cs_config *c, struct cs_config_problems *p)
{
	const char *v = getenv(ENV("PROXY_URL")), *hp;
	const char *path = "env:" ENV("PROXY_URL");
	char buf[sizeof(c->proxy_listen)];

	if (!v || !v[0])
		return;
	if (strncmp(v, "http://", 7)) {
		problem(p, path, "must be http://host:port (the proxy itself speaks plain HTTP)");
		return;
	}
	hp = v + 7;
	if (!copy_str(buf, sizeof(buf), hp)) {
		problem(p, path, "too long");
		return;
	}
	buf[strcspn(buf, "/")] = '\0';
	copy_str(c->proxy_listen, sizeof(c->proxy_listen), buf);
	c->proxy_enabled = true;
}

static void env_max_scan(struct cs_config *c, struct cs_config_problems *p)
{
	const char *v = getenv(ENV("MAX_SCAN_BYTES"));
	const char *path = "env:" ENV("MAX_SCAN_BYTES");
	char *end;
	unsigned long long x;

	if (!v || !v[0])
		return;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (*end || errno || !isdigit((unsigned char)v[0])) {
		problem(p, path, "wrong type: expected an integer, got \"%.32s\"", v);
		return;
	}
	if (x < 1024 || x > CS_MAX_SCAN_BYTES_HARD) {
		problem(p, path, "out of range: %llu is not between 1024 and %u", x,
			CS_MAX_SCAN_BYTES_HARD);
		return;
	}
	c->max_scan_bytes = (size_t)x;
}

static void apply_env(struct cs_config *c, struct cs_config_problems *p)
{
	const char *v;

	env_path(ENV("HOME"), c->home, sizeof(c->home), p);
	env_path(ENV("LOG_DIR"), c->log_dir, sizeof(c->log_dir), p);
	env_path(ENV("CA_BUNDLE"), c->ca_bundle, sizeof(c->ca_bundle), p);
	v = getenv(ENV("MODE"));
	if (v && v[0])
		set_mode(v, "env:" ENV("MODE"), c, p);
	v = getenv(ENV("REDACT_SNIPPETS"));
	if (v && v[0] && env_false(v))
		redact_off("env:" ENV("REDACT_SNIPPETS"), p);
	else if (v && v[0] && !env_true(v))
		problem(p, "env:" ENV("REDACT_SNIPPETS"), "must be true (redaction is always on)");
	env_proxy_url(c, p);
	env_max_scan(c, p);
}

/* ---- semantic checks ---- */

static bool valid_host_port(const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon || colon == s)
		return false;
	if (s[0] == '[' && colon[-1] != ']')
		return false;
	port = strtol(colon + 1, &end, 10);
	return colon[1] && !*end && port > 0 && port < 65536;
}

/* fleet (h5): where ship.c sends syslog messages. */
static bool valid_syslog_target(const char *s)
{
	if (!strncmp(s, "unix:", 5))
		return s[5] == '/';
	if (!strncmp(s, "udp://", 6) || !strncmp(s, "tcp://", 6))
		return valid_host_port(s + 6);
	return false;
}

#define REGEX_MAX_REPEATS 16
#define REGEX_MAX_BOUND 255
#define REGEX_MAX_DEPTH 8

/* Skips a bracket expression starting at p ('['); returns its closing ']'. */
static const char *skip_bracket(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p && *p != ']')
		p++;
	return *p ? p : p - 1;
}

/*
 * glibc's regcomp() needs memory exponential in stacked or nested
 * repetition ("x++++..." or "(a{1,999}){1,999}" exhaust gigabytes), so a
 * cmdline matcher is held to shapes that compile in microseconds: no
 * quantifier on a quantifier or on a group that already repeats, bounds up
 * to 255, at most 16 quantifiers. NULL when re is within those limits.
 */
static const char *regex_cost_problem(const char *re)
{
	bool group_repeats[REGEX_MAX_DEPTH + 1] = {false};
	bool prev_quant = false, prev_repeating_group = false;
	int depth = 0, repeats = 0;

	for (const char *p = re; *p; p++) {
		bool quant = *p == '*' || *p == '+' || *p == '?' || *p == '{';

		if (quant) {
			if (prev_quant)
				return "stacked repetition operators are refused (regcomp needs "
				       "exponential memory for them)";
			if (prev_repeating_group)
				return "repetition of a group that already repeats is refused";
			if (++repeats > REGEX_MAX_REPEATS)
				return "more than 16 repetition operators";
			group_repeats[depth] = true;
			if (*p == '{') {
				for (p++; *p && *p != '}'; p++)
					if (isdigit((unsigned char)*p) &&
					    strtoul(p, NULL, 10) > REGEX_MAX_BOUND)
						return "repetition bound over 255";
				if (!*p)
					return NULL; /* unbalanced: regcomp reports it */
			}
			prev_quant = true;
			prev_repeating_group = false;
			continue;
		}
		prev_quant = prev_repeating_group = false;
		if (*p == '\\' && p[1]) {
			p++;
		} else if (*p == '[') {
			p = skip_bracket(p);
		} else if (*p == '(') {
			if (++depth > REGEX_MAX_DEPTH)
				return "groups nested deeper than 8";
			group_repeats[depth] = false;
		} else if (*p == ')' && depth > 0) {
			prev_repeating_group = group_repeats[depth];
			depth--;
			group_repeats[depth] |= prev_repeating_group;
		}
	}
	return NULL;
}

static void check_lists(const struct cs_config *c, struct cs_config_problems *p)
{
	char path[160];

	for (size_t i = 0; i < c->n_disabled_patterns; i++)
		if (!cs_family_known(c->disabled_patterns[i])) {
			snprintf(path, sizeof(path), "$.disabled_patterns[%zu]", i);
			problem(p, path, "unknown pattern family \"%.31s\"",
				c->disabled_patterns[i]);
		}
	for (size_t i = 0; i < c->n_target_cmdline; i++) {
		const char *costly = regex_cost_problem(c->target_cmdline[i]);
		regex_t re;
		int rc;

		if (costly) {
			snprintf(path, sizeof(path), "$.target_cmdline[%zu]", i);
			problem(p, path, "%s", costly);
			continue;
		}
		rc = regcomp(&re, c->target_cmdline[i], REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char msg[128];

			regerror(rc, &re, msg, sizeof(msg));
			snprintf(path, sizeof(path), "$.target_cmdline[%zu]", i);
			problem(p, path, "invalid extended regular expression: %s", msg);
		} else {
			regfree(&re);
		}
	}
	for (size_t i = 0; i < c->n_ipc_roots; i++)
		if (c->ipc_roots[i][0] != '/') {
			snprintf(path, sizeof(path), "$.ipc_roots[%zu]", i);
			problem(p, path, "must be an absolute path glob");
		}
	for (size_t i = 0; i < c->n_inspect_exclude; i++)
		if (!cs_host_pattern_valid(c->inspect_exclude[i])) {
			snprintf(path, sizeof(path), "$.proxy.inspect_exclude[%zu]", i);
			problem(p, path, "must be a host name or *.suffix");
		}
}

/* proxy destination policy: the proxy parses these lists with the same functions */
static void check_host_list(const char (*list)[CS_CFG_STR], size_t n, const char *key,
			    struct cs_config_problems *p)
{
	char path[160];

	for (size_t i = 0; i < n; i++)
		if (!cs_host_pattern_valid(list[i])) {
			snprintf(path, sizeof(path), "$.proxy.%s[%zu]", key, i);
			problem(p, path, "must be a host name or *.suffix");
		}
}

static void check_cidr_list(const char (*list)[CS_CIDR_STR], size_t n, const char *key,
			    struct cs_config_problems *p)
{
	char path[160];
	struct cs_cidr cidr;
	const char *why;

	for (size_t i = 0; i < n; i++)
		if (cs_cidr_parse(list[i], &cidr, &why)) {
			snprintf(path, sizeof(path), "$.proxy.%s[%zu]", key, i);
			problem(p, path, "\"%.64s\": %s", list[i], why);
		}
}

static void check_dest_policy(const struct cs_config *c, struct cs_config_problems *p)
{
	check_host_list(c->allow_hosts, c->n_allow_hosts, "allow_hosts", p);
	check_host_list(c->deny_hosts, c->n_deny_hosts, "deny_hosts", p);
	check_cidr_list(c->allow_cidrs, c->n_allow_cidrs, "allow_cidrs", p);
	check_cidr_list(c->deny_cidrs, c->n_deny_cidrs, "deny_cidrs", p);
}

static void check_values(const struct cs_config *c, struct cs_config_problems *p)
{
	if (c->ringbuf_bytes & (c->ringbuf_bytes - 1))
		problem(p, "$.ringbuf_bytes", "must be a power of two, got %u", c->ringbuf_bytes);
	if (!valid_host_port(c->proxy_listen))
		problem(p, "$.proxy.listen", "must be host:port with a port 1..65535");
	/* fleet (h5): metrics listeners, "" = off */
	if (c->metrics_listen[0] && !valid_host_port(c->metrics_listen))
		problem(p, "$.metrics.listen",
			"must be host:port with a port 1..65535, or \"\" (off)");
	if (c->metrics_proxy_listen[0] && !valid_host_port(c->metrics_proxy_listen))
		problem(p, "$.metrics.proxy_listen",
			"must be host:port with a port 1..65535, or \"\" (off)");
	if (c->ship_syslog[0] && !valid_syslog_target(c->ship_syslog))
		problem(p, "$.ship.syslog",
			"must be \"\" (off), unix:/absolute/path, udp://host:port or "
			"tcp://host:port");
	if (c->parent_proxy[0] &&
	    (strncmp(c->parent_proxy, "http://", 7) || !valid_host_port(c->parent_proxy + 7)))
		problem(p, "$.proxy.parent_proxy", "must be \"\" or http://host:port");
	if (!c->container_prefix[0] || !cs_host_pattern_valid(c->container_prefix) ||
	    c->container_prefix[0] == '*')
		problem(p, "$.container_prefix", "must be a non-empty container name prefix");
	check_lists(c, p);
	check_dest_policy(c, p);
}

/* ---- permissions and container visibility ---- */

/* Lexically normalise an absolute path (no symlink resolution). */
static void normalise(const char *in, char *out, size_t size)
{
	char buf[PATH_MAX], *save = NULL, *tok;
	size_t len = 0;

	copy_str(buf, sizeof(buf), in);
	out[0] = '\0';
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			char *slash = strrchr(out, '/');

			len = slash ? (size_t)(slash - out) : 0;
			out[len] = '\0';
			continue;
		}
		len += (size_t)snprintf(out + len, size - len, "/%s", tok);
		if (len >= size)
			len = size - 1;
	}
	if (!out[0])
		copy_str(out, size, "/");
}

/* realpath() when the path exists, else its lexical normal form. */
static void canonical(const char *in, char *out, size_t size)
{
	char buf[PATH_MAX];

	if (realpath(in, buf))
		copy_str(out, size, buf);
	else
		normalise(in, out, size);
}

static bool path_inside(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (!strcmp(root, "/"))
		return true;
	return !strncmp(path, root, n) && (path[n] == '/' || path[n] == '\0');
}

/*
 * The same check the proxy and `ca init` run before touching the CA, so
 * that check-config reports everything they would refuse.
 */
static void check_ca_dir(const struct cs_config *c, struct cs_config_problems *p)
{
	char err[512];

	if (cs_ca_check_private(c, c->ca_dir, err, sizeof(err)))
		problem(p, "$.proxy.ca_dir", "%.250s", err);
}

#define BUNDLE_SCAN_MAX (8u << 20)
#define KEY_MARK "PRIVATE KEY"

/*
 * Does the file hold a PEM private key? Reads at most BUNDLE_SCAN_MAX bytes
 * in chunks, carrying the tail of each so that a marker split between two
 * reads is still seen. 1 yes, 0 no, -1 unreadable.
 */
static int holds_private_key(int fd)
{
	char buf[65536];
	size_t keep = 0, total = 0, mark = strlen(KEY_MARK);
	int found = 0;

	while (!found && total < BUNDLE_SCAN_MAX) {
		ssize_t n = read(fd, buf + keep, sizeof(buf) - keep);
		size_t have;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			found = n < 0 ? -1 : 0;
			break;
		}
		total += (size_t)n;
		have = keep + (size_t)n;
		found = memmem(buf, have, KEY_MARK, mark) != NULL;
		keep = have < mark - 1 ? have : mark - 1;
		memmove(buf, buf + have - keep, keep);
	}
	explicit_bzero(buf, sizeof(buf)); /* it may have held key bytes */
	return found;
}

/*
 * The bundle is what `setup` tells the operator to mount into containers:
 * never the CA key or anything else from the CA directory, and never a file
 * holding any private key.
 */
static void check_ca_bundle(const struct cs_config *c, struct cs_config_problems *p)
{
	const char *env = getenv(ENV("CA_BUNDLE"));
	const char *where = env && env[0] ? "env:" ENV("CA_BUNDLE") : "$.proxy.ca_bundle";
	char bundle[PATH_MAX], ca[PATH_MAX], cert[PATH_MAX + 8];
	struct stat st;
	int fd, key;

	canonical(c->ca_bundle, bundle, sizeof(bundle));
	canonical(c->ca_dir, ca, sizeof(ca));
	snprintf(cert, sizeof(cert), "%s/ca.crt", strcmp(ca, "/") ? ca : "");
	if (path_inside(bundle, ca) && strcmp(bundle, cert)) {
		problem(p, where,
			"%.100s is inside the CA directory but is not its ca.crt: only the public "
			"certificate may be given to containers",
			bundle);
		return;
	}
	fd = open(bundle, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return; /* not there yet: `setup` and the proxy report a missing bundle */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		problem(p, where, "%.100s is not a regular file", bundle);
	else if ((key = holds_private_key(fd)) > 0)
		problem(p, where,
			"%.100s holds a PRIVATE KEY: the bundle is given to containers and must "
			"hold certificates only",
			bundle);
	else if (key < 0)
		problem(p, where, "cannot read %.100s: %s", bundle, strerror(errno));
	close(fd);
}

static void check_log_dir(const struct cs_config *c, struct cs_config_problems *p)
{
	struct stat st;

	if (stat(c->log_dir, &st))
		return; /* created 0700 on first use */
	if (!S_ISDIR(st.st_mode))
		problem(p, "$.log_dir", "%.100s is not a directory", c->log_dir);
	else if (st.st_mode & (S_IRWXG | S_IRWXO))
		problem(p, "$.log_dir",
			"unsafe permission: log directory %.100s is accessible by group or others "
			"(mode %04o); use 0700",
			c->log_dir, (unsigned)(st.st_mode & 07777));
	else if (geteuid() == 0 && st.st_uid != 0)
		problem(p, "$.log_dir",
			"unsafe permission: log directory is owned by uid %u, not root",
			(unsigned)st.st_uid);
}

/* Whoever can write the directory can replace the file (unless it is sticky). */
static void check_parent_perms(const char *path, struct cs_config_problems *p)
{
	char dir[PATH_MAX];
	struct stat st;

	copy_str(dir, sizeof(dir), path);
	if (!strrchr(dir, '/'))
		copy_str(dir, sizeof(dir), ".");
	else if (strrchr(dir, '/') == dir)
		dir[1] = '\0';
	else
		*strrchr(dir, '/') = '\0';
	if (stat(dir, &st) || (st.st_mode & S_ISVTX))
		return;
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		problem(p, "$",
			"unsafe permission: directory %.100s of the config file is writable by "
			"group or others (mode %04o)",
			dir, (unsigned)(st.st_mode & 07777));
}

static void check_file_perms(const char *path, struct cs_config_problems *p)
{
	struct stat st;

	if (lstat(path, &st))
		return;
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		problem(p, "$",
			"unsafe permission: config file %.100s is writable by group or others "
			"(mode %04o); use 0600 or 0644",
			path, (unsigned)(st.st_mode & 07777));
	if (geteuid() == 0 && st.st_uid != 0)
		problem(p, "$", "unsafe permission: config file is owned by uid %u, not root",
			(unsigned)st.st_uid);
	check_parent_perms(path, p);
}

/* ---- loading ---- */

static const char *pick_path(const char *path, char *buf, size_t size)
{
	const char *env = getenv(ENV("CONFIG"));
	const char *h = env_home();

	if (path)
		return path;
	if (env && env[0])
		return env;
	join_path(buf, size, h && h[0] == '/' ? h : CS_DEFAULT_HOME, "config.json");
	return access(buf, F_OK) ? NULL : buf;
}

static void load_file(const char *path, struct cs_config *c, struct cs_config_problems *p)
{
	size_t len = 0;
	char *text = cs_read_file(path, CONFIG_MAX_BYTES, &len);
	const char *end = NULL;
	cJSON *doc;

	char abs[PATH_MAX];

	/* Absolute, so that a later check (IPC check_config) finds the same file. */
	copy_str(c->config_path, sizeof(c->config_path), realpath(path, abs) ? abs : path);
	if (!text) {
		problem(p, "$", "cannot read %.120s: %s", path,
			errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
		c->config_sha256[0] = '\0';
		return;
	}
	cs_sha256_hex(text, len, c->config_sha256);
	check_file_perms(path, p);
	doc = cJSON_ParseWithLengthOpts(text, len + 1, &end, true); /* with the NUL */
	if (!doc) {
		problem(p, "$", "not valid JSON near byte %zu",
			end ? (size_t)(end - text) : (size_t)0);
	} else {
		parse_object(root_keys, doc, "$", c, p);
		cJSON_Delete(doc);
	}
	free(text);
}

int cs_config_load(const char *path, struct cs_config *c, struct cs_config_problems *p)
{
	char buf[PATH_MAX];

	memset(p, 0, sizeof(*p));
	base_defaults(c);
	path = pick_path(path, buf, sizeof(buf));
	if (path)
		load_file(path, c, p);
	apply_env(c, p);
	derive_paths(c);
	check_values(c, p);
	check_ca_dir(c, p);
	check_ca_bundle(c, p);
	check_log_dir(c, p);
	return p->n ? -1 : 0;
}

void cs_config_detector(const struct cs_config *c, struct cs_detector_config *out,
			const char **disabled_storage, struct cs_severity_override *ovr_storage)
{
	memset(out, 0, sizeof(*out));
	out->max_scan_bytes = c->max_scan_bytes;
	out->dedup_window_ms = c->dedup_window_ms;
	for (size_t i = 0; i < c->n_disabled_patterns; i++)
		disabled_storage[i] = c->disabled_patterns[i];
	disabled_storage[c->n_disabled_patterns] = NULL;
	out->disabled = disabled_storage;
	for (size_t i = 0; i < c->n_severity_overrides; i++) {
		ovr_storage[i].family = c->severity_overrides[i].family;
		ovr_storage[i].severity = c->severity_overrides[i].severity;
	}
	out->overrides = ovr_storage;
	out->n_overrides = c->n_severity_overrides;
	out->home_hosts = c->credential_hosts;
	out->n_home_hosts = c->n_credential_hosts;
	out->strict_origins = c->credential_strict_sources;
	out->strict_origins_set = true;
}
