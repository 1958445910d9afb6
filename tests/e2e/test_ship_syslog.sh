#!/usr/bin/env bash
# Findings to the log pipeline (issue 14), received by a real rsyslog started
# here (imtcp and imudp on free loopback ports, writing files):
#  - `serve` (proxy) with ship.syslog = tcp://...: each finding arrives as an
#    RFC 5424 message with octet-counting framing, its MSG exactly the JSONL
#    line of findings.jsonl, structured data naming pattern/severity/direction;
#  - standalone proxies with ship.syslog = udp://... and unix:<socket> likewise;
#  - rsyslog stopped: findings are still logged to JSONL at once, and the
#    undelivered ones are counted as dropped in status and state;
#  - the raw secret is in none of these outputs.
set -euo pipefail
source "$(dirname "$0")/proxy_lib.sh"

skip() {
	if [[ "${CI:-}" == "true" ]]; then
		echo "FAIL (CI): $1"
		exit 1
	fi
	echo "SKIP: $1"
	exit 77
}
command -v rsyslogd >/dev/null || skip "rsyslogd not installed (scripts/setup.sh installs it)"
free_port() {
	node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
		console.log(s.address().port); s.close(); })'
}
tport=$(free_port)
uport=$(free_port)
pport=$(free_port)

mkdir -p "$work/rsyslog"
cat >"$work/rsyslog.conf" <<CONF
global(workDirectory="$work/rsyslog")
module(load="imtcp")
module(load="imudp")
module(load="imuxsock" SysSock.Use="off")
template(name="msg" type="string" string="%msg%\n")
template(name="meta" type="string" string="%msgid% %syslogseverity-text% %syslogfacility-text% %app-name% %structured-data%\n")
ruleset(name="in") {
	action(type="omfile" file="$work/got.jsonl" template="msg")
	action(type="omfile" file="$work/meta.txt" template="meta")
}
input(type="imtcp" address="127.0.0.1" port="$tport" ruleset="in")
input(type="imudp" address="127.0.0.1" port="$uport" ruleset="in")
input(type="imuxsock" Socket="$work/log.sock" UseSpecialParser="off" ParseHostname="on" ruleset="in")
CONF
rsyslogd -N1 -f "$work/rsyslog.conf" >"$work/rsyslog-check.log" 2>&1 || fail "rsyslog config: $(cat "$work/rsyslog-check.log")"
rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslog.pid" >"$work/rsyslog.log" 2>&1 &
rsyslog_pid=$!
pids+=($rsyslog_pid)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$tport") 2>/dev/null && break; sleep 0.1; done

write_config "$work/serve.json"
sed -i "s/127.0.0.1:10255/127.0.0.1:$pport/; s|^{ \"home\"|{ \"metrics\": {\"listen\": \"\"}, \"ship\": {\"syslog\": \"tcp://127.0.0.1:$tport\"}, \"home\"|" "$work/serve.json"
"$CS_CLI" check-config "$work/serve.json" >/dev/null || fail "config: $("$CS_CLI" check-config "$work/serve.json")"
printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok' >"$work/reply-ok"
start_node up proxy_raw.js upstream --record "$work/got" --reply "$work/reply-ok"
up=$PORT
"$CS_CLI" serve --config "$work/serve.json" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$pport") 2>/dev/null && break; sleep 0.1; done

keys=()
# post PROXY N: a distinct FAKE key (no dedup folding) through the proxy.
post() {
	local key="sk-ant-api03-$(printf "FAKEKEYFORSHIP%02d%.0s" "$2" {1..6})AA"
	keys+=("$key")
	curl -sS --max-time 5 -x "http://$1" -o /dev/null -H 'Content-Type: application/json' \
		--data "{\"n\":$2,\"content\":\"my key is $key\"}" "http://127.0.0.1:$up/v1/messages" ||
		fail "request $2 through the proxy"
}
lines() { [[ -f $1 ]] && wc -l <"$1" || echo 0; }
wait_lines() { # FILE N
	for _ in $(seq 100); do [[ $(lines "$1") -ge $2 ]] && return 0; sleep 0.1; done
	fail "$1 has $(lines "$1") lines, want $2"
}

