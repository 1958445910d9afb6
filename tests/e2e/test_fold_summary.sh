#!/usr/bin/env bash
# Alert floods made visible (issue 14): the same FAKE key sent 6 times through
# a standalone proxy within dedup_window_ms gives one finding, and when the
# window closes the log gets a clawsec-traffic-fold/v1 summary ("5 more of
# pattern ai_api_key to D in the last M s"); `status` and the state file count
# the folds; `findings` and the IPC findings task skip the summary (it is not
# a finding) without calling it malformed; the raw key is in no output.
set -euo pipefail
source "$(dirname "$0")/proxy_lib.sh"

write_config "$work/cfg.json"
sed -i 's/^{ "home"/{ "dedup_window_ms": 1500, "home"/' "$work/cfg.json"
printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok' >"$work/reply-ok"
start_node up proxy_raw.js upstream --record "$work/got" --reply "$work/reply-ok"
up=$PORT
start_proxy proxy "$work/cfg.json"
addr=$ADDR

key="sk-ant-api03-$(printf 'FAKEKEYFORTESTS2%.0s' {1..6})AA"
for n in 1 2 3 4 5 6; do
	curl -sS --max-time 5 -x "http://$addr" -o /dev/null -H 'Content-Type: application/json' \
		--data "{\"n\":$n,\"content\":\"my key is $key\"}" "http://127.0.0.1:$up/v1/messages" ||
		fail "request $n through the proxy failed"
done
wait_finding ai_api_key || fail "no finding"
fold() { findings | grep '"schema_version":"clawsec-traffic-fold/v1"' || true; }
for _ in $(seq 100); do [[ -n $(fold) ]] && break; sleep 0.05; done
[[ -n $(fold) ]] || fail "no fold summary after the window closed: $(findings)"
[[ $(findings | grep -c '"schema_version":"clawsec-traffic-finding/v1"') -eq 1 ]] ||
	fail "expected one finding: $(findings)"
[[ $(fold | wc -l) -eq 1 ]] || fail "expected one summary: $(fold)"
node -e '
const s = JSON.parse(process.argv[1]);
const want = ["schema_version", "platform", "direction", "protocol", "threat_type", "pattern",
	"severity", "source", "dest", "count", "first_seen", "last_seen", "window_seconds",
	"message", "timestamp"];
const fail = (m) => { console.error(m + ": " + process.argv[1]); process.exit(1); };
if (JSON.stringify(Object.keys(s)) !== JSON.stringify(want)) fail("fields");
if (s.count !== 5 || s.pattern !== "ai_api_key" || s.direction !== "outbound") fail("values");
if (s.dest !== "127.0.0.1:" + process.argv[2] || s.window_seconds !== 1.5) fail("dest/window");
if (!/^5 more of pattern ai_api_key to 127\.0\.0\.1:\d+ in the last \d+ s$/.test(s.message)) fail("message");
if (!(s.first_seen <= s.last_seen && s.last_seen <= s.timestamp)) fail("times");' "$(fold)" "$up" ||
	fail "summary record"

# status and the state file count the folds.
for _ in $(seq 60); do
	grep -q '"fold_summaries":1' "$work/home/proxy-state.json" 2>/dev/null && break
	sleep 0.1
done
grep -q '"findings_suppressed":5' "$work/home/proxy-state.json" || fail "state: $(cat "$work/home/proxy-state.json")"
"$CS_CLI" status --config "$work/cfg.json" >"$work/status.txt" || fail "status: $(cat "$work/status.txt")"
grep -q "^detector: 1 findings, 5 repeats folded into them (1 fold summaries logged)" "$work/status.txt" ||
	fail "status: $(cat "$work/status.txt")"

# Readers of finding/v1 lines skip the summary, and do not call it malformed.
"$CS_CLI" findings --config "$work/cfg.json" --json >"$work/findings.out" 2>"$work/findings.err" ||
	fail "findings: $(cat "$work/findings.err")"
[[ $(wc -l <"$work/findings.out") -eq 1 ]] || fail "findings --json: $(cat "$work/findings.out")"
[[ -s $work/findings.err ]] && fail "findings complained: $(cat "$work/findings.err")"
for f in "$work/home/logs/findings.jsonl" "$work/status.txt" "$work/findings.out" "$work/proxy.log" \
	"$work/home/proxy-state.json"; do
	grep -qF "$key" "$f" && fail "the raw key reached $f"
done
echo "ok: one finding, one fold summary of 5 repeats, counted in status, skipped by readers"
