#!/usr/bin/env bash
# proxy_lib.sh - shared helpers of the test_proxy_*.sh scripts (sourced, not a test).
# Every process started here is recorded and stopped by its pid on exit.
: "${CS_CLI:?run under ctest (CS_CLI = path of clawsec-traffic)}"
: "${CS_SOURCE_DIR:?}"
NODE_DIR=$CS_SOURCE_DIR/tests/fixtures/node
work=$(mktemp -d)
pids=()

cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*.log; do
		[[ -f $f ]] || continue
		echo "--- $f" >&2
		tail -n 30 "$f" >&2
	done
	exit 1
}

# wait_line FILE REGEX: the first match's last field, within 10 s.
wait_line() {
	local i line
	for ((i = 0; i < 200; i++)); do
		line=$(grep -m1 -E "$2" "$1" 2>/dev/null || true)
		if [[ -n $line ]]; then
			echo "${line##* }"
			return 0
		fi
		sleep 0.05
	done
	fail "no line matching '$2' in $1"
}

# start_node NAME SCRIPT ARGS...: run a fixture in the background; its port in PORT.
start_node() {
	local name=$1
	shift
	node "$NODE_DIR/$1" "${@:2}" >"$work/$name.log" 2>&1 &
	pids+=($!)
	PORT=$(wait_line "$work/$name.log" '^listening [0-9]+$')
}

# write_config FILE [JSON proxy members]: a private config whose home is under $work.
# The destination policy refuses loopback by default: the test origins listen on
# 127.0.0.1, so that one address is allowed explicitly (set allow_cidrs to change it).
write_config() {
	local allow=${allow_cidrs-'["127.0.0.1/32"]'}
	mkdir -p "$work/home"
	chmod 700 "$work/home"
	cat >"$1" <<JSON
{ "home": "$work/home", "log_dir": "$work/home/logs",
  "ipc_roots": ["$work/ipc/*"], "docker_containers_dir": "$work/no-docker",
  "proxy": { "enabled": true, "listen": "127.0.0.1:10255",
             "allow_cidrs": $allow ${2:+, $2} } }
JSON
	chmod 600 "$1"
}

# start_proxy NAME CONFIG [extra args]: its host:port in ADDR, its pid in proxy_pid.
start_proxy() {
	local name=$1 cfg=$2
	shift 2
	"$CS_CLI" proxy --config "$cfg" --listen 127.0.0.1:0 "$@" >"$work/$name.log" 2>&1 &
	pids+=($!)
	proxy_pid=$!
	wait_line "$work/$name.log" 'listening on [0-9.]+:[0-9]+,' >/dev/null
	ADDR=$(grep -m1 -oE 'listening on [0-9.]+:[0-9]+' "$work/$name.log" | awk '{print $3}')
}

findings() {
	cat "$work/home/logs/findings.jsonl" 2>/dev/null || true
}

# wait_finding PATTERN: a finding of that family appears within 5 s.
wait_finding() {
	local i
	for ((i = 0; i < 100; i++)); do
		findings | grep -q "\"pattern\":\"$1\"" && return 0
		sleep 0.05
	done
	return 1
}
