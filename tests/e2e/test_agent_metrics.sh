#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The eBPF agent's /metrics (issue 14), scraped by a real Prometheus started
# here: after a probed HTTPS client leaks a FAKE key, Prometheus has the
# agent's capture, target and finding series; promtool accepts the
# exposition; no label carries the client's pid or the destination. With
# bpf_stats on, the capture's cost (agent CPU, BPF run time in the traced
# processes) is in /metrics and in status (issue 13).
source "$(dirname "$0")/agent_lib.sh"
setup
command -v prometheus >/dev/null && command -v promtool >/dev/null ||
	need "prometheus/promtool not installed (scripts/setup.sh installs them)"
free_port() {
	node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
		console.log(s.address().port); s.close(); })'
}
mport=$(free_port)
promport=$(free_port)
printf '{ "bpf_stats": true, "metrics": { "listen": "127.0.0.1:%s" } }\n' "$mport" >"$T/agent.json"
chmod 600 "$T/agent.json"

start_server
start_client tls "https://localhost:$PORT/v1/messages"
client=$CLIENT_PID
start_agent --config "$T/agent.json" --pid "$client"
wait_for 10 target_attached "$client" || fail "target not attached"
wait_for 10 curl -sf "http://127.0.0.1:$mport/metrics" -o "$T/m0.txt" || fail "no /metrics on :$mport"

mkdir -p "$T/tsdb"
cat >"$T/prometheus.yml" <<YAML
global: { scrape_interval: 1s }
scrape_configs:
  - job_name: clawsec-traffic
    static_configs: [{ targets: ["127.0.0.1:$mport"] }]
YAML
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
	--web.listen-address="127.0.0.1:$promport" >"$T/prometheus.log" 2>&1 &
PIDS+=($!)
query() {
	curl -sf --get "http://127.0.0.1:$promport/api/v1/query" --data-urlencode "query=$1" |
		node -e 'let s = ""; process.stdin.on("data", (d) => s += d).on("end", () =>
			console.log(JSON.stringify(JSON.parse(s).data.result)))'
}
holds() { # EXPR JS over r
	local r
	r=$(query "$1" 2>/dev/null || echo '[]')
	[[ $(node -e 'const r = JSON.parse(process.argv[1]); console.log(!!('"$2"'))' "$r") == true ]]
}
wait_for 30 holds 'clawsec_traffic_build_info' 'r.length === 1 && r[0].metric.process === "agent"' ||
	fail "Prometheus never scraped the agent: $(tail -5 "$T/prometheus.log")"

# The client is a target while it runs (it exits after its request).
wait_for 30 holds 'sum(clawsec_traffic_targets{attached="true"})' 'r.length === 1 && +r[0].value[1] >= 1' ||
	fail "targets"
go_and_wait tls "$client"
wait_for 10 findings_at_least f.length 3 || fail "expected 3 findings"
wait_for 30 holds 'clawsec_traffic_findings_total{pattern="ai_api_key",direction="outbound"}' \
	'r.length === 1 && r[0].value[1] === "1"' || fail "findings_total not in Prometheus"
wait_for 10 holds 'clawsec_traffic_capture_enabled' 'r.length === 1 && r[0].value[1] === "1"' ||
	fail "capture_enabled"
wait_for 10 holds 'clawsec_traffic_captured_bytes_total{path="ebpf"}' 'r.length === 1 && +r[0].value[1] > 0' ||
	fail "captured_bytes_total{path=ebpf}"

wait_for 10 holds 'clawsec_traffic_bpf_runs_total' 'r.length === 1 && +r[0].value[1] > 0' ||
	fail "bpf_runs_total (bpf_stats on)"
wait_for 10 holds 'clawsec_traffic_bpf_run_seconds_total' 'r.length === 1 && +r[0].value[1] > 0' ||
	fail "bpf_run_seconds_total"
wait_for 10 holds 'clawsec_traffic_agent_cpu_seconds_total' 'r.length === 1 && +r[0].value[1] > 0' ||
	fail "agent_cpu_seconds_total"
wait_for 10 holds 'clawsec_traffic_capture_thread_yielding' 'r.length === 1 && r[0].value[1] === "1"' ||
	fail "capture_thread_yielding"
wait_for 10 holds 'clawsec_traffic_capture_thread_raises_total' 'r.length === 3' ||
	fail "capture_thread_raises_total{reason}"
"$CLI" status --state-file "$T/home/state.json" >"$T/status.out" || fail "status: agent down"
grep -qE '^cost: agent [0-9.]+ s CPU.*; BPF programs [0-9.]+ s in [1-9][0-9]* runs \([0-9]+ ns per run\)' \
	"$T/status.out" || fail "status has no cost line: $(grep cost "$T/status.out")"

curl -sf "http://127.0.0.1:$mport/metrics" -o "$T/m1.txt" || fail "scrape"
promtool check metrics <"$T/m1.txt" >"$T/lint.txt" 2>&1 && [[ ! -s $T/lint.txt ]] ||
	fail "promtool check metrics: $(cat "$T/lint.txt")"
grep -o '{[^}]*}' "$T/m1.txt" | grep -E "\"$client\"|localhost|127\.0\.0\.1|$PORT" &&
	fail "a label carries the pid or the destination"
stop_agent
no_raw_secrets
say "ok"
