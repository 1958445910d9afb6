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
#   agent_normal (only if asked) the agent with capture.yield_cpu false: its
#             capture thread stays in the normal CPU class (what yielding buys)
#   traps     (only if asked: MODES="none agent bpftrace traps"; MODES picks and
#             orders the watchers) bpftrace with the agent's data hooks, entry
#             and return of the write and read calls, that only count: what the
#             uprobe traps cost the watched process apart from the work in them
# The same client also runs in Bun 1.4 (tests/fixtures/node/node_modules/bun14: its
# fetch() goes through BoringSSL's AEAD seal/open, the boringssl_aead path), none and
# agent only (bpftrace has no SSL_write to hook there). Two more client stacks
# (issue 12), each doing the same sequential keep-alive POSTs on one connection:
#   gnutls    bench/clients/post_gnutls.c (libgnutls.so.30, as git and wget use it);
#             bpftrace: a uprobe on its gnutls_record_send copying 200 bytes
#   go        bench/go/post_load.go (net/http, crypto/tls), built here offline with
#             golang-go; bpftrace: a uprobe on its crypto/tls.(*Conn).Write copying
#             200 bytes of the slice (Go's register ABI: pointer in rbx, length in rcx)
# CLIENTS (default "node bun gnutls go") picks the client-side scenarios.
# Server side (TARGETS="client server" by default; issue 13): the watchers attach
# to the Node HTTPS SERVER (agent --pid SERVER; bpftrace: the SSL_write uprobe
# copying 200 bytes plus an SSL_read uretprobe, the server's two hot calls), the
# three cases interleaved, while SERVER_CLIENT (default openssl:
# bench/clients/post_openssl.c, one write and one read per request) loads it:
# a client that cheap leaves the server the bottleneck, which is what is measured
# (Node's fetch() client, SERVER_CLIENT=node, tops out far below the server).
# For each: requests/s and the ratio to none, and the client's own CPU per
# request (steadier than req/s when the machine is shared); for the watchers: events/s
# (agent: ring-buffer records; bpftrace: hits of its write probe), lost events (agent:
# ring buffer full; bpftrace: its "Lost N events"), the watcher's CPU (% of
# one core over the run, and ms per 1,000 requests, the agent's counted until it
# has drained) and peak RSS. During agent runs kernel.bpf_stats_enabled is 1
# (restored after): each of the agent's BPF programs gets its calls per request
# and ns per call (bpftool run_cnt/run_time_ns; the syscall tracepoints run for
# every process on the machine, so their calls per request count everyone's).
# Prints tables and writes bench/results/capture.json.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cli=$build/user/clawsec-traffic
secs=${SECONDS_PER_RUN:-5}
reps=${REPS:-3}
fixtures=tests/fixtures/node
[[ $(id -u) -eq 0 ]] || { echo "run-capture: needs root (eBPF)"; exit 1; }
[[ -x $cli ]] || { echo "run-capture: build first (scripts/build.sh $build)"; exit 1; }
for tool in node openssl ldd; do
	command -v "$tool" >/dev/null || { echo "run-capture: $tool missing (scripts/setup.sh)"; exit 1; }
done
have_bpftrace=1
command -v bpftool >/dev/null || { echo "run-capture: bpftool missing (scripts/setup.sh)"; exit 1; }
command -v bpftrace >/dev/null || {
	have_bpftrace=0
	echo "run-capture: bpftrace missing (scripts/setup.sh --bench): its column is left out"
}

modes=()
for m in ${MODES:-none agent bpftrace}; do
	[[ $m =~ ^(none|agent|agent_normal|bpftrace|traps)$ ]] || { echo "run-capture: unknown mode '$m' in MODES"; exit 1; }
	[[ $m == bpftrace || $m == traps ]] && ((!have_bpftrace)) && continue
	modes+=("$m")
done

