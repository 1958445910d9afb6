#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Plain HTTP over a TCP socket (no TLS) is captured from the socket syscalls:
# the same secrets and the injection are found with protocol http and the
# peer's ip:port as dest.
source "$(dirname "$0")/agent_lib.sh"
setup
start_server --http
start_client plain "http://127.0.0.1:$PORT/v1/messages"
client=$CLIENT_PID
start_agent --pid "$client"
wait_for 10 target_attached "$client" || fail "target not attached"
go_and_wait plain "$client"
wait_for 10 findings_at_least f.length 3 || fail "expected 3 findings, got $(findings 'JSON.stringify(f)')"
for p in ai_api_key:outbound private_key_pem:outbound pipe_to_shell:inbound; do
	[[ $(findings "f.filter(x => x.pattern === '${p%%:*}' && x.direction === '${p##*:}' &&
		x.protocol === 'http' && x.dest === '127.0.0.1:$PORT' &&
		x.source === 'node/$client').length") -eq 1 ]] ||
		fail "no ${p##*:} ${p%%:*} over http: $(findings 'JSON.stringify(f)')"
done
stop_agent
no_raw_secrets
say "ok"
