#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bun as a container runs it: a copy of the Bun binary (another inode, never
# scanned before) under another root path, in its own mount and pid
# namespaces (`unshare --fork --pid --mount-proc`). The agent finds it by a
# cmdline rule through /proc, proves BoringSSL's AEAD functions in the copy
# (through /proc/PID/exe), attaches and captures it; findings name the
# process by its host pid and the origin by the request's Host.
source "$(dirname "$0")/agent_lib.sh"
source "$(dirname "$0")/bun_lib.sh"
bun_setup
command -v unshare >/dev/null || need "unshare (util-linux) is not installed"
start_origin origin
port=$ORIGIN_PORT
mkdir -p "$T/altroot/bin"
cp "$BUN14" "$T/altroot/bin/bun"

start_agent --config "$T/config.json"
unshare --fork --pid --mount-proc "$T/altroot/bin/bun" "$FIXTURES/bun_client.js" \
	--job "fetch:https://localhost:$port/v1/messages" --go "$T/ns.go" --tag "$MARKER" >"$T/ns.out" 2>&1 &
ns_parent=$!
PIDS+=($ns_parent)
wait_for 10 pgrep -P "$ns_parent" >/dev/null || fail "no process inside the namespace"
inner=$(pgrep -P "$ns_parent") || fail "the process inside the namespace is gone: $(cat "$T/ns.out")"
[[ $(readlink /proc/"$inner"/ns/pid) != $(readlink /proc/self/ns/pid) ]] || fail "not in its own pid namespace"
[[ $(readlink /proc/"$inner"/ns/mnt) != $(readlink /proc/self/ns/mnt) ]] || fail "not in its own mount namespace"

wait_for 20 target_attached "$inner" || fail "namespaced bun $inner not found and attached: $(state 'JSON.stringify(s.targets)')"
[[ $(state "s.targets.find(t => t.pid === $inner).tls_path") == boringssl_aead ]] ||
	fail "the copy is not classified boringssl_aead: $(state 'JSON.stringify(s.targets)')"
touch "$T/ns.go"
wait_for 30 bash -c "! kill -0 $ns_parent 2>/dev/null" || fail "namespaced client did not finish"
grep -q "^fetch 200 " "$T/ns.out" || fail "namespaced client: $(cat "$T/ns.out")"
for p in ai_api_key:outbound private_key_pem:outbound pipe_to_shell:inbound; do
	wait_for 10 findings_exactly "f.filter(x => x.source === 'bun/$inner' && x.pattern === '${p%%:*}' &&
		x.direction === '${p##*:}' && x.dest === 'localhost:$port').length" 1 ||
		fail "namespaced bun: no ${p##*:} ${p%%:*}: $(findings 'JSON.stringify(f.map(x => [x.source, x.pattern, x.dest]))')"
done
stop_agent
no_raw_secrets
say "ok"
