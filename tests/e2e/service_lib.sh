# Shared helpers for the test_service_*.sh end-to-end tests (sourced, not run).
# Each test gets a private home and IPC root under a temp dir, and a serve
# process it starts and stops itself.
: "${CS_CLI:?run under ctest (CS_CLI = path of clawsec-traffic)}"
: "${CS_SOURCE_DIR:?}"

work=$(mktemp -d)
export NANOCLAW_TRAFFIC_GUARDIAN_HOME=$work/home
unset NANOCLAW_TRAFFIC_GUARDIAN_CONFIG NANOCLAW_TRAFFIC_GUARDIAN_LOG_DIR
serve_pid=
cleanup() {
	if [[ -n $serve_pid ]] && kill -0 "$serve_pid" 2>/dev/null; then
		kill -TERM "$serve_pid" 2>/dev/null || true
		wait "$serve_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	[[ -f $work/serve.log ]] && { echo "--- serve.log" >&2; tail -n 40 "$work/serve.log" >&2; }
	exit 1
}

# write_config JSON: the config file (0600) at $work/config.json
write_config() {
	printf '%s\n' "$1" >"$work/config.json"
	chmod 600 "$work/config.json"
}

# start_serve: serve in the background, logging to $work/serve.log; waits for state.json.
start_serve() {
	"$CS_CLI" serve --config "$work/config.json" >>"$work/serve.log" 2>&1 &
	serve_pid=$!
	local i
	for ((i = 0; i < 100; i++)); do
		grep -qs "\"pid\":$serve_pid," "$work/home/state.json" && return 0
		kill -0 "$serve_pid" 2>/dev/null || fail "serve exited at start"
		sleep 0.1
	done
	fail "serve did not write state.json"
}

# stop_serve [SIGNAL [STATUS]]: stop it and check its exit status (default 0).
stop_serve() {
	local status=0
	kill -"${1:-TERM}" "$serve_pid"
	wait "$serve_pid" || status=$?
	serve_pid=
	[[ $status -eq ${2:-0} ]] || fail "serve exited $status after SIG${1:-TERM}"
}

# wait_for FILE [TENTHS]: until FILE exists (default 10 s).
wait_for() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do
		[[ -e $1 ]] && return 0
		sleep 0.1
	done
	return 1
}

now_ts() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

# task GROUP_DIR ID TYPE [ARGS_JSON]: write a task the way the MCP server does.
task() {
	local dir=$1/clawsec_tasks name
	mkdir -p "$dir"
	name=$(date +%s%3N)-$2.json
	printf '{"type":"%s","requestId":"%s","groupFolder":"x","timestamp":"%s","args":%s}' \
		"$3" "$2" "$(now_ts)" "${4:-{\}}" >"$dir/$name.tmp"
	mv "$dir/$name.tmp" "$dir/$name"
}

# result GROUP_DIR ID: wait for the answer and print it.
result() {
	wait_for "$1/clawsec_results/$2.json" || fail "no answer for $2 in $1"
	cat "$1/clawsec_results/$2.json"
}
