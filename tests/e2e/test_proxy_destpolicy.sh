#!/usr/bin/env bash
# The proxy's destination policy end to end. Traffic goes to loopback only:
#  - with no allow entry, 127.0.0.1 is refused however it is written
#    (2130706433, 0x7f.1, [::ffff:127.0.0.1], the name localhost): 403 with
#    X-Clawsec-Refused: loopback, and the origin there sees nothing;
#  - with the explicit allow entry 127.0.0.1/32 the origin is served, while
#    127.0.0.2 (same port, also listening) stays refused in every spelling and
#    the proxy's own port is refused as proxy-self;
#  - CONNECT to a port outside 443 + connect_ports: connect-port; inside: a tunnel;
#  - deny_hosts: denied-host before any lookup; deny_cidrs (after a SIGHUP) beats allow_cidrs;
#  - through a parent proxy a numeric loopback target is still refused and the parent sees nothing;
#  - every refusal is counted by reason in the state file.
set -euo pipefail
source "$(dirname "$0")/proxy_lib.sh"

printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok' >"$work/reply-ok"
start_node origin proxy_raw.js upstream --record "$work/got-origin" --reply "$work/reply-ok"
port=$PORT
# The same port on 127.0.0.2: nothing may ever reach it.
start_node other proxy_raw.js upstream --record "$work/got-other" --reply "$work/reply-ok" \
	--host 127.0.0.2 --port "$port"

# req NAME REQUEST-LINE: one request through $addr, the answer in $work/NAME.out
req() {
	printf '%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$2" >"$work/$1.req"
	node "$NODE_DIR/proxy_raw.js" client --proxy "$addr" --send "$work/$1.req" \
		--out "$work/$1.out" || fail "$1: client failed"
}
# refused NAME REASON: the answer was a 403 naming REASON
refused() {
	head -n1 "$work/$1.out" | grep -q '^HTTP/1.1 403 Forbidden' ||
		fail "$1: not refused: $(head -c 300 "$work/$1.out")"
	grep -aq "^X-Clawsec-Refused: $2"$'\r'"\$" "$work/$1.out" ||
		fail "$1: reason is not $2: $(head -c 300 "$work/$1.out")"
	grep -aq "destination refused by the proxy policy: $2" "$work/$1.out" || fail "$1: no body"
}
served() {
	head -n1 "$work/$1.out" | grep -q '^HTTP/1.1 200' ||
		fail "$1: not served: $(head -c 300 "$work/$1.out")"
}
# counted STATE-FILE EXPR: EXPR on d.proxy.dest_refused holds within 3 s
counted() {
	local i
	for ((i = 0; i < 30; i++)); do
		[[ $(node -e 'try { const d = JSON.parse(require("fs").readFileSync(process.argv[1])).proxy.dest_refused;
			console.log(eval(process.argv[2])); } catch (e) { console.log(false) }' "$1" "$2") == true ]] &&
			return 0
		sleep 0.1
	done
	fail "state: $2 never held: $(cat "$1")"
}

# 1. default policy, no allow entry: loopback in any spelling is refused.
allow_cidrs='[]' write_config "$work/deny.json"
start_proxy deny "$work/deny.json" --state-file "$work/deny-state.json"
addr=$ADDR
req d1 "GET http://127.0.0.1:$port/"
refused d1 loopback
req d2 "GET http://2130706433:$port/"
refused d2 loopback
req d3 "GET http://0x7f.1:$port/"
refused d3 loopback
req d4 "GET http://[::ffff:127.0.0.1]:$port/"
refused d4 loopback
req d5 "GET http://localhost:$port/"
refused d5 loopback
req d6 "GET http://0:$port/"
refused d6 unspecified
grep -q "refused by the destination policy: loopback" "$work/deny.log" || fail "refusal not logged"
counted "$work/deny-state.json" 'd.loopback == 5 && d.unspecified == 1 && d.total == 6'
[[ ! -e $work/got-origin && ! -e $work/got-other ]] || fail "a refused request reached an origin"
kill -TERM "$proxy_pid"
wait "$proxy_pid" || fail "proxy (deny) did not exit cleanly"

# 2. the explicit allow entry for the test origin (write_config's default 127.0.0.1/32)
write_config "$work/cfg.json" "\"connect_ports\": [$port], \"deny_hosts\": [\"*.denied.test\"]"
start_proxy main "$work/cfg.json" --state-file "$work/state.json"
addr=$ADDR
req a1 "GET http://127.0.0.1:$port/"
served a1
req a2 "GET http://0x7f.1:$port/"
served a2
for spelling in 127.0.0.2 2130706434 0x7f.2 '[::ffff:127.0.0.2]' '[::ffff:7f00:2]'; do
	req "o-$spelling" "GET http://$spelling:$port/"
	refused "o-$spelling" loopback
done
[[ ! -e $work/got-other ]] || fail "127.0.0.2 was reached"
req self "GET http://127.0.0.1:${addr##*:}/"
refused self proxy-self
req c1 "CONNECT 127.0.0.1:22"
refused c1 connect-port
printf 'CONNECT 127.0.0.1:%s HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n' "$port" >"$work/c2.req"
node "$NODE_DIR/proxy_raw.js" client --proxy "$addr" --send "$work/c2.req" --out "$work/c2.out" ||
	fail "c2: client failed"
head -n1 "$work/c2.out" | grep -q '^HTTP/1.1 200 Connection established' ||
	fail "CONNECT to a listed port: $(head -c 200 "$work/c2.out")"
grep -aq 'ok$' "$work/c2.out" || fail "CONNECT to a listed port: no answer through the tunnel"
req c3 "CONNECT 127.0.0.2:$port"
refused c3 loopback
req h1 "GET http://db.denied.test:$port/"
refused h1 denied-host
req h2 "CONNECT DB.Denied.Test.:443"
refused h2 denied-host
counted "$work/state.json" 'd.loopback == 6 && d["proxy-self"] == 1 && d["connect-port"] == 1 &&
	d["denied-host"] == 2 && d.total == 10'
[[ ! -e $work/got-other ]] || fail "127.0.0.2 was reached"

# 3. SIGHUP: deny_cidrs takes precedence over the allow entry.
write_config "$work/cfg.json" '"deny_cidrs": ["127.0.0.0/24"]'
kill -HUP "$proxy_pid"
wait_line "$work/main.log" 'configuration reloaded' >/dev/null
req r1 "GET http://127.0.0.1:$port/"
refused r1 denied-cidr
counted "$work/state.json" 'd["denied-cidr"] == 1'
kill -TERM "$proxy_pid"
wait "$proxy_pid" || fail "proxy (main) did not exit cleanly"

# 4. through a parent proxy: numeric targets are still judged here.
start_node parent proxy_raw.js parent --log "$work/parent-connects"
write_config "$work/chain.json" "\"parent_proxy\": \"http://127.0.0.1:$PORT\""
start_proxy chain "$work/chain.json" --state-file "$work/chain-state.json"
addr=$ADDR
req p1 "GET http://0x7f.2:$port/"
refused p1 loopback
req p2 "GET http://127.0.0.1:$port/"
served p2
grep -qx "CONNECT 127.0.0.1:$port" "$work/parent-connects" || fail "parent: allowed target not relayed"
grep -q "0x7f.2\|127.0.0.2" "$work/parent-connects" && fail "parent: a refused target reached the parent"
[[ ! -e $work/got-other ]] || fail "127.0.0.2 was reached through the parent"
echo "ok: destination policy (loopback spellings, allow entry, proxy-self, CONNECT ports, lists, parent)"
