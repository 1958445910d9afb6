#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The libssl path: a dynamically linked OpenSSL program (openssl s_client) is
# classified "libssl" and probed through the libssl.so it maps; that library
# stays probed after it exits, so a short-lived curl exec'd later by a target
# (what a container agent's tool call looks like) is captured from its very
# first SSL_write: the fake key going out, the pipe-to-shell coming back.
source "$(dirname "$0")/agent_lib.sh"
setup
command -v curl >/dev/null || need "curl is not installed"
start_server

# A: an idle TLS connection from a libssl program. The sleep's output goes
# nowhere: an orphaned sleep holding ctest's pipe would stall the test 60 s.
sleep 60 2>/dev/null | openssl s_client -connect "127.0.0.1:$PORT" -quiet >/dev/null 2>&1 &
libssl_user=$!
PIDS+=($libssl_user)
# B: a shell that execs curl once told to.
mkdir -p "$T/input"
{
	printf '{"messages":[{"role":"user","content":"key:\\n%s\\n%s\\n%s\\n"}]}' \
		"-----BEGIN RSA PRIVATE KEY-----" "$RAW_PEM_LINE" "-----END RSA PRIVATE KEY-----"
} >"$T/input/body.json"
sh -c 'while [ ! -e "$1" ]; do sleep 0.02; done
	exec curl -sS --cacert "$2" -H "x-api-key: $3" -H "content-type: application/json" \
		--data-binary @"$4" -o /dev/null "https://localhost:$5/v1/messages"' \
	sh "$T/curl.go" "$T/cert.pem" "$RAW_KEY" "$T/input/body.json" "$PORT" &
shell=$!
PIDS+=($shell)

start_agent --pid "$libssl_user" --pid "$shell"
wait_for 10 target_attached "$libssl_user" || fail "openssl s_client not attached"
[[ $(state "s.targets.find(t => t.pid === $libssl_user).tls_path") == libssl ]] ||
	fail "s_client not classified libssl: $(state 'JSON.stringify(s.targets)')"
[[ $(state "s.targets.find(t => t.pid === $shell).tls_path") == none ]] ||
	fail "the shell has no TLS, yet: $(state 'JSON.stringify(s.targets)')"

# The only libssl user leaves before curl starts.
kill "$libssl_user"
wait_for 10 state_is "s.targets.some(t => t.pid === $libssl_user)" false || fail "s_client still listed"
touch "$T/curl.go"
wait_for 20 bash -c "! kill -0 $shell 2>/dev/null" || fail "curl did not finish"
for p in ai_api_key:outbound private_key_pem:outbound pipe_to_shell:inbound; do
	wait_for 10 findings_exactly "f.filter(x => x.pattern === '${p%%:*}' && x.direction === '${p##*:}' &&
		x.source === 'curl/$shell' && x.protocol === 'https' && x.dest === 'localhost:$PORT').length" 1 ||
		fail "curl's ${p##*:} ${p%%:*} not captured: $(findings 'JSON.stringify(f)')"
done
stop_agent
no_raw_secrets
say "ok"
