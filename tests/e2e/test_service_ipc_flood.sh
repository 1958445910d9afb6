#!/usr/bin/env bash
# Issue 9 §2: a flood of findings tasks against a full log store must not
# stall the service. Tasks are answered on their own thread, each reads a
# bounded part of the log, groups take turns: state.json stays fresh while
# four groups queue 200 expensive queries, and a stop does not wait for them.
set -euo pipefail
source "$(dirname "$0")/service_lib.sh"

ipc=$work/ipc logs=$work/logs
mkdir -p "$ipc"
# One real finding line, copied into 4 files of 16 MiB (a third of a full default store).
printf 'POST /v1 HTTP/1.1\r\nHost: paste.example.net\r\nContent-Length: 40\r\n\r\nkey=AKIAQWERTYUIOPASDFGH&x=1&y=2&zzzzzz\r\n' \
	>"$work/leak.http"
"$CS_CLI" scan --source nanoclaw-g0-1700000000000/node/1 "$work/leak.http" >"$work/line" 2>/dev/null
python3 "$CS_SOURCE_DIR/tests/e2e/fill_log_store.py" "$work/line" "$logs" 4 16

write_config '{"ipc_roots":["'$ipc'/*"],"ipc_poll_ms":200,"log_dir":"'$logs'"}'
start_serve
# Findings of a family that is nowhere in the log: every task reads its whole byte budget.
for g in 0 1 2 3; do
	for i in $(seq 1 50); do
		task "$ipc/g$g" "q$g-$i" clawsec_traffic_findings '{"pattern":"reverse_shell","limit":500}'
	done
done
max_age=0
for _ in $(seq 1 40); do
	sleep 0.2
	age=$(echo "$(date +%s.%N) - $(stat -c %.3Y "$work/home/state.json")" | bc)
	max_age=$(echo "if ($age > $max_age) $age else $max_age" | bc)
done
answered=$(grep -o '"answered_ok":[0-9]*' "$work/home/state.json" | cut -d: -f2)
echo "state.json max age over 8 s of flood: ${max_age} s; answered so far: $answered of 200"
(($(echo "$max_age < 2.5" | bc))) || fail "state.json went stale for ${max_age} s under the flood"
((answered > 0)) || fail "no task answered in 8 s"
# A reply the flood did produce: a well-formed, truncated (byte-bounded) answer.
for g in 0 1 2 3; do
	[[ -f $ipc/g$g/clawsec_results/q$g-1.json ]] || fail "group g$g got no answer: groups do not take turns"
done
grep -q '"truncated":true' "$ipc/g0/clawsec_results/q0-1.json" || fail "a bounded read must say truncated"
t0=$(date +%s%N)
stop_serve TERM
stop_ms=$((($(date +%s%N) - t0) / 1000000))
echo "stopped in ${stop_ms} ms"
((stop_ms < 5000)) || fail "stopping waited ${stop_ms} ms for queued tasks"
echo "service ipc flood: ok"
