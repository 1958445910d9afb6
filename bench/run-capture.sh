#!/usr/bin/env bash
# Capture benchmark (not a test): what watching a Node or Bun process costs it.
#
#   bench/run-capture.sh [BUILD_DIR]   (root; bpftrace from scripts/setup.sh --bench)
#
# A Node fetch() client (tests/fixtures/node/client.js --bench) does as many
# sequential HTTPS POSTs as it can for SECONDS_PER_RUN (default 5) against a
# local Node server, with 1 KB and with 64 KB bodies, three ways in one run,
# interleaved and repeated REPS times (default 3; medians reported, since a
# shared 2-core machine is noisy), after one warm-up run:
#   none      nothing attached (the baseline)
#   agent     clawsec-traffic agent --pid CLIENT, default config
#   bpftrace  Debian's bpftrace with the equivalent one-liner: a uprobe on
#             the client's SSL_write copying the plaintext out (str(), capped
#             at bpftrace's 200-byte maximum, so it does less work than we do)
# The same client also runs in Bun 1.4 (tests/fixtures/node/node_modules/bun14: its
# fetch() goes through BoringSSL's AEAD seal/open, the boringssl_aead path), none and
# agent only (bpftrace has no SSL_write to hook there); CLIENTS="node" leaves it out.
# For each: requests/s and the ratio to none, and the client's own CPU per
# request (steadier than req/s when the machine is shared); for the watchers: events/s
# (agent: ring-buffer records; bpftrace: SSL_write hits), lost events (agent:
# ring buffer full; bpftrace: its "Lost N events"), the watcher's CPU (% of
# one core over the run) and peak RSS. Prints a table and writes
# bench/results/capture.json.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cli=$build/user/clawsec-traffic
secs=${SECONDS_PER_RUN:-5}
reps=${REPS:-3}
fixtures=tests/fixtures/node
[[ $(id -u) -eq 0 ]] || { echo "run-capture: needs root (eBPF)"; exit 1; }
[[ -x $cli ]] || { echo "run-capture: build first (scripts/build.sh $build)"; exit 1; }
for tool in node openssl; do
	command -v "$tool" >/dev/null || { echo "run-capture: $tool missing (scripts/setup.sh)"; exit 1; }
done
have_bpftrace=1
command -v bpftrace >/dev/null || {
	have_bpftrace=0
	echo "run-capture: bpftrace missing (scripts/setup.sh --bench): its column is left out"
}

work=$(mktemp -d /tmp/clawsec-bench-capture.XXXXXX)
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
	echo "run-capture: no '$2' in $1" >&2
	cat "$1" >&2
	exit 1
}
# SIGINT makes bpftrace print its maps and exit; one sent while it is busy
# can go unheeded, so ask again every second, and give up after five.
stop_bpftrace() {
	local i
	for ((i = 0; i < 50; i++)); do
		((i % 10 == 0)) && kill -INT "$1" 2>/dev/null
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
peak_rss_mb() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
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

bun=$fixtures/node_modules/bun14/bin/bun
clients=${CLIENTS:-node bun}
[[ " $clients " == *" bun "* && ! -x $bun ]] && { echo "run-capture: $bun missing (scripts/setup.sh)"; exit 1; }

# run SIZE MODE REP CLIENT -> one JSON object on stdout
run() {
	local size=$1 mode=$2 client_kind=$4 tag="$4-$1-$2-$3" watcher="" t0=0 t1 ev0=0 ev1=0 lost=0 cpu rss events
	local exe=node
	[[ $client_kind == bun ]] && exe=$bun
	"$exe" "$fixtures/client.js" --url "https://localhost:$port/bench" --bench --size "$size" \
		--seconds "$secs" --go "$work/$tag.go" >"$work/$tag.out" 2>&1 &
	local client=$!
	pids+=($client)
	case $mode in
	agent)
		rm -rf "$work/logs" "$work/home/state.json"
		"$cli" agent --pid "$client" --log-dir "$work/logs" --state-file "$work/home/state.json" \
			2>"$work/$tag.err" &
		watcher=$!
		wait_file "$work/$tag.err" "tls static_openssl|tls libssl|tls boringssl_aead"
		wait_file "$work/home/state.json" '"attached":true'
		ev0=$(json "$work/home/state.json" d.capture.events)
		;;
	bpftrace)
		BPFTRACE_STRLEN=200 bpftrace -e "uprobe:/proc/$client/exe:SSL_write /pid == $client/ {
			@calls = count(); printf(\"%s\\n\", str(arg1, arg2)); }" >"$work/$tag.bt" 2>"$work/$tag.err" &
		watcher=$!
		wait_file "$work/$tag.bt" "^Attaching"
		;;
	esac
	[[ -n $watcher ]] && pids+=($watcher) && t0=$(cpu_ticks "$watcher")
	touch "$work/$tag.go"
	wait "$client"
	local rps ccpu
	rps=$(json "$work/$tag.out" 'd.rps.toFixed(1)')
	ccpu=$(json "$work/$tag.out" 'd.cpu_us_per_req.toFixed(0)')
	cpu=null rss=null events=null
	if [[ -n $watcher ]]; then
		t1=$(cpu_ticks "$watcher")
		cpu=$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v s="$secs" 'BEGIN {printf "%.1f", 100 * d / hz / s}')
		rss=$(peak_rss_mb "$watcher")
	fi
	case $mode in
	agent)
		sleep 1.2 # one more state.json write
		ev1=$(json "$work/home/state.json" d.capture.events)
		lost=$(json "$work/home/state.json" d.capture.ringbuf_full)
		events=$(awk -v a="$ev0" -v b="$ev1" -v s="$secs" 'BEGIN {printf "%.0f", (b - a) / s}')
		kill -TERM "$watcher" && wait "$watcher" || true
		;;
	bpftrace)
		stop_bpftrace "$watcher"
		events=$(awk -v s="$secs" '/^@calls: / {printf "%.0f", $2 / s}' "$work/$tag.bt")
		events=${events:-null}
		lost=$(cat "$work/$tag.bt" "$work/$tag.err" | awk '/Lost [0-9]+ events/ {n += $2} END {print n + 0}')
		;;
	none) lost=null ;;
	esac
	printf '{"client":"%s","size":%s,"mode":"%s","rps":%s,"client_cpu_us_per_req":%s,"events_per_sec":%s,"lost_events":%s,"cpu_pct":%s,"rss_mb":%s}\n' \
		"$client_kind" "$size" "$mode" "$rps" "$ccpu" "$events" "$lost" "$cpu" "$rss"
}