# 1. TCP, octet-counting: both findings arrive intact.
post "127.0.0.1:$pport" 1
post "127.0.0.1:$pport" 2
wait_lines "$work/home/logs/findings.jsonl" 2
wait_lines "$work/got.jsonl" 2
diff <(sort "$work/home/logs/findings.jsonl") <(sort "$work/got.jsonl") >"$work/diff.txt" ||
	fail "syslog MSG differs from the JSONL lines: $(cat "$work/diff.txt")"
grep -q '^finding crit local0 clawsec-traffic \[clawsec@32473 pattern="ai_api_key" severity="critical" direction="outbound"\]$' \
	"$work/meta.txt" || fail "RFC 5424 header/SD: $(cat "$work/meta.txt")"

# 2. UDP from a standalone proxy.
sed "s|tcp://127.0.0.1:$tport|udp://127.0.0.1:$uport|" "$work/serve.json" >"$work/udp.json"
chmod 600 "$work/udp.json"
start_proxy alone "$work/udp.json"
post "$ADDR" 3
wait_lines "$work/home/logs/findings.jsonl" 3
wait_lines "$work/got.jsonl" 3
diff <(sort "$work/home/logs/findings.jsonl") <(sort "$work/got.jsonl") >"$work/diff.txt" ||
	fail "UDP: syslog differs from JSONL: $(cat "$work/diff.txt")"

# 3. A Unix datagram socket (as /dev/log is), from another standalone proxy.
kill "$proxy_pid"
wait "$proxy_pid" 2>/dev/null || true
sed "s|tcp://127.0.0.1:$tport|unix:$work/log.sock|" "$work/serve.json" >"$work/unix.json"
chmod 600 "$work/unix.json"
start_proxy alone-unix "$work/unix.json"
post "$ADDR" 7
wait_lines "$work/home/logs/findings.jsonl" 4
wait_lines "$work/got.jsonl" 4
diff <(sort "$work/home/logs/findings.jsonl") <(sort "$work/got.jsonl") >"$work/diff.txt" ||
	fail "unix: syslog differs from JSONL: $(cat "$work/diff.txt")"

# 4. The receiver goes away: findings still logged at once, drops counted.
kill "$rsyslog_pid"
wait "$rsyslog_pid" 2>/dev/null || true
for n in 4 5 6; do
	start=$(date +%s%N)
	post "127.0.0.1:$pport" "$n"
	(($(date +%s%N) - start < 3000000000)) || fail "request $n slowed by the dead receiver"
done
wait_lines "$work/home/logs/findings.jsonl" 7
for _ in $(seq 50); do
	grep -q '"ship":{[^}]*"dropped":[1-9]' "$work/home/state.json" && break
	sleep 0.1
done
grep -q '"ship":{[^}]*"dropped":[1-9]' "$work/home/state.json" || fail "drops not counted: $(cat "$work/home/state.json")"
"$CS_CLI" status --config "$work/serve.json" >"$work/status.txt" || fail "status"
grep -qE "^shipping: syslog tcp://127.0.0.1:$tport, journald off: [0-9]+ sent, [1-9][0-9]* dropped" "$work/status.txt" ||
	fail "status: $(cat "$work/status.txt")"

for key in "${keys[@]}"; do
	for f in "$work/got.jsonl" "$work/meta.txt" "$work/status.txt" "$work/home/state.json" \
		"$work/serve.log" "$work/alone.log" "$work/alone-unix.log" "$work/rsyslog.log"; do
		[[ -f $f ]] && grep -qF "$key" "$f" && fail "the raw key reached $f"
	done
done
echo "ok: rsyslog received the findings intact over TCP, UDP and a Unix socket; a dead receiver only costs counted drops"
