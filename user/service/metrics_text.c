// SPDX-License-Identifier: MIT
/*
 * metrics_text.c - rendering the state document as Prometheus text. The
 * names follow Prometheus conventions (and what Falco and Tetragon users
 * already graph): a loss is a counter with a reason label, a size is in
 * bytes, a time in seconds.
 */
#include "metrics_text.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define PREFIX "clawsec_traffic_"

struct out {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = true;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = (o->cap + (size_t)n) * 2;
		char *b = realloc(o->buf, cap);

		if (!b) {
			o->failed = true;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
}

static void family(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", name, help, name, type);
}

static double num(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : 0;
}

static const cJSON *block(const struct cs_metrics_view *v, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(v->state, key);
}

/*
 * A label value from a bounded vocabulary: [a-z0-9_] only, at most 32
 * bytes, else "other". Values come from our own state, but a target's
 * tls_path or a pattern id must never become free text in a label.
 */
static const char *label(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 32 || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
		return "other";
	return s;
}

/* A single-sample family. */
static void one(struct out *o, const char *name, const char *type, const char *help, double v)
{
	family(o, name, type, help);
	put(o, PREFIX "%s %.17g\n", name, v);
}

/* A family with one label whose values name members of a state block. */
struct member {
	const char *value; /* the label value */
	const char *key;   /* the member of the block */
};

static void by_label(struct out *o, const char *name, const char *type, const char *help,
		     const char *lname, const cJSON *blk, const struct member *m, size_t n)
{
	family(o, name, type, help);
	for (size_t i = 0; i < n; i++)
		put(o, PREFIX "%s{%s=\"%s\"} %.17g\n", name, lname, m[i].value, num(blk, m[i].key));
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A version label: digits, dots and letters only. */
static const char *version(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 32 ||
	    strspn(s, "0123456789.-+abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != n)
		return "unknown";
	return s;
}

static void process_info(struct out *o, const struct cs_metrics_view *v)
{
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(v->state, "config_sha256");

	family(o, "build_info", "gauge", "Build of this clawsec-traffic process (always 1).");
	put(o, PREFIX "build_info{version=\"%s\",process=\"%s\"} 1\n", version(v->version),
	    label(v->process));
	family(o, "config_info", "gauge",
	       "SHA-256 of the configuration file in use (always 1; the hash is the label).");
	put(o, PREFIX "config_info{sha256=\"%s\"} 1\n",
	    cJSON_IsString(cfg) && strlen(cfg->valuestring) == 64 ? cfg->valuestring : "none");
	family(o, "findings_log_info", "gauge",
	       "SHA-256 of the live findings log when last hashed (always 1).");
	put(o, PREFIX "findings_log_info{sha256=\"%s\"} 1\n",
	    v->log_sha256 ? v->log_sha256 : "none");
	one(o, "state_updated", "gauge",
	    "1 when this process has published its state at least once, else 0.", v->state ? 1 : 0);
}

/*
 * Only an eBPF agent reports its cost, and BPF run time only when the kernel
 * counts it: a constant 0 would read as "free".
 */
static void capture_cost(struct out *o, const cJSON *cap)
{
	if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(cap, "agent_cpu_seconds")))
		return;
	one(o, "agent_cpu_seconds_total", "counter",
	    "CPU time of this process (capture, decoding, IPC, proxy threads).",
	    num(cap, "agent_cpu_seconds"));
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cap, "bpf_run_time_counted")))
		return;
	one(o, "bpf_run_seconds_total", "counter",
	    "Run time of the capture's BPF programs in the traced processes (config bpf_stats).",
	    num(cap, "bpf_run_seconds"));
	one(o, "bpf_runs_total", "counter", "Runs of the capture's BPF programs.",
	    num(cap, "bpf_runs"));
}

/* The capture thread in the idle CPU class, and when it had to leave it (cpu_yield.h). */
static void capture_yield(struct out *o, const cJSON *cap)
{
	const cJSON *y = cJSON_GetObjectItemCaseSensitive(cap, "yield_cpu");
	static const struct member why[] = {
		{"backlog", "backlog"}, {"long_pass", "long_pass"}, {"starved", "starved"}};

	if (!cJSON_IsObject(y))
		return;
	one(o, "capture_thread_yielding", "gauge",
	    "1 when the capture thread yields the CPU to the watched processes "
	    "(capture.yield_cpu).",
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(y, "enabled")));
	by_label(o, "capture_thread_raises_total", "counter",
		 "Times the yielding capture thread was raised back to the normal CPU class, by "
		 "reason.",
		 "reason", cJSON_GetObjectItemCaseSensitive(y, "raised_because"), why, N(why));
	one(o, "capture_thread_raised_seconds_total", "counter",
	    "Time the yielding capture thread spent raised to the normal CPU class.",
	    num(y, "raised_seconds"));
}

