#!/usr/bin/env bash
# `clawsec-traffic check-config`: every problem printed at once with its JSON
# path, exit 0/1/2, the environment checked too, unsafe permissions caught.
set -euo pipefail
source "$(dirname "$0")/service_lib.sh"

run() { # run EXPECTED_STATUS args...
	local want=$1 status=0
	shift
	"$CS_CLI" check-config "$@" >"$work/out" 2>"$work/err" || status=$?
	[[ $status -eq $want ]] || fail "check-config $* exited $status, expected $want: $(cat "$work/out" "$work/err")"
}
has() { grep -qF -- "$1" "$work/out" || fail "no '$1' in: $(cat "$work/out")"; }

write_config '{"mode":"block","rotate_keep":"3","max_scan_bytes":99999999,"nope":1,
 "proxy":{"listen":"nowhere","ca_dir":"'$work'/ipc/main/ca"},"ipc_roots":["'$work'/ipc/*"]}'
run 1 "$work/config.json"
has '$.mode: mode "block" is not supported'
has 'blocking does not exist'
has '$.rotate_keep: wrong type'
has '$.max_scan_bytes: out of range'
has '$.nope: unknown key'
has '$.proxy.listen: must be host:port'
has '$.proxy.ca_dir: CA directory'
[[ $(wc -l <"$work/out") -eq 6 ]] || fail "expected exactly 6 problems: $(cat "$work/out")"

write_config '{"ipc_roots":["'$work'/ipc/*"]}'
run 0 "$work/config.json"
grep -q "valid (sha256 $(sha256sum "$work/config.json" | cut -c1-64))" "$work/out" || fail "sha256"

NANOCLAW_TRAFFIC_GUARDIAN_REDACT_SNIPPETS=false run 1 "$work/config.json"
has 'env:NANOCLAW_TRAFFIC_GUARDIAN_REDACT_SNIPPETS: redaction cannot be turned off'
NANOCLAW_TRAFFIC_GUARDIAN_MODE=block NANOCLAW_TRAFFIC_GUARDIAN_CONFIG=$work/config.json run 1
has 'env:NANOCLAW_TRAFFIC_GUARDIAN_MODE'

chmod 666 "$work/config.json"
run 1 "$work/config.json"
has 'unsafe permission: config file'
run 1 "$work/missing.json"
has 'cannot read'
run 2 a b
echo "check-config: ok"
