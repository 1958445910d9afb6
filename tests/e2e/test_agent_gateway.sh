#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Behind a credential gateway (NanoClaw v2's shape; mitmproxy stands in: proxy
# auth, its own CA given to the clients as NanoClaw does): the clients' socket
# peer is the gateway, the first bytes a plaintext CONNECT localhost:PORT with
# Proxy-Authorization, then TLS in the tunnel. Every capture path, curl
# (libssl, SNI), Node 22 (static OpenSSL, memory BIOs) and Bun (BoringSSL, no
# SNI), reports dest localhost:PORT, the
# CONNECT target, never the gateway's address; the proxy token appears in no
# output (findings, state, agent log), raw or base64.
source "$(dirname "$0")/agent_lib.sh"
source "$(dirname "$0")/bun_lib.sh"
bun_setup
command -v mitmdump >/dev/null || need "mitmdump is not installed (scripts/setup.sh)"
command -v curl >/dev/null || need "curl is not installed"
unset NO_PROXY no_proxy

TOKEN="gw-token-$$-$RANDOM"
start_origin origin
port=$ORIGIN_PORT

# The gateway: its confdir (CA key) and log under $T/input, which no check searches.
mkdir -p "$T/input/mitm"
free_port() { node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
for _ in 1 2 3; do
	gw=$(free_port)
	mitmdump -q --listen-host 127.0.0.1 -p "$gw" --proxyauth "x:$TOKEN" \
		--set confdir="$T/input/mitm" --set ssl_verify_upstream_trusted_ca="$T/cert.pem" \
		>"$T/input/mitm.log" 2>&1 &
	gw_pid=$!
	PIDS+=($gw_pid)
	wait_for 15 bash -c "exec 3<>/dev/tcp/127.0.0.1/$gw" 2>/dev/null && break
	kill "$gw_pid" 2>/dev/null || true # the port was taken meanwhile: another one
	gw=""
done
[[ -n "$gw" ]] || fail "mitmdump did not start: $(cat "$T/input/mitm.log")"
ca="$T/input/mitm/mitmproxy-ca-cert.pem"
proxy="http://x:$TOKEN@127.0.0.1:$gw" # given to the clients only, as NanoClaw does

# libssl stays probed once a libssl user was attached (test_agent_libssl.sh):
# an idle s_client first, then a shell that execs curl, a target from the start.
sleep 60 2>/dev/null | openssl s_client -connect "127.0.0.1:$port" -quiet >/dev/null 2>&1 &
libssl_user=$!
PIDS+=($libssl_user)
mkdir -p "$T/input"
printf '{"messages":[{"role":"user","content":"hi"}]}' >"$T/input/body.json"
HTTPS_PROXY="$proxy" sh -c 'while [ ! -e "$1" ]; do sleep 0.02; done
	exec curl -sS --cacert "$2" -H "x-api-key: $3" -H "content-type: application/json" \
		--data-binary @"$4" -o "$5" "https://localhost:$6/v1/messages"' \
	sh "$T/curl.go" "$ca" "$RAW_KEY" "$T/input/body.json" "$T/curl.body" "$port" &
shell=$!
PIDS+=($shell)

start_agent --config "$T/config.json" --pid "$libssl_user" --pid "$shell"
wait_for 10 target_attached "$libssl_user" || fail "openssl s_client not attached"
touch "$T/curl.go"
wait_for 30 bash -c "! kill -0 $shell 2>/dev/null" || fail "curl did not finish"
[[ -s "$T/curl.body" ]] || fail "curl got no answer through the gateway"

HTTPS_PROXY="$proxy" NODE_EXTRA_CA_CERTS="$ca" run_bun bun "$BUN14" --attached "$FIXTURES/bun_client.js" \
	--job "fetch:https://localhost:$port/v1/messages"
bun_pid=$RUN_PID

# Node 22 (NanoClaw v2's host runtime) honours the proxy variables with NODE_USE_ENV_PROXY.
node22="$FIXTURES/node_modules/node22/bin/node"
[[ -x "$node22" ]] || need "Node 22 is not installed (npm ci in tests/fixtures/node)"
HTTPS_PROXY="$proxy" NODE_USE_ENV_PROXY=1 NODE_NO_WARNINGS=1 NODE_EXTRA_CA_CERTS="$ca" run_bun node22 "$node22" --attached \
	"$FIXTURES/client.js" --url "https://localhost:$port/v1/messages"
node_pid=$RUN_PID

for who in "curl/$shell" "bun/$bun_pid" "node/$node_pid"; do
	for p in ai_api_key:outbound pipe_to_shell:inbound; do
		wait_for 10 findings_at_least "f.filter(x => x.source === '$who' && x.pattern === '${p%%:*}' &&
			x.direction === '${p##*:}' && x.dest === 'localhost:$port').length" 1 ||
			fail "$who: no ${p##*:} ${p%%:*} finding for localhost:$port: $(findings 'JSON.stringify(f.map(x => [x.source, x.pattern, x.dest]))')"
	done
done
[[ $(findings "f.filter(x => x.dest.endsWith(':$gw')).length") -eq 0 ]] ||
	fail "a finding names the gateway: $(findings 'JSON.stringify(f.map(x => [x.source, x.pattern, x.dest]))')"
stop_agent
b64=$(printf 'x:%s' "$TOKEN" | base64 -w0)
hits=$(grep -rlF --exclude-dir=input -e "$TOKEN" -e "$b64" "$T" || true)
[[ -z "$hits" ]] || fail "the proxy token was written to: $hits"
no_raw_secrets
say "ok"
