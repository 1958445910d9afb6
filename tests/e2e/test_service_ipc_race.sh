#!/usr/bin/env bash
# Issue 9 §1: a container (uid 1000, owner of its group directory) races the
# service with renameat2(RENAME_EXCHANGE), swapping clawsec_results/ and
# clawsec_tasks/ for symlinks to host files and directories while its tasks
# flow. No file outside the group directory may change mode, owner, content
# or place. Needs root (the service runs as root, the attacker drops to 1000).
set -euo pipefail
source "$(dirname "$0")/service_lib.sh"

: "${CS_IPC_RACE:?run under ctest (CS_IPC_RACE = path of ipc_race_attacker)}"
seconds=${CS_RACE_SECONDS:-20}
if [[ $(id -u) -ne 0 ]]; then
	[[ ${CI:-} == true ]] && fail "needs root (CI=true)"
	echo "skip: needs root"
	exit 77
fi

# The attacker must reach its group directory, nothing else of ours.
chmod 0711 "$work"
ipc=$work/ipc
grp=$ipc/main
mkdir -p "$grp" "$work/canary/dir" "$work/canary/tasks"
chmod 0755 "$ipc"
chown 1000:1000 "$grp"

# Root-owned 0600 canaries the symlinks point at.
head -c 4096 /dev/urandom >"$work/canary/file"
head -c 512 /dev/urandom >"$work/canary/dir/inner"
printf '{"type":"clawsec_traffic_status","requestId":"host-1","groupFolder":"g","timestamp":"%s"}' \
	"$(now_ts)" >"$work/canary/tasks/1700000000000-host.json"
chmod 0600 "$work/canary/file" "$work/canary/dir/inner" "$work/canary/tasks/"*.json
chmod 0700 "$work/canary" "$work/canary/dir" "$work/canary/tasks"

snapshot() {
	(cd "$work/canary" && find . -printf '%p %y %m %U %G %s %i\n' | sort &&
		find . -type f -exec sha256sum {} + | sort)
}
snapshot >"$work/before"

write_config '{"ipc_roots":["'$ipc'/*"],"ipc_poll_ms":100,"ipc_uid":1000}'
start_serve
setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all \
	"$CS_IPC_RACE" "$grp" "$work/canary/file" "$work/canary/dir" "$work/canary/tasks" \
	"$seconds" >"$work/attack.out" || fail "attacker failed to run"
cat "$work/attack.out"
sleep 1.2 # one more state.json write
stop_serve TERM

snapshot >"$work/after"
if ! diff -u "$work/before" "$work/after"; then
	fail "a host file outside the group directory changed (mode, owner, content or place)"
fi
# The race must really have run: tasks answered, exchanges that hit.
read -r tasks swaps < <(sed -E 's/tasks=([0-9]+) swaps=([0-9]+)/\1 \2/' "$work/attack.out")
answered=$(grep -o '"answered_ok":[0-9]*' "$work/home/state.json" | cut -d: -f2)
echo "attacker tasks=$tasks swaps=$swaps; service answered_ok=$answered"
((tasks >= 50)) || fail "the attacker wrote only $tasks tasks"
((swaps >= 20)) || fail "only $swaps exchanges hit a directory: the race did not run"
((answered >= 20)) || fail "the service answered only $answered tasks"
echo "service ipc race: ok"
