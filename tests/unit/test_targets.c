/* SPDX-License-Identifier: MIT */
/* test_targets.c - target discovery against real processes of this machine. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "targets.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct events {
	int added[16], removed[16], changed[16];
	size_t n_added, n_removed, n_changed;
};

static void on_target(void *ctx, enum cs_target_event ev, struct cs_target *t)
{
	struct events *e = ctx;

	if (ev == CS_TARGET_ADDED && e->n_added < 16)
		e->added[e->n_added++] = t->pid;
	else if (ev == CS_TARGET_REMOVED && e->n_removed < 16)
		e->removed[e->n_removed++] = t->pid;
	else if (ev == CS_TARGET_CHANGED && e->n_changed < 16)
		e->changed[e->n_changed++] = t->pid;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Start argv in dir; return once the new program image is in place. */
static pid_t spawn(const char *dir, char *const argv[], const char *comm)
{
	pid_t pid = fork();
	char path[64], buf[64];

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		if (dir && chdir(dir))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	assert_true(pid > 0);
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(path, "r");

		if (f && fgets(buf, sizeof(buf), f) && !strncmp(buf, comm, strlen(comm))) {
			fclose(f);
			return pid;
		}
		if (f)
			fclose(f);
		sleep_ms(10);
	}
	fail_msg("%s did not start", argv[0]);
	return -1;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static bool has(const int *list, size_t n, int pid)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == pid)
			return true;
	return false;
}

static void test_cgroup_container_id(void **state)
{
	char id[65];

	(void)state;
	assert_int_equal(cs_cgroup_container_id("12:pids:/docker/" HEX64 "\n", id), 0);
	assert_string_equal(id, HEX64);
	assert_int_equal(cs_cgroup_container_id("0::/system.slice/docker-" HEX64 ".scope\n", id),
			 0);
	assert_string_equal(id, HEX64);
	assert_int_equal(cs_cgroup_container_id("0::/user.slice/session-2.scope\n", id), -1);
	/* 65 hex digits is not an id */
	assert_int_equal(cs_cgroup_container_id("0::/docker/" HEX64 "0\n", id), -1);
}

static void test_container_group(void **state)
{
	char g[64];

	(void)state;
	assert_int_equal(
		cs_container_group("nanoclaw-main-1712345678901", "nanoclaw-", g, sizeof(g)), 0);
	assert_string_equal(g, "main");
	assert_int_equal(cs_container_group("nanoclaw-my-team-12", "nanoclaw-", g, sizeof(g)), 0);
	assert_string_equal(g, "my-team");
	assert_int_equal(cs_container_group("nanoclaw-main", "nanoclaw-", g, sizeof(g)), -1);
	assert_int_equal(cs_container_group("other-main-12", "nanoclaw-", g, sizeof(g)), -1);
	assert_int_equal(cs_container_group("nanoclaw-main-12x", "nanoclaw-", g, sizeof(g)), -1);
}

/* By cmdline and by pid; a forked child is followed; the dead are dropped. */
static void test_scan_real_processes(void **state)
{
	char *sleep_argv[] = {"sleep", "29.125", NULL};
	char *node_argv[] = {"node", "-e", "setTimeout(() => {}, 20000)", NULL};
	const char *res[] = {"^sleep 29\\.125$"};
	struct events ev = {0};
	struct cs_targets *ts = cs_targets_new(on_target, &ev);
	pid_t s = spawn(NULL, sleep_argv, "sleep"), n = spawn(NULL, node_argv, "node");
	int pids[] = {n};
	struct cs_target_rules r = {.pids = pids,
				    .n_pids = 1,
				    .cmdline = res,
				    .n_cmdline = 1,
				    .container_prefix = "nanoclaw-"};
	char err[128], src[128];
	struct cs_target *t;

	(void)state;
	assert_non_null(ts);
	assert_int_equal(cs_targets_set_rules(ts, &r, err, sizeof(err)), 0);
	assert_int_equal(cs_targets_scan(ts), 0);
	assert_int_equal(cs_targets_count(ts), 2);
	assert_true(has(ev.added, ev.n_added, s) && has(ev.added, ev.n_added, n));

	t = cs_targets_find(ts, s);
	assert_int_equal(t->why, CS_WHY_CMDLINE);
	assert_string_equal(t->comm, "sleep");
	assert_int_equal(t->tls, CS_TLS_NONE);
	/* No TLS probe, but no network I/O either: no warning yet. */
	assert_string_equal(t->note, "");
	assert_true(cs_targets_on_net_io(ts, s));
	assert_string_equal(t->note, CS_TLS_NOT_VISIBLE_NOTE);
	assert_false(cs_targets_on_net_io(ts, s)); /* said once */
	cs_target_source(t, src, sizeof(src));
	assert_int_equal(strncmp(src, "sleep/", 6), 0);

	/* Node builds export SSL_write from the executable. */
	t = cs_targets_find(ts, n);
	assert_int_equal(t->why, CS_WHY_PID);
	assert_int_equal(t->tls, CS_TLS_STATIC_OPENSSL);
	assert_string_equal(cs_tls_path_name(t->tls), "static_openssl");
	assert_true(t->ino != 0);
	assert_false(cs_targets_on_net_io(ts, n)); /* its TLS is covered */
	assert_true(t->net_io);
	assert_string_equal(t->note, "");

	/* A second scan adds nothing. */
	assert_int_equal(cs_targets_scan(ts), 0);
	assert_int_equal(ev.n_added, 2);

	/* A bad regex is refused and the old rules stay. */
	res[0] = "(unclosed";
	assert_int_equal(cs_targets_set_rules(ts, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "target_cmdline[0]"));
	assert_int_equal(cs_targets_scan(ts), 0);
	assert_int_equal(cs_targets_count(ts), 2);

	/* Exit: gone at the next scan, or at once on the exit event. */
	reap(s);
	assert_int_equal(cs_targets_scan(ts), 0);
	assert_true(has(ev.removed, ev.n_removed, s));
	assert_null(cs_targets_find(ts, s));
	cs_targets_on_exit(ts, n);
	assert_true(has(ev.removed, ev.n_removed, n));
	assert_int_equal(cs_targets_count(ts), 0);
	cs_targets_free(ts);
	reap(n);
}

