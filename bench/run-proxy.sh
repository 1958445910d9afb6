#!/usr/bin/env bash
# Proxy benchmark (not a test): clawsec-traffic proxy against mitmdump (Debian's
# mitmproxy, what users reach for), same origin, same load, same run.
#
#   bench/run-proxy.sh [BUILD_DIR]      (needs: scripts/setup.sh --bench)
#
# Plain HTTP: wrk (100 connections, 2 threads) sends absolute-form requests to
# each proxy through a Lua script; "direct" is wrk straight to the origin, so
# added latency = proxy p99 - direct p99. Inspected HTTPS: wrk cannot CONNECT,
# so bench/proxy_load.c (one blocking keep-alive connection per thread: CONNECT,
# TLS to the origin through the tunnel verified against the proxy's CA, GETs)
# drives both proxies identically. Bodies: 1 KB and 256 KB of JSON chat text. RSS is the proxy's
# peak (VmHWM), each proxy restarted per scenario. Saturated closed loops make
# every p99 queueing, so added latency is measured separately below saturation:
# proxy_load paces 100 connections at RATE requests/s each (default 5, 500/s in
# all) against the origin directly and through each proxy. One more run holds
# 1,000 connections open against clawsec for the RSS goal. Prints a table and writes
# bench/results/proxy.json. DURATION (seconds, default 10) and CONNS override.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cli=$build/user/clawsec-traffic
load=$build/bench/proxy_load
dur=${DURATION:-10}
conns=${CONNS:-100}
rate=${RATE:-5}
for tool in wrk mitmdump node openssl; do
	command -v "$tool" >/dev/null || { echo "run-proxy: $tool missing (scripts/setup.sh --bench)"; exit 1; }
done
[[ -x $cli && -x $load ]] || { echo "run-proxy: build first (scripts/build.sh $build)"; exit 1; }
ulimit -n 8192 2>/dev/null || true

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

