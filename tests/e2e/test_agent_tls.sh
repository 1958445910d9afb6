#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The agent attached by pid to a Node fetch() client over HTTPS sees the fake
# Anthropic key (header) and private key (64 KB JSON body) going out and the
# pipe-to-shell coming back in a gzip'd chunked SSE stream: exactly those
# three findings, with direction, dest localhost:PORT and redacted snippets.
# A second client that is not a target, sending the same, is never captured.
# SIGTERM leaves no BPF link behind; no raw secret is in any file.
source "$(dirname "$0")/agent_lib.sh"
setup
start_server
start_client target "https://localhost:$PORT/v1/messages" --count 2
target=$CLIENT_PID
start_client other "https://localhost:$PORT/v1/messages"
other=$CLIENT_PID

start_agent --pid "$target"
wait_for 10 target_attached "$target" || fail "target $target not attached"
[[ $(state "s.targets.find(t => t.pid === $target).tls_path") == static_openssl ]] ||
	fail "node's TLS path is not static_openssl"
"$CLI" status --state-file "$T/home/state.json" >"$T/status.out" || fail "status says the agent is down"
grep -Eq "^ +$target +node +- +static_openssl +yes" "$T/status.out" ||
	fail "status does not show the target's TLS path: $(cat "$T/status.out")"
go_and_wait other "$other"
go_and_wait target "$target"
expect_tls_findings "$PORT" "node/$target"
[[ $(findings "f.filter(x => x.source.endsWith('/$other')).length") -eq 0 ]] || fail "non-target captured"

sleep 1.2	# one more state.json write
"$CLI" status --state-file "$T/home/state.json" >"$T/status.out" || fail "status says the agent is down"
grep -q "ai_api_key 1" "$T/status.out" || fail "status does not count findings by pattern"
stop_agent
rc=0
"$CLI" status --state-file "$T/home/state.json" >"$T/status.out" || rc=$?
[[ $rc -eq 1 ]] && grep -q "agent: down (agent pid $AGENT_PID is not running)" "$T/status.out" ||
	fail "status after stop: exit $rc, $(cat "$T/status.out")"
no_raw_secrets
say "ok"
