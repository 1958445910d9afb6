#!/usr/bin/env bash
# `clawsec-traffic serve` lifecycle: start, answer, reload (bad config kept
# out, good one taken), second instance refused, SIGTERM clean, stale pid
# file taken over, IPC root missing then appearing, an unwritable result
# directory in one group not stalling the others, and a task claimed by a
# run that died answered after the restart.
set -euo pipefail
source "$(dirname "$0")/service_lib.sh"

ipc=$work/ipc
good='{"ipc_roots":["'$ipc'/*"],"ipc_poll_ms":100}'
write_config "$good"

# 1. IPC root missing at start: serve runs anyway.
start_serve
pid_file=$work/home/clawsec-traffic.pid
[[ $(cat "$pid_file") == "$serve_pid" ]] || fail "pid file does not hold the serve pid"
grep -q "\"pid\":$serve_pid" "$work/home/state.json" || fail "state.json has another pid"

# 2. A second instance is refused while the first runs.
status=0
"$CS_CLI" serve --config "$work/config.json" 2>"$work/second.err" || status=$?
[[ $status -eq 1 ]] || fail "second instance exited $status, expected 1"
grep -q "another instance (pid $serve_pid)" "$work/second.err" || fail "second instance message"

# 3. The root appears later: found by the next rescan and answered.
mkdir -p "$ipc/main" "$ipc/other"
task "$ipc/main" t1 clawsec_traffic_status
result "$ipc/main" t1 | grep -q '"ok":true' || fail "t1 not answered ok"
[[ $(stat -c %a "$ipc/main/clawsec_results/t1.json") == 644 ]] || fail "answer is not 0644"

# 4. SIGHUP with a bad config: refused, the old one keeps working.
write_config '{"ipc_roots":["'$ipc'/*"],"mode":"block"}'
kill -HUP "$serve_pid"
for _ in $(seq 50); do grep -q "reload refused" "$work/serve.log" && break; sleep 0.1; done
grep -q 'config $.mode: .*blocking does not exist' "$work/serve.log" || fail "bad reload not explained"
task "$ipc/main" t2 clawsec_traffic_status
result "$ipc/main" t2 | grep -q '"ok":true' || fail "t2 not answered after a refused reload"

# 5. SIGHUP with a good config: taken, and check_config reports the new file.
write_config '{"ipc_roots":["'$ipc'/*"],"ipc_poll_ms":150}'
kill -HUP "$serve_pid"
for _ in $(seq 50); do grep -q "configuration reloaded" "$work/serve.log" && break; sleep 0.1; done
grep -q "configuration reloaded" "$work/serve.log" || fail "good reload not taken"
task "$ipc/main" t3 clawsec_traffic_check_config
result "$ipc/main" t3 | grep -q '"valid":true' || fail "check_config after reload"

# 6. One group's result directory is unusable: that task fails, the other group is served.
printf 'not a directory' >"$ipc/other/clawsec_results"
task "$ipc/other" t4 clawsec_traffic_status
task "$ipc/main" t5 clawsec_traffic_status
result "$ipc/main" t5 | grep -q '"ok":true' || fail "main not served next to a broken group"
for _ in $(seq 50); do grep -q '"answer_failures":1' "$work/home/state.json" && break; sleep 0.1; done
grep -q '"answer_failures":1' "$work/home/state.json" || fail "answer failure not counted"
kill -0 "$serve_pid" || fail "serve died"

# 7. SIGTERM: clean exit, pid file removed.
stop_serve TERM
[[ ! -e $pid_file ]] || fail "pid file left after SIGTERM"

# 8. A stale pid file (dead pid, no lock holder) is taken over.
sleep 0.01 & dead=$!
wait $dead
echo "$dead" >"$pid_file"
start_serve
grep -q "took over the stale pid file of pid $dead" "$work/serve.log" || fail "stale pid not reported"
[[ $(cat "$pid_file") == "$serve_pid" ]] || fail "stale pid file not rewritten"

# 9. A crash right after claiming a task: the next run answers it.
stop_serve KILL 137
proc=$(echo "$work"/home/ipc/main-*/processing)
[[ -d $proc ]] || fail "no processing directory for main"
printf '{"type":"clawsec_traffic_status","requestId":"r1","groupFolder":"main","timestamp":"%s"}' \
	"$(now_ts)" >"$proc/1-r1.json"
start_serve
result "$ipc/main" r1 | grep -q '"ok":true' || fail "claimed task lost across a crash"
[[ -z $(ls -A "$proc") ]] || fail "processing directory not emptied"
grep -q '"recovered":1' "$work/home/state.json" || sleep 1.2
grep -q '"recovered":1' "$work/home/state.json" || fail "recovery not counted"
stop_serve TERM
echo "service lifecycle: ok"
