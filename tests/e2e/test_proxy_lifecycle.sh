#!/usr/bin/env bash
# The proxy's lifecycle under the host service (issue 5), with `serve` as the
# host (the agent shares the same wiring but needs BPF):
#  - serve with proxy.enabled runs the proxy: a request through it gives a
#    finding in the shared findings.jsonl, and `status --json`, `status` and
#    the IPC status task show the proxy's counters;
#  - SIGHUP reloads and the proxy keeps serving on the same port;
#  - SIGTERM stops serve with exit 0 and frees the port;
#  - a standalone `clawsec-traffic proxy` beside serve writes proxy-state.json,
#    so state.json keeps serve's pid, and status folds the proxy block in;
#  - SIGHUP turning proxy.enabled on starts the proxy in a running serve.
set -euo pipefail
source "$(dirname "$0")/proxy_lib.sh"

home=$work/home
mkdir -p "$home" "$work/ipc/main"
chmod 700 "$home"
unset NANOCLAW_TRAFFIC_GUARDIAN_CONFIG NANOCLAW_TRAFFIC_GUARDIAN_LOG_DIR
export NANOCLAW_TRAFFIC_GUARDIAN_HOME=$home

# The config refuses port 0: take a port the kernel just handed out.
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
	console.log(s.address().port); s.close(); })')

# config FILE ENABLED: serve's config; the proxy on loopback port $port.
config() {
	cat >"$1" <<JSON
{ "home": "$home", "log_dir": "$home/logs", "ipc_roots": ["$work/ipc/*"],
  "ipc_poll_ms": 100, "docker_containers_dir": "$work/no-docker",
  "proxy": { "enabled": $2, "listen": "127.0.0.1:$port", "allow_cidrs": ["127.0.0.1/32"] } }
JSON
	chmod 600 "$1"
}

# json FILE EXPR: evaluate EXPR on the JSON document d read from FILE.
json() {
	node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		 console.log(eval(process.argv[2]))' "$1" "$2"
}

start_serve() {
	"$CS_CLI" serve --config "$1" >>"$work/serve.log" 2>&1 &
	pids+=($!)
	serve_pid=$!
	local i
	for ((i = 0; i < 100; i++)); do
		grep -qs "\"pid\":$serve_pid," "$home/state.json" && return 0
		kill -0 "$serve_pid" 2>/dev/null || fail "serve exited at start"
		sleep 0.1
	done
	fail "serve did not write state.json"
}

key="sk-ant-api03-$(printf 'FAKEKEYFORTESTS0%.0s' {1..6})AA"
# post N: a POST carrying the fake key through the proxy at $addr.
post() {
	curl -sS --max-time 5 -x "http://$addr" -o "$work/resp$1" \
		-H 'Content-Type: application/json' \
		--data "{\"n\":$1,\"content\":\"my key is $key\"}" "http://127.0.0.1:$up/v1/messages" ||
		fail "request $1 through the proxy failed"
	[[ $(cat "$work/resp$1") == ok ]] || fail "request $1: reply changed by the proxy"
}

# wait_status EXPR: until EXPR holds on `status --json` (5 s).
wait_status() {
	local i
	for ((i = 0; i < 50; i++)); do
		"$CS_CLI" status --json --config "$work/serve.json" >"$work/status.json" || true
		[[ $(json "$work/status.json" "$1") == true ]] && return 0
		sleep 0.1
	done
	fail "status never satisfied $1: $(cat "$work/status.json")"
}

# ipc_status ID: ask the status tool through IPC and keep the answer in $work/ID.json.
ipc_status() {
	local dir=$work/ipc/main/clawsec_tasks name i
	mkdir -p "$dir"
	name=$(date +%s%3N)-$1.json
	printf '{"type":"clawsec_traffic_status","requestId":"%s","groupFolder":"main","timestamp":"%s","args":{}}' \
		"$1" "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" >"$dir/$name.tmp"
	mv "$dir/$name.tmp" "$dir/$name"
	for ((i = 0; i < 100; i++)); do
		[[ -s $work/ipc/main/clawsec_results/$1.json ]] && break
		sleep 0.1
	done
	cp "$work/ipc/main/clawsec_results/$1.json" "$work/$1.json" 2>/dev/null || fail "no IPC answer $1"
}

printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok' >"$work/reply-ok"
start_node up proxy_raw.js upstream --record "$work/got" --reply "$work/reply-ok"
up=$PORT

# 1. serve with proxy.enabled: the proxy runs, findings go to the shared log.
config "$work/serve.json" true
start_serve "$work/serve.json"
wait_line "$work/serve.log" 'proxy listening on [0-9.]+:[0-9]+,' >/dev/null
addr=$(grep -m1 -oE 'proxy listening on [0-9.]+:[0-9]+' "$work/serve.log" | awk '{print $4}')
post 1
wait_finding ai_api_key || fail "no finding in $home/logs/findings.jsonl"
findings | grep -q '"source":"proxy/127.0.0.1:' || fail "finding source is not the proxy"
findings | grep -qF "$key" && fail "the raw key reached the findings log"
wait_status 'd.agent == "up" && d.pid == '"$serve_pid"' && d.proxy.enabled &&
	d.proxy.listen == "'"$addr"'" && d.proxy.connections >= 1 && d.proxy.bytes_up > 0 &&
	d.proxy.bytes_down > 0 && d.findings_by_pattern.ai_api_key == 1'