static void test_fork_and_exec(void **state)
{
	char *node_argv[] = {"node", "-e", "setTimeout(() => {}, 20000)", NULL};
	char *sleep_argv[] = {"sleep", "29.25", NULL};
	struct events ev = {0};
	struct cs_targets *ts = cs_targets_new(on_target, &ev);
	pid_t n = spawn(NULL, node_argv, "node"), c = spawn(NULL, sleep_argv, "sleep");
	int pids[] = {n};
	struct cs_target_rules r = {.pids = pids, .n_pids = 1};
	char err[128];
	struct cs_target *t;

	(void)state;
	assert_int_equal(cs_targets_set_rules(ts, &r, err, sizeof(err)), 0);
	assert_int_equal(cs_targets_scan(ts), 0);
	assert_int_equal(cs_targets_count(ts), 1);
	/* Pretend the sleep was forked by the node target, then exec'd. */
	cs_targets_on_fork(ts, n, c);
	t = cs_targets_find(ts, c);
	assert_non_null(t);
	assert_int_equal(t->why, CS_WHY_CHILD);
	cs_targets_on_exec(ts, c);
	assert_true(has(ev.changed, ev.n_changed, c));
	assert_int_equal(t->tls, CS_TLS_NONE);
	/* Children stay while alive even though no rule names them. */
	assert_int_equal(cs_targets_scan(ts), 0);
	assert_non_null(cs_targets_find(ts, c));
	/* A fork from a process that is not a target is ignored. */
	cs_targets_on_fork(ts, getpid(), getpid());
	assert_null(cs_targets_find(ts, getpid()));
	reap(c);
	reap(n);
	assert_int_equal(cs_targets_scan(ts), 0);
	assert_int_equal(cs_targets_count(ts), 0);
	cs_targets_free(ts);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The default matcher: `node dist/index.js` in a NanoClaw checkout only. */
static void test_default_matcher(void **state)
{
	char good[] = "/tmp/cs-targets-good-XXXXXX", bad[] = "/tmp/cs-targets-bad-XXXXXX";
	char path[PATH_MAX], err[128], script[PATH_MAX];
	char *argv[] = {"node", "dist/index.js", NULL};
	char *abs_argv[] = {"node", script, NULL};
	const char *res[] = {CS_TARGET_DEFAULT_CMDLINE};
	struct cs_target_rules r = {.cmdline = res, .n_cmdline = 1};
	struct events ev = {0};
	struct cs_targets *ts = cs_targets_new(on_target, &ev);
	pid_t g, b, a;

	(void)state;
	assert_non_null(mkdtemp(good));
	assert_non_null(mkdtemp(bad));
	for (int i = 0; i < 2; i++) {
		const char *dir = i ? bad : good;

		snprintf(path, sizeof(path), "%s/dist", dir);
		assert_int_equal(mkdir(path, 0700), 0);
		snprintf(path, sizeof(path), "%s/dist/index.js", dir);
		write_file(path, "setTimeout(() => {}, 20000);\n");
		snprintf(path, sizeof(path), "%s/package.json", dir);
		write_file(path, i ? "{\"name\":\"something-else\"}" : "{\"name\":\"nanoclaw\"}");
	}
	g = spawn(good, argv, "node");
	b = spawn(bad, argv, "node");
	/* An absolute script path works from any working directory. */
	snprintf(script, sizeof(script), "%s/dist/index.js", good);
	a = spawn("/", abs_argv, "node");
	assert_int_equal(cs_targets_set_rules(ts, &r, err, sizeof(err)), 0);
	assert_int_equal(cs_targets_scan(ts), 0);
	assert_non_null(cs_targets_find(ts, g));
	assert_non_null(cs_targets_find(ts, a));
	assert_null(cs_targets_find(ts, b));
	cs_targets_free(ts);
	reap(g);
	reap(b);
	reap(a);
	for (int i = 0; i < 2; i++) {
		const char *dir = i ? bad : good;

		snprintf(path, sizeof(path), "rm -rf '%s'", dir);
		assert_int_equal(system(path), 0);
	}
}

/*
 * NanoClaw v2's host process is `node dist/index.js` on Node >= 22: the Node
 * 22 of the fixtures' lockfile, run so from a checkout, is matched by the
 * default rule, and its exported OpenSSL is what gets probed.
 */
static void test_default_matcher_node22(void **state)
{
	static const char node22[] =
		CS_SOURCE_DIR "/tests/fixtures/node/node_modules/node22/bin/node";
	char dir[] = "/tmp/cs-targets-node22-XXXXXX", path[PATH_MAX], err[128], real[PATH_MAX];
	char *argv[] = {(char *)node22, "dist/index.js", NULL};
	const char *res[] = {CS_TARGET_DEFAULT_CMDLINE};
	struct cs_target_rules r = {.cmdline = res, .n_cmdline = 1};
	struct events ev = {0};
	struct cs_targets *ts = cs_targets_new(on_target, &ev);
	struct cs_target *t;
	pid_t n;

	(void)state;
	if (access(node22, X_OK))
		fail_msg("%s is missing: run scripts/setup.sh (npm ci of tests/fixtures/node)",
			 node22);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dist", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/dist/index.js", dir);
	write_file(path, "setTimeout(() => {}, 20000);\n");
	snprintf(path, sizeof(path), "%s/package.json", dir);
	write_file(path, "{\"name\":\"nanoclaw\",\"engines\":{\"node\":\">=22\"}}");
	n = spawn(dir, argv, "node");
	assert_int_equal(cs_targets_set_rules(ts, &r, err, sizeof(err)), 0);
	assert_int_equal(cs_targets_scan(ts), 0);
	t = cs_targets_find(ts, n);
	assert_non_null(t);
	assert_int_equal(t->why, CS_WHY_CMDLINE);
	assert_int_equal(t->tls, CS_TLS_STATIC_OPENSSL);
	assert_non_null(realpath(node22, real));
	assert_string_equal(t->binary_shown, real);
	cs_targets_free(ts);
	reap(n);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

/*
 * A Docker-style cgroup for a test process: cgroup v1 (pids hierarchy,
 * ".../docker/<id>") or v2 (unified, ".../docker-<id>.scope"). NULL when
 * this machine offers neither to us.
 */
static const char *make_docker_cgroup(void)
{
	static const char *const v1 = "/sys/fs/cgroup/pids/docker/" HEX64;
	static const char *const v2 = "/sys/fs/cgroup/docker-" HEX64 ".scope";

	if (geteuid() != 0)
		return NULL;
	if (access("/sys/fs/cgroup/pids", F_OK) == 0) {
		if ((mkdir("/sys/fs/cgroup/pids/docker", 0755) && errno != EEXIST) ||
		    (mkdir(v1, 0755) && errno != EEXIST))
			return NULL;
		return v1;
	}
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 &&
	    (mkdir(v2, 0755) == 0 || errno == EEXIST))
		return v2;
	return NULL;
}