static void capture(struct out *o, const struct cs_metrics_view *v)
{
	const cJSON *cap = block(v, "capture"), *px = block(v, "proxy");
	static const struct member drops[] = {
		{"ringbuf_full", "ringbuf_full"},
		{"missed_returns", "missed_returns"},
		{"read_failures", "read_failures"},
	};
	static const struct member lost[] = {{"cut", "bytes_cut"}, {"lost", "bytes_lost"}};

	one(o, "capture_enabled", "gauge", "1 when eBPF capture runs in this process.",
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cap, "enabled")));
	family(o, "captured_events_total", "counter",
	       "Plaintext events captured, by capture path (ebpf probes, or the explicit proxy's "
	       "connections).");
	put(o, PREFIX "captured_events_total{path=\"ebpf\"} %.17g\n", num(cap, "events"));
	put(o, PREFIX "captured_events_total{path=\"proxy\"} %.17g\n", num(px, "connections"));
	family(o, "captured_bytes_total", "counter", "Plaintext bytes captured, by capture path.");
	put(o, PREFIX "captured_bytes_total{path=\"ebpf\"} %.17g\n", num(cap, "bytes"));
	put(o, PREFIX "captured_bytes_total{path=\"proxy\"} %.17g\n",
	    num(px, "bytes_up") + num(px, "bytes_down"));
	by_label(o, "capture_dropped_events_total", "counter",
		 "Capture events lost before user space, by reason.", "reason", cap, drops,
		 N(drops));
	by_label(o, "capture_lost_bytes_total", "counter",
		 "Captured bytes not delivered whole (cut at capture_cap_bytes, or lost).",
		 "reason", cap, lost, N(lost));
	capture_cost(o, cap);
	capture_yield(o, cap);
}

static void detector(struct out *o, const struct cs_metrics_view *v)
{
	const cJSON *d = block(v, "detector");

	one(o, "detector_input_bytes_total", "counter", "Raw bytes fed to the detector.",
	    num(d, "bytes_in"));
	one(o, "detector_scanned_bytes_total", "counter", "Decoded bytes run through the scanner.",
	    num(d, "bytes_scanned"));
	one(o, "detector_unscanned_bytes_total", "counter",
	    "Bytes not scanned (past max_scan_bytes, or lost).", num(d, "bytes_unscanned"));
	one(o, "detector_messages_total", "counter", "HTTP messages (or raw stretches) seen.",
	    num(d, "messages"));
	one(o, "detector_decode_errors_total", "counter",
	    "Malformed chunked, compressed or framed data.", num(d, "decode_errors"));
	one(o, "detector_decode_truncated_total", "counter", "Decoder output bounds hit.",
	    num(d, "decode_truncated"));
	one(o, "detector_regex_limit_hits_total", "counter", "PCRE2 match or depth limits hit.",
	    num(d, "regex_limit_hits"));
	one(o, "detector_open_flows", "gauge", "Flows the detector holds now.",
	    num(d, "flows_open"));
	one(o, "findings_folded_total", "counter",
	    "Repeats folded into an earlier finding by deduplication.",
	    num(d, "findings_suppressed"));
	one(o, "fold_summaries_total", "counter",
	    "clawsec-traffic-fold/v1 records written to say so.", num(d, "fold_summaries"));
}

static void findings(struct out *o, const struct cs_metrics_view *v)
{
	family(o, "findings_total", "counter",
	       "Findings logged by this process, by pattern, severity and direction.");
	for (size_t i = 0; i < v->n_findings; i++) {
		const struct cs_metrics_finding_count *f = &v->findings[i];

		put(o,
		    PREFIX "findings_total{pattern=\"%s\",severity=\"%s\",direction=\"%s\"} %llu\n",
		    label(f->pattern), cs_severity_name(f->severity),
		    cs_direction_name(f->direction), (unsigned long long)f->count);
	}
}

static void writer(struct out *o, const struct cs_metrics_view *v)
{
	const cJSON *w = block(v, "writer");

	one(o, "log_lines_total", "counter", "Lines written whole to the findings log.",
	    num(w, "lines"));
	one(o, "log_write_failures_total", "counter",
	    "Findings log lines lost (full disk, I/O error); never half-written.",
	    num(w, "write_failures"));
	one(o, "log_rotations_total", "counter", "Findings log rotations.", num(w, "rotations"));
	one(o, "log_space_reclaims_total", "counter",
	    "Rotated findings logs deleted to make room on a full disk.", num(w, "space_reclaims"));
	one(o, "log_torn_tails_total", "counter",
	    "Torn last lines (a crash mid-write) closed before appending.", num(w, "torn_tails"));
}

