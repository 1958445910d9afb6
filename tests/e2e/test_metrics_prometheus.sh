#!/usr/bin/env bash
# Prometheus /metrics (issue 14), scraped by a real Prometheus started here:
#  - `serve` with the proxy and metrics.listen on loopback; a FAKE key through
#    the proxy becomes clawsec_traffic_findings_total{pattern,severity,direction}
#    in Prometheus (its HTTP API is queried), beside build info and proxy series;
#  - the shipped rules load (promtool check rules, then Prometheus itself),
#    each alert fires on synthetic series (promtool test rules), and
#    ClawsecTrafficCriticalFinding fires for that finding;
#  - `promtool check metrics` passes on the exposition; labels never carry a
#    pid, dest, group or container; the raw key is in no output;
#  - read-only and only /metrics: other paths 404, POST 405;
#  - a hostile scraper holding every connection slot is refused and counted,
#    never stalls the proxy, and the slots free themselves at the deadline;
#  - a standalone proxy serves its own /metrics on metrics.proxy_listen.
set -euo pipefail
source "$(dirname "$0")/proxy_lib.sh"

skip() {
	if [[ "${CI:-}" == "true" ]]; then
		echo "FAIL (CI): $1"
		exit 1
	fi
	echo "SKIP: $1"
	exit 77
}
command -v prometheus >/dev/null && command -v promtool >/dev/null ||
	skip "prometheus/promtool not installed (scripts/setup.sh installs them)"

free_port() {
	node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
		console.log(s.address().port); s.close(); })'
}
mport=$(free_port)
pport=$(free_port)
xport=$(free_port)
promport=$(free_port)
write_config "$work/serve.json"
sed -i "s/127.0.0.1:10255/127.0.0.1:$pport/" "$work/serve.json"
sed -i 's/^{ "home"/{ "metrics": { "listen": "127.0.0.1:'"$mport"'", "proxy_listen": "127.0.0.1:'"$xport"'" }, "home"/' "$work/serve.json"
"$CS_CLI" check-config "$work/serve.json" >/dev/null || fail "config: $("$CS_CLI" check-config "$work/serve.json")"

printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok' >"$work/reply-ok"
start_node up proxy_raw.js upstream --record "$work/got" --reply "$work/reply-ok"
up=$PORT
"$CS_CLI" serve --config "$work/serve.json" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$mport/metrics" -o "$work/m0.txt" && break; sleep 0.1; done
[[ -s $work/m0.txt ]] || fail "no /metrics on 127.0.0.1:$mport"
promtool check metrics <"$work/m0.txt" >"$work/lint.txt" 2>&1 || fail "promtool check metrics: $(cat "$work/lint.txt")"
[[ -s $work/lint.txt ]] && fail "promtool lint: $(cat "$work/lint.txt")"
grep -q '^clawsec_traffic_build_info{version="[0-9.]*",process="serve"} 1$' "$work/m0.txt" || fail "build_info"

# Read-only, one endpoint.
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/") == 404 ]] || fail "/ is not 404"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/metrics/x") == 404 ]] || fail "/metrics/x is not 404"
[[ $(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$mport/metrics") == 405 ]] || fail "POST is not 405"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/metrics?x=1") == 200 ]] || fail "query string"

# A real Prometheus scraping every second, with the shipped rules.
promtool check rules "$CS_SOURCE_DIR/scripts/clawsec-traffic.rules.yml" >"$work/rules.txt" 2>&1 ||
	fail "promtool check rules: $(cat "$work/rules.txt")"
# Each alert fires on the series that should trigger it, and only then.
promtool test rules "$CS_SOURCE_DIR/tests/fixtures/prometheus/clawsec-traffic.rules.test.yml" \
	>"$work/rules-test.txt" 2>&1 || fail "promtool test rules: $(cat "$work/rules-test.txt")"
mkdir -p "$work/tsdb"
cat >"$work/prometheus.yml" <<YAML
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: ["$CS_SOURCE_DIR/scripts/clawsec-traffic.rules.yml"]
scrape_configs:
  - job_name: clawsec-traffic
    static_configs: [{ targets: ["127.0.0.1:$mport"] }]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
	--web.listen-address="127.0.0.1:$promport" >"$work/prometheus.log" 2>&1 &
pids+=($!)
# query EXPR: the JSON result vector of an instant query.
query() {
	curl -sf --get "http://127.0.0.1:$promport/api/v1/query" --data-urlencode "query=$1" |
		node -e 'let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
			const r = JSON.parse(s); console.log(JSON.stringify(r.data.result)); })'
}
# wait_query EXPR JS: until JS (over r, the result vector) holds, within 30 s.
wait_query() {
	local i r
	for ((i = 0; i < 150; i++)); do
		r=$(query "$1" 2>/dev/null || echo '[]')
		[[ $(node -e 'const r = JSON.parse(process.argv[1]); console.log(!!('"$2"'))' "$r") == true ]] &&
			return 0
		sleep 0.2
	done
	fail "Prometheus: $1 never satisfied $2 (last: $r)"
}
wait_query 'up{job="clawsec-traffic"}' 'r.length === 1 && r[0].value[1] === "1"'
wait_query 'clawsec_traffic_build_info' 'r.length === 1 && r[0].metric.process === "serve"'