wait_for() { # FILE REGEX -> last field of the first match
	for ((i = 0; i < 400; i++)); do
		if line=$(grep -m1 -E "$2" "$1" 2>/dev/null); then
			echo "${line##* }"
			return 0
		fi
		sleep 0.05
	done
	echo "run-proxy: no '$2' in $1" >&2
	cat "$1" >&2
	exit 1
}
wait_port() {
	for ((i = 0; i < 400; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "run-proxy: nothing listens on $1" >&2
	exit 1
}
free_port() { node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
peak_rss_mb() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

# Origin with a test CA of its own.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=bench origin CA" \
	-keyout "$work/oca.key" -out "$work/oca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
	-keyout "$work/o.key" -out "$work/o.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' >"$work/ext"
openssl x509 -req -in "$work/o.csr" -CA "$work/oca.crt" -CAkey "$work/oca.key" -CAcreateserial \
	-days 2 -extfile "$work/ext" -out "$work/o.crt" 2>/dev/null
node bench/proxy_origin.js --key "$work/o.key" --cert "$work/o.crt" >"$work/origin.log" 2>&1 &
pids+=($!)
http_port=$(wait_for "$work/origin.log" '^http [0-9]+')
https_port=$(wait_for "$work/origin.log" '^https [0-9]+')

mkdir -p "$work/home" && chmod 700 "$work/home"
cat >"$work/cfg.json" <<JSON
{ "home": "$work/home", "log_dir": "$work/home/logs", "ipc_roots": ["$work/ipc/*"],
  "docker_containers_dir": "$work/none",
  "proxy": { "enabled": true, "https_inspection": true, "inspect_ports": [$https_port],
             "connect_ports": [$https_port], "allow_cidrs": ["127.0.0.1/32"],
             "max_conns": 4096, "max_conns_per_client": 4096 } }
JSON
chmod 600 "$work/cfg.json"
"$cli" ca init --config "$work/cfg.json" >/dev/null

start_proxy() { # clawsec|mitmdump -> PROXY_PID, PROXY_PORT, PROXY_CA
	local port
	port=$(free_port)
	if [[ $1 == clawsec ]]; then
		NANOCLAW_TRAFFIC_GUARDIAN_UPSTREAM_CA_BUNDLE=$work/oca.crt \
			"$cli" proxy --config "$work/cfg.json" --listen "127.0.0.1:$port" >"$work/proxy.log" 2>&1 &
		PROXY_CA=$work/home/ca/ca.crt
	else
		mitmdump -q --listen-host 127.0.0.1 -p "$port" --set confdir="$work/mitm" \
			--set ssl_verify_upstream_trusted_ca="$work/oca.crt" >"$work/proxy.log" 2>&1 &
		PROXY_CA=$work/mitm/mitmproxy-ca-cert.pem
	fi
	PROXY_PID=$!
	pids+=($PROXY_PID)
	PROXY_PORT=$port
	wait_port "$port"
}
stop_proxy() {
	kill "$PROXY_PID" 2>/dev/null || true
	wait "$PROXY_PID" 2>/dev/null || true
}

# wrk output -> "rps p50_ms p99_ms"
wrk_parse() {
	awk '
	function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
	/Requests\/sec:/ { rps = $2 }
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	END { printf "%.1f %.3f %.3f\n", rps, p50, p99 }' "$1"
}

results=()
record() { # scenario proxy rps p50 p99 rss
	results+=("$1|$2|$3|$4|$5|$6")
	printf '%-22s %-9s %12s %10s %10s %9s\n' "$1" "$2" "$3" "$4" "$5" "$6"
}

run_http() { # size proxy(direct|clawsec|mitmdump) conns
	local size=$1 who=$2 c=$3 url rss=-
	cat >"$work/abs.lua" <<LUA
wrk.method = "GET"
wrk.path = "http://127.0.0.1:$http_port/$size"
wrk.headers["Host"] = "127.0.0.1:$http_port"
LUA
	if [[ $who == direct ]]; then
		wrk --latency -t2 -c"$c" -d"${dur}s" "http://127.0.0.1:$http_port/$size" >"$work/wrk.out" 2>&1
	else
		start_proxy "$who"
		wrk --latency -t2 -c"$c" -d"${dur}s" -s "$work/abs.lua" "http://127.0.0.1:$PROXY_PORT/" \
			>"$work/wrk.out" 2>&1
		rss=$(peak_rss_mb "$PROXY_PID")
		stop_proxy
	fi
	read -r rps p50 p99 < <(wrk_parse "$work/wrk.out")
	record "http $size c=$c" "$who" "$rps" "$p50" "$p99" "$rss"
}

run_https() { # size proxy
	local size=$1 who=$2 out
	start_proxy "$who"
	out=$("$load" --proxy "127.0.0.1:$PROXY_PORT" --target "localhost:$https_port" --path "/$size" \
		--conns "$conns" --seconds "$dur" --tls --ca "$PROXY_CA")
	local rss
	rss=$(peak_rss_mb "$PROXY_PID")
	stop_proxy
	read -r rps p50 p99 errs < <(node -e 'const o=JSON.parse(process.argv[1]);console.log(o.rps,o.p50_ms,o.p99_ms,o.errors)' "$out")
	[[ $errs == 0 ]] || echo "  ($who: $errs request errors)"
	record "https-inspected $size" "$who" "$rps" "$p50" "$p99" "$rss"
}

run_paced() { # proxy(direct|clawsec|mitmdump): plain HTTP 1 KB at $rate req/s per connection
	local who=$1 out rss=- args
	if [[ $who == direct ]]; then
		args=(--proxy "127.0.0.1:$http_port" --direct)
	else
		start_proxy "$who"
		args=(--proxy "127.0.0.1:$PROXY_PORT")
	fi
	out=$("$load" "${args[@]}" --target "127.0.0.1:$http_port" --path /1k --conns "$conns" \
		--seconds "$dur" --rate "$rate")
	if [[ $who != direct ]]; then
		rss=$(peak_rss_mb "$PROXY_PID")
		stop_proxy
	fi
	read -r rps p50 p99 < <(node -e 'const o=JSON.parse(process.argv[1]);console.log(o.rps,o.p50_ms,o.p99_ms)' "$out")
	record "http 1k paced $((conns * rate))/s" "$who" "$rps" "$p50" "$p99" "$rss"
}

printf '%-22s %-9s %12s %10s %10s %9s\n' scenario proxy "req/s" "p50 ms" "p99 ms" "RSS MB"
for who in direct clawsec mitmdump; do
	run_paced "$who"
done
for size in 1k 256k; do
	for who in direct clawsec mitmdump; do
		run_http "$size" "$who" "$conns"
	done
done
for size in 1k 256k; do
	for who in clawsec mitmdump; do
		run_https "$size" "$who"
	done
done
run_http 1k clawsec 1000

mkdir -p bench/results
printf '%s\n' "${results[@]}" | node -e '
const lines = require("fs").readFileSync(0, "utf8").trim().split("\n");
const rows = lines.map((l) => { const [scenario, proxy, rps, p50, p99, rss] = l.split("|");
  return { scenario, proxy, rps: +rps, p50_ms: +p50, p99_ms: +p99, rss_mb: rss === "-" ? null : +rss }; });
const get = (s, p) => rows.find((r) => r.scenario === s && r.proxy === p);
const ratios = {};
for (const s of [...new Set(rows.map((r) => r.scenario))]) {
  const c = get(s, "clawsec"), m = get(s, "mitmdump"), d = get(s, "direct");
  if (c && m) ratios[s] = { rps_clawsec_over_mitmdump: +(c.rps / m.rps).toFixed(2),
    rss_mitmdump_over_clawsec: c.rss_mb && m.rss_mb ? +(m.rss_mb / c.rss_mb).toFixed(2) : null };
  if (c && d) ratios[s] = { ...(ratios[s] || {}), p99_added_ms: +(c.p99_ms - d.p99_ms).toFixed(3) };
}
const os = require("os");
const doc = { schema: "clawsec-traffic-bench-proxy/v1", generated_at: new Date().toISOString(),
  machine: { cpus: os.cpus().length, kernel: os.release(), node: process.version },
  duration_s: +process.argv[1], connections: +process.argv[2],
  method: "wrk -t2 (absolute-form via Lua) for plain HTTP; bench/proxy_load.c (CONNECT + TLS, one thread per connection) for inspected HTTPS; RSS = proxy VmHWM",
  results: rows, ratios };
require("fs").writeFileSync("bench/results/proxy.json", JSON.stringify(doc, null, 2) + "\n");
for (const [s, r] of Object.entries(ratios)) console.log(`${s}: ${JSON.stringify(r)}`);
' "$dur" "$conns"
echo "wrote bench/results/proxy.json"
