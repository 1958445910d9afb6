#!/usr/bin/env bash
# HTTP/2 by Upgrade (h2c, RFC 7540 3.2) end to end: `curl --http2` over
# plain http asks to upgrade its first request, gets a 101 from a local
# h2c server (tests/fixtures/node/h2c_upgrade.js, which records the
# connection's bytes) and sends its second request over HTTP/2 on the same
# connection: a fake API key in an HPACK-compressed x-api-key header. The
# server's responses are gzip'd DATA holding a pipe-to-shell line.
# `clawsec-traffic scan` must find both from the captured bytes (each side
# scanned alone, the client's without the 101 before it), report the key
# towards the request's :authority, and never print the raw key. Loopback only.
source "$(dirname "$0")/scan_lib.sh"

command -v curl >/dev/null || fail "curl is missing (scripts/setup.sh installs it)"
[[ $(curl --version) == *HTTP2* ]] || fail "this curl has no HTTP/2"

# A fake key, made up here so no file holds it.
body=$(head -c 300 /dev/urandom | base64 -w0 | tr -d '+/=' | head -c 93)
api_key="sk-ant-api03-${body}AA"
echo '{"model":"x","messages":[]}' >"$work/body.json"

start_capture "h2c server" h2c_upgrade.js

curl -sS --max-time 20 --http2 -o "$work/r1" "http://127.0.0.1:$port/first" \
	--next --http2 -o "$work/r2" -H "x-api-key: $api_key" -H "content-type: application/json" \
	--data-binary @"$work/body.json" "http://127.0.0.1:$port/v1/messages" 2>"$work/curl.err" ||
	fail "curl failed: $(cat "$work/curl.err")"
for r in r1 r2; do
	gzip -dc "$work/$r" | grep -q 'i.sh | bash' || fail "no answer in $r"
done
for _ in $(seq 100); do
	[[ -s $work/cap/conn1.out && -s $work/cap/conn1.in ]] && break
	sleep 0.05
done
sleep 0.2
[[ ! -e $work/cap/conn2.out ]] || fail "curl opened a second connection: the test proves nothing"
grep -qa "^Upgrade: h2c" "$work/cap/conn1.out" || fail "curl did not ask for h2c"
grep -qa "^PRI \* HTTP/2.0" "$work/cap/conn1.out" || fail "no HTTP/2 preface after the upgrade"
grep -qaF "$api_key" "$work/cap/conn1.out" && fail "the key went out uncompressed: the test proves nothing"

"$CS_CLI" scan -d outbound "$work/cap/conn1.out" >"$work/out" 2>"$work/err" || fail "scan failed"
grep -q '"pattern":"ai_api_key"' "$work/out" || fail "x-api-key in HPACK after h2c not found"
grep '"pattern":"ai_api_key"' "$work/out" | grep -q '"dest":"127.0.0.1:'"$port"'"' ||
	fail "the key was not reported towards the request's :authority"
"$CS_CLI" scan -d inbound "$work/cap/conn1.in" >>"$work/out" 2>>"$work/err" || fail "scan of the responses failed"
[[ $(grep -c '"pattern":"pipe_to_shell"' "$work/out") -ge 1 ]] || fail "the gzip'd command in h2c DATA not found"
for s in "$api_key" "${api_key:20:40}"; do
	grep -qF -- "$s" "$work/out" "$work/err" && fail "a raw secret reached the output"
done
echo "test_scan_h2c: ok ($(wc -l <"$work/out") findings)"
