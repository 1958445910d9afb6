#!/usr/bin/env bash
# HTTP/2 end to end: `curl --http2-prior-knowledge` sends a fake API key in
# an x-api-key header (HPACK-compressed, Huffman-coded) and a fake private
# key gzip'd in the body to a local h2c server (Node's http2); a relay
# records the connection's bytes and `clawsec-traffic scan` must find both,
# with the raw secrets nowhere in its output. Loopback only.
source "$(dirname "$0")/scan_lib.sh"

command -v curl >/dev/null || fail "curl is missing (scripts/setup.sh installs it)"
[[ $(curl --version) == *HTTP2* ]] || fail "this curl has no HTTP/2"

# Fake secrets, made up here so no file holds them.
body=$(head -c 300 /dev/urandom | base64 -w0 | tr -d '+/=' | head -c 93)
api_key="sk-ant-api03-${body}AA"
{
	echo "-----BEGIN RSA PRIVATE KEY-----"
	head -c 900 /dev/urandom | base64 -w 64
	echo "-----END RSA PRIVATE KEY-----"
} >"$work/key.pem"
gzip -c "$work/key.pem" >"$work/body.gz"
key_line=$(sed -n 3p "$work/key.pem")

start_capture "h2c server" h2_capture.js

curl -sS --http2-prior-knowledge -o "$work/resp" \
	-H "x-api-key: $api_key" -H "content-encoding: gzip" \
	-H "content-type: application/json" --data-binary @"$work/body.gz" \
	"http://127.0.0.1:$port/v1/messages" || fail "curl failed"
grep -q '"received"' "$work/resp" || fail "the server did not answer"
# The relay closes its capture when the connection closes.
for _ in $(seq 100); do
	[[ -s $work/cap/conn1.out && -s $work/cap/conn1.in ]] && break
	sleep 0.05
done
sleep 0.2
[[ $(head -c 14 "$work/cap/conn1.out") == "PRI * HTTP/2.0" ]] || fail "no HTTP/2 preface captured"
grep -qaF "x-api-key: $api_key" "$work/cap/conn1.out" && fail "the header went out uncompressed: the test proves nothing"

"$CS_CLI" scan -d outbound --dest 127.0.0.1:"$port" "$work/cap/conn1.out" >"$work/out" 2>"$work/err" ||
	fail "scan failed"
grep -q '"pattern":"ai_api_key"' "$work/out" || fail "x-api-key in HPACK not found"
grep -q '"pattern":"private_key_pem"' "$work/out" || fail "the gzip'd key in DATA not found"
"$CS_CLI" scan -d inbound "$work/cap/conn1.in" >>"$work/out" 2>>"$work/err" || fail "scan of the responses failed"
# Without --dest the request's :authority (curl's, from the URL) names the dest, as Host does.
"$CS_CLI" scan -d outbound "$work/cap/conn1.out" >"$work/out2" 2>>"$work/err" || fail "scan without --dest failed"
grep -q '"pattern":"ai_api_key".*"dest":"127.0.0.1:'"$port"'"' "$work/out2" ||
	grep -q '"dest":"127.0.0.1:'"$port"'".*"pattern":"ai_api_key"' "$work/out2" ||
	fail "the :authority was not used as dest: $(cat "$work/out2")"
cat "$work/out2" >>"$work/out"
for s in "$api_key" "${api_key:20:40}" "$key_line"; do
	grep -qF -- "$s" "$work/out" "$work/err" && fail "a raw secret reached the output"
done
echo "test_scan_http2: ok ($(wc -l <"$work/out") findings)"
