#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# HTTP/2 over TLS through the live agent: curl (libssl) negotiates h2 by ALPN
# with a local Node http2 origin and sends a fake key in an x-api-key header,
# which HPACK compresses (Huffman-coded, no plaintext on the wire even inside
# TLS), and a fake private key in the body; the reply carries a pipe-to-shell.
# All three are found from the connection preface on, redacted.
source "$(dirname "$0")/agent_lib.sh"
setup
command -v curl >/dev/null || need "curl is not installed"
[[ $(curl --version) == *HTTP2* ]] || need "this curl has no HTTP/2"
node "$FIXTURES/h2_tls_server.js" --cert "$T/cert.pem" --key "$T/key.pem" >"$T/server.out" 2>&1 &
PIDS+=($!)
wait_for 10 grep -qs listening "$T/server.out" || fail "server did not start"
PORT=$(awk '/listening/ {print $2}' "$T/server.out")

# An idle libssl user gets libssl.so probed before curl starts (see test_agent_libssl).
sleep 60 2>/dev/null | openssl s_client -connect "127.0.0.1:$PORT" -alpn h2 -quiet >/dev/null 2>&1 &
libssl_user=$!
PIDS+=($libssl_user)
mkdir -p "$T/input"
printf '{"messages":[{"role":"user","content":"key:\\n%s\\n%s\\n%s\\n"}]}' \
	"-----BEGIN RSA PRIVATE KEY-----" "$RAW_PEM_LINE" "-----END RSA PRIVATE KEY-----" >"$T/input/body.json"
sh -c 'while [ ! -e "$1" ]; do sleep 0.02; done
	exec curl -sS --http2 --cacert "$2" -H "x-api-key: $3" -H "content-type: application/json" \
		--data-binary @"$4" -o "$6" -w "%{http_version}\n" "https://localhost:$5/v1/messages"' \
	sh "$T/curl.go" "$T/cert.pem" "$RAW_KEY" "$T/input/body.json" "$PORT" "$T/reply" >"$T/curl.out" 2>&1 &
shell=$!
PIDS+=($shell)

start_agent --pid "$libssl_user" --pid "$shell"
wait_for 10 target_attached "$libssl_user" || fail "openssl s_client not attached"
touch "$T/curl.go"
wait_for 20 bash -c "! kill -0 $shell 2>/dev/null" || fail "curl did not finish"
[[ $(cat "$T/curl.out") == 2 ]] || fail "curl did not speak HTTP/2: $(cat "$T/curl.out")"
for p in ai_api_key:outbound private_key_pem:outbound pipe_to_shell:inbound; do
	wait_for 10 findings_exactly "f.filter(x => x.pattern === '${p%%:*}' && x.direction === '${p##*:}' &&
		x.source === 'curl/$shell' && x.protocol === 'https' && x.dest === 'localhost:$PORT').length" 1 ||
		fail "curl's HTTP/2 ${p##*:} ${p%%:*} not captured: $(findings 'JSON.stringify(f)')"
done
stop_agent
no_raw_secrets
say "ok"