struct container_want {
	const char *config; /* config.v2.json */
	const char *group, *session, *folder;
	const char *source; /* printf format with the pid */
};

/* A process in a Docker-style cgroup, named by config.v2.json (needs root). */
static void check_container(const struct container_want *w)
{
	const char *cg = make_docker_cgroup();
	char dock[] = "/tmp/cs-targets-docker-XXXXXX", path[PATH_MAX], err[128], src[256];
	char *argv[] = {"sleep", "29.5", NULL};
	struct cs_target_rules r = {.container_prefix = "nanoclaw-", .docker_root = dock};
	struct events ev = {0};
	struct cs_targets *ts;
	struct cs_target *t;
	FILE *f;
	pid_t s;

	if (!cg) {
		if (getenv("CI") && !strcmp(getenv("CI"), "true"))
			fail_msg("needs root and a writable cgroup v1 pids or v2 hierarchy");
		skip();
	}
	assert_non_null(mkdtemp(dock));
	snprintf(path, sizeof(path), "%s/" HEX64, dock);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/" HEX64 "/config.v2.json", dock);
	write_file(path, w->config);
	s = spawn(NULL, argv, "sleep");
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%d\n", s);
	assert_int_equal(fclose(f), 0);

	ts = cs_targets_new(on_target, &ev);
	assert_int_equal(cs_targets_set_rules(ts, &r, err, sizeof(err)), 0);
	assert_int_equal(cs_targets_scan(ts), 0);
	t = cs_targets_find(ts, s);
	assert_non_null(t);
	assert_int_equal(t->why, CS_WHY_CONTAINER);
	assert_string_equal(t->group, w->group);
	assert_string_equal(t->session, w->session);
	assert_string_equal(t->folder, w->folder);
	cs_target_source(t, src, sizeof(src));
	snprintf(path, sizeof(path), w->source, s);
	assert_string_equal(src, path);
	/* Only that process: this test itself is on the host. */
	assert_null(cs_targets_find(ts, getpid()));
	cs_targets_free(ts);
	reap(s);
	rmdir(cg);
	snprintf(path, sizeof(path), "rm -rf '%s'", dock);
	assert_int_equal(system(path), 0);
}