"$CS_CLI" status --config "$work/serve.json" >"$work/status.txt" || fail "status says down"
grep -q "^service: up (pid $serve_pid, .*proxy mode, no eBPF capture" "$work/status.txt" ||
	fail "status header: $(cat "$work/status.txt")"
grep -Eq "^proxy: listening on $addr, https inspection off, [1-9][0-9]* connections \(0 active\), [1-9][0-9]* bytes up, [1-9][0-9]* bytes down, CONNECT 0 inspected / 0 tunnelled, 0 upstream errors" \
	"$work/status.txt" || fail "status proxy line: $(cat "$work/status.txt")"
grep -q "targets:" "$work/status.txt" && fail "a proxy-only service is shown with targets"
ipc_status s1
[[ $(json "$work/s1.json" 'd.ok && d.result.agent == "up" && d.result.proxy.connections >= 1 &&
	d.result.posture.monitor_status == "running"') == true ]] ||
	fail "IPC status: $(cat "$work/s1.json")"

# 2. SIGHUP: reloaded, same port, still inspecting.
kill -HUP "$serve_pid"
for _ in $(seq 50); do grep -q "configuration reloaded" "$work/serve.log" && break; sleep 0.1; done
grep -q "configuration reloaded" "$work/serve.log" || fail "SIGHUP not taken"
post 2
for _ in $(seq 50); do [[ $(findings | grep -c ai_api_key) -ge 2 ]] && break; sleep 0.1; done
[[ $(findings | grep -c ai_api_key) -eq 2 ]] || fail "no finding after SIGHUP"
wait_status 'd.pid == '"$serve_pid"' && d.proxy.listen == "'"$addr"'" && d.proxy.connections >= 2'

# 3. SIGTERM: exit 0, port free, last state says the proxy is off.
kill -TERM "$serve_pid"
status=0
wait "$serve_pid" || status=$?
[[ $status -eq 0 ]] || fail "serve exited $status after SIGTERM"
(exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null && fail "port ${addr##*:} still open"
[[ $(json "$home/state.json" 'd.proxy.enabled') == false ]] || fail "last state still has the proxy on"

# 4. serve without the proxy + a standalone proxy: separate state files.
config "$work/serve.json" false
start_serve "$work/serve.json"
start_proxy alone "$work/serve.json"
addr=$ADDR
for _ in $(seq 50); do [[ -s $home/proxy-state.json ]] && break; sleep 0.1; done
[[ $(json "$home/proxy-state.json" "d.pid == $proxy_pid && d.proxy.enabled") == true ]] ||
	fail "proxy-state.json: $(cat "$home/proxy-state.json")"
post 3
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
	[[ $(json "$home/state.json" "d.pid") == "$serve_pid" ]] ||
		fail "state.json pid flipped to $(json "$home/state.json" "d.pid")"
	sleep 0.2
done
wait_status 'd.pid == '"$serve_pid"' && d.proxy.enabled && d.proxy.listen == "'"$addr"'" &&
	d.proxy.connections >= 1'
"$CS_CLI" status --config "$work/serve.json" >"$work/status.txt" || fail "status says down"
grep -q "^proxy: listening on $addr, " "$work/status.txt" ||
	fail "status lacks the standalone proxy: $(cat "$work/status.txt")"
grep -q "^state: $home/state.json " "$work/status.txt" && grep -q "^proxy state: $home/proxy-state.json$" "$work/status.txt" ||
	fail "status names the wrong state files: $(cat "$work/status.txt")"
ipc_status s2
[[ $(json "$work/s2.json" 'd.ok && d.result.proxy != null && d.result.proxy.connections >= 1') == true ]] ||
	fail "IPC status lacks the standalone proxy: $(cat "$work/s2.json")"

# 5. The standalone proxy stops: status falls back to serve's own block.
kill -TERM "$proxy_pid"
wait "$proxy_pid" || fail "standalone proxy exited $? after SIGTERM"
"$CS_CLI" status --config "$work/serve.json" >"$work/status.txt" || fail "status says down"
grep -q "^proxy: off" "$work/status.txt" || fail "stopped proxy still shown: $(cat "$work/status.txt")"
# 6. SIGHUP turning proxy.enabled on starts the proxy inside serve.
config "$work/serve.json" true
kill -HUP "$serve_pid"
wait_status 'd.pid == '"$serve_pid"' && d.proxy.enabled && d.proxy.listen == "127.0.0.1:'"$port"'"'
addr=127.0.0.1:$port
post 4
# serve gone (its state.json dead): a proxy running alone is reported as up.
kill -TERM "$serve_pid"
wait "$serve_pid" || fail "serve exited $? after SIGTERM"
start_proxy alone2 "$work/serve.json"
for _ in $(seq 50); do [[ $(json "$home/proxy-state.json" "d.pid") == "$proxy_pid" ]] 2>/dev/null && break; sleep 0.1; done
"$CS_CLI" status --config "$work/serve.json" >"$work/status.txt" || fail "status: proxy alone is down"
grep -q "^service: up (pid $proxy_pid, .*proxy mode" "$work/status.txt" ||
	fail "proxy alone: $(cat "$work/status.txt")"
# The data comes from proxy-state.json: status names that file, not state.json.
grep -q "^state: $home/proxy-state.json " "$work/status.txt" ||
	fail "proxy alone: wrong state file named: $(cat "$work/status.txt")"
echo "ok"
