#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# WebSocket over plain TCP, captured from the socket syscalls: Node 22's
# built-in WebSocket client sends a fake key in a (masked) text frame, the
# server answers with a pipe-to-shell command in a permessage-deflate
# compressed frame. Both are found after the 101 exchange, redacted.
source "$(dirname "$0")/agent_lib.sh"
setup
node22=$CS_SOURCE_DIR/tests/fixtures/node/node_modules/node22/bin/node
[[ -x $node22 ]] || fail "node22 is missing: run scripts/setup.sh"
node "$FIXTURES/ws_peer.js" --server >"$T/server.out" 2>&1 &
PIDS+=($!)
wait_for 10 grep -qs listening "$T/server.out" || fail "server did not start"
PORT=$(awk '/listening/ {print $2}' "$T/server.out")
"$node22" "$FIXTURES/ws_peer.js" --client "ws://127.0.0.1:$PORT/chat" --go "$T/ws.go" >"$T/ws.out" 2>&1 &
client=$!
PIDS+=($client)
start_agent --pid "$client"
wait_for 10 target_attached "$client" || fail "target not attached"
go_and_wait ws "$client"
wait_for 10 findings_at_least f.length 2 || fail "expected 2 findings, got $(findings 'JSON.stringify(f)')"
for p in ai_api_key:outbound pipe_to_shell:inbound; do
	[[ $(findings "f.filter(x => x.pattern === '${p%%:*}' && x.direction === '${p##*:}' &&
		x.dest === '127.0.0.1:$PORT' && x.source === 'node/$client').length") -eq 1 ]] ||
		fail "no ${p##*:} ${p%%:*} over WebSocket: $(findings 'JSON.stringify(f)')"
done
stop_agent
no_raw_secrets
say "ok"