work=$(mktemp -d /tmp/clawsec-bench-capture.XXXXXX)
pids=()
bpf_stats0=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	sysctl -qw kernel.bpf_stats_enabled="$bpf_stats0" || true
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
# The agent's BPF programs: the ids behind its prog (and link) fds.
# (an fd closing while awk reads the list is not an error)
prog_ids() { { awk '/^prog_id:/ {print $2}' /proc/"$1"/fdinfo/* 2>/dev/null || true; } | sort -un | paste -sd, -; }
# IDS -> {"name": [run_cnt, run_time_ns], ...} summed by name (one object per TLS stack)
prog_snap() {
	bpftool prog show -j | node -e 'const ids = new Set(process.argv[1].split(",").map(Number)), o = {};
		for (const p of JSON.parse(require("fs").readFileSync(0, "utf8")).filter((p) => ids.has(p.id))) {
			const v = (o[p.name] ??= [0, 0]);
			v[0] += p.run_cnt ?? 0;
			v[1] += p.run_time_ns ?? 0;
		}
		console.log(JSON.stringify(o))' "$1"
}
# BEFORE AFTER REQUESTS -> {"name": {"calls_per_req": x, "ns_per_call": y}, ...}
prog_diff() {
	node -e 'const [a, b] = [JSON.parse(process.argv[1]), JSON.parse(process.argv[2])], n = +process.argv[3], o = {};
		for (const k of Object.keys(b)) {
			const c = b[k][0] - (a[k]?.[0] ?? 0), t = b[k][1] - (a[k]?.[1] ?? 0);
			o[k] = { calls_per_req: +(c / n).toFixed(2), ns_per_call: c ? Math.round(t / c) : null };
		}
		console.log(JSON.stringify(o))' "$1" "$2" "$3"
}
json() { # FILE EXPR over `d`
	node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		console.log(eval(process.argv[2]))' "$1" "$2"
}

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
	-days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null
# The server runs from a private copy of node: the agent pre-attaches
# /usr/bin/node and every libssl.so (docs/capture.md, "No cold start"), which
# would put its uprobe traps on the server in client-side runs too; the
# server-side client links OpenSSL statically for the same reason.
cp "$(command -v node)" "$work/node"
# Placement: on these VMs whether the client and the server share a CPU moves
# req/s more than any watcher (a cross-CPU wake-up per request, or none), and
# the scheduler decides it anew each run: a busy watcher on one CPU pushed both
# onto the other and made the "watched" runs faster than "none" (up to 1.44x).
# The server is pinned to CPU 0 and each client to CPU 1; the watchers are not
# pinned, so what they take from either shows. PIN=0 leaves it to the scheduler.
pin_server=() pin_client=()
if [[ ${PIN:-1} == 1 && $(nproc) -ge 2 ]] && command -v taskset >/dev/null; then
	pin_server=(taskset -c 0)
	pin_client=(taskset -c 1)
fi
"${pin_server[@]}" "$work/node" "$fixtures/tls_server.js" --bench --cert "$work/cert.pem" --key "$work/key.pem" >"$work/server.out" &
server=$!
pids+=($server)
wait_file "$work/server.out" listening
port=$(awk '/listening/ {print $2}' "$work/server.out")
export NODE_EXTRA_CA_CERTS="$work/cert.pem"
export NANOCLAW_TRAFFIC_GUARDIAN_HOME="$work/home"
mkdir -m 700 -p "$work/home"

bun=$fixtures/node_modules/bun14/bin/bun
clients=${CLIENTS:-node bun gnutls go}
server_client=${SERVER_CLIENT:-openssl}
targets=${TARGETS:-client server}
[[ " $targets " == *" client "* ]] || clients=""
[[ " $targets " == *" server "* ]] || server_client=""
uses() { [[ " $clients $server_client " == *" $1 "* ]]; }
if uses bun && [[ ! -x $bun ]]; then
	echo "run-capture: $bun missing (scripts/setup.sh)"
	exit 1
fi
if uses openssl && [[ ! -x $build/bench/clients/bench_post_openssl ]]; then
	echo "run-capture: $build/bench/clients/bench_post_openssl missing (scripts/build.sh $build)"
	exit 1
fi
if uses gnutls && [[ ! -x $build/bench/clients/bench_post_gnutls ]]; then
	echo "run-capture: bench_post_gnutls not built (libgnutls28-dev: scripts/setup.sh --bench): its scenario is left out"
	clients=${clients//gnutls/}
fi
if uses go; then
	command -v go >/dev/null || { echo "run-capture: go missing (scripts/setup.sh installs golang-go)"; exit 1; }
	(export GOCACHE="$work/gobuild/cache" GOPATH="$work/gobuild/gopath" GOFLAGS= GO111MODULE=off \
		GOTOOLCHAIN=local GOPROXY=off && go build -o "$work/post_load" bench/go/post_load.go)
	chmod -R u+w "$work/gobuild" # the module cache is read-only
fi

# start_client KIND SIZE TAG: a bench client in the background ($client is its
# own pid, no subshell between, since the watchers attach by pid); it prints
# {"requests","seconds","rps","cpu_us_per_req"} into $work/TAG.out
start_client() {
	local go=$work/$3.go cmd
	case $1 in
	node) cmd=(node "$fixtures/client.js") ;;
	bun) cmd=("$bun" "$fixtures/client.js") ;;
	openssl | gnutls) cmd=("$build/bench/clients/bench_post_$1") ;;
	go) cmd=("$work/post_load") ;; # Go's flag package takes --name too
	esac
	if [[ $1 == node || $1 == bun ]]; then
		cmd+=(--url "https://localhost:$port/bench" --bench)
	else
		cmd+=(--port "$port" --ca "$work/cert.pem")
	fi
	"${pin_client[@]}" "${cmd[@]}" --size "$2" --seconds "$secs" --go "$go" >"$work/$3.out" 2>&1 &
	client=$!
}
# bpftrace_script KIND PID TARGET MODE: the one-liner peer of the agent for
# that client (or the server), copying out what is written, as the agent does;
# MODE traps: the agent's data hooks (entry and return of the write and read
# calls; for Go the entries only: no uretprobe on Go, and the agent's probes on
# Read's RETs are not reproduced) doing nothing but count, so the cost of the
# uprobe traps themselves shows apart from the work done in them.
# BEGIN prints "ready" once the probes are attached; "Attaching N probes..."
# comes before, and a client let go on it ran unprobed for up to 0.4 s.
bpftrace_script() {
	local exe=/proc/$2/exe w=SSL_write r=SSL_read a="arg1, arg2" p="/pid == $2/"
	case $1 in
	gnutls)
		exe=$(ldd "$build/bench/clients/bench_post_gnutls" | awk '/libgnutls.so/ {print $3}')
		w=gnutls_record_send r=gnutls_record_recv
		;;
	go) exe=$work/post_load w='"crypto/tls.(*Conn).Write"' r='"crypto/tls.(*Conn).Read"' a='reg("bx"), reg("cx")' ;;
	esac
	[[ $3 == server ]] && exe=/proc/$2/exe w=SSL_write r=SSL_read a="arg1, arg2"
	echo 'BEGIN { printf("ready\n"); }'
	if [[ $4 == traps ]]; then
		echo "uprobe:$exe:$w $p { @calls = count(); } uprobe:$exe:$r $p { @reads = count(); }"
		[[ $1 == go && $3 == client ]] || echo "uretprobe:$exe:$w $p { } uretprobe:$exe:$r $p { }"
		return 0
	fi
	echo "uprobe:$exe:$w $p { @calls = count(); printf(\"%s\\n\", str($a)); }"
	[[ $3 == server ]] && echo "uretprobe:$exe:$r $p { @reads = count(); }"
	return 0
}
# agent_ready PID: state.json lists PID as an attached target with a TLS path
agent_ready() {
	[[ -s $work/home/state.json ]] && [[ $(json "$work/home/state.json" "d.targets.some((t) => t.pid === $1 &&
		t.attached && t.tls_path !== 'none')" 2>/dev/null) == true ]]
}
wait_ready() { # PID
	for ((i = 0; i < 400; i++)); do
		agent_ready "$1" && return 0
		sleep 0.05
	done
	echo "run-capture: the agent did not attach to $1" >&2
	cat "$work/home/state.json" >&2
	exit 1
}

# run SIZE MODE REP CLIENT TARGET -> one JSON object on stdout; TARGET (client or
# server) is the process the watcher attaches to
run() {
	local size=$1 mode=$2 client_kind=$4 target=$5 tag="$5-$4-$1-$2-$3" watcher="" t0=0 t1 ev0=0 ev1=0 lost=0
	local cpu rss events cpu_k=null progs=null ids p0 watched client yielded=null
	start_client "$client_kind" "$size" "$tag"
	pids+=($client)
	watched=$client
	[[ $target == server ]] && watched=$server
	case $mode in
	agent | agent_normal)
		rm -rf "$work/logs" "$work/home/state.json"
		sysctl -qw kernel.bpf_stats_enabled=1
		echo "{\"capture\": {\"yield_cpu\": $([[ $mode == agent ]] && echo true || echo false)}}" >"$work/$mode.json"
		"$cli" agent --config "$work/$mode.json" --pid "$watched" --log-dir "$work/logs" \
			--state-file "$work/home/state.json" 2>"$work/$tag.err" &
		watcher=$!
		pids+=($watcher) # at once: a failed wait below must not leave it running
		wait_ready "$watched"
		ev0=$(json "$work/home/state.json" d.capture.events)
		ids=$(prog_ids "$watcher")
		p0=$(prog_snap "$ids")
		;;
	bpftrace | traps)
		BPFTRACE_STRLEN=200 bpftrace -e "$(bpftrace_script "$client_kind" "$watched" "$target" "$mode")" \
			>"$work/$tag.bt" 2>"$work/$tag.err" &
		watcher=$!
		pids+=($watcher)
		wait_file "$work/$tag.bt" "^ready"
		;;
	esac
	[[ -n $watcher ]] && t0=$(cpu_ticks "$watcher")
	touch "$work/$tag.go"
	wait "$client" || { echo "run-capture: $client_kind client failed: $(cat "$work/$tag.out")" >&2; exit 1; }
	local rps ccpu nreq
	rps=$(json "$work/$tag.out" 'd.rps.toFixed(1)')
	ccpu=$(json "$work/$tag.out" 'd.cpu_us_per_req.toFixed(0)')
	nreq=$(json "$work/$tag.out" d.requests)
	cpu=null rss=null events=null
	if [[ -n $watcher ]]; then
		t1=$(cpu_ticks "$watcher")
		cpu=$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v s="$secs" 'BEGIN {printf "%.1f", 100 * d / hz / s}')
		rss=$(peak_rss_mb "$watcher")
	fi
	case $mode in
	agent | agent_normal)
		progs=$(prog_diff "$p0" "$(prog_snap "$ids")" "$nreq")
		sleep 1.2 # one more state.json write, and the ring buffer drained
		t1=$(cpu_ticks "$watcher")
		ev1=$(json "$work/home/state.json" d.capture.events)
		lost=$(json "$work/home/state.json" d.capture.ringbuf_full)
		yielded=$(json "$work/home/state.json" 'JSON.stringify({raises: d.capture.yield_cpu.raises, why: d.capture.yield_cpu.raised_because, raised_s: +d.capture.yield_cpu.raised_seconds.toFixed(2)})')
		events=$(awk -v a="$ev0" -v b="$ev1" -v s="$secs" 'BEGIN {printf "%.0f", (b - a) / s}')
		kill -TERM "$watcher" && wait "$watcher" || true
		sysctl -qw kernel.bpf_stats_enabled="$bpf_stats0"
		;;
	bpftrace | traps)
		stop_bpftrace "$watcher"
		events=$(awk -v s="$secs" '/^@calls: / {printf "%.0f", $2 / s}' "$work/$tag.bt")
		events=${events:-null}
		lost=$(cat "$work/$tag.bt" "$work/$tag.err" | awk '/Lost [0-9]+ events/ {n += $2} END {print n + 0}')
		;;
	none) lost=null ;;
	esac
	[[ -n $watcher ]] && cpu_k=$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$nreq" \
		'BEGIN {printf "%.1f", 1000 * 1000 * d / hz / n}')
	printf '{"target":"%s","client":"%s","size":%s,"mode":"%s","rps":%s,"client_cpu_us_per_req":%s,"events_per_sec":%s,"lost_events":%s,"cpu_pct":%s,"cpu_ms_per_1k_req":%s,"rss_mb":%s,"programs":%s,"yield":%s}\n' \
		"$target" "$client_kind" "$size" "$mode" "$rps" "$ccpu" "$events" "$lost" "$cpu" "$cpu_k" "$rss" "$progs" "$yielded"
}

echo "run-capture: warm-up" >&2
run 1024 none warmup node client >/dev/null
: >"$work/rows.jsonl"
for ((rep = 1; rep <= reps; rep++)); do
	for target in $targets; do
		kinds=$clients
		[[ $target == server ]] && kinds=$server_client
		for client in $kinds; do
			for size in 1024 65536; do
				for mode in "${modes[@]}"; do
					[[ $client == bun && $mode != none && $mode != agent* ]] && continue
					echo "run-capture: round $rep/$reps, $target watched, $client client, ${size}-byte POSTs, $mode, ${secs}s" >&2
					run "$size" "$mode" "$rep" "$client" "$target" >>"$work/rows.jsonl"
				done
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
const same = (a, b) => a.target === b.target && a.client === b.client && a.size === b.size;
for (const target of [...new Set(runs.map((r) => r.target))])
for (const client of [...new Set(runs.map((r) => r.client))])
for (const size of [...new Set(runs.map((r) => r.size))])
	for (const mode of [...new Set(runs.map((r) => r.mode))]) {
		const rs = runs.filter((r) => r.target === target && r.client === client && r.size === size && r.mode === mode);
		if (!rs.length)
			continue;
		const lost = rs.map((r) => r.lost_events);
		const row = { target, client, size, mode, rps: median(rs.map((r) => r.rps)),
			client_cpu_us_per_req: median(rs.map((r) => r.client_cpu_us_per_req)),
			events_per_sec: median(rs.map((r) => r.events_per_sec)),
			lost_events: lost.includes(null) ? null : lost.reduce((a, b) => a + b, 0),
			cpu_pct: median(rs.map((r) => r.cpu_pct)),
			cpu_ms_per_1k_req: median(rs.map((r) => r.cpu_ms_per_1k_req)),
			rss_mb: rs.some((r) => r.rss_mb !== null) ? Math.max(...rs.map((r) => r.rss_mb)) : null,
			runs: rs.map((r) => r.rps) };
		// agent vs bpftrace within each round (the same minute of load), then the median
		const bt = runs.filter((r) => same(r, row) && r.mode === 'bpftrace');
		if (mode.startsWith('agent') && bt.length)
			row.ratio_to_bpftrace = +median(rs.map((r, i) => bt[i] ? r.rps / bt[i].rps : null)).toFixed(3);
		if (mode.startsWith('agent')) {
			// how often the yielding capture thread was raised back to the normal class
			row.yield = rs.map((r) => r.yield);
			row.programs = {};
			for (const name of [...new Set(rs.flatMap((r) => Object.keys(r.programs ?? {})))])
				row.programs[name] = { calls_per_req: median(rs.map((r) => r.programs?.[name]?.calls_per_req ?? null)),
					ns_per_call: median(rs.map((r) => r.programs?.[name]?.ns_per_call ?? null)) };
		}
		rows.push(row);
	}
for (const r of rows) {
	const base = rows.find((b) => same(b, r) && b.mode === 'none');
	r.ratio_to_none = +(r.rps / base.rps).toFixed(3);
}
console.log(JSON.stringify({ benchmark: 'capture', seconds_per_run: +secs, repetitions: +reps, kernel, node: nodeVersion,
	loadavg_at_end: loadavg, cpus: require('os').cpus().length,
	generated_at: new Date().toISOString(), results: rows }, null, 2));
EOF
node -e '
const doc = JSON.parse(require("fs").readFileSync("bench/results/capture.json", "utf8"));
const cell = (v, w) => String(v ?? "-").padStart(w);
const line = (vs, ws) => console.log(vs.map((v, i) => cell(v, ws[i])).join(" "));
const w = [6, 6, 7, 9, 9, 8, 8, 14, 9, 6, 6, 9, 7];
console.log(`medians over ${doc.repetitions} runs of ${doc.seconds_per_run}s; lost = sum; load average at end ${doc.loadavg_at_end} on ${doc.cpus} CPUs`);
line(["target", "client", "body", "watcher", "req/s", "vs none", "vs bpft", "client µs/req", "events/s", "lost", "CPU %", "ms/1k req", "RSS MB"], w);
for (const x of doc.results)
	line([x.target, x.client, x.size, x.mode, x.rps, x.ratio_to_none, x.ratio_to_bpftrace, x.client_cpu_us_per_req,
		x.events_per_sec, x.lost_events, x.cpu_pct, x.cpu_ms_per_1k_req, x.rss_mb], w);
console.log("\nagent BPF programs (bpf_stats, medians): calls per request, ns per call");
for (const x of doc.results.filter((x) => x.programs))
	for (const [name, p] of Object.entries(x.programs).sort())
		line([x.target, x.client, x.size, name, p.calls_per_req, p.ns_per_call], [6, 6, 7, 18, 12, 8]);
console.log("\ncapture thread raised to the normal CPU class (agent with yield_cpu), per run: times, seconds");
for (const x of doc.results.filter((x) => x.mode === "agent" && x.yield))
	line([x.target, x.client, x.size, x.yield.map((y) => y ? `${y.raises}x ${y.raised_s}s` +
		(y.raises ? ` (${Object.entries(y.why).filter(([, n]) => n).map(([k, n]) => k + " " + n).join(", ")})` : "") : "-").join("; ")], [6, 6, 7, 60]);'
echo "run-capture: results in bench/results/capture.json"
