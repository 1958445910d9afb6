#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A stand-in for a container: a copied node binary under another root path,
# run in its own mount and pid namespaces (`unshare --fork --pid
# --mount-proc`). The agent finds it by a cmdline rule through /proc, probes
# the copied binary (another inode than the host's node) and captures it;
# findings name the process by its host pid.
source "$(dirname "$0")/agent_lib.sh"
setup
command -v unshare >/dev/null || need "unshare (util-linux) is not installed"
start_server
mkdir -p "$T/altroot/bin"
cp "$(readlink -f "$(command -v node)")" "$T/altroot/bin/node"

umask 077
printf '{"target_cmdline": ["^/[^ ]*/altroot/bin/node "]}\n' >"$T/config.json"
start_agent --config "$T/config.json"

unshare --fork --pid --mount-proc "$T/altroot/bin/node" "$FIXTURES/client.js" \
	--url "https://localhost:$PORT/v1/messages" --go "$T/ns.go" >"$T/ns.out" 2>&1 &
PIDS+=($!)
ns_parent=$!
wait_for 10 pgrep -P "$ns_parent" >/dev/null || fail "no process inside the namespace"
inner=$(pgrep -P "$ns_parent") || fail "the process inside the namespace is gone: $(cat "$T/ns.out")"
[[ $(readlink /proc/"$inner"/ns/pid) != $(readlink /proc/self/ns/pid) ]] || fail "not in its own pid namespace"
[[ $(readlink /proc/"$inner"/ns/mnt) != $(readlink /proc/self/ns/mnt) ]] || fail "not in its own mount namespace"

wait_for 10 target_attached "$inner" || fail "namespaced node $inner not found and attached"
[[ $(state "s.targets.find(t => t.pid === $inner).binary") == "$T/altroot/bin/node" ]] ||
	fail "probed binary is not the copy: $(state "JSON.stringify(s.targets)")"
go_and_wait ns "$ns_parent"
wait_for 10 findings_exactly "f.filter(x => x.source === 'node/$inner' && x.dest === 'localhost:$PORT').length" 3 ||
	fail "namespaced process not captured: $(findings 'JSON.stringify(f)')"
stop_agent
no_raw_secrets
say "ok"
