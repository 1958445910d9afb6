#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Processes come and go: a child spawned by a target after attach is
# followed; a process matched by a cmdline rule that exits and starts again
# is attached again without restarting the agent; two processes running one
# binary share one set of uprobes.
source "$(dirname "$0")/agent_lib.sh"
setup
start_server
url="https://localhost:$PORT/v1/messages"

# The cmdline rule names a marker only this test's clients carry; every
# finding is reported (no deduplication) so each process's own can be seen.
# No host pre-attachment: the host's node would stay probed for the agent's
# lifetime, and that probes go with their last process is checked below.
marker="cs-follow-$$"
umask 077
printf '{"target_cmdline": ["client\\\\.js .*--tag %s"], "dedup_window_ms": 0, "capture": {"prewarm_host": false}}\n' \
	"$marker" >"$T/config.json"

start_client parent "$url" --child --tag "$marker"
parent=$CLIENT_PID
start_agent --config "$T/config.json"
wait_for 10 target_attached "$parent" || fail "cmdline rule did not attach $parent"
links_one=$(agent_links | wc -l)

# 1. child spawned after attach: its findings carry its own pid.
go_and_wait parent "$parent"
wait_for 10 findings_at_least "f.filter(x => x.source.startsWith('node/') && x.source !== 'node/$parent').length" 3 ||
	fail "child's traffic not captured: $(findings 'JSON.stringify(f)')"

# 1b. a child that execs another node binary (a copy: another inode) gets that
#     binary probed while it runs; all probes go once their processes exit.
mkdir -p "$T/other/bin"
cp "$(readlink -f "$(command -v node)")" "$T/other/bin/node"
# (--start-delay: a binary never seen before is probed only once its exec is
# handled; the first calls of a process racing that are not what this checks)
start_client parent2 "$url" --child --child-node "$T/other/bin/node" --tag "$marker" --linger 3000 \
	--start-delay 1000
parent2=$CLIENT_PID
wait_for 10 target_attached "$parent2" || fail "second parent not attached"
touch "$T/parent2.go"
wait_for 10 state_is "s.targets.some(t => t.binary === '$T/other/bin/node' && t.attached)" true ||
	fail "the child's other binary is not probed: $(state 'JSON.stringify(s.targets)')"
wait_for 10 findings_at_least "f.filter(x => x.source.startsWith('node/') &&
	![...f.slice(0, 3).map(y => y.source), 'node/$parent', 'node/$parent2'].includes(x.source)).length" 3 ||
	fail "child exec'ing another node binary not captured: $(findings 'JSON.stringify(f.map(x => x.source))')"
[[ $(agent_links | wc -l) -gt $links_one ]] || fail "no uprobes for the other binary"
wait_for 15 bash -c "! kill -0 $parent2 2>/dev/null" || fail "second parent did not finish"
# Every process of either binary is gone now: no uprobe is left behind.
no_uprobes() { [[ $(agent_uprobe_links) -eq 0 ]]; }
wait_for 10 no_uprobes || fail "uprobes outlived their last process: $(agent_uprobe_links) left"

# 2. a second matching process while the first is alive shares the binary's probes.
start_client first "$url" --tag "$marker" --linger 3000
first=$CLIENT_PID
start_client second "$url" --tag "$marker"
second=$CLIENT_PID
wait_for 10 target_attached "$first" || fail "first not attached"
wait_for 10 target_attached "$second" || fail "second not attached"
[[ $(agent_links | wc -l) -eq $links_one ]] || fail "two processes of one binary added uprobes"

# 3. the first exits; a restarted one (same rule) is attached again and seen.
go_and_wait first "$first"
wait_for 10 state_is "s.targets.some(t => t.pid === $first)" false ||
	fail "exited target still listed"
start_client restarted "$url" --tag "$marker" --linger 500
restarted=$CLIENT_PID
wait_for 10 target_attached "$restarted" || fail "restarted process not attached"
go_and_wait second "$second"
go_and_wait restarted "$restarted"
for p in $first $second $restarted; do
	wait_for 10 findings_exactly "f.filter(x => x.source === 'node/$p').length" 3 ||
		fail "node/$p not captured: $(findings 'JSON.stringify(f.map(x => x.source))')"
done
stop_agent
no_raw_secrets
say "ok"
