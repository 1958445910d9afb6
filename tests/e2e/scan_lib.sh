# SPDX-License-Identifier: MIT
# scan_lib.sh - shared by the tests/e2e/test_scan_*.sh that record a real
# client's connection with a local capture server and feed the bytes to
# `clawsec-traffic scan` (sourced, not run). Loopback only.
set -euo pipefail
: "${CS_CLI:?run under ctest (CS_CLI = path of clawsec-traffic)}"
: "${CS_SOURCE_DIR:?}"
node=$CS_SOURCE_DIR/tests/fixtures/node/node_modules/node22/bin/node
[[ -x $node ]] || node=node
work=$(mktemp -d)
pid=
cleanup() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	cat "$work/out" "$work/err" >&2 2>/dev/null || true
	exit 1
}

# start_capture WHAT FIXTURE [ARGS...]: run tests/fixtures/node/FIXTURE with
# ARGS and $work/cap (where it records the connection's bytes); sets $pid and
# $port (the first line it prints), or fails naming WHAT.
start_capture() {
	local what=$1 fixture=$2
	shift 2
	mkdir "$work/cap"
	"$node" "$CS_SOURCE_DIR/tests/fixtures/node/$fixture" "$@" "$work/cap" >"$work/port" &
	pid=$!
	for _ in $(seq 100); do
		[[ -s $work/port ]] && break
		sleep 0.05
	done
	port=$(head -1 "$work/port")
	[[ -n $port ]] || fail "the $what did not start"
}
