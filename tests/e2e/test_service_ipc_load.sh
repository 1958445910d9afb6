#!/usr/bin/env bash
# 1,000 tasks written at once into 5 groups while serve runs: every one is
# answered exactly once, in its own group, nothing quarantined or lost; the
# service's own counters agree.
set -euo pipefail
source "$(dirname "$0")/service_lib.sh"

ipc=$work/ipc
mkdir -p "$ipc"
write_config '{"ipc_roots":["'$ipc'/*"],"ipc_poll_ms":200}'
start_serve
node "$CS_SOURCE_DIR/tests/e2e/service_load.mjs" "$ipc" 5 200 120000 >"$work/load.json" ||
	fail "load run failed"
cat "$work/load.json"
sleep 1.2 # one more state.json write
state=$work/home/state.json
grep -q '"tasks":1000,' "$state" || fail "service counted $(grep -o '"tasks":[0-9]*' "$state")"
grep -q '"answered_ok":1000,' "$state" || fail "answered_ok: $(grep -o '"answered_ok":[0-9]*' "$state")"
grep -q '"quarantined":0,' "$state" || fail "tasks were quarantined"
grep -q '"duplicates":0,' "$state" || fail "duplicates counted"
[[ -z $(ls -A "$work/home/quarantine") ]] || fail "quarantine not empty"
stop_serve TERM
echo "service ipc load: ok"
