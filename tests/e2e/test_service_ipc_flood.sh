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
# Findings of a family that is nowhere in the log: every task reads its whole
# byte budget. Written the way the MCP server does (.tmp, then rename).
python3 - "$ipc" "$(now_ts)" <<'PY'
import os, sys
root, ts = sys.argv[1], sys.argv[2]
for i in range(1, 51):
    for g in range(4):
        d = os.path.join(root, f'g{g}', 'clawsec_tasks')
        os.makedirs(d, exist_ok=True)
        name = os.path.join(d, f'1700000000000-q{g}-{i}.json')
        with open(name + '.tmp', 'w') as f:
            f.write('{"type":"clawsec_traffic_findings","requestId":"q%d-%d","groupFolder":"g%d",'
                    '"timestamp":"%s","timeout_ms":600000,'
                    '"args":{"pattern":"reverse_shell","limit":500}}' % (g, i, g, ts))
        os.rename(name + '.tmp', name)
PY
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
# Every group is answered (in whatever order each directory lists its tasks).
for g in 0 1 2 3; do
	for _ in $(seq 1 300); do
		compgen -G "$ipc/g$g/clawsec_results/q*.json" >/dev/null && break
		sleep 0.1
	done
	first=$(compgen -G "$ipc/g$g/clawsec_results/q*.json" | head -n 1) ||
		fail "group g$g got no answer in 30 s more"
	grep -q '"truncated":true' "$first" || fail "a bounded read must say truncated: $(cat "$first")"
done
t0=$(date +%s%N)
stop_serve TERM
stop_ms=$((($(date +%s%N) - t0) / 1000000))
echo "stopped in ${stop_ms} ms"
((stop_ms < 5000)) || fail "stopping waited ${stop_ms} ms for queued tasks"
echo "service ipc flood: ok"
