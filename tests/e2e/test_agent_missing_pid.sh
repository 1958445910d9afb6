#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A --pid that does not exist is reported by number instead of leaving the
# agent running quietly with no target: alone it is a usage error (exit 2,
# nothing started); beside a live pid it is reported and the agent runs.
source "$(dirname "$0")/agent_lib.sh"
setup
missing=$(($(cat /proc/sys/kernel/pid_max) + 1)) # above pid_max: never a process

rc=0
timeout 30 "$CLI" agent --log-dir "$T/logs" --state-file "$T/home/state.json" \
	--pid "$missing" 2>"$T/alone.err" || rc=$?
[[ $rc -eq 2 ]] || fail "exit $rc with only a missing --pid (want 2): $(cat "$T/alone.err")"
grep -qx "clawsec-traffic agent: pid $missing not found" "$T/alone.err" ||
	fail "missing pid not named: $(cat "$T/alone.err")"
[[ ! -e $T/home/state.json ]] || fail "the agent started anyway"

sleep 300 &
live=$!
PIDS+=($live)
start_agent --pid "$missing" --pid "$live"
grep -qx "clawsec-traffic agent: pid $missing not found" "$T/agent.err" ||
	fail "missing pid not named beside a live one"
wait_for 10 bash -c "grep -q '\"pid\":$live,' '$T/home/state.json'" || fail "live pid not a target"
kill -0 "$AGENT_PID" || fail "agent exited with one live --pid"
kill -TERM "$AGENT_PID"
rc=0
wait "$AGENT_PID" || rc=$?
[[ $rc -eq 0 ]] || fail "agent exited with $rc after SIGTERM"
say "ok"
