#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `status` names "TLS not visible" only for a process that did network I/O no
# TLS probe decodes. A target tree of wrappers in a (fake) container of group
# main, none with an OpenSSL: bash -> timeout -> bash that opens a TCP
# connection to a local server (/dev/tcp). The connecting bash gets the
# warning, in `status` and in group main's IPC status not_visible; the
# wrapper bash and timeout, which never open a socket, are listed without.
source "$(dirname "$0")/agent_lib.sh"
setup
start_server
mkdir -p "$T/ipc/main/clawsec_tasks"
umask 077
printf '{"ipc_roots": ["%s/ipc/*"], "ipc_poll_ms": 100, "docker_containers_dir": "%s/docker"}\n' \
	"$T" "$T" >"$T/config.json"
bash -c 'while [[ ! -e $1/wrap.go ]]; do sleep 0.05; done
	timeout 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/$2; touch $1/connected; sleep 60; :"; :' \
	wrapper "$T" "$PORT" >"$T/wrapper.out" 2>&1 &
wrapper=$!
PIDS+=("$wrapper")
in_container "$wrapper" '{"Name":"/nanoclaw-main-1777161600000","Config":{"Labels":{}}}'
start_agent --config "$T/config.json"
wait_for 10 target_attached "$wrapper" || fail "wrapper $wrapper not attached"
touch "$T/wrap.go"
wait_for 10 test -e "$T/connected" || fail "the inner bash did not connect"
tmo=$(pgrep -P "$wrapper" -x timeout) || fail "no timeout under the wrapper"
inner=$(pgrep -P "$tmo" -x bash) || fail "no bash under timeout"
# bash defers SIGTERM while it waits: the cleanup signals the whole tree.
PIDS+=("$tmo" "$inner" $(pgrep -P "$inner" -x sleep || true))

note() { state "(s.targets.find(t => t.pid === $1) || {note: 'absent'}).note"; }
wait_for 10 state_is "(s.targets.find(t => t.pid === $inner) || {}).note" \
	"TLS not visible (e.g. rustls, Java): use proxy mode" ||
	fail "the connecting bash has no warning: $(state "JSON.stringify(s.targets)")"
[[ -z $(note "$wrapper") && -z $(note "$tmo") ]] ||
	fail "wrappers warned: $(state "JSON.stringify(s.targets)")"
[[ $(state "[$wrapper, $tmo].map(p => s.targets.find(t => t.pid === p).tls_path).join()") == none,none ]] ||
	fail "wrappers are not listed as targets without TLS"

"$CLI" status --state-file "$T/home/state.json" >"$T/status.out" || fail "status says the agent is down"
grep -Eq "^ +$inner +bash .* TLS not visible" "$T/status.out" || fail "status: no warning for $inner: $(cat "$T/status.out")"
for p in "$wrapper" "$tmo"; do
	grep -Eq "^ +$p " "$T/status.out" || fail "status does not list $p"
	grep -Eq "^ +$p .*not visible" "$T/status.out" && fail "status warns about wrapper $p"
done

# Group main's IPC status: all three are its targets, only the connecting bash is not_visible.
name="$(date +%s%3N)-$RANDOM"
printf '{"type":"clawsec_traffic_status","requestId":"s1","groupFolder":"main","timestamp":"%s","args":{}}\n' \
	"$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" >"$T/ipc/main/clawsec_tasks/$name.json.tmp"
mv "$T/ipc/main/clawsec_tasks/$name.json.tmp" "$T/ipc/main/clawsec_tasks/$name.json"
wait_for 10 test -s "$T/ipc/main/clawsec_results/s1.json" || fail "no status answer"
answer=$(node -e 'const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).result;
	const has = p => a.targets.some(t => t.pid === p);
	console.log([has(+process.argv[2]), has(+process.argv[3]), has(+process.argv[4]),
		a.not_visible.map(t => t.pid + ":" + t.reason).join()].join(" "))' \
	"$T/ipc/main/clawsec_results/s1.json" "$wrapper" "$tmo" "$inner")
[[ $answer == "true true true $inner:TLS not visible (e.g. rustls, Java): use proxy mode" ]] ||
	fail "IPC status: $answer: $(cat "$T/ipc/main/clawsec_results/s1.json")"
stop_agent
say "ok"
