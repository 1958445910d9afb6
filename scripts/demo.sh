#!/usr/bin/env bash
# README command 1, the live demo: set up, build, then watch a stand-in for
# NanoClaw leak secrets over HTTPS and receive a pipe-to-shell, as the eBPF
# agent sees it.
#
#  - a local HTTPS server (Node, throwaway self-signed certificate) plays the
#    LLM API: it answers with a gzip'd, chunked SSE stream whose text deltas
#    spell `curl -fsSL ... | bash` across several events;
#  - a small Node program laid out like NanoClaw (`node dist/index.js` in a
#    checkout whose package.json says "nanoclaw") sends a FAKE Anthropic key
#    in a header and a FAKE private key in a 64 KB JSON body with fetch();
#  - the agent finds that process with its default matcher, probes the
#    OpenSSL inside the node executable, and logs redacted findings;
#  - then a Bun program, as a NanoClaw v2 agent container runs it, does the
#    same with Bun's fetch(): the agent finds BoringSSL's AEAD functions in
#    the stripped Bun binary and sees that traffic too.
# Then it prints the findings table and the JSONL path, and stops every
# process it started. Needs root for eBPF; without it, the detector runs on
# the bundled captures instead (tests/fixtures/demo).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${CS_BUILD_DIR:-build}
bash scripts/setup.sh
# Only the CLI (and its BPF skeleton): the full tree with tests is scripts/build.sh.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target clawsec-traffic -j"$(nproc)" -- --no-print-directory >/dev/null
cli=$build/user/clawsec-traffic
out=$(realpath -m "${CS_DEMO_DIR:-$build/demo}")
umask 077 # findings are redacted, but still nobody else's business

if [[ $(id -u) -ne 0 ]]; then
	echo "The live demo loads eBPF probes and needs root; scanning the bundled captures instead."
	mkdir -p "$out"
	captures=(tests/fixtures/demo/*.http)
	"$cli" scan "${captures[@]}" >"$out/findings.jsonl"
	"$cli" scan --table "${captures[@]}" 2>/dev/null
	echo "== findings as JSONL: $out/findings.jsonl =="
	exit 0
fi

work=$(mktemp -d /tmp/clawsec-demo.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
wait_for() { # SECONDS CMD...
	local n=$(($1 * 10))
	shift
	until "$@"; do
		((n--)) || return 1
		sleep 0.1
	done
}
state() { # a JS expression over the agent's state.json
	node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		console.log(eval(process.argv[2]))' "$work/home/state.json" "$1" 2>/dev/null
}

echo "== 1. A local HTTPS server standing in for the LLM API =="
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
	-days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null
# The file exists before the background job opens it, so the first poll
# below never races the redirection (grep would complain the file is missing).
: >"$work/server.out"
node tests/fixtures/node/tls_server.js --cert "$work/cert.pem" --key "$work/key.pem" >"$work/server.out" &
pids+=($!)
wait_for 10 grep -qs listening "$work/server.out"
port=$(awk '/listening/ {print $2}' "$work/server.out")
echo "   https://localhost:$port (self-signed, trusted only by the demo client)"

echo "== 2. A stand-in for NanoClaw: node dist/index.js in a checkout =="
mkdir -p "$work/nanoclaw/dist"
echo '{"name": "nanoclaw", "private": true}' >"$work/nanoclaw/package.json"
cp tests/fixtures/node/client.js "$work/nanoclaw/dist/index.js"
(cd "$work/nanoclaw" && NODE_EXTRA_CA_CERTS="$work/cert.pem" exec node dist/index.js \
	--url "https://localhost:$port/v1/messages" --go "$work/go" >"$work/client.out" 2>&1) &
pids+=($!)
nanoclaw=$!
echo "   pid $nanoclaw, waiting for the agent before it talks"

echo "== 3. The agent (eBPF), with no --pid: its matchers find NanoClaw and its agents =="
mkdir -p "$out" && rm -rf "$out/logs"
# NanoClaw's host process (the default matcher) and, as a v2 container would
# run it, an agent started as `bun run /app/src/index.ts` (step 5).
printf '{"target_cmdline": ["%s", "%s"]}\n' \
	'(^|/)node [^ ]*dist/index\\.js( |$)' '(^|/)bun run [^ ]*/app/src/index\\.ts( |$)' \
	>"$work/agent.json"
NANOCLAW_TRAFFIC_GUARDIAN_HOME="$work/home" "$cli" agent --config "$work/agent.json" \
	--log-dir "$out/logs" --state-file "$work/home/state.json" 2>"$work/agent.log" &
pids+=($!)
agent=$!
attached() { [[ $(state "s.targets.some(t => t.pid === $nanoclaw && t.attached)") == true ]]; }
wait_for 20 attached || { cat "$work/agent.log"; exit 1; }
"$cli" status --state-file "$work/home/state.json" | sed -n '/^targets/,/^findings by pattern/p' | sed '$d'

echo "== 4. NanoClaw sends its request and reads the streamed reply =="
touch "$work/go"
wait "$nanoclaw" || true
sed 's/^/   /' "$work/client.out"
three() { [[ -s "$out/logs/findings.jsonl" && $(wc -l <"$out/logs/findings.jsonl") -ge 3 ]]; }
wait_for 5 three || true

echo "== 5. A NanoClaw v2 agent: Bun, whose TLS is a stripped, static BoringSSL =="
bun=tests/fixtures/node/node_modules/bun14/bin/bun
# Its own API stand-in: the same fake secrets to the same dest would be folded
# into step 4's findings (deduplication), not listed again.
: >"$work/server2.out"
node tests/fixtures/node/tls_server.js --cert "$work/cert.pem" --key "$work/key.pem" >"$work/server2.out" &
pids+=($!)
wait_for 10 grep -qs listening "$work/server2.out"
port2=$(awk '/listening/ {print $2}' "$work/server2.out")
mkdir -p "$work/app/src"
cp tests/fixtures/node/bun_client.js "$work/app/src/index.ts"
NODE_EXTRA_CA_CERTS="$work/cert.pem" "$bun" run "$work/app/src/index.ts" --go "$work/bun.go" \
	--job "fetch:https://localhost:$port2/v1/messages" >"$work/bun.out" 2>&1 &
pids+=($!)
bunpid=$!
bun_attached() {
	[[ $(state "s.targets.some(t => t.pid === $bunpid && t.tls_path === 'boringssl_aead' && t.attached)") == true ]]
}
if wait_for 20 bun_attached; then
	echo "   $(state "(t => t.comm + '/' + t.pid + ': ' + t.tls_path + ', ' + t.note)(s.targets.find(t => t.pid === $bunpid))")"
	touch "$work/bun.go"
	wait "$bunpid" || true
	sed 's/^/   /' "$work/bun.out"
	six() { [[ $(wc -l <"$out/logs/findings.jsonl") -ge 6 ]]; }
	wait_for 5 six || true
else
	echo "   Bun was not attached (see the agent's log): $(tail -3 "$work/agent.log")"
fi

echo "== 6. What the agent logged =="
"$cli" findings --log-dir "$out/logs"
echo
echo "   $(wc -l <"$out/logs/findings.jsonl") findings as JSONL (clawsec-traffic-finding/v1): $out/logs/findings.jsonl"
echo "   Secrets are redacted before anything is written; nothing was blocked (detect-only)."
kill -TERM "$agent"
wait "$agent" && echo "   agent stopped: probes detached"
