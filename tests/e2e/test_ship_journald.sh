#!/usr/bin/env bash
# Findings to journald (issue 14) through its native protocol, received by a
# real systemd-journald started here in a private mount namespace (its own
# tmpfs on /run, so the host's journal and /run are untouched): MESSAGE= is
# the JSONL line, PRIORITY= follows the severity, CLAWSEC_PATTERN= and the
# other CLAWSEC_* fields can be matched with journalctl; no raw secret.
set -euo pipefail

skip() {
	if [[ "${CI:-}" == "true" ]]; then
		echo "FAIL (CI): $1"
		exit 1
	fi
	echo "SKIP: $1"
	exit 77
}
JOURNALD=/lib/systemd/systemd-journald
if [[ -z ${CS_IN_MOUNT_NS:-} ]]; then
	[[ $(id -u) -eq 0 ]] || skip "needs root for a private mount namespace"
	[[ -x $JOURNALD ]] && command -v journalctl >/dev/null || skip "systemd-journald not installed"
	exec env CS_IN_MOUNT_NS=1 unshare -m --propagation private bash "$0" "$@"
fi
source "$(dirname "$0")/proxy_lib.sh"

mount -t tmpfs -o mode=755 tmpfs /run || fail "tmpfs on /run in the namespace"
mkdir -p /run/systemd/journal /run/log/journal
"$JOURNALD" >"$work/journald.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [[ -S /run/systemd/journal/socket ]] && break; sleep 0.05; done
[[ -S /run/systemd/journal/socket ]] || fail "journald did not open its socket"

pport=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
	console.log(s.address().port); s.close(); })')
write_config "$work/serve.json"
sed -i "s/127.0.0.1:10255/127.0.0.1:$pport/; s|^{ \"home\"|{ \"metrics\": {\"listen\": \"\"}, \"ship\": {\"journald\": true}, \"home\"|" "$work/serve.json"
printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok' >"$work/reply-ok"
start_node up proxy_raw.js upstream --record "$work/got" --reply "$work/reply-ok"
up=$PORT
"$CS_CLI" serve --config "$work/serve.json" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$pport") 2>/dev/null && break; sleep 0.1; done

key="sk-ant-api03-$(printf 'FAKEKEYFORJOURN0%.0s' {1..6})AA"
curl -sS --max-time 5 -x "http://127.0.0.1:$pport" -o /dev/null -H 'Content-Type: application/json' \
	--data "{\"content\":\"my key is $key\"}" "http://127.0.0.1:$up/v1/messages" || fail "request through the proxy"
wait_finding ai_api_key || fail "no finding"
for _ in $(seq 100); do
	journalctl -D /run/log/journal --no-pager -o json CLAWSEC_PATTERN=ai_api_key >"$work/journal.json" 2>/dev/null || true
	[[ -s $work/journal.json ]] && break
	sleep 0.1
done
[[ -s $work/journal.json ]] || fail "journald has no CLAWSEC_PATTERN=ai_api_key entry"
node -e '
const fs = require("fs");
const e = JSON.parse(fs.readFileSync(process.argv[1], "utf8").trim().split("\n")[0]);
const line = fs.readFileSync(process.argv[2], "utf8").trim().split("\n")[0];
const want = { MESSAGE: line, PRIORITY: "2", SYSLOG_IDENTIFIER: "clawsec-traffic",
	SYSLOG_FACILITY: "16", CLAWSEC_SCHEMA: "clawsec-traffic-finding/v1",
	CLAWSEC_PATTERN: "ai_api_key", CLAWSEC_SEVERITY: "critical", CLAWSEC_DIRECTION: "outbound",
	CLAWSEC_DEST: "127.0.0.1:" + process.argv[3], _TRANSPORT: "journal" };
for (const [k, v] of Object.entries(want))
	if (e[k] !== v) { console.error(`${k}: ${JSON.stringify(e[k])} != ${JSON.stringify(v)}`); process.exit(1); }
' "$work/journal.json" "$work/home/logs/findings.jsonl" "$up" || fail "journal entry: $(head -c 2000 "$work/journal.json")"
journalctl -D /run/log/journal --no-pager -o export >"$work/journal.export" 2>/dev/null || true
grep -qF "$key" "$work/journal.export" && fail "the raw key reached the journal"
echo "ok: journald received the finding with MESSAGE, PRIORITY and CLAWSEC_* fields"