modes=(none agent)
((have_bpftrace)) && modes+=(bpftrace)
echo "run-capture: warm-up" >&2
run 1024 none warmup node >/dev/null
: >"$work/rows.jsonl"
for ((rep = 1; rep <= reps; rep++)); do
	for client in $clients; do
		for size in 1024 65536; do
			for mode in "${modes[@]}"; do
				[[ $client == bun && $mode == bpftrace ]] && continue
				echo "run-capture: round $rep/$reps, $client, ${size}-byte POSTs, $mode, ${secs}s" >&2
				run "$size" "$mode" "$rep" "$client" >>"$work/rows.jsonl"
			done
		done
	done
done

mkdir -p bench/results
node - "$work/rows.jsonl" "$secs" "$reps" "$(uname -r)" "$(node --version)" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF' >bench/results/capture.json
const fs = require('fs');
const [file, secs, reps, kernel, nodeVersion, loadavg] = process.argv.slice(2);
const runs = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(JSON.parse);
const median = (xs) => {
	const v = xs.filter((x) => x !== null).sort((a, b) => a - b);
	return v.length ? v[(v.length - 1) >> 1] : null;
};
const rows = [];
for (const client of [...new Set(runs.map((r) => r.client))])
for (const size of [...new Set(runs.map((r) => r.size))])
	for (const mode of [...new Set(runs.map((r) => r.mode))]) {
		const rs = runs.filter((r) => r.client === client && r.size === size && r.mode === mode);
		if (!rs.length)
			continue;
		const lost = rs.map((r) => r.lost_events);
		rows.push({ client, size, mode, rps: median(rs.map((r) => r.rps)),
			client_cpu_us_per_req: median(rs.map((r) => r.client_cpu_us_per_req)),
			events_per_sec: median(rs.map((r) => r.events_per_sec)),
			lost_events: lost.includes(null) ? null : lost.reduce((a, b) => a + b, 0),
			cpu_pct: median(rs.map((r) => r.cpu_pct)),
			rss_mb: rs.some((r) => r.rss_mb !== null) ? Math.max(...rs.map((r) => r.rss_mb)) : null,
			runs: rs.map((r) => r.rps) });
	}
for (const r of rows) {
	const base = rows.find((b) => b.client === r.client && b.size === r.size && b.mode === 'none');
	r.ratio_to_none = +(r.rps / base.rps).toFixed(3);
}
console.log(JSON.stringify({ benchmark: 'capture', seconds_per_run: +secs, repetitions: +reps, kernel, node: nodeVersion,
	loadavg_at_end: loadavg, cpus: require('os').cpus().length,
	generated_at: new Date().toISOString(), results: rows }, null, 2));
EOF
node -e '
const r = JSON.parse(require("fs").readFileSync("bench/results/capture.json", "utf8")).results;
const cell = (v, w) => String(v ?? "-").padStart(w);
const doc = JSON.parse(require("fs").readFileSync("bench/results/capture.json", "utf8"));
console.log(`medians over ${doc.repetitions} runs of ${doc.seconds_per_run}s; lost = sum; load average at end ${doc.loadavg_at_end} on ${doc.cpus} CPUs`);
console.log(["client", "body", "watcher", "req/s", "vs none", "client µs/req", "events/s", "lost", "CPU %", "RSS MB"].map((h, i) => cell(h, [6, 7, 9, 9, 8, 14, 9, 6, 6, 7][i])).join(" "));
for (const x of r)
	console.log([cell(x.client, 6), cell(x.size, 7), cell(x.mode, 9), cell(x.rps, 9), cell(x.ratio_to_none, 8), cell(x.client_cpu_us_per_req, 14), cell(x.events_per_sec, 9),
		cell(x.lost_events, 6), cell(x.cpu_pct, 6), cell(x.rss_mb, 7)].join(" "));'
echo "run-capture: results in bench/results/capture.json"