static void ipc(struct out *o, const struct cs_metrics_view *v)
{
	const cJSON *i = block(v, "ipc");
	static const struct member outcomes[] = {
		{"ok", "answered_ok"},		{"error", "answered_error"},
		{"unanswered", "unanswered"},	{"invalid", "invalid"},
		{"duplicate", "duplicates"},	{"timeout", "timeouts"},
		{"quarantined", "quarantined"}, {"dropped", "dropped"},
	};

	static const struct member failures[] = {
		{"answer", "answer_failures"},
		{"claim", "claim_failures"},
		{"watch", "watch_failures"},
	};

	by_label(o, "ipc_tasks_total", "counter", "IPC tasks from agent containers, by outcome.",
		 "outcome", i, outcomes, N(outcomes));
	by_label(o, "ipc_failures_total", "counter",
		 "IPC operations that failed on the host side, by kind.", "kind", i, failures,
		 N(failures));
	one(o, "ipc_quarantine_bytes_cut_total", "counter",
	    "Bytes of quarantined task files not kept (over the quarantine bounds).",
	    num(i, "quarantine_bytes_cut"));
	one(o, "ipc_groups", "gauge", "Group directories watched for IPC tasks.", num(i, "groups"));
	one(o, "ipc_groups_refused", "gauge",
	    "Group directories refused (unsafe ownership, links).", num(i, "groups_refused"));
}

static void proxy(struct out *o, const struct cs_metrics_view *v)
{
	const cJSON *px = block(v, "proxy");
	static const struct member bytes[] = {{"up", "bytes_up"}, {"down", "bytes_down"}};
	static const struct member connects[] = {{"inspected", "inspected"},
						 {"tunnelled", "tunnelled"}};

	one(o, "proxy_enabled", "gauge", "1 when the explicit proxy runs in this process.",
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(px, "enabled")));
	one(o, "proxy_connections_total", "counter", "Client connections accepted by the proxy.",
	    num(px, "connections"));
	one(o, "proxy_active_connections", "gauge", "Client connections open now.",
	    num(px, "active"));
	by_label(o, "proxy_bytes_total", "counter", "Bytes relayed by the proxy, by direction.",
		 "direction", px, bytes, N(bytes));
	by_label(o, "proxy_connects_total", "counter",
		 "CONNECT tunnels, by whether HTTPS inside was inspected.", "outcome", px, connects,
		 N(connects));
	one(o, "proxy_refusals_total", "counter",
	    "Requests the proxy refused (destination policy, limits).", num(px, "refused"));
	one(o, "proxy_client_errors_total", "counter", "Malformed or abusive client requests.",
	    num(px, "client_errors"));
	one(o, "proxy_upstream_errors_total", "counter", "Upstream connections that failed.",
	    num(px, "upstream_errors"));
}

/* Targets by TLS path and attach state: a count, never a pid. */
static void targets(struct out *o, const struct cs_metrics_view *v)
{
	/* the tls_path values of state.json (cs_tls_path_name), then the rest */
	static const char *const paths[] = {"libssl", "static_openssl", "gnutls", "boringssl_aead",
					    "go",     "none",		"other"};
	size_t counts[N(paths)][2] = {{0}};
	const cJSON *t;

	cJSON_ArrayForEach(t, block(v, "targets")) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(t, "tls_path");
		const char *name = label(cJSON_IsString(p) ? p->valuestring : NULL);
		size_t i = 0;

		while (i + 1 < N(paths) && strcmp(paths[i], name))
			i++;
		counts[i][cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "attached"))]++;
	}
	family(o, "targets", "gauge",
	       "NanoClaw processes watched, by TLS path and whether probes are attached "
	       "(tls_path=\"none\": traffic not visible to eBPF).");
	for (size_t i = 0; i < N(paths); i++)
		for (int a = 0; a < 2; a++)
			put(o, PREFIX "targets{tls_path=\"%s\",attached=\"%s\"} %zu\n", paths[i],
			    a ? "true" : "false", counts[i][a]);
}

/* Findings shipped to syslog/journald (all zero when shipping is off). */
static void ship(struct out *o, const struct cs_metrics_view *v)
{
	const cJSON *s = block(v, "ship");

	one(o, "ship_sent_total", "counter", "Findings delivered to syslog/journald.",
	    num(s, "sent"));
	one(o, "ship_dropped_total", "counter",
	    "Findings not delivered to syslog/journald (queue full or receiver down); "
	    "the JSONL log still has them.",
	    num(s, "dropped"));
	one(o, "ship_queue_length", "gauge", "Findings waiting for the shipping thread.",
	    num(s, "queued"));
}

char *cs_metrics_render(const struct cs_metrics_view *v, size_t *len)
{
	struct out o = {.cap = 16384};

	o.buf = malloc(o.cap);
	if (!o.buf)
		return NULL;
	o.buf[0] = '\0';
	process_info(&o, v);
	capture(&o, v);
	detector(&o, v);
	findings(&o, v);
	writer(&o, v);
	ipc(&o, v);
	proxy(&o, v);
	targets(&o, v);
	ship(&o, v);
	one(&o, "metrics_scrapes_total", "counter", "Scrapes of this endpoint answered.",
	    (double)v->scrapes);
	one(&o, "metrics_refused_connections_total", "counter",
	    "Connections to this endpoint refused over its connection cap.", (double)v->refused);
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	*len = o.len;
	return o.buf;
}
