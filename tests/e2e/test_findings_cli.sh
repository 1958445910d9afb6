#!/usr/bin/env bash
# `clawsec-traffic findings` says what it could not read: corrupt lines are
# counted on stderr (stdout stays clean JSONL with --json), and a log
# directory that does not exist is an error, not an empty table.
set -euo pipefail
: "${CS_CLI:?run under ctest (CS_CLI = path of clawsec-traffic)}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
logs=$work/logs
out=$work/out err=$work/err

fail() {
	echo "FAIL: $*" >&2
	echo "--- stdout" >&2
	head -c 4000 "$out" >&2 || true
	echo "--- stderr" >&2
	head -c 4000 "$err" >&2 || true
	exit 1
}

# run EXPECTED_STATUS args...
run() {
	local want=$1 status=0
	shift
	"$CS_CLI" "$@" >"$out" 2>"$err" || status=$?
	[[ $status -eq $want ]] || fail "$* exited $status, expected $want"
}

install -d -m 0700 "$logs"
printf 'POST /v1 HTTP/1.1\r\nHost: paste.example.net\r\nContent-Length: 40\r\n\r\nkey=AKIAQWERTYUIOPASDFGH&x=1&y=2&zzzzzz\r\n' \
	>"$work/leak.http"
"$CS_CLI" scan --source nanoclaw-main-1700000000000/node/1 "$work/leak.http" \
	>"$logs/findings.jsonl" 2>/dev/null
good=$(wc -l <"$logs/findings.jsonl")
[[ $good -ge 1 ]] || fail "the scan produced no finding to read back"

# A clean log: nothing on stderr.
run 0 findings --log-dir "$logs" --json
[[ ! -s $err ]] || fail "stderr not empty for a clean log"
[[ $(wc -l <"$out") -eq $good ]] || fail "clean log: expected $good findings"

# Two corrupt lines, one in a rotated file.
{ echo '{not json'; cat "$logs/findings.jsonl"; echo '{"schema_version":"other"}'; } >"$logs/f.tmp"
mv "$logs/f.tmp" "$logs/findings.jsonl"
printf 'garbage\n' >"$logs/findings.jsonl.1"
chmod 600 "$logs"/findings.jsonl*
run 0 findings --log-dir "$logs" --json
[[ $(wc -l <"$out") -eq $good ]] || fail "corrupt lines: expected $good findings on stdout"
grep -qv '^{"schema_version":"clawsec-traffic-finding/v1"' "$out" && fail "stdout is not only findings"
grep -qx "clawsec-traffic findings: 2 unreadable lines skipped in $logs/findings.jsonl" "$err" ||
	fail "no count of the corrupt lines of findings.jsonl"
grep -qx "clawsec-traffic findings: 1 unreadable line skipped in $logs/findings.jsonl.1" "$err" ||
	fail "no count of the corrupt line of findings.jsonl.1"
[[ $(wc -l <"$err") -eq 2 ]] || fail "expected exactly one stderr line per file"
run 0 findings --log-dir "$logs"
grep -q 'aws_access_key' "$out" || fail "table lost the finding"
grep -q 'unreadable' "$out" && fail "the table carries the stderr message"
[[ $(wc -l <"$err") -eq 2 ]] || fail "table mode: expected the two stderr lines"

# A directory that does not exist.
run 1 findings --log-dir "$work/nonexistent" --json
[[ ! -s $out ]] || fail "stdout not empty for a missing log dir"
grep -qx "clawsec-traffic findings: no findings log at $work/nonexistent" "$err" ||
	fail "missing log dir not reported"
run 1 findings --log-dir "$work/nonexistent"
[[ ! -s $out ]] || fail "a missing log dir printed a table"
echo "ok"
