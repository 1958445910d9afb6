#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The capture thread yields the CPU (user/agent/cpu_yield.h): in the idle
# class while it keeps up, raised back to the normal class when a saturated
# machine starves it, so that nothing is lost or left unread — every byte of
# twenty 64 KiB requests captured and their findings reported while normal-
# priority busy loops hold every CPU — then idle again once the load is gone;
# `capture.yield_cpu: false` (applied by SIGHUP) keeps it in the normal class.
source "$(dirname "$0")/agent_lib.sh"
setup

# The scheduling policy of the agent's capture thread (its main thread):
# /proc/PID/stat field 41; 5 is SCHED_IDLE, 0 SCHED_OTHER.
policy() { awk '{sub(/.*\) /, ""); print $39}' /proc/"$AGENT_PID"/stat; }
policy_is() { [[ $(policy) == "$1" ]]; }

spinners=()
spin() {
	local i
	for i in $(seq $((2 * $(nproc)))); do
		bash -c 'while :; do :; done' &
		spinners+=($!)
		PIDS+=($!)
	done
}
unspin() {
	kill "${spinners[@]}"
	wait "${spinners[@]}" 2>/dev/null || true
}

echo '{"capture": {"yield_cpu": true}}' >"$T/config.json"
start_server
start_client load "https://localhost:$PORT/v1/messages" --count 20
client=$CLIENT_PID
start_agent --pid "$client" --config "$T/config.json"
wait_for 10 target_attached "$client" || fail "target not attached"
wait_for 10 policy_is 5 || fail "capture thread not in the idle class: policy $(policy)"
wait_for 5 state_is s.capture.yield_cpu.enabled true || fail "state.json: yield_cpu not enabled"

spin
go_and_wait load "$client"
wait_for 20 state_at_least s.capture.bytes $((20 * 65536)) ||
	fail "not every request captured under load: $(state s.capture.bytes) bytes"
wait_for 20 findings_at_least "f.filter(x => x.pattern === 'ai_api_key').length" 1 ||
	fail "no finding while the machine was saturated: $(findings 'JSON.stringify(f)')"
wait_for 10 state_at_least "s.capture.yield_cpu.raised_because.starved + s.capture.yield_cpu.raised_because.backlog" 1 ||
	fail "the starved capture thread was never raised: $(state 'JSON.stringify(s.capture.yield_cpu)')"
unspin
[[ $(state s.capture.ringbuf_full) -eq 0 && $(state s.capture.bytes_lost) -eq 0 ]] ||
	fail "records lost: $(state 'JSON.stringify(s.capture)')"
for want in private_key_pem pipe_to_shell; do
	findings_at_least "f.filter(x => x.pattern === '$want').length" 1 || fail "no $want finding"
done
wait_for 10 policy_is 5 || fail "not back in the idle class once the load ended: policy $(policy)"

"$CLI" status --state-file "$T/home/state.json" >"$T/status.out" || fail "status: agent down"
grep -Eq "^cpu: capture thread yields .*raised to normal [1-9]" "$T/status.out" ||
	fail "status does not show the raises: $(cat "$T/status.out")"

echo '{"capture": {"yield_cpu": false}}' >"$T/config.json"
kill -HUP "$AGENT_PID"
wait_for 10 grep -q "config reloaded" "$T/agent.err" || fail "reload not applied"
wait_for 5 policy_is 0 || fail "yield_cpu false: capture thread still in class $(policy)"
wait_for 5 state_is s.capture.yield_cpu.enabled false || fail "state.json: yield_cpu still enabled"
"$CLI" status --state-file "$T/home/state.json" >"$T/status.out" || fail "status: agent down"
grep -q "^cpu: capture thread in the normal class" "$T/status.out" ||
	fail "status does not show yield_cpu off: $(cat "$T/status.out")"
stop_agent
no_raw_secrets
say "ok ($(state 'JSON.stringify(s.capture.yield_cpu)'))"
