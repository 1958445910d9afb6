#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# NanoClaw v2: a client in a container named nanoclaw-v2-main-<ms> and
# labelled with agent group "ag-1-chat" and session "sess-1" (a fake Docker
# root and a Docker-shaped cgroup). Its findings carry both ids in their
# source, and the IPC answers of the v2 session directories
# data/v2-sessions/<agentGroupId>/<sessionId> give them to that agent group
# only: its sessions see them; group "ag-1" (a string prefix of "ag-1-chat")
# and the v1 group "main" (the container's folder) see none of them.
source "$(dirname "$0")/agent_lib.sh"
setup
start_server
start_client v2 "https://localhost:$PORT/v1/messages"
client=$CLIENT_PID
in_container "$client" '{"Name":"/nanoclaw-v2-main-1777161600000","Config":{"Labels":{
	"nanoclaw-install":"nc-test","nanoclaw-group":"ag-1-chat","nanoclaw-session":"sess-1",
	"nanoclaw-role":"agent","nanoclaw-group-folder":"main"}}}'

nc=$T/nanoclaw/data
mkdir -p "$nc/v2-sessions/ag-1-chat/sess-1" "$nc/v2-sessions/ag-1-chat/sess-2" \
	"$nc/v2-sessions/ag-1/sess-1" "$nc/ipc/main"
umask 077
printf '{"ipc_roots": ["%s/v2-sessions/*/*", "%s/ipc/*"], "ipc_poll_ms": 100,
	"docker_containers_dir": "%s/docker"}\n' "$nc" "$nc" "$T" >"$T/config.json"
start_agent --config "$T/config.json"
wait_for 10 target_attached "$client" || fail "v2 container process $client not attached"
[[ $(state "(t => [t.container, t.group, t.session, t.folder].join(' '))(s.targets.find(t => t.pid === $client))") == \
	"nanoclaw-v2-main-1777161600000 ag-1-chat sess-1 main" ]] ||
	fail "wrong container identity: $(state "JSON.stringify(s.targets)")"

ask() { # GROUP_DIR ID TYPE: the answer, as JSON text
	local dir=$1/clawsec_tasks name
	mkdir -p "$dir"
	name="$(date +%s%3N)-$2"
	printf '{"type":"%s","requestId":"%s","groupFolder":"main","timestamp":"%s","args":{}}\n' \
		"$3" "$2" "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" >"$dir/$name.json.tmp"
	mv "$dir/$name.json.tmp" "$dir/$name.json"
	wait_for 10 test -s "$1/clawsec_results/$2.json" || fail "no answer to $2 in $1"
	cat "$1/clawsec_results/$2.json"
}
status_pids() { # GROUP_DIR ID: pids the group's status lists
	ask "$1" "$2" clawsec_traffic_status |
		node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end",
			() => console.log(JSON.parse(s).result.targets.map(t => t.pid).join(" ")))'
}
[[ $(status_pids "$nc/v2-sessions/ag-1-chat/sess-1" s1) == "$client" ]] || fail "group status lacks its container"
[[ -z $(status_pids "$nc/v2-sessions/ag-1/sess-1" s2) ]] || fail "group ag-1 sees ag-1-chat's targets"
go_and_wait v2 "$client"
src="nanoclaw-v2/ag-1-chat/sess-1/node/$client"
wait_for 10 findings_at_least "f.filter(x => x.source === '$src').length" 3 ||
	fail "no findings from $src: $(findings 'JSON.stringify(f)')"

count() { # GROUP_DIR ID: findings the group gets, each checked to be the container's
	ask "$1" "$2" clawsec_traffic_findings | node -e 'let s = "";
		process.stdin.on("data", d => s += d).on("end", () => { const a = JSON.parse(s);
			if (!a.ok || a.result.findings.some(f => f.source !== process.argv[1])) throw s;
			console.log(a.result.count); })' "$src"
}
n=$(findings "f.filter(x => x.source === '$src').length")
[[ $(count "$nc/v2-sessions/ag-1-chat/sess-1" f1) -eq $n ]] || fail "the container's own session misses findings"
[[ $(count "$nc/v2-sessions/ag-1-chat/sess-2" f2) -eq $n ]] || fail "another session of the group misses findings"
[[ $(count "$nc/v2-sessions/ag-1/sess-1" f3) -eq 0 ]] || fail "group ag-1 gets ag-1-chat's findings"
[[ $(count "$nc/ipc/main" f4) -eq 0 ]] || fail "v1 group main (the folder) gets v2 findings"
stop_agent
no_raw_secrets
say "ok"
