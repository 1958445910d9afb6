#!/usr/bin/env bash
# IPC load benchmark (not a test; issue 9 §2): does a flood of IPC tasks cost
# capture anything?
#
#   bench/run-ipc-load.sh [BUILD_DIR]   (root; eBPF)
#
# The agent captures a Node fetch() client doing sequential 1 KB HTTPS POSTs
# to a local server (a steady event rate) with a full default log store
# (STORE_FILES x STORE_MIB, default 11 x 16 MiB) and IPC on, for SECONDS
# (default 10) twice:
#   quiet   no IPC tasks
#   flood   IPC_GROUPS (default 8) groups each drop IPC_TASKS (default 100) worst-case
#           findings tasks at once (bench/ipc_flood.mjs)
# and reports, per phase: capture events/s, ring-buffer records lost (the
# flood's minus the quiet run's is what IPC cost capture: the goal is 0),
# state.json's largest age seen (sampled every 100 ms), and IPC answers/s.
# Prints a table and writes bench/results/ipc-load.json. On a shared machine
# the absolute figures are noisy; the losses and the state age are the point.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cli=$build/user/clawsec-traffic
secs=${SECONDS_PER_RUN:-10}
groups=${IPC_GROUPS:-8} tasks=${IPC_TASKS:-100}
store_files=${STORE_FILES:-11} store_mib=${STORE_MIB:-16}
fixtures=tests/fixtures/node
[[ $(id -u) -eq 0 ]] || { echo "run-ipc-load: needs root (eBPF)"; exit 1; }
[[ -x $cli ]] || { echo "run-ipc-load: build first (scripts/build.sh $build)"; exit 1; }

work=$(mktemp -d /tmp/clawsec-bench-ipc.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
wait_file() { # FILE REGEX
	for ((i = 0; i < 400; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "run-ipc-load: no '$2' in $1" >&2
	cat "$1" >&2
	exit 1
}
json() { # FILE EXPR over `d`
	node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		console.log(eval(process.argv[2]))' "$1" "$2"
}

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
	-days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null
node "$fixtures/tls_server.js" --bench --cert "$work/cert.pem" --key "$work/key.pem" >"$work/server.out" &
pids+=($!)
wait_file "$work/server.out" listening
port=$(awk '/listening/ {print $2}' "$work/server.out")
export NODE_EXTRA_CA_CERTS="$work/cert.pem"
export NANOCLAW_TRAFFIC_GUARDIAN_HOME="$work/home"
mkdir -m 700 -p "$work/home"

# One real finding line, copied into a full store.
printf 'POST /v1 HTTP/1.1\r\nHost: paste.example.net\r\nContent-Length: 40\r\n\r\nkey=AKIAQWERTYUIOPASDFGH&x=1&y=2&zzzzzz\r\n' \
	>"$work/leak.http"
"$cli" scan --source nanoclaw-g0-1700000000000/node/1 "$work/leak.http" >"$work/line" 2>/dev/null

# phase NAME FLOOD(0|1) -> one JSON object on stdout
phase() {
	local name=$1 flood=$2 ev0 ev1 lost0 lost1 agent client flood_out=null
	rm -rf "$work/logs" "$work/ipc" "$work/home/state.json"
	echo "run-ipc-load: $name: filling a ${store_files} x ${store_mib} MiB log store" >&2
	python3 tests/e2e/fill_log_store.py "$work/line" "$work/logs" "$store_files" "$store_mib"
	mkdir -p "$work/ipc"
	printf '{"ipc_roots":["%s/*"],"ipc_poll_ms":200,"log_dir":"%s"}\n' "$work/ipc" "$work/logs" \
		>"$work/config.json"
	chmod 600 "$work/config.json"
	node "$fixtures/client.js" --url "https://localhost:$port/bench" --bench --size 1024 \
		--seconds "$((secs + 4))" --go "$work/$name.go" >"$work/$name.client" 2>&1 &
	client=$!
	pids+=($client)
	"$cli" agent --config "$work/config.json" --pid "$client" --state-file "$work/home/state.json" \
		2>"$work/$name.err" &
	agent=$!
	pids+=($agent)
	wait_file "$work/$name.err" "tls static_openssl|tls libssl"
	wait_file "$work/home/state.json" '"attached":true'
	touch "$work/$name.go"
	sleep 2 # steady state
	ev0=$(json "$work/home/state.json" d.capture.events)
	lost0=$(json "$work/home/state.json" d.capture.ringbuf_full)
	if ((flood)); then
		flood_out=$(node bench/ipc_flood.mjs "$work/ipc" "$work/home/state.json" "$groups" "$tasks" "$secs")
	else
		local max=0 age
		for ((i = 0; i < secs * 10; i++)); do
			sleep 0.1
			age=$(($(date +%s%3N) - $(stat -c %.3Y "$work/home/state.json" | tr -d .)))
			((age > max)) && max=$age
		done
		flood_out="{\"answered\":0,\"answers_per_sec\":0,\"state_max_age_ms\":$max}"
	fi
	ev1=$(json "$work/home/state.json" d.capture.events)
	lost1=$(json "$work/home/state.json" d.capture.ringbuf_full)
	kill -TERM "$agent"
	wait "$agent" || true
	wait "$client" || true
	printf '{"phase":"%s","events_per_sec":%s,"ringbuf_lost":%s,"flood":%s}\n' "$name" \
		"$(awk -v a="$ev0" -v b="$ev1" -v s="$secs" 'BEGIN {printf "%.0f", (b - a) / s}')" \
		"$((lost1 - lost0))" "$flood_out"
}

: >"$work/rows.jsonl"
phase quiet 0 >>"$work/rows.jsonl"
phase flood 1 >>"$work/rows.jsonl"

mkdir -p bench/results
node - "$work/rows.jsonl" "$secs" "$groups" "$tasks" "$store_files" "$store_mib" \
	"$(uname -r)" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'JS' >bench/results/ipc-load.json
const fs = require('fs');
const [file, secs, groups, tasks, files, mib, kernel, loadavg] = process.argv.slice(2);
const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(JSON.parse);
const quiet = rows.find((r) => r.phase === 'quiet'), flood = rows.find((r) => r.phase === 'flood');
console.log(JSON.stringify({ benchmark: 'ipc-load', seconds_per_phase: +secs, groups: +groups,
	tasks_per_group: +tasks, log_store_bytes: files * mib * 1048576, kernel,
	loadavg_at_end: loadavg, cpus: require('os').cpus().length, generated_at: new Date().toISOString(),
	events_lost_caused_by_ipc: Math.max(0, flood.ringbuf_lost - quiet.ringbuf_lost),
	results: rows }, null, 2));
JS
node -e '
const r = JSON.parse(require("fs").readFileSync("bench/results/ipc-load.json", "utf8"));
const pad = (s, n) => String(s).padEnd(n);
console.log(`IPC load: ${r.groups} groups x ${r.tasks_per_group} findings tasks, log store ${r.log_store_bytes >> 20} MiB, ${r.seconds_per_phase} s per phase (loaded shared machine: figures are noisy)`);
console.log(pad("phase", 8) + pad("events/s", 10) + pad("ringbuf lost", 14) + pad("state max age ms", 18) + pad("answered", 10) + "answers/s");
for (const x of r.results)
	console.log(pad(x.phase, 8) + pad(x.events_per_sec, 10) + pad(x.ringbuf_lost, 14) +
		pad(x.flood.state_max_age_ms, 18) + pad(x.flood.answered, 10) + x.flood.answers_per_sec);
console.log(`events lost caused by IPC: ${r.events_lost_caused_by_ipc}`);
'