# A finding through the proxy, after Prometheus has seen the endpoint.
key="sk-ant-api03-$(printf 'FAKEKEYFORTESTS3%.0s' {1..6})AA"
curl -sS --max-time 5 -x "http://127.0.0.1:$pport" -o /dev/null -H 'Content-Type: application/json' \
	--data "{\"content\":\"my key is $key\"}" "http://127.0.0.1:$up/v1/messages" || fail "request through the proxy"
wait_finding ai_api_key || fail "no finding"
wait_query 'clawsec_traffic_findings_total{pattern="ai_api_key",direction="outbound"}' \
	'r.length === 1 && r[0].value[1] === "1" && ["low","medium","high","critical"].includes(r[0].metric.severity)'
wait_query 'clawsec_traffic_proxy_connections_total' 'r.length === 1 && +r[0].value[1] >= 1'
wait_query 'clawsec_traffic_captured_bytes_total{path="proxy"}' 'r.length === 1 && +r[0].value[1] > 0'
wait_query 'clawsec_traffic_ipc_tasks_total' 'r.length === 8'
wait_query 'clawsec_traffic_config_info' 'r.length === 1 && /^[0-9a-f]{64}$/.test(r[0].metric.sha256)'
sev=$(query 'clawsec_traffic_findings_total{pattern="ai_api_key"}' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].metric.severity))')
[[ $sev == critical ]] || fail "ai_api_key is $sev, the alert test expects critical"
wait_query 'ALERTS{alertname="ClawsecTrafficCriticalFinding",alertstate="firing"}' \
	'r.length === 1 && r[0].metric.pattern === "ai_api_key"' 
curl -sf "http://127.0.0.1:$promport/api/v1/rules" | grep -q '"name":"ClawsecTrafficAgentDown"' ||
	fail "rules not loaded by Prometheus"

# Bounded labels: no label value anywhere is a pid, an address or a container.
curl -sf "http://127.0.0.1:$mport/metrics" >"$work/m1.txt"
promtool check metrics <"$work/m1.txt" >"$work/lint.txt" 2>&1 && [[ ! -s $work/lint.txt ]] ||
	fail "promtool after traffic: $(cat "$work/lint.txt")"
grep -o '{[^}]*}' "$work/m1.txt" | grep -E '127\.0\.0\.1|:[0-9]{2,5}"|nanoclaw-|pid' &&
	fail "a label carries a dest, pid or container"
for f in "$work/m0.txt" "$work/m1.txt" "$work/serve.log" "$work/prometheus.log"; do
	grep -qF "$key" "$f" && fail "the raw key reached $f"
done

# A hostile scraper: 10 idle connections. The cap refuses the extra ones, the
# proxy keeps working, and the slots come back after their deadline.
node -e '
const net = require("net"); const socks = [];
for (let i = 0; i < 10; i++) socks.push(net.connect(+process.argv[1], "127.0.0.1").on("error", () => {}));
setTimeout(() => process.exit(0), 5000);' "$mport" &
hog=$!
pids+=($hog)
sleep 0.5
curl -sS --max-time 5 -x "http://127.0.0.1:$pport" -o /dev/null "http://127.0.0.1:$up/v1/ping" ||
	fail "the proxy stalled while /metrics was hogged"
wait "$hog" || true
curl -sf --max-time 5 "http://127.0.0.1:$mport/metrics" >"$work/m2.txt" || fail "/metrics did not recover"
refused=$(awk '$1 == "clawsec_traffic_metrics_refused_connections_total" {print $2}' "$work/m2.txt")
[[ ${refused:-0} -ge 2 ]] || fail "refused connections not counted: ${refused:-none}"

# A standalone proxy has its own endpoint.
"$CS_CLI" proxy --config "$work/serve.json" --listen "127.0.0.1:$(free_port)" >"$work/alone.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$xport/metrics" -o "$work/m3.txt" && break; sleep 0.1; done
grep -q 'process="proxy"' "$work/m3.txt" || fail "standalone proxy /metrics: $(cat "$work/alone.log")"
grep -q '^clawsec_traffic_proxy_enabled 1$' "$work/m3.txt" || fail "standalone proxy not enabled in its metrics"
echo "ok: Prometheus scraped serve, series and alert present, promtool clean, hostile scraper contained"
