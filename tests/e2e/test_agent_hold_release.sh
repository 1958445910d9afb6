#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The hold at exec never leaves a process stopped. The agent is frozen
# (SIGSTOP) so that a target's exec of a new executable stays held, then:
# (1) someone else stops the held process (kill -STOP): the agent does not
#     resume it (its stopper does), and says so in state.json;
# (2) the agent gets SIGTERM during the hold: it resumes it before it exits;
# (3) the agent is SIGKILLed: the kernel side resumes the held process when
#     the agent's last thread exits (bpf/hold.bpf.h).
source "$(dirname "$0")/agent_lib.sh"
setup
mkfifo "$T/fifo"
echo hello >"$T/in"
for n in 1 2 3; do cp "$(command -v cat)" "$T/mycat$n"; done

# The target runs mycatN each time a line N comes through the fifo.
sh -c 'exec 3<>"$1/fifo"
	while read -r n <&3; do "$1/mycat$n" "$1/in" >"$1/out$n"; done' sh "$T" &
shell=$!
PIDS+=($shell)

proc_state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo gone; }
stopped() { [[ $(proc_state "$1") == T ]]; }

# held N: with the agent frozen, let the target exec mycatN; sets CHILD.
held() {
	kill -STOP "$AGENT_PID"
	echo "$1" >"$T/fifo"
	wait_for 5 pgrep -P "$shell" -x "mycat$1" >/dev/null || fail "mycat$1 did not start"
	CHILD=$(pgrep -P "$shell" -x "mycat$1")
	wait_for 5 stopped "$CHILD" || fail "mycat$1 was not held (state $(proc_state "$CHILD"))"
	sleep 0.5
	stopped "$CHILD" || fail "mycat$1 did not stay held (state $(proc_state "$CHILD"))"
	[[ ! -s $T/out$1 ]] || fail "mycat$1 ran while held"
}

# done_ok N: mycatN ran to its end.
done_ok() {
	wait_for 10 grep -qs hello "$T/out$1" || fail "mycat$1 never ran (state $(proc_state "$CHILD"))"
	wait_for 5 bash -c "! kill -0 $CHILD 2>/dev/null" || fail "mycat$1 did not exit"
}

fresh_agent() {
	rm -f "$T/home/state.json"
	start_agent --pid "$shell"
	wait_for 10 target_attached "$shell" || fail "the shell was not attached"
}

# (1) stopped by someone else while held: theirs to resume, not ours.
fresh_agent
held 1
kill -STOP "$CHILD"
kill -CONT "$AGENT_PID"
wait_for 10 state_at_least "s.capture.hold_exec.left_to_other_stopper" 1 ||
	fail "the other stop was not respected: $(state 'JSON.stringify(s.capture.hold_exec)')"
sleep 0.3
stopped "$CHILD" || fail "the agent resumed a process someone else stopped"
kill -CONT "$CHILD"
done_ok 1
say "stopped by another while held: left to it"

# (2) SIGTERM during the hold: resumed before the agent exits, exit status 0.
held 2
kill -TERM "$AGENT_PID"
kill -CONT "$AGENT_PID"
rc=0
wait "$AGENT_PID" || rc=$?
[[ $rc -eq 0 ]] || fail "agent exited with $rc after SIGTERM"
done_ok 2
[[ $(state 's.capture.hold_exec.released + s.capture.hold_exec.released_at_exit') -ge 1 ]] ||
	fail "the hold was not counted: $(state 'JSON.stringify(s.capture.hold_exec)')"
say "SIGTERM during a hold: resumed, $(state 'JSON.stringify(s.capture.hold_exec)')"

# (3) SIGKILL: only the kernel can resume it.
fresh_agent
held 3
kill -KILL "$AGENT_PID"
done_ok 3
wait "$AGENT_PID" || true
say "ok: the SIGKILLed agent's held process was resumed by the kernel"
