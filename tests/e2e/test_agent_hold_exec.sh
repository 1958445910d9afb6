#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# No cold start for static-TLS executables outside the standard paths: a
# target runs ten copies of a stripped static Go HTTPS client (each its own
# never-seen file in a temporary /opt-like directory) and a `bun build
# --compile` executable three times, each connecting the moment it starts.
# The kernel holds each new executable at exec until the agent has examined
# and probed it (bpf/hold.bpf.h), so every first request is seen: 10 of 10
# Go, 3 of 3 Bun (the first Bun run is its cold start, the next two find it
# kept probed). state.json counts the holds.
source "$(dirname "$0")/agent_lib.sh"
source "$(dirname "$0")/bun_lib.sh"
setup
command -v go >/dev/null || need "go is not installed (scripts/setup.sh installs golang-go)"
[[ -x "$BUN14" ]] || need "Bun is not installed (npm ci in tests/fixtures/node)"
RUNS=10
mkdir -p "$T/gobuild" "$T/opt/x" "$T/input"
(cd "$T/gobuild" && export GOCACHE="$T/gobuild/cache" GOPATH="$T/gobuild/gopath" GOFLAGS= \
	GO111MODULE=off GOTOOLCHAIN=local GOPROXY=off &&
	go build -ldflags='-s -w' -o "$T/client" "$CS_SOURCE_DIR/tests/fixtures/go/client.go") ||
	fail "go build failed"
chmod -R u+w "$T/gobuild" && rm -rf "$T/gobuild" # the module cache is read-only
for ((i = 0; i < RUNS; i++)); do cp "$T/client" "$T/opt/x/goc$i"; done
"$BUN14" build --compile "$FIXTURES/bun_client.js" --outfile "$T/opt/x/agent-like" \
	>"$T/compile.out" 2>&1 || fail "bun build --compile failed: $(cat "$T/compile.out")"
echo '{"messages":[]}' >"$T/input/body.json"
touch "$T/now.go" # the clients' start file exists: they connect at once
start_server
# only the shell given by pid (and its children) is a target: the default
# cmdline rule would also pull in other NanoClaw-like processes on the machine
printf '{"dedup_window_ms": 0, "target_cmdline": ["^cs-hold-exec-%s$"]}\n' "$$" >"$T/config.json"

# key N: a distinct fake key per Go request.
key() { printf '%s%04d%s' "${RAW_KEY:0:43}" "$1" "${RAW_KEY:47}"; }
mkdir -m 700 "$T/keys"
for ((i = 0; i < RUNS; i++)); do key "$i" >"$T/keys/k$i"; done

SSL_CERT_FILE="$T/cert.pem" sh -c 'while [ ! -e "$1/go" ]; do sleep 0.02; done
	i=0
	while [ $i -lt "$3" ]; do
		"$1/opt/x/goc$i" "https://localhost:$2/v1/messages" "$1/now.go" "$(cat "$1/keys/k$i")" \
			"$1/input/body.json" >"$1/goc$i.out" 2>&1 || echo "goc$i failed" >&2
		i=$((i + 1))
	done
	for n in 1 2 3; do
		"$1/opt/x/agent-like" --go "$1/now.go" --job "fetch:https://localhost:$2/v1/messages" \
			>"$1/bun$n.out" 2>&1 || echo "agent-like $n failed" >&2
	done' sh "$T" "$PORT" "$RUNS" 2>"$T/clients.err" &
shell=$!
PIDS+=($shell)

start_agent --pid "$shell" --config "$T/config.json"
wait_for 10 target_attached "$shell" || fail "the shell was not attached"
touch "$T/go"
wait_for 120 bash -c "! kill -0 $shell 2>/dev/null" || fail "the clients did not finish"
[[ ! -s $T/clients.err ]] || fail "clients failed: $(cat "$T/clients.err") $(cat "$T"/goc*.out)"

count() { # SOURCE-PREFIX
	findings "f.filter(x => x.pattern === 'ai_api_key' && x.direction === 'outbound' &&
		x.source.startsWith('$1') && x.dest === 'localhost:$PORT').length"
}
check() { # SOURCE-PREFIX WANT NAME
	for _ in $(seq 50); do [[ $(count "$1") -ge $2 ]] && break; sleep 0.1; done
	n=$(count "$1")
	say "$3: $n of $2 first requests captured"
	[[ $n -eq $2 ]] || fail "$3: only $n of $2 captured from the first request; holds: $(state \
		'JSON.stringify(s.capture.hold_exec)') seen: $(findings "JSON.stringify(f.map(x => [x.pattern, x.source, x.dest]))")"
}
check goc $RUNS "Go copies"
check agent-like/ 3 "compiled Bun"
wait_for 5 state_at_least "s.capture.hold_exec.released" $((RUNS + 1)) ||
	fail "fewer holds than new executables: $(state 'JSON.stringify(s.capture.hold_exec)')"
say "holds: $(state 'JSON.stringify(s.capture.hold_exec)')"
[[ $(state "s.targets.filter(t => t.note.includes('TLS not visible')).length") -eq 0 ]] ||
	fail "a target called not visible: $(state 'JSON.stringify(s.targets)')"
stop_agent
no_raw_secrets
hits=$(grep -rlF --exclude-dir=keys --exclude-dir=opt -e "${RAW_KEY:13:30}" "$T" || true)
[[ -z $hits ]] || fail "a raw key found in: $hits"
say "ok"
