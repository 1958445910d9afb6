#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Go crypto/tls path: a Go HTTPS client (tests/fixtures/go/client.go,
# built here offline from the standard library, once as is and once with
# -ldflags=-s -w: no symbol table, only Go's own function table) runs as a
# child of a target shell. The agent finds (*Conn).Write/Read and Read's RETs
# in the executable, attaches bpf/gotls.bpf.c, and sees the fake key header
# and the private key body going out and the server's gzip'd SSE reply with
# its pipe-to-shell coming in, dest localhost:PORT. Each client waits for a
# go-file until the agent shows its executable attached: a Go program that
# connects at once can race the probes (docs/capture.md, "No cold start").
source "$(dirname "$0")/agent_lib.sh"
setup
command -v go >/dev/null || need "go is not installed (scripts/setup.sh installs golang-go)"
mkdir -p "$T/gobuild" "$T/input"
(cd "$T/gobuild" && export GOCACHE="$T/gobuild/cache" GOPATH="$T/gobuild/gopath" GOFLAGS= \
	GO111MODULE=off GOTOOLCHAIN=local GOPROXY=off &&
	go build -o "$T/client" "$CS_SOURCE_DIR/tests/fixtures/go/client.go" &&
	go build -ldflags='-s -w' -o "$T/client_s" "$CS_SOURCE_DIR/tests/fixtures/go/client.go") ||
	fail "go build failed"
chmod -R u+w "$T/gobuild" && rm -rf "$T/gobuild" # the module cache is read-only
start_server
# The stripped client talks to a second server: the same finding to the same
# dest within the dedup window would be folded into the first client's.
node "$FIXTURES/tls_server.js" --cert "$T/cert.pem" --key "$T/key.pem" >"$T/server2.out" 2>&1 &
PIDS+=($!)
wait_for 10 grep -qs listening "$T/server2.out" || fail "second server did not start"
PORT_S=$(awk '/listening/ {print $2}' "$T/server2.out")
KEY_S=${RAW_KEY/FAKEfake/STRIPstr}
printf '{"messages":[{"role":"user","content":"key:\\n%s\\n%s\\n%s\\n"}]}' \
	"-----BEGIN RSA PRIVATE KEY-----" "$RAW_PEM_LINE" "-----END RSA PRIVATE KEY-----" \
	>"$T/input/body.json"
SSL_CERT_FILE="$T/cert.pem" sh -c 'while [ ! -e "$1/start.go" ]; do sleep 0.02; done
	"$1/client" "https://localhost:$2/v1/messages" "$1/plain.go" "$3" "$1/input/body.json" \
		>"$1/plain.out" 2>&1
	"$1/client_s" "https://localhost:$5/v1/messages" "$1/stripped.go" "$4" "$1/input/body.json" \
		>"$1/stripped.out" 2>&1' \
	sh "$T" "$PORT" "$RAW_KEY" "$KEY_S" "$PORT_S" &
shell=$!
PIDS+=($shell)

start_agent --pid "$shell"
wait_for 10 target_attached "$shell" || fail "the shell was not attached"
touch "$T/start.go"
# run_client COMM NAME: wait until COMM is a Go target with probes, let it go.
run_client() {
	wait_for 20 state_is "s.targets.some(t => t.comm === '$1' && t.tls_path === 'go' &&
		t.attached && /^go1\.[0-9.]+, crypto\/tls \([0-9]+ returns of Read\)$/.test(t.note))" true ||
		fail "$1 was not attached as a Go target: $(state 'JSON.stringify(s.targets)')"
	touch "$T/$2.go"
}
run_client client plain
run_client client_s stripped
wait_for 30 bash -c "! kill -0 $shell 2>/dev/null" || fail "the clients did not finish"
for c in plain stripped; do
	grep -q "status 200" "$T/$c.out" || fail "$c client: $(cat "$T/$c.out")"
done

# at_least N PATTERN DIRECTION COMM PORT: findings from a COMM process to localhost:PORT
at_least() {
	[[ $(findings "f.filter(x => x.pattern === '$2' && x.direction === '$3' &&
		x.source.startsWith('$4/') && x.protocol === 'https' &&
		x.dest === 'localhost:$5').length") -ge $1 ]]
}
for cp in client:$PORT client_s:$PORT_S; do
	IFS=: read -r comm port <<<"$cp"
	for p in ai_api_key:outbound private_key_pem:outbound pipe_to_shell:inbound; do
		IFS=: read -r pat dir <<<"$p"
		wait_for 10 at_least 1 "$pat" "$dir" "$comm" "$port" ||
			fail "$comm's $dir $pat not captured: $(findings 'JSON.stringify(f)')"
	done
done
stop_agent
no_raw_secrets
hits=$(grep -rlF --exclude-dir=input -e "$KEY_S" "$T" || true)
[[ -z $hits ]] || fail "the stripped client's raw key found in: $hits"
say "ok"
