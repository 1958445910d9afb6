#!/usr/bin/env bash
# Hostile clients: 1,000 slowloris connections, an oversized head, malformed chunk
# sizes, a half-closed client, a client that never reads a large response, 500
# corrupted requests. The proxy stays up, its RSS stays bounded, and a normal
# client keeps being served; the connection limit caps its descriptors.
set -euo pipefail
source "$(dirname "$0")/proxy_lib.sh"

ulimit -n 4096 2>/dev/null || true
[[ $(ulimit -n) -ge 2200 ]] || { echo "skip: needs 2200 file descriptors (ulimit -n is $(ulimit -n))"; exit 77; }
# The CONNECT phase's origin port must be allowed: take one the kernel just handed out.
tport=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
	console.log(s.address().port); s.close(); })')
# ASan keeps freed memory in a 256 MB quarantine by default, which is RSS the
# proxy does not hold: bound the quarantine so the RSS bound below means the same
# in the sanitizer build.
[[ -n "${CS_SANITIZED:-}" ]] &&
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8:thread_local_quarantine_size_kb=64"
write_config "$work/cfg.json" "\"max_conns\": 1100, \"max_conns_per_client\": 1100, \"header_timeout_ms\": 2000, \"max_header_bytes\": 16384, \"connect_ports\": [$tport]"
start_proxy proxy "$work/cfg.json"
timeout 60 node "$NODE_DIR/proxy_abuse.js" --proxy "$ADDR" --pid "$proxy_pid" --conns 1000 --tunnel-port "$tport" \
	--max-rss-mb 64 >"$work/abuse.log" 2>&1 || fail "abuse run: $(tail -n 3 "$work/abuse.log")"
cat "$work/abuse.log"
kill -0 "$proxy_pid" || fail "proxy died"
kill -TERM "$proxy_pid"
wait "$proxy_pid" || fail "proxy did not exit cleanly"

# Corrupted requests, with a parent proxy that answers everything itself so that
# corrupted host names are never resolved (only loopback traffic).
start_node sink proxy_raw.js sink
write_config "$work/garbage.json" "\"parent_proxy\": \"http://127.0.0.1:$PORT\""
start_proxy garbage "$work/garbage.json"
timeout 60 node "$NODE_DIR/proxy_abuse.js" --proxy "$ADDR" --pid "$proxy_pid" --only garbage \
	--max-rss-mb 64 >"$work/garbage-run.log" 2>&1 || fail "garbage run: $(tail -n 3 "$work/garbage-run.log")"
tail -n 2 "$work/garbage-run.log"
kill -TERM "$proxy_pid"
wait "$proxy_pid" || fail "proxy (garbage) did not exit cleanly"

# The connection limit caps descriptors: 300 idle connections against max_conns 50.
write_config "$work/small.json" '"max_conns": 50'
start_proxy small "$work/small.json"
node -e '
const net = require("net");
const [host, port] = process.argv[1].split(":");
const socks = [];
for (let i = 0; i < 300; i++) socks.push(net.connect(+port, host).on("error", () => {}));
setTimeout(() => process.exit(0), 1500);
' "$ADDR" &
pids+=($!)
sleep 1
fds=$(ls "/proc/$proxy_pid/fd" | wc -l)
[[ $fds -le 70 ]] || fail "max_conns 50 but the proxy holds $fds descriptors"
echo "connection limit: 300 clients, the proxy holds $fds descriptors"
kill -TERM "$proxy_pid"
wait "$proxy_pid" || fail "proxy (small) did not exit cleanly"
