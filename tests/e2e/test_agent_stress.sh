#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A ring buffer forced too small for the 16 KiB data records: every drop is
# counted (ringbuf_full, bytes_lost) in state.json and `status`, and the
# agent keeps going: it stays up and still reports what fits (the small
# SSE reply carrying the pipe-to-shell).
source "$(dirname "$0")/agent_lib.sh"
setup
start_server
start_client burst "https://localhost:$PORT/v1/messages" --count 5
client=$CLIENT_PID
start_agent --pid "$client" --ringbuf-bytes 16384
wait_for 10 target_attached "$client" || fail "target not attached"
go_and_wait burst "$client"
wait_for 10 state_at_least s.capture.ringbuf_full 1 || fail "no ring-buffer drops counted"
[[ $(state s.capture.bytes_lost) -gt 0 ]] || fail "lost bytes not counted"
kill -0 "$AGENT_PID" || fail "agent died"
wait_for 10 findings_exactly "f.filter(x => x.pattern === 'pipe_to_shell').length" 1 ||
	fail "agent stopped reporting after drops: $(findings 'JSON.stringify(f)')"
"$CLI" status --state-file "$T/home/state.json" >"$T/status.out" || fail "status: agent down"
grep -Eq "ringbuf_full [1-9]" "$T/status.out" || fail "status hides the drops: $(cat "$T/status.out")"
stop_agent
no_raw_secrets
say "ok ($(state s.capture.ringbuf_full) records dropped)"
