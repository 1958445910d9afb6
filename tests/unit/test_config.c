/* SPDX-License-Identifier: MIT */
/* test_config.c - config defaults, every rejection with its path, env overrides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fsutil.h"

static char tmp[256];

static const char *const env_names[] = {
	"HOME",	     "CONFIG",	"MODE",		  "PROXY_URL",
	"CA_BUNDLE", "LOG_DIR", "MAX_SCAN_BYTES", "REDACT_SNIPPETS",
};

static void clear_env(void)
{
	char name[96];

	for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++) {
		snprintf(name, sizeof(name), CS_ENV_PREFIX "%s", env_names[i]);
		unsetenv(name);
	}
}

static void set_env(const char *suffix, const char *value)
{
	char name[96];

	snprintf(name, sizeof(name), CS_ENV_PREFIX "%s", suffix);
	setenv(name, value, 1);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/cs-test-config-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	clear_env();
	set_env("HOME", tmp); /* keep <home>/config.json lookups inside the sandbox */
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	clear_env();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd);
}

/* Write `json` (printf format, %1$s = tmp dir) to <tmp>/config.json, mode 0600. */
static const char *write_config(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *write_config(const char *fmt, ...)
{
	static char path[300];
	char text[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/config.json", tmp);
	assert_int_equal(cs_write_file_atomic(path, text, strlen(text), 0600), 0);
	return path;
}

/* The problem at `path`, asserting its reason contains `needle`. */
static void assert_problem(const struct cs_config_problems *p, const char *path, const char *needle)
{
	for (size_t i = 0; i < p->n && i < 64; i++)
		if (!strcmp(p->items[i].path, path) && strstr(p->items[i].reason, needle))
			return;
	for (size_t i = 0; i < p->n && i < 64; i++)
		print_message("  %s: %s\n", p->items[i].path, p->items[i].reason);
	fail_msg("no problem at %s containing \"%s\"", path, needle);
}

static void test_defaults(void **state)
{
	struct cs_config c;
	struct cs_config_problems p;
	char want[400];

	(void)state;
	assert_int_equal(cs_config_load(NULL, &c, &p), 0);
	assert_int_equal(p.n, 0);
	assert_string_equal(c.home, tmp);
	assert_string_equal(c.mode, "detect");
	assert_string_equal(c.config_path, "");
	/* SHA-256 of empty input when no file was loaded. */
	assert_string_equal(c.config_sha256,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	snprintf(want, sizeof(want), "%s/logs", tmp);
	assert_string_equal(c.log_dir, want);
	snprintf(want, sizeof(want), "%s/ca/ca.crt", tmp);
	assert_string_equal(c.ca_bundle, want);
	snprintf(want, sizeof(want), "%s/state.json", tmp);
	assert_string_equal(c.state_file, want);
	assert_int_equal(c.max_scan_bytes, 4u << 20);
	assert_int_equal(c.n_ipc_roots, 2);
	assert_string_equal(c.ipc_roots[0], "/opt/nanoclaw/data/ipc/*");
	assert_string_equal(c.ipc_roots[1], "/opt/nanoclaw/data/v2-sessions/*/*");
	assert_int_equal(c.fsync, CS_FSYNC_INTERVAL);
	assert_false(c.proxy_enabled);
	assert_false(c.https_inspection);
	/* Not one of the v2 credential gateway's ports (10254 UI, 10255 proxy, 10256 API). */
	assert_string_equal(c.proxy_listen, "127.0.0.1:10260");
	assert_int_equal(c.ipc_uid, -1);
	assert_true(c.hold_exec);
	assert_int_equal(c.hold_exec_timeout_ms, 5000);
	assert_true(c.prewarm_host);
	assert_true(c.yield_cpu);

	/* cs_config_defaults gives the same thing without a file. */
	struct cs_config d;

	cs_config_defaults(&d);
	assert_string_equal(d.log_dir, c.log_dir);
	assert_int_equal(d.rotate_keep, c.rotate_keep);
}

static void test_valid_file(void **state)
{
	struct cs_config c;
	struct cs_config_problems p;
	const char *path;

	(void)state;
	path = write_config(
		"{\"home\":\"%1$s\",\"mode\":\"detect\",\"redact_snippets\":true,"
		"\"log_dir\":\"%1$s/l\",\"rotate_bytes\":1048576,\"rotate_keep\":3,"
		"\"retention_days\":7,\"fsync\":\"always\",\"max_scan_bytes\":16777216,"
		"\"dedup_window_ms\":0,\"target_pids\":[1,2],\"target_cmdline\":[\"^node \"],"
		"\"ipc_roots\":[\"%1$s/ipc/*\"],\"ipc_poll_ms\":50,\"ipc_uid\":1000,"
		"\"nanoclaw_dir\":\"%1$s/nc\",\"docker_containers_dir\":\"%1$s/docker\","
		"\"capture\":{\"hold_exec\":false,\"hold_exec_timeout_ms\":10000,"
		"\"prewarm_host\":false,\"yield_cpu\":false},"
		"\"proxy\":{\"enabled\":true,\"listen\":\"127.0.0.1:3128\","
		"\"https_inspection\":true,\"inspect_ports\":[443,8443],"
		"\"inspect_exclude\":[\"*.example.com\"],\"parent_proxy\":\"http://"
		"127.0.0.1:10254\"}}",
		tmp);
	assert_int_equal(cs_config_load(path, &c, &p), 0);
	assert_string_equal(c.config_path, path);
	assert_int_equal(strlen(c.config_sha256), 64);
	assert_int_equal(c.rotate_bytes, 1048576);
	assert_int_equal(c.rotate_keep, 3);
	assert_int_equal(c.fsync, CS_FSYNC_ALWAYS);
	assert_int_equal(c.max_scan_bytes, 16u << 20);
	assert_int_equal(c.n_target_pids, 2);
	assert_int_equal(c.target_pids[1], 2);
	assert_int_equal(c.n_ipc_roots, 1);
	assert_int_equal(c.ipc_uid, 1000);
	assert_true(c.proxy_enabled);
	assert_true(c.https_inspection);
	assert_int_equal(c.n_inspect_ports, 2);
	assert_int_equal(c.inspect_ports[1], 8443);
	assert_string_equal(c.parent_proxy, "http://127.0.0.1:10254");
	assert_false(c.hold_exec);
	assert_int_equal(c.hold_exec_timeout_ms, 10000);
	assert_false(c.prewarm_host);
	assert_false(c.yield_cpu);
}

static void test_every_rejection(void **state)
{
	struct cs_config c;
	struct cs_config_problems p;
	const char *path;

	(void)state;
	path = write_config(
		"{\"bogus\":1,\"mode\":\"block\",\"redact_snippets\":false,\"rotate_keep\":\"3\","
		"\"max_scan_bytes\":16777217,\"fsync\":\"sometimes\",\"ringbuf_bytes\":100000,"
		"\"log_dir\":\"relative/logs\",\"ipc_poll_ms\":1.5,\"target_pids\":[0],"
		"\"target_cmdline\":[\"(\"],\"ipc_roots\":[],\"retention_days\":3651,"
		"\"container_prefix\":\"\",\"home\":42,"
		"\"capture\":{\"hold_exec\":1,\"hold_exec_timeout_ms\":50,\"yield_cpu\":\"no\"},"
		"\"proxy\":{\"listen\":\"nohost\",\"x\":true,\"enabled\":\"yes\","
		"\"parent_proxy\":\"socks5://h:1\",\"inspect_ports\":[70000]},"
		"\"rotate_keep\":4}");
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	assert_problem(&p, "$.bogus", "unknown key");
	assert_problem(&p, "$.mode", "blocking does not exist");
	assert_problem(&p, "$.redact_snippets", "redaction cannot be turned off");
	assert_problem(&p, "$.rotate_keep", "wrong type");
	assert_problem(&p, "$.rotate_keep", "duplicate key");
	assert_problem(&p, "$.max_scan_bytes", "out of range");
	assert_problem(&p, "$.fsync", "\"never\", \"interval\" or \"always\"");
	assert_problem(&p, "$.ringbuf_bytes", "power of two");
	assert_problem(&p, "$.log_dir", "absolute path");
	assert_problem(&p, "$.ipc_poll_ms", "expected an integer");
	assert_problem(&p, "$.target_pids[0]", "out of range");
	assert_problem(&p, "$.target_cmdline[0]", "regular expression");
	assert_problem(&p, "$.ipc_roots", "at least one");
	assert_problem(&p, "$.retention_days", "out of range");
	assert_problem(&p, "$.container_prefix", "non-empty");
	assert_problem(&p, "$.home", "expected a string");
	assert_problem(&p, "$.proxy.listen", "host:port");
	assert_problem(&p, "$.proxy.x", "unknown key");
	assert_problem(&p, "$.proxy.enabled", "true or false");
	assert_problem(&p, "$.proxy.parent_proxy", "http://host:port");
	assert_problem(&p, "$.proxy.inspect_ports[0]", "out of range");
	assert_problem(&p, "$.capture.hold_exec", "true or false");
	assert_problem(&p, "$.capture.hold_exec_timeout_ms", "out of range");
	assert_problem(&p, "$.capture.yield_cpu", "true or false");
}

static void test_pattern_names(void **state)
{
	struct cs_config c;
	struct cs_config_problems p;
	const char *path;
	char want[128];

	(void)state;
	assert_true(cs_family_count() > 0);
	path = write_config("{\"disabled_patterns\":[\"%s\",\"no_such_family\"],"
			    "\"severity_overrides\":{\"%s\":\"critical\",\"nope\":\"high\"}}",
			    cs_family_id(0), cs_family_id(0));
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	assert_int_equal(p.n, 2);
	assert_problem(&p, "$.disabled_patterns[1]", "unknown pattern family");
	assert_problem(&p, "$.severity_overrides.nope", "unknown pattern family");
	assert_int_equal(c.n_severity_overrides, 1);

	path = write_config("{\"severity_overrides\":{\"%s\":\"severe\"}}", cs_family_id(0));
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	snprintf(want, sizeof(want), "$.severity_overrides.%s", cs_family_id(0));
	assert_problem(&p, want, "\"low\", \"medium\"");
}

/* Matchers glibc would need gigabytes to compile are refused up front. */
static void test_costly_cmdline_regexes(void **state)
{
	struct cs_config c;
	struct cs_config_problems p;
	const char *path;

	(void)state;
	path = write_config("{\"target_cmdline\":[\"x++++++++++++++++++++++++\","
			    "\"a{1,32767}\",\"((a+)b)+\",\"(a{1,9}){1,9}\","
			    "\"^node .*(/nanoclaw|/app)/dist/index\\\\.js( |$)\","
			    "\"[+*]+x\\\\++\"]}");
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	assert_problem(&p, "$.target_cmdline[0]", "stacked repetition");
	assert_problem(&p, "$.target_cmdline[1]", "bound over 255");
	assert_problem(&p, "$.target_cmdline[2]", "group that already repeats");
	assert_problem(&p, "$.target_cmdline[3]", "group that already repeats");
	/* An ordinary matcher, and quantifier characters that are literal. */
	assert_int_equal(p.n, 4);
}

static void test_not_json_and_missing(void **state)
{
	struct cs_config c;
	struct cs_config_problems p;
	char missing[300];

	(void)state;
	assert_int_equal(cs_config_load(write_config("{\"mode\": "), &c, &p), -1);
	assert_problem(&p, "$", "not valid JSON");
	assert_int_equal(cs_config_load(write_config("[1]"), &c, &p), -1);
	assert_problem(&p, "$", "expected an object");
	snprintf(missing, sizeof(missing), "%s/none.json", tmp);
	assert_int_equal(cs_config_load(missing, &c, &p), -1);
	assert_problem(&p, "$", "No such file");
	assert_string_equal(c.config_sha256, "");
}

static void test_many_problems_counted(void **state)
{
	struct cs_config c;
	struct cs_config_problems p;
	char text[4096] = "{";
	size_t len = 1;

	(void)state;
	for (int i = 0; i < 80; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\"k%d\":1", i ? "," : "",
					i);
	snprintf(text + len, sizeof(text) - len, "}");
	assert_int_equal(cs_config_load(write_config("%s", text), &c, &p), -1);
	assert_int_equal(p.n, 80);
	assert_string_equal(p.items[63].path, "$.k63");
}

static void test_unsafe_permissions(void **state)
{
	struct cs_config c;
	struct cs_config_problems p;
	const char *path;
	char logs[300];

	(void)state;
	path = write_config("{}");
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	assert_problem(&p, "$", "writable by group or others");
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(cs_config_load(path, &c, &p), 0);
	assert_int_equal(chmod(tmp, 0777), 0);
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	assert_problem(&p, "$", "of the config file is writable");
	assert_int_equal(chmod(tmp, 01777), 0); /* sticky: others cannot replace it */
	assert_int_equal(cs_config_load(path, &c, &p), 0);
	assert_int_equal(chmod(tmp, 0700), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 1000, 1000), 0);
		assert_int_equal(cs_config_load(path, &c, &p), -1);
		assert_problem(&p, "$", "owned by uid 1000");
		assert_int_equal(chown(path, 0, 0), 0);
	}

	snprintf(logs, sizeof(logs), "%s/logs", tmp);
	assert_int_equal(mkdir(logs, 0755), 0);
	assert_int_equal(chmod(logs, 0755), 0);
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	assert_problem(&p, "$.log_dir", "accessible by group or others");
	assert_int_equal(chmod(logs, 0750), 0);
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	assert_int_equal(chmod(logs, 0700), 0);
	assert_int_equal(cs_config_load(path, &c, &p), 0);
}

static void test_ca_visibility(void **state)
{
	struct cs_config c;
	struct cs_config_problems p;
	const char *path;
	char dir[300], json[600];

	(void)state;
	/* Inside an IPC root glob's base directory. */
	path = write_config("{\"ipc_roots\":[\"%1$s/ipc/*\"],\"nanoclaw_dir\":\"%1$s/nc\","
			    "\"docker_containers_dir\":\"%1$s/docker\","
			    "\"proxy\":{\"ca_dir\":\"%1$s/ipc/main/../main/ca\"}}",
			    tmp);
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	assert_problem(&p, "$.proxy.ca_dir", "IPC root");

	/* Inside the NanoClaw checkout. */
	path = write_config("{\"ipc_roots\":[\"%1$s/ipc/*\"],\"nanoclaw_dir\":\"%1$s/nc\","
			    "\"docker_containers_dir\":\"%1$s/docker\","
			    "\"proxy\":{\"ca_dir\":\"%1$s/nc/store/ca\"}}",
			    tmp);
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	assert_problem(&p, "$.proxy.ca_dir", "NanoClaw checkout");

	/* Inside a Docker container's bind-mount source. */
	snprintf(dir, sizeof(dir), "%s/docker/abc123", tmp);
	assert_int_equal(cs_mkdir_p(dir, 0700), 0);
	snprintf(json, sizeof(json),
		 "{\"MountPoints\":{\"/data\":{\"Source\":\"%s/shared\",\"Destination\":\"/"
		 "data\"}}}",
		 tmp);
	snprintf(dir, sizeof(dir), "%s/docker/abc123/config.v2.json", tmp);
	assert_int_equal(cs_write_file_atomic(dir, json, strlen(json), 0600), 0);
	path = write_config("{\"ipc_roots\":[\"%1$s/ipc/*\"],\"nanoclaw_dir\":\"%1$s/nc\","
			    "\"docker_containers_dir\":\"%1$s/docker\","
			    "\"proxy\":{\"ca_dir\":\"%1$s/shared/x/ca\"}}",
			    tmp);
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	assert_problem(&p, "$.proxy.ca_dir", "Docker container");

	/* A private directory beside them is fine. */
	path = write_config("{\"ipc_roots\":[\"%1$s/ipc/*\"],\"nanoclaw_dir\":\"%1$s/nc\","
			    "\"docker_containers_dir\":\"%1$s/docker\","
			    "\"proxy\":{\"ca_dir\":\"%1$s/sharedx/ca\"}}",
			    tmp);
	assert_int_equal(cs_config_load(path, &c, &p), 0);
}

/* Write `len` bytes of `text` to <tmp>/name, after `pad` bytes of certificate-like filler. */
static void write_padded(const char *name, size_t pad, const char *text)
{
	char path[300];
	size_t n = strlen(text);
	char *buf = malloc(pad + n);

	assert_non_null(buf);
	memset(buf, 'A', pad);
	memcpy(buf + pad, text, n);
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	assert_int_equal(cs_write_file_atomic(path, buf, pad + n, 0600), 0);
	free(buf);
}

/* proxy.ca_bundle is mounted into containers: never the CA key, never any key. */
static void test_ca_bundle_not_a_key(void **state)
{
	struct cs_config c;
	struct cs_config_problems p;
	const char *path;
	char dir[300], link[300];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/ca", tmp);
	assert_int_equal(cs_mkdir_p(dir, 0700), 0);
	write_padded("ca/ca.key", 0, "-----BEGIN PRIVATE KEY-----\nMIG...\n");
	write_padded("ca/ca.crt", 0, "-----BEGIN CERTIFICATE-----\nMIIB...\n");

	/* The key itself, by name, in the file and through the environment. */
	path = write_config("{\"proxy\":{\"ca_dir\":\"%1$s/ca\",\"ca_bundle\":\"%1$s/ca/ca.key\"}}",
			    tmp);
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	assert_problem(&p, "$.proxy.ca_bundle", "not its ca.crt");
	path = write_config("{\"proxy\":{\"ca_dir\":\"%1$s/ca\"}}", tmp);
	snprintf(link, sizeof(link), "%s/ca/../ca/ca.key", tmp);
	set_env("CA_BUNDLE", link);
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	assert_problem(&p, "env:NANOCLAW_TRAFFIC_GUARDIAN_CA_BUNDLE", "not its ca.crt");
	unsetenv(CS_ENV_PREFIX "CA_BUNDLE");

	/* A symlink outside the CA directory that points at the key. */
	snprintf(link, sizeof(link), "%s/bundle.crt", tmp);
	snprintf(dir, sizeof(dir), "%s/ca/ca.key", tmp);
	assert_int_equal(symlink(dir, link), 0);
	path = write_config(
		"{\"proxy\":{\"ca_dir\":\"%1$s/ca\",\"ca_bundle\":\"%1$s/bundle.crt\"}}", tmp);
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	assert_problem(&p, "$.proxy.ca_bundle", "not its ca.crt");

	/* Any key elsewhere, its marker split across two reads. */
	write_padded("mixed.pem", 65536 - 11 - 5, "-----BEGIN EC PRIVATE KEY-----\n");
	path = write_config("{\"proxy\":{\"ca_dir\":\"%1$s/ca\",\"ca_bundle\":\"%1$s/mixed.pem\"}}",
			    tmp);
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	assert_problem(&p, "$.proxy.ca_bundle", "PRIVATE KEY");

	/* The certificate, and a certificate-only copy elsewhere, are fine. */
	write_padded("copy.crt", 70000, "-----END CERTIFICATE-----\n");
	path = write_config("{\"proxy\":{\"ca_dir\":\"%1$s/ca\",\"ca_bundle\":\"%1$s/copy.crt\"}}",
			    tmp);
	assert_int_equal(cs_config_load(path, &c, &p), 0);
	path = write_config(
		"{\"proxy\":{\"ca_dir\":\"%1$s/ca\",\"ca_bundle\":\"%1$s/ca/./ca.crt\"}}", tmp);
	assert_int_equal(cs_config_load(path, &c, &p), 0);
}

static void test_env_overrides(void **state)
{
	struct cs_config c;
	struct cs_config_problems p;
	const char *path;
	char want[300];

	(void)state;
	path = write_config("{\"max_scan_bytes\":4096,\"log_dir\":\"%s/filelogs\"}", tmp);
	set_env("CONFIG", path);
	set_env("MAX_SCAN_BYTES", "8192");
	snprintf(want, sizeof(want), "%s/envlogs", tmp);
	set_env("LOG_DIR", want);
	set_env("PROXY_URL", "http://127.0.0.1:8888");
	set_env("CA_BUNDLE", "/etc/clawsec/ca.crt");
	set_env("MODE", "detect");
	set_env("REDACT_SNIPPETS", "true");
	assert_int_equal(cs_config_load(NULL, &c, &p), 0);
	assert_string_equal(c.config_path, path);
	assert_int_equal(c.max_scan_bytes, 8192);
	assert_string_equal(c.log_dir, want);
	assert_true(c.proxy_enabled);
	assert_string_equal(c.proxy_listen, "127.0.0.1:8888");
	assert_string_equal(c.ca_bundle, "/etc/clawsec/ca.crt");

	set_env("MODE", "block");
	set_env("REDACT_SNIPPETS", "false");
	set_env("MAX_SCAN_BYTES", "16777217");
	set_env("PROXY_URL", "https://127.0.0.1:1");
	set_env("LOG_DIR", "logs");
	assert_int_equal(cs_config_load(NULL, &c, &p), -1);
	assert_problem(&p, "env:NANOCLAW_TRAFFIC_GUARDIAN_MODE", "blocking does not exist");
	assert_problem(&p, "env:NANOCLAW_TRAFFIC_GUARDIAN_REDACT_SNIPPETS",
		       "redaction cannot be turned off");
	assert_problem(&p, "env:NANOCLAW_TRAFFIC_GUARDIAN_MAX_SCAN_BYTES", "out of range");
	assert_problem(&p, "env:NANOCLAW_TRAFFIC_GUARDIAN_PROXY_URL", "http://host:port");
	assert_problem(&p, "env:NANOCLAW_TRAFFIC_GUARDIAN_LOG_DIR", "absolute path");

	/* HOME moves every derived path. */
	clear_env();
	snprintf(want, sizeof(want), "%s/h2", tmp);
	set_env("HOME", want);
	assert_int_equal(cs_config_load(NULL, &c, &p), 0);
	snprintf(want, sizeof(want), "%s/h2/clawsec-traffic.pid", tmp);
	assert_string_equal(c.pid_file, want);
	snprintf(want, sizeof(want), "%s/h2/ca", tmp);
	assert_string_equal(c.ca_dir, want);
}

static void test_detector_config(void **state)
{
	struct cs_config c;
	struct cs_detector_config d;
	const char *dis[CS_CFG_MAX_LIST + 1];
	struct cs_severity_override ovr[CS_CFG_MAX_LIST];

	(void)state;
	cs_config_defaults(&c);
	c.max_scan_bytes = 4096;
	snprintf(c.disabled_patterns[0], sizeof(c.disabled_patterns[0]), "ai_api_key");
	c.n_disabled_patterns = 1;
	snprintf(c.severity_overrides[0].family, sizeof(c.severity_overrides[0].family), "x");
	c.severity_overrides[0].severity = CS_SEV_LOW;
	c.n_severity_overrides = 1;
	cs_config_detector(&c, &d, dis, ovr);
	assert_int_equal(d.max_scan_bytes, 4096);
	assert_string_equal(d.disabled[0], "ai_api_key");
	assert_null(d.disabled[1]);
	assert_int_equal(d.n_overrides, 1);
	assert_int_equal(d.overrides[0].severity, CS_SEV_LOW);
}

/* Hosts per credential provider and strict source classes reach the detector; bad ones are named.
 */
static void test_credential_keys(void **state)
{
	struct cs_config c;
	struct cs_config_problems p;
	struct cs_detector_config d;
	const char *dis[CS_CFG_MAX_LIST + 1];
	struct cs_severity_override ovr[CS_CFG_MAX_LIST];
	const char *path;

	(void)state;
	cs_config_defaults(&c);
	assert_int_equal(c.credential_strict_sources, 1u << CS_ORIGIN_CONTAINER);
	path = write_config("{\"credential_hosts\":{\"anthropic\":[\"llm-gw.corp.example\","
			    "\"*.gw.example\"],\"aws\":[\"s3.corp.example\"]},"
			    "\"credential_strict_sources\":[\"container\",\"proxy\"]}");
	assert_int_equal(cs_config_load(path, &c, &p), 0);
	cs_config_detector(&c, &d, dis, ovr);
	assert_int_equal(d.n_home_hosts, 3);
	assert_string_equal(d.home_hosts[1].home, "anthropic");
	assert_string_equal(d.home_hosts[1].host, "*.gw.example");
	assert_string_equal(d.home_hosts[2].home, "aws");
	assert_true(d.strict_origins_set);
	assert_int_equal(d.strict_origins, (1u << CS_ORIGIN_CONTAINER) | (1u << CS_ORIGIN_PROXY));

	path = write_config("{\"credential_hosts\":{\"nope\":[\"a.example\"],"
			    "\"openai\":[\"a/b\", 3],\"github\":\"x\"},"
			    "\"credential_strict_sources\":[\"vm\"]}");
	assert_int_equal(cs_config_load(path, &c, &p), -1);
	assert_int_equal(p.n, 5);
	assert_problem(&p, "$.credential_hosts.nope", "unknown credential provider");
	assert_problem(&p, "$.credential_hosts.openai[0]", "host name");
	assert_problem(&p, "$.credential_hosts.openai[1]", "host name");
	assert_problem(&p, "$.credential_hosts.github", "array of host names");
	assert_problem(&p, "$.credential_strict_sources[0]", "\"container\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_credential_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_valid_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_rejection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pattern_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_costly_cmdline_regexes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_json_and_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_problems_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsafe_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_visibility, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_bundle_not_a_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_overrides, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detector_config, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