/* v1: the group is in the name. */
static void test_container(void **state)
{
	const struct container_want w = {
		.config = "{\"Name\":\"/nanoclaw-main-1712345678901\",\"Config\":{\"Labels\":{}}}",
		.group = "main",
		.session = "",
		.folder = "",
		.source = "nanoclaw-main-1712345678901/sleep/%d",
	};

	(void)state;
	check_container(&w);
}

#define V2_NAME "nanoclaw-v2-main-1777161600000"
#define V2_LABELS(group, session)                                           \
	"\"nanoclaw-install\":\"nc-1\",\"nanoclaw-group\":\"" group "\","   \
	"\"nanoclaw-session\":\"" session "\",\"nanoclaw-role\":\"agent\"," \
	"\"nanoclaw-group-folder\":\"main\""

/* v2: group and session from the labels, not the name; both in the source. */
static void test_container_v2_labels(void **state)
{
	const struct container_want w = {
		.config = "{\"Name\":\"/" V2_NAME "\",\"Config\":{\"Labels\":{" V2_LABELS(
			"ag-1777000000000-x1y2z3", "sess-1777161600-abc123") "}}}",
		.group = "ag-1777000000000-x1y2z3",
		.session = "sess-1777161600-abc123",
		.folder = "main",
		.source = "nanoclaw-v2/ag-1777000000000-x1y2z3/sess-1777161600-abc123/sleep/%d",
	};

	(void)state;
	check_container(&w);
}

/* Without labels the v2 name gives the folder; the group is what the name always gave. */
static void test_container_v2_name_only(void **state)
{
	const struct container_want w = {
		.config = "{\"Name\":\"/" V2_NAME "\",\"Config\":{\"Labels\":null}}",
		.group = "v2-main",
		.session = "",
		.folder = "main",
		.source = V2_NAME "/sleep/%d",
	};

	(void)state;
	check_container(&w);
}

/*
 * Labels that are not ids (a '/', too long) are not used: the source keeps
 * the container-name form instead of a path a reader would split wrongly.
 */
static void test_container_v2_bad_labels(void **state)
{
	const struct container_want w = {
		.config = "{\"Name\":\"/" V2_NAME
			  "\",\"Config\":{\"Labels\":{" V2_LABELS("ag/../other", "sess-1") "}}}",
		.group = "v2-main",
		.session = "",
		.folder = "main",
		.source = V2_NAME "/sleep/%d",
	};

	(void)state;
	check_container(&w);
}

/* A v2 source that would pass 127 bytes falls back to the container-name form. */
static void test_v2_source_too_long(void **state)
{
	struct cs_target t = {.pid = 4194304, .comm = "a/b"};
	char src[256];

	(void)state;
	memset(t.group, 'g', 64);
	memset(t.session, 's', 64);
	snprintf(t.container, sizeof(t.container), "%s", V2_NAME);
	cs_target_source(&t, src, sizeof(src));
	assert_string_equal(src, V2_NAME "/a?b/4194304");
	t.group[20] = '\0';
	t.session[20] = '\0';
	cs_target_source(&t, src, sizeof(src));
	assert_string_equal(src,
			    "nanoclaw-v2/gggggggggggggggggggg/ssssssssssssssssssss/a?b/4194304");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroup_container_id),
		cmocka_unit_test(test_container_group),
		cmocka_unit_test(test_scan_real_processes),
		cmocka_unit_test(test_fork_and_exec),
		cmocka_unit_test(test_default_matcher),
		cmocka_unit_test(test_default_matcher_node22),
		cmocka_unit_test(test_container),
		cmocka_unit_test(test_container_v2_labels),
		cmocka_unit_test(test_container_v2_name_only),
		cmocka_unit_test(test_container_v2_bad_labels),
		cmocka_unit_test(test_v2_source_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
