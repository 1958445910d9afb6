#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The agent runs the explicit proxy beside the eBPF capture when
# proxy.enabled is set: a POST through it is a finding in the same
# findings.jsonl, state.json carries the proxy counters, SIGHUP keeps the
# proxy serving, SIGTERM frees its port.
source "$(dirname "$0")/agent_lib.sh"
setup
command -v curl >/dev/null || need "curl is not installed"

start_server --http
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
	console.log(s.address().port); s.close(); })')
umask 077
# allow_cidrs: the test origin is on loopback, which the proxy refuses by default.
printf '{"target_cmdline": ["no-such-target-%s"], "proxy": {"enabled": true, "listen": "127.0.0.1:%s", "allow_cidrs": ["127.0.0.1/32"]}}\n' \
	"$$" "$port" >"$T/config.json"
start_agent --config "$T/config.json"
wait_for 10 state_is 's.proxy.enabled && s.proxy.listen' "127.0.0.1:$port" ||
	fail "state.json has no running proxy: $(cat "$T/home/state.json")"

key="sk-ant-api03-$(printf 'FAKEKEYFORTESTS0%.0s' {1..6})AA"
post() {
	curl -sS --max-time 5 -x "http://127.0.0.1:$port" -o /dev/null \
		--data "{\"n\":$1,\"content\":\"my key is $key\"}" "http://127.0.0.1:$PORT/v1/messages" ||
		fail "request $1 through the agent's proxy failed"
}
proxied='f.filter(x => x.pattern === "ai_api_key" && x.source.startsWith("proxy/127.0.0.1:")).length'
post 1
wait_for 5 findings_at_least "$proxied" 1 || fail "no proxy finding in the agent's log"
wait_for 5 state_at_least 's.proxy.connections' 1 || fail "proxy connections not counted"
wait_for 5 state_at_least 's.findings_by_pattern.ai_api_key' 1 || fail "proxy finding not counted"
wait_for 5 state_at_least 's.detector.findings' 1 || fail "proxy detector not in the detector block"
[[ $(state 's.proxy.bytes_up > 0 && s.proxy.bytes_down > 0 && s.capture.enabled') == true ]] ||
	fail "state: $(cat "$T/home/state.json")"
grep -qF "$key" "$T/logs/findings.jsonl" && fail "the raw key reached the findings log"

kill -HUP "$AGENT_PID"
wait_for 5 grep -q "config reloaded" "$T/agent.err" || fail "SIGHUP not taken"
post 2
wait_for 5 findings_at_least "$proxied" 2 || fail "no proxy finding after SIGHUP"

kill -TERM "$AGENT_PID"
rc=0
wait "$AGENT_PID" || rc=$?
[[ $rc -eq 0 ]] || fail "agent exited with $rc after SIGTERM"
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && fail "proxy port $port still open after SIGTERM"
[[ $(state 's.proxy.enabled') == false ]] || fail "last state still has the proxy on"
say "ok"
