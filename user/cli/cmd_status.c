/* SPDX-License-Identifier: MIT */
/*
 * cmd_status.c - `clawsec-traffic status`: read the running agent's (or
 * serve's) state.json, with the "proxy" block of a standalone proxy's
 * proxy-state.json folded in when state.json runs no proxy.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "config.h"
#include "finding.h"
#include "state.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: clawsec-traffic status [--json] [--state-file FILE] [--config FILE]\n\n"
		"Show the running agent: events/s, bytes captured, loss counters, every\n"
		"target with its TLS path and attach state, the proxy's counters, findings\n"
		"by pattern. A standalone `clawsec-traffic proxy` (<home>/" CS_PROXY_STATE_NAME
		")\n"
		"is shown too.\n"
		"Exit 0 when the agent is up, 1 when it is down or its state is stale.\n");
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/*
 * A string member, with control bytes turned into '?' in place: comm, paths
 * and notes come from processes and must not drive the terminal.
 */
static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v))
		return "";
	for (char *p = v->valuestring; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return v->valuestring;
}

/* NULL when the agent that wrote the state is alive and fresh, else why not. */
static const char *down_reason(const cJSON *st, char *buf, size_t len)
{
	double pid = num(st, "pid");
	uint64_t updated;

	if (strcmp(str(st, "schema"), "clawsec-traffic-state/v1"))
		return "not a clawsec-traffic-state/v1 file";
	if (pid < 1 || (kill((pid_t)pid, 0) && errno == ESRCH)) {
		snprintf(buf, len, "agent pid %.0f is not running", pid);
		return buf;
	}
	if (cs_parse_timestamp(str(st, "updated_at"), &updated))
		return "state has no valid updated_at";
	if (cs_now_ms() > updated + CS_STATE_STALE_MS) {
		snprintf(buf, len, "state is stale: last updated %s", str(st, "updated_at"));
		return buf;
	}
	return NULL;
}

static void print_counts(const char *title, const cJSON *o)
{
	const cJSON *v;
	int n = 0;

	printf("%s:", title);
	cJSON_ArrayForEach(v, o) {
		if (cJSON_IsNumber(v) && v->valuedouble > 0) {
			printf(" %s %.0f", v->string, v->valuedouble);
			n++;
		}
	}
	printf("%s\n", n ? "" : " none");
}

static void print_targets(const cJSON *targets)
{
	const cJSON *t;

	printf("targets: %d\n", cJSON_GetArraySize(targets));
	if (!cJSON_GetArraySize(targets)) {
		printf("  (none: nothing is being watched)\n");
		return;
	}
	printf("  %-8s %-16s %-28s %-15s %-8s %s\n", "PID", "COMM", "CONTAINER", "TLS", "ATTACHED",
	       "NOTE");
	cJSON_ArrayForEach(t, targets) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(t, "container");
		const cJSON *att = cJSON_GetObjectItemCaseSensitive(t, "attached");

		printf("  %-8.0f %-16s %-28s %-15s %-8s %s\n", num(t, "pid"), str(t, "comm"),
		       cJSON_IsString(c) ? str(t, "container") : "-", str(t, "tls_path"),
		       cJSON_IsTrue(att) ? "yes" : "no", str(t, "note"));
	}
}

