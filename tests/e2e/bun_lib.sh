# SPDX-License-Identifier: MIT
# bun_lib.sh - shared by the Bun capture tests (sourced, after agent_lib.sh).
#
# Real Bun binaries from the committed lockfile (1.2: BoringSSL's legacy
# scatter/gather AEAD calls; 1.3 and 1.4: the iovec ones), local Node HTTPS
# origins with chosen TLS versions and suites, and tests/fixtures/node/bun_client.js.

BUN12="$FIXTURES/node_modules/bun12/bin/bun"
BUN13="$FIXTURES/node_modules/bun13/bin/bun"
BUN14="$FIXTURES/node_modules/bun14/bin/bun"
MARKER="bun-e2e-$$"

bun_setup() {
	setup
	[[ $(uname -m) == x86_64 ]] || need "Bun capture is x86-64 only"
	[[ -x "$BUN12" && -x "$BUN13" && -x "$BUN14" ]] || need "Bun is not installed (npm ci in tests/fixtures/node)"
	# only the Bun clients of this test are targets; every finding is kept
	printf '{"target_cmdline": ["%s( |$)"], "dedup_window_ms": 0}\n' "$MARKER" >"$T/config.json"
}

# start_origin NAME [tls_server.js args]: sets ORIGIN_PORT.
start_origin() {
	local name=$1
	shift
	node "$FIXTURES/tls_server.js" --cert "$T/cert.pem" --key "$T/key.pem" "$@" >"$T/$name.srv" 2>&1 &
	PIDS+=($!)
	wait_for 10 grep -qs listening "$T/$name.srv" || fail "origin $name did not start"
	ORIGIN_PORT=$(awk '/listening/ {print $2}' "$T/$name.srv")
}

# run_bun NAME EXE [--attached] ARGS...: runs EXE ARGS with --go/--tag, output in
# $T/NAME.out; with --attached waits for the agent to attach first and keeps
# the target's state entry in $T/NAME.target (JSON). Sets RUN_PID.
run_bun() {
	local name=$1 exe=$2 attached=0
	shift 2
	[[ "${1:-}" == --attached ]] && { attached=1; shift; }
	"$exe" "$@" --go "$T/$name.go" --tag "$MARKER" >"$T/$name.out" 2>&1 &
	RUN_PID=$!
	PIDS+=($RUN_PID)
	if ((attached)); then
		wait_for 20 target_attached "$RUN_PID" || fail "$name: pid $RUN_PID not attached: $(state 'JSON.stringify(s.targets)')"
		state "JSON.stringify(s.targets.find(t => t.pid === $RUN_PID))" >"$T/$name.target"
	fi
	touch "$T/$name.go"
	wait_for 60 bash -c "! kill -0 $RUN_PID 2>/dev/null" || fail "$name did not finish"
	wait "$RUN_PID" || fail "$name exited $?: $(cat "$T/$name.out")"
	grep -Eqv ' 200( |$)' "$T/$name.out" && fail "$name: a request failed: $(cat "$T/$name.out")"
	return 0
}

# target NAME EXPR: EXPR over the state entry `t` run_bun kept.
target() {
	node -e 'const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		console.log(eval(process.argv[2]))' "$T/$1.target" "$2"
}

# capture_clean: no record or byte lost or cut, no read failure.
capture_clean() {
	[[ $(state "['ringbuf_full','bytes_lost','bytes_cut','read_failures'].map(k => s.capture[k]).join()") == 0,0,0,0 ]] ||
		fail "capture lost data: $(state 'JSON.stringify(s.capture)')"
}
