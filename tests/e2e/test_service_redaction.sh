#!/usr/bin/env bash
# A finding made from a real-looking secret (generated fresh for this run)
# travels scan -> findings.jsonl -> `clawsec-traffic findings` (table and
# --json, with filters) and -> serve -> IPC answers for the group it belongs
# to. The raw secret appears nowhere: not in any output, answer, state or
# file under the test's directory. Groups see only their own findings.
set -euo pipefail
source "$(dirname "$0")/service_lib.sh"

ipc=$work/ipc
logs=$work/home/logs
mkdir -p "$ipc/main" "$ipc/other" "$work/in"
install -d -m 0700 "$work/home" "$logs"
write_config '{"ipc_roots":["'$ipc'/*"],"ipc_poll_ms":100}'

# A fresh key in the shape of an Anthropic API key, and the demo's private key.
rand=$(head -c 300 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | head -c 93)
key="sk-ant-api03-${rand}AA"
body='{"note":"backup","token":"'$key'"}'
printf 'POST /upload HTTP/1.1\r\nHost: paste.example.net\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
	"${#body}" "$body" >"$work/in/leak.http"
demo=$CS_SOURCE_DIR/tests/fixtures/demo/outbound-leak.http
key_line=$(grep -aoE '\\n[A-Za-z0-9+/]{70}\\n' "$demo" | sed -n 2p | cut -c3-72)
[[ ${#key_line} -eq 70 ]] || fail "could not read the demo private key"
secrets=("$key" "$rand" "${rand:20:30}" "$key_line" "${key_line:10:30}")

"$CS_CLI" scan --source nanoclaw-main-1700000000000/node/4242 "$work/in/leak.http" "$demo" \
	>>"$logs/findings.jsonl" 2>/dev/null
"$CS_CLI" scan --source nanoclaw-other-1700000000001/node/77 "$work/in/leak.http" \
	>>"$logs/findings.jsonl" 2>/dev/null
chmod 600 "$logs/findings.jsonl"
total=$(wc -l <"$logs/findings.jsonl")
[[ $total -ge 4 ]] || fail "expected at least 4 findings, got $total"
rm -rf "$work/in" # the only place the raw key was written

# Operator view: everything, newest first, schema-valid JSONL; filters work.
out=$work/out
mkdir -p "$out"
"$CS_CLI" findings --json >"$out/all.jsonl"
[[ $(wc -l <"$out/all.jsonl") -eq $total ]] || fail "findings --json lost lines"
node "$CS_SOURCE_DIR/tests/e2e/check_findings.mjs" "$CS_SOURCE_DIR/docs/finding.schema.json" \
	<"$out/all.jsonl" >/dev/null || fail "findings --json is not schema-valid"
head -n 1 "$out/all.jsonl" | grep -q '"source":"nanoclaw-other-' || fail "not newest first"
"$CS_CLI" findings --pattern ai_api_key --severity critical --json >"$out/filtered.jsonl"
[[ $(wc -l <"$out/filtered.jsonl") -eq 3 ]] || fail "pattern+severity filter"
"$CS_CLI" findings --limit 1 --since 1h --json >"$out/one.jsonl"
[[ $(wc -l <"$out/one.jsonl") -eq 1 ]] || fail "--limit 1"
"$CS_CLI" findings --log-dir "$logs" >"$out/table.txt"
grep -q 'ai_api_key' "$out/table.txt" || fail "table has no ai_api_key row"
status=0
"$CS_CLI" findings --severity fatal 2>"$out/usage.err" || status=$?
[[ $status -eq 2 ]] || fail "bad --severity exited $status"

# Group views through IPC.
start_serve
task "$ipc/main" q1 clawsec_traffic_findings '{"pattern":"ai_api_key"}'
task "$ipc/main" q2 clawsec_traffic_findings
task "$ipc/other" q3 clawsec_traffic_findings
task "$ipc/main" q4 clawsec_traffic_status
task "$ipc/main" q5 clawsec_traffic_check_config
for q in q1 q2 q4 q5; do result "$ipc/main" $q >"$out/$q.json"; done
result "$ipc/other" q3 >"$out/q3.json"
grep -q '"count":2,' "$out/q1.json" || fail "main ai_api_key count: $(cat "$out/q1.json")"
grep -q '"count":0,' "$out/q3.json" && fail "other sees none of its findings"
grep -q 'nanoclaw-main-' "$out/q3.json" && fail "other sees main's findings"
grep -q 'nanoclaw-other-' "$out/q2.json" && fail "main sees other's findings"
grep -q '"finding_log_sha256":"'"$(sha256sum "$logs/findings.jsonl" | cut -c1-64)"'"' "$out/q4.json" ||
	fail "posture finding_log_sha256 is not the log's SHA-256"
stop_serve TERM

# The raw secret is nowhere under the test directory.
for s in "${secrets[@]}"; do
	if grep -rqaF -- "$s" "$work"; then
		fail "a secret fragment (${#s} bytes) was found in $(grep -rlaF -- "$s" "$work" | head -3)"
	fi
done
echo "service redaction: ok"