static bool flag(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void print_proxy(const cJSON *px)
{
	if (!flag(px, "enabled")) {
		printf("proxy: off\n");
		return;
	}
	printf("proxy: listening on %s, https inspection %s, %.0f connections (%.0f active), "
	       "%.0f bytes up, %.0f bytes down, CONNECT %.0f inspected / %.0f tunnelled, "
	       "%.0f upstream errors\n",
	       str(px, "listen"), flag(px, "https_inspection") ? "on" : "off",
	       num(px, "connections"), num(px, "active"), num(px, "bytes_up"),
	       num(px, "bytes_down"), num(px, "inspected"), num(px, "tunnelled"),
	       num(px, "upstream_errors"));
}

/* What watching costs: the agent's CPU, and the BPF programs' time in the traced processes. */
static void print_cost(const cJSON *cap, const cJSON *det)
{
	double msgs = num(det, "messages"), cpu = num(cap, "agent_cpu_seconds");
	double runs = num(cap, "bpf_runs"), bpf = num(cap, "bpf_run_seconds");

	printf("cost: agent %.2f s CPU", cpu);
	if (msgs > 0)
		printf(" (%.2f ms per 1,000 messages)", cpu * 1e6 / msgs);
	if (!flag(cap, "bpf_run_time_counted")) {
		printf("; BPF run time not counted (config bpf_stats: true, or sysctl "
		       "kernel.bpf_stats_enabled=1)\n");
		return;
	}
	printf("; BPF programs %.2f s in %.0f runs", bpf, runs);
	if (runs > 0)
		printf(" (%.0f ns per run)", bpf * 1e9 / runs);
	printf(" in the traced processes\n");
}

/* Whether the capture thread yields the CPU to the watched processes (cpu_yield.h). */
static void print_yield(const cJSON *y)
{
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(y, "raised_because");

	if (!cJSON_IsObject(y))
		return;
	if (!flag(y, "enabled")) {
		printf("cpu: capture thread in the normal class (capture.yield_cpu off or "
		       "unavailable)\n");
		return;
	}
	printf("cpu: capture thread yields (idle class); raised to normal %.0f times "
	       "(backlog %.0f, long pass %.0f, starved %.0f), %.1f s in all\n",
	       num(y, "raises"), num(why, "backlog"), num(why, "long_pass"), num(why, "starved"),
	       num(y, "raised_seconds"));
}

static void print_capture(const cJSON *st, const cJSON *cap)
{
	printf("capture: on, %.0f events (%.0f/s), %.0f bytes captured\n", num(cap, "events"),
	       num(cap, "events_per_sec"), num(cap, "bytes"));
	printf("losses: ringbuf_full %.0f, bytes_cut %.0f, bytes_lost %.0f, missed_returns %.0f, "
	       "read_failures %.0f\n",
	       num(cap, "ringbuf_full"), num(cap, "bytes_cut"), num(cap, "bytes_lost"),
	       num(cap, "missed_returns"), num(cap, "read_failures"));
	print_cost(cap, cJSON_GetObjectItemCaseSensitive(st, "detector"));
	print_yield(cJSON_GetObjectItemCaseSensitive(cap, "yield_cpu"));
	print_targets(cJSON_GetObjectItemCaseSensitive(st, "targets"));
}

/* Repeats folded by dedup are shown, never hidden: nothing is throttled silently. */
static void print_detector(const cJSON *det)
{
	printf("detector: %.0f findings, %.0f repeats folded into them (%.0f fold summaries "
	       "logged), %.0f bytes unscanned\n",
	       num(det, "findings"), num(det, "findings_suppressed"), num(det, "fold_summaries"),
	       num(det, "bytes_unscanned"));
}

/* Findings shipped to syslog/journald: what was sent, what was dropped. */
static void print_ship(const cJSON *sh)
{
	const cJSON *syslog = cJSON_GetObjectItemCaseSensitive(sh, "syslog");

	if (!sh) {
		printf("shipping: off (JSONL only)\n");
		return;
	}
	printf("shipping: syslog %s, journald %s: %.0f sent, %.0f dropped (%.0f send failures), "
	       "%.0f queued\n",
	       cJSON_IsString(syslog) && syslog->valuestring[0] ? str(sh, "syslog") : "off",
	       flag(sh, "journald") ? "on" : "off", num(sh, "sent"), num(sh, "dropped"),
	       num(sh, "send_failures"), num(sh, "queued"));
}

/*
 * path: the file the state came from; px_path: the standalone proxy's state
 * file when its block was folded into path's, else NULL.
 */
static void print_human(const cJSON *st, const char *path, const char *px_path)
{
	const cJSON *cap = cJSON_GetObjectItemCaseSensitive(st, "capture");
	const cJSON *wr = cJSON_GetObjectItemCaseSensitive(st, "writer");
	const cJSON *px = cJSON_GetObjectItemCaseSensitive(st, "proxy");

	/* Only an eBPF agent watches targets; serve and the proxy alone do not. */
	if (flag(cap, "enabled"))
		printf("agent: up (pid %.0f, mode %s, since %s)\n", num(st, "pid"), str(st, "mode"),
		       str(st, "started_at"));
	else
		printf("service: up (pid %.0f, mode %s, since %s), %s\n", num(st, "pid"),
		       str(st, "mode"), str(st, "started_at"),
		       flag(px, "enabled") ? "proxy mode, no eBPF capture"
					   : "no eBPF capture and no proxy");
	printf("state: %s (updated %s)\n", path, str(st, "updated_at"));
	if (px_path)
		printf("proxy state: %s\n", px_path);
	printf("config: %s (sha256 %.16s...)\n",
	       str(st, "config_path")[0] ? str(st, "config_path") : "defaults",
	       str(st, "config_sha256"));
	printf("findings log: %s (%.0f lines, %.0f write failures)\n", str(st, "log_file"),
	       num(wr, "lines"), num(wr, "write_failures"));
	if (flag(cap, "enabled"))
		print_capture(st, cap);
	else
		printf("capture: off\n");
	print_proxy(px);
	print_detector(cJSON_GetObjectItemCaseSensitive(st, "detector"));
	print_ship(cJSON_GetObjectItemCaseSensitive(st, "ship"));
	print_counts("findings by pattern",
		     cJSON_GetObjectItemCaseSensitive(st, "findings_by_pattern"));
	print_counts("findings by severity",
		     cJSON_GetObjectItemCaseSensitive(st, "findings_by_severity"));
}

static int report_down(bool json, const char *path, const char *reason)
{
	if (json) {
		cJSON *o = cJSON_CreateObject();
		char *text;

		cJSON_AddStringToObject(o, "agent", "down");
		cJSON_AddStringToObject(o, "state_file", path);
		cJSON_AddStringToObject(o, "reason", reason);
		text = cJSON_Print(o);
		if (text)
			puts(text);
		free(text);
		cJSON_Delete(o);
	} else {
		printf("agent: down (%s)\n", reason);
	}
	return CS_EXIT_ERROR;
}

/*
 * state_file (unless given) and the proxy's state file from the config;
 * defaults when the config is unusable.
 */
static void state_paths(const char *config, const char *state, char *path, char *px_path,
			size_t len)
{
	struct cs_config *c = calloc(1, sizeof(*c));
	struct cs_config_problems *p = calloc(1, sizeof(*p));

	if (c && p && cs_config_load(config, c, p) != 0)
		cs_config_defaults(c);
	snprintf(path, len, "%s",
		 state ? state
		 : c   ? c->state_file
		       : CS_DEFAULT_HOME "/state.json");
	if (c)
		cs_proxy_state_path(c, px_path, len);
	else
		snprintf(px_path, len, "%s", CS_DEFAULT_HOME "/" CS_PROXY_STATE_NAME);
	free(c);
	free(p);
}

static int show(const char *path, const char *px_path, bool json)
{
	char reason[256], err[256];
	const char *why;
	bool alive = false;
	cJSON *st = cs_state_read(path, &alive, err, sizeof(err));
	const cJSON *own_proxy = cJSON_GetObjectItemCaseSensitive(st, "proxy");
	const cJSON *before = st;
	const char *folded = NULL;
	int rc = CS_EXIT_OK;

	/*
	 * The merge may replace the state with the standalone proxy's (no live
	 * agent or serve) or fold in its proxy block: name the file shown.
	 */
	cs_state_merge_proxy(&st, &alive, px_path);
	if (st && st != before)
		path = px_path;
	else if (st && cJSON_GetObjectItemCaseSensitive(st, "proxy") != own_proxy)
		folded = px_path;
	if (!st)
		return report_down(json, path, err);
	why = down_reason(st, reason, sizeof(reason));
	if (!why && !alive)
		why = "state is stale";
	if (why) {
		rc = report_down(json, path, why);
	} else if (json) {
		char *out;

		cJSON_AddStringToObject(st, "agent", "up");
		out = cJSON_Print(st);
		if (out)
			puts(out);
		free(out);
	} else {
		print_human(st, path, folded);
	}
	cJSON_Delete(st);
	return rc;
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"state-file", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *state = NULL, *config = NULL;
	char path[PATH_MAX], px_path[PATH_MAX];
	bool json = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "js:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 's':
			state = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(stdout);
			return CS_EXIT_OK;
		default:
			usage(stderr);
			return CS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return CS_EXIT_USAGE;
	}
	state_paths(config, state, path, px_path, sizeof(path));
	return show(path, px_path, json);
}
