#!/usr/bin/env bash
# `clawsec-traffic scan` end to end on the bundled demo captures: exit codes,
# usage errors, stdout carrying only schema-valid JSONL findings, and the raw
# secret bytes appearing nowhere in stdout or stderr of any run.
set -euo pipefail
: "${CS_CLI:?run under ctest (CS_CLI = path of clawsec-traffic)}"
: "${CS_SOURCE_DIR:?}"
demo=$CS_SOURCE_DIR/tests/fixtures/demo
schema=$CS_SOURCE_DIR/docs/finding.schema.json
check=$CS_SOURCE_DIR/tests/e2e/check_findings.mjs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/out err=$work/err

fail() {
	echo "FAIL: $*" >&2
	echo "--- stdout" >&2
	head -c 4000 "$out" >&2 || true
	echo "--- stderr" >&2
	head -c 4000 "$err" >&2 || true
	exit 1
}

# The fake secrets, read from the capture itself.
api_key=$(grep -aoE 'sk-ant-api03-[A-Za-z0-9_-]+' "$demo/outbound-leak.http")
# a random line of the private key body (the first line is the public openssh-key-v1 header)
key_line=$(grep -aoE '\\n[A-Za-z0-9+/]{70}\\n' "$demo/outbound-leak.http" | sed -n 2p | cut -c3-72)
[[ ${#api_key} -gt 100 && ${#key_line} -eq 70 ]] || fail "could not read the fake secrets from the fixture"
# Two more fake keys for the pipelined capture: the demo key's body rotated.
body=${api_key#sk-ant-api03-}
key_a=sk-ant-api03-$(tr 'A-Za-z' 'N-ZA-Mn-za-m' <<<"$body")
key_b=sk-ant-api03-$(tr 'A-Za-z0-9' 'F-ZA-Ef-za-e5-90-4' <<<"$body")
secrets=("$api_key" "${api_key:14:40}" "$key_line" "${key_line:10:30}" "$key_a" "$key_b")
all_out=$work/all-output
: >"$all_out"

# run EXPECTED_STATUS args...: runs the CLI, keeps stdout/stderr, checks the status.
run() {
	local want=$1 status=0
	shift
	"$CS_CLI" "$@" >"$out" 2>"$err" || status=$?
	cat "$out" "$err" >>"$all_out"
	[[ $status -eq $want ]] || fail "scan $* exited $status, expected $want"
}

valid_jsonl() {
	node "$check" "$schema" <"$out" 2>"$work/check.err" || {
		cat "$work/check.err" >&2
		fail "stdout is not schema-valid JSONL"
	}
}

has() { # has PATTERN DIRECTION: a finding with that pattern and direction
	grep -q "\"direction\":\"$2\".*\"pattern\":\"$1\"" "$out" || fail "no $2 $1 finding"
}

# 1. All demo captures at once: the findings the demo promises, nothing else on stdout.
run 0 scan "$demo/outbound-leak.http" "$demo/inbound-sse-pipe-to-shell.http" \
	"$demo/inbound-benign.http"
n=$(valid_jsonl)
[[ $n -ge 3 ]] || fail "expected at least 3 findings, got $n"
has ai_api_key outbound
has private_key_pem outbound
has pipe_to_shell inbound
grep -q '"threat_type":"EXFIL"' "$out" || fail "no EXFIL finding"
grep -q '"threat_type":"INJECTION"' "$out" || fail "no INJECTION finding"
grep -q '"dest":"api.anthropic.com:80"' "$out" || fail "dest not taken from the Host header"
grep -q '"source":"scan/outbound-leak.http"' "$out" || fail "default source not scan/<file>"
grep -q '"source":"scan/inbound-benign.http"' "$out" && fail "benign capture produced a finding"
grep -q 'stream(s)' "$err" || fail "no summary on stderr"

# 1b. Two pipelined requests in one capture: each finding takes its own request's Host.
body_a="{\"key\":\"$key_a\"}"
printf 'POST /a HTTP/1.1\r\nHost: a.x\r\nContent-Length: %d\r\n\r\n%s' \
	"${#body_a}" "$body_a" >"$work/pipelined.http"
printf 'GET /b HTTP/1.1\r\nHost: b.x\r\nx-api-key: %s\r\n\r\n' "$key_b" >>"$work/pipelined.http"
run 0 scan "$work/pipelined.http"
n2=$(valid_jsonl)
[[ $n2 -eq 2 ]] || fail "pipelined capture: expected 2 findings, got $n2"
grep -q '"dest":"a.x:80"' "$out" || fail "first pipelined request's finding not dest a.x:80"
grep -q '"dest":"b.x:80"' "$out" || fail "second pipelined request's finding not dest b.x:80"

# 2. A benign capture: exit 0, empty stdout.
run 0 scan "$demo/inbound-benign.http"
[[ ! -s $out ]] || fail "benign capture printed something on stdout"

# 3. stdin, fed in pieces with pauses (chunk boundaries inside the stream).
status=0
{ head -c 97 "$demo/outbound-leak.http"; sleep 0.2; tail -c +98 "$demo/outbound-leak.http"; } |
	"$CS_CLI" scan --source node/4242 --dest api.anthropic.com:443 - >"$out" 2>"$err" || status=$?
cat "$out" "$err" >>"$all_out"
[[ $status -eq 0 ]] || fail "scan - exited $status"
valid_jsonl >/dev/null
has ai_api_key outbound
grep -q '"source":"node/4242","dest":"api.anthropic.com:443"' "$out" ||
	fail "--source/--dest not applied"

# 4. Forced directions: an outbound-only pattern is not reported inbound.
run 0 scan --direction inbound "$demo/outbound-leak.http"
valid_jsonl >/dev/null
grep -q '"pattern":"ai_api_key"' "$out" && fail "an EXFIL pattern fired on an inbound scan"
run 0 scan --direction inbound --format http "$demo/inbound-sse-pipe-to-shell.http"
has pipe_to_shell inbound

# 5. --table: a table for people, still redacted.
run 0 scan --table "$demo/outbound-leak.http" "$demo/inbound-sse-pipe-to-shell.http"
head -1 "$out" | grep -q 'SEVERITY' || fail "--table has no header"
grep -q 'pipe_to_shell' "$out" || fail "--table lacks the pipe_to_shell row"
# Terminal escapes in a cell (a source or dest can come from the traffic) are neutralised.
run 0 scan --table --source $'\e]0;owned\a\e[2J/1' "$demo/outbound-leak.http"
grep -q 'ai_api_key' "$out" || fail "--table lost the finding"
if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$out"; then
	fail "--table printed control bytes"
fi
run 0 scan --source $'\e[2J/1' "$demo/outbound-leak.http"
grep -q '"source":"\\u001b\[2J/1"' "$out" || fail "JSONL did not escape a control byte"
run 0 scan --table "$demo/inbound-benign.http"
grep -q '(no findings)' "$out" || fail "--table with nothing found does not say so"

# 6. A scan bound below the message size is counted as not scanned.
run 0 scan --max-scan-bytes 16 "$demo/outbound-leak.http"
valid_jsonl >/dev/null
grep -qE ' [1-9][0-9]* not scanned' "$err" || fail "unscanned bytes not reported"

# 7. I/O errors: exit 1, the readable files are still scanned.
run 1 scan "$work/no-such-file" "$demo/inbound-sse-pipe-to-shell.http"
grep -q 'no-such-file' "$err" || fail "missing file not named on stderr"
has pipe_to_shell inbound
run 1 scan "$work"

# 8. Usage errors: exit 2, nothing on stdout.
for args in "" "--direction sideways x" "--format xml x" "--dest nohost x" "--dest :80 x" \
	"--dest host:99999 x" "--max-scan-bytes 0 x" "--max-scan-bytes 99999999999 x" \
	"--max-scan-bytes -5 x" "--bogus x" "- -" "--direction"; do
	# shellcheck disable=SC2086
	run 2 scan $args
	[[ ! -s $out ]] || fail "usage error '$args' wrote to stdout"
done
run 0 scan --help
grep -q '^usage: clawsec-traffic scan' "$out" || fail "--help prints no usage on stdout"

# 9. Redaction: no run above ever printed the raw secret bytes.
for s in "${secrets[@]}"; do
	if grep -qF -- "$s" "$all_out"; then
		fail "raw secret bytes '${s:0:12}...' appeared in the output"
	fi
done
echo "PASS: scan CLI ($n findings on the demo captures)"
