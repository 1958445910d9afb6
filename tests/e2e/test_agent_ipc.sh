#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The agent answers NanoClaw's IPC task files from its own event loop: a
# status task gets agent "up" with the capture enabled, and a findings task
# for a group sees only that group's findings (none from host processes).
source "$(dirname "$0")/agent_lib.sh"
setup
start_server
start_client host "https://localhost:$PORT/v1/messages"
client=$CLIENT_PID
mkdir -p "$T/ipc/main/clawsec_tasks"
umask 077
printf '{"ipc_roots": ["%s/ipc/*"], "ipc_poll_ms": 100}\n' "$T" >"$T/config.json"
start_agent --config "$T/config.json" --pid "$client"
wait_for 10 target_attached "$client" || fail "target not attached"
go_and_wait host "$client"
wait_for 10 findings_at_least f.length 3 || fail "no findings to ask about"

task() { # TYPE ID ARGS
	local name
	name="$(date +%s%3N)-$RANDOM"
	printf '{"type":"%s","requestId":"%s","groupFolder":"main","timestamp":"%s","args":%s}\n' \
		"$1" "$2" "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$3" >"$T/ipc/main/clawsec_tasks/$name.json.tmp"
	mv "$T/ipc/main/clawsec_tasks/$name.json.tmp" "$T/ipc/main/clawsec_tasks/$name.json"
	wait_for 10 test -s "$T/ipc/main/clawsec_results/$2.json" || fail "no answer to $1"
}
answer() { # ID EXPR over the answer `a`
	node -e 'const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		console.log(eval(process.argv[2]))' "$T/ipc/main/clawsec_results/$1.json" "$2"
}
task clawsec_traffic_status s1 '{}'
[[ $(answer s1 'a.ok && a.result.agent') == up ]] || fail "status: $(cat "$T/ipc/main/clawsec_results/s1.json")"
[[ $(answer s1 'a.result.capture.enabled') == true ]] || fail "status: capture not enabled"
task clawsec_traffic_findings f1 '{"limit": 50}'
[[ $(answer f1 'a.ok && a.result.count') == 0 ]] ||
	fail "group main sees host findings: $(cat "$T/ipc/main/clawsec_results/f1.json")"
stop_agent
no_raw_secrets
say "ok"
