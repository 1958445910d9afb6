#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The agent's command line and life cycle: bad options are usage errors (2);
# without root it refuses with a one-line reason; SIGHUP with a broken config
# keeps the running one and says why; SIGHUP with a good one applies it
# (new cmdline rule: the new process is attached, the old one dropped).
source "$(dirname "$0")/agent_lib.sh"
setup

rc=0; "$CLI" agent --bogus 2>/dev/null || rc=$?
[[ $rc -eq 2 ]] || fail "unknown option: exit $rc, want 2"
rc=0; "$CLI" agent --pid nope 2>/dev/null || rc=$?
[[ $rc -eq 2 ]] || fail "bad --pid: exit $rc, want 2"

if command -v setpriv >/dev/null; then
	rc=0
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$CLI" agent --log-dir "$T/logs" 2>"$T/nonroot.err" || rc=$?
	[[ $rc -eq 1 ]] || fail "unprivileged agent: exit $rc, want 1"
	[[ $(wc -l <"$T/nonroot.err") -eq 1 ]] && grep -q "needs root" "$T/nonroot.err" ||
		fail "unprivileged agent did not say why in one line: $(cat "$T/nonroot.err")"
fi

start_server
url="https://localhost:$PORT/v1/messages"
umask 077
rule() { printf '{"target_cmdline": ["client\\\\.js .*--tag %s"]}\n' "$1" >"$T/config.json"; }
rule "cs-reload-a-$$"
start_client a "$url" --tag "cs-reload-a-$$"
a=$CLIENT_PID
start_client b "$url" --tag "cs-reload-b-$$"
b=$CLIENT_PID
start_agent --config "$T/config.json"
wait_for 10 target_attached "$a" || fail "rule A did not attach $a"

echo '{"mode": "block", "target_cmdline": ["("]}' >"$T/config.json"
kill -HUP "$AGENT_PID"
wait_for 10 grep -q "reload refused" "$T/agent.err" || fail "bad reload not reported"
grep -q 'config \$.mode' "$T/agent.err" || fail "bad reload does not name the problem"
kill -0 "$AGENT_PID" || fail "agent died on a bad reload"
sleep 2.5 # a rescan with the kept rules
target_attached "$a" || fail "kept config lost target $a"

rule "cs-reload-b-$$"
kill -HUP "$AGENT_PID"
wait_for 10 grep -q "config reloaded" "$T/agent.err" || fail "good reload not applied"
wait_for 10 target_attached "$b" || fail "new rule did not attach $b"
wait_for 10 state_is "s.targets.some(t => t.pid === $a)" false || fail "old target kept after reload"
stop_agent
say "ok"
