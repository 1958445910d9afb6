#!/usr/bin/env bash
# End to end with a real MCP client and the real host service: the official
# TypeScript SDK client (@modelcontextprotocol/sdk, from the committed
# lockfile) drives clawsec-traffic-mcp over stdio; the server's tasks are
# answered by `clawsec-traffic serve` on a temporary home and IPC root. The
# findings log holds a finding made by `clawsec-traffic scan` from a request
# that leaks a freshly generated, real-looking API key; the raw key must
# appear in no output.
set -euo pipefail
: "${CS_SOURCE_DIR:?}" "${CS_CLI:?}" "${CS_MCP:?CS_MCP must name the clawsec-traffic-mcp binary}"

skip() {
	if [[ "${CI:-}" == "true" ]]; then
		echo "FAIL (CI): $1"
		exit 1
	fi
	echo "SKIP: $1"
	exit 77
}
fail() {
	echo "FAIL: $*"
	exit 1
}

node_dir=$CS_SOURCE_DIR/tests/fixtures/node
command -v node >/dev/null || skip "node is not installed (scripts/setup.sh installs it)"
[[ -d "$node_dir/node_modules/@modelcontextprotocol/sdk" ]] ||
	skip "the MCP SDK is not installed: run scripts/setup.sh (npm ci in tests/fixtures/node)"

work=$(mktemp -d)
serve_pid=
cleanup() {
	if [[ -n "$serve_pid" ]]; then
		kill "$serve_pid" 2>/dev/null || true
		wait "$serve_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

home=$work/home
nanoclaw=$work/nanoclaw
group_dir=$nanoclaw/data/ipc/main
mkdir -p -m 0700 "$home" "$home/logs"
mkdir -p "$group_dir" "$work/docker"
cat >"$home/config.json" <<JSON
{
  "home": "$home",
  "log_dir": "$home/logs",
  "nanoclaw_dir": "$nanoclaw",
  "ipc_roots": ["$nanoclaw/data/ipc/*"],
  "ipc_poll_ms": 100,
  "docker_containers_dir": "$work/docker"
}
JSON
chmod 0600 "$home/config.json"

# A request from the group's agent container that leaks an Anthropic key.
secret="sk-ant-api03-$(head -c 72 /dev/urandom | base64 -w0 | tr '+/' '-_')AA"
body="{\"note\":\"deploy notes\",\"api_key\":\"$secret\"}"
printf 'POST /v1/pastes HTTP/1.1\r\nHost: paste.example.com\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
	"${#body}" "$body" >"$work/request.http"
"$CS_CLI" scan --source nanoclaw-main-1732450000000/node/4242 --dest paste.example.com:443 \
	"$work/request.http" >"$home/logs/findings.jsonl"
chmod 0600 "$home/logs/findings.jsonl"
grep -q '"pattern":"ai_api_key"' "$home/logs/findings.jsonl" ||
	fail "scan did not report the leaked key: $(cat "$home/logs/findings.jsonl")"
if grep -qF "$secret" "$home/logs/findings.jsonl"; then
	fail "the findings log holds the raw secret"
fi

NANOCLAW_TRAFFIC_GUARDIAN_HOME=$home "$CS_CLI" serve --config "$home/config.json" \
	2>"$work/serve.log" &
serve_pid=$!
sleep 0.5
kill -0 "$serve_pid" 2>/dev/null || fail "clawsec-traffic serve exited: $(cat "$work/serve.log")"

status=0
CS_MCP=$CS_MCP CS_IPC_DIR=$group_dir CS_RAW_SECRET=$secret CS_GROUP=main \
	node "$node_dir/mcp_sdk_client.js" || status=1

# The operator's view of the same log is redacted too.
if ! "$CS_CLI" findings --log-dir "$home/logs" --json >"$work/operator.jsonl" 2>>"$work/serve.log"; then
	echo "FAIL: clawsec-traffic findings failed"
	status=1
elif ! grep -q ai_api_key "$work/operator.jsonl"; then
	echo "FAIL: clawsec-traffic findings lost the finding"
	status=1
elif grep -qF "$secret" "$work/operator.jsonl"; then
	echo "FAIL: clawsec-traffic findings printed the raw secret"
	status=1
fi
if grep -rqF "$secret" "$group_dir" "$work/serve.log"; then
	echo "FAIL: the raw secret reached the IPC directory or the service log"
	status=1
fi
kill -0 "$serve_pid" 2>/dev/null || { echo "FAIL: clawsec-traffic serve died during the test"; status=1; }
((status == 0)) || sed 's/^/serve: /' "$work/serve.log"
exit $status
