# SPDX-License-Identifier: MIT
# agent_lib.sh - shared by tests/e2e/test_agent_*.sh (sourced, not run).
#
# Real processes: a local Node HTTPS/HTTP server, Node fetch clients, and the
# agent. Every process started is tracked and killed on exit; everything is
# written under one temporary directory, removed at the end. Needs root and
# eBPF: outside CI the tests skip (77) without them, in CI they fail.

# -E: the ERR trap below also fires for a failure inside a helper function,
# which set -e alone would end silently.
set -Eeuo pipefail

FIXTURES="${CS_SOURCE_DIR:?}/tests/fixtures/node"
CLI="${CS_CLI:?}"
PIDS=()
CGROUPS=()
T=""

say() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*" >&2; }
fail() {
	say "FAIL: $*"
	[[ -n "$T" && -f "$T/agent.err" ]] && sed 's/^/  agent: /' "$T/agent.err" | tail -n 80 >&2
	exit 1
}

# Skip (77) outside CI, fail in CI, with a one-line reason.
need() {
	if [[ "${CI:-}" == "true" ]]; then
		say "FAIL (CI must not skip): $*"
		exit 1
	fi
	say "SKIP: $*"
	exit 77
}

require_env() {
	[[ $(id -u) -eq 0 ]] || need "needs root to load eBPF probes"
	[[ -r /sys/kernel/btf/vmlinux ]] || need "kernel has no BTF (/sys/kernel/btf/vmlinux)"
	command -v node >/dev/null || need "node is not installed"
	command -v openssl >/dev/null || need "openssl is not installed"
	command -v bpftool >/dev/null || need "bpftool is not installed"
}

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	for p in "${CGROUPS[@]}"; do
		for _ in $(seq 20); do rmdir "$p" 2>/dev/null && break; sleep 0.1; done
	done
	[[ -n "$T" ]] && rm -rf "$T"
}

setup() {
	require_env
	T=$(mktemp -d /tmp/clawsec-agent-e2e.XXXXXX)
	chmod 700 "$T"
	trap cleanup EXIT
	# set -e ends a test silently on an unchecked failure: name the line.
	trap 'say "FAIL: line $LINENO: $BASH_COMMAND exited $?"' ERR
	export NANOCLAW_TRAFFIC_GUARDIAN_HOME="$T/home"
	mkdir -m 700 "$T/home" "$T/logs"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
		-days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null ||
		fail "openssl could not make a certificate"
	export NODE_EXTRA_CA_CERTS="$T/cert.pem"
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s.
wait_for() {
	local secs=$1
	shift
	for _ in $(seq $((secs * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# start_server [--http]: sets PORT.
start_server() {
	node "$FIXTURES/tls_server.js" --cert "$T/cert.pem" --key "$T/key.pem" "$@" >"$T/server.out" 2>&1 &
	PIDS+=($!)
	wait_for 10 grep -qs listening "$T/server.out" || fail "server did not start"
	PORT=$(awk '/listening/ {print $2}' "$T/server.out")
}

# start_client NAME URL [client args...]: waits for $T/NAME.go; sets CLIENT_PID.
# $NODE, when set, is the node binary that runs it.
start_client() {
	local name=$1 url=$2
	shift 2
	"${NODE:-node}" "$FIXTURES/client.js" --url "$url" --go "$T/$name.go" "$@" >"$T/$name.out" 2>&1 &
	CLIENT_PID=$!
	PIDS+=($CLIENT_PID)
}

# expect_tls_findings PORT SOURCE: exactly client.js's three findings over
# HTTPS from SOURCE to localhost:PORT (fake key and private key out, the
# pipe-to-shell in), secrets redacted, and nothing else.
expect_tls_findings() {
	local port=$1 src=$2 want
	wait_for 10 findings_at_least f.length 3 || fail "expected 3 findings, got $(findings f.length)"
	sleep 1 # anything late would show up now
	[[ $(findings f.length) -eq 3 ]] || fail "expected exactly 3 findings: $(findings 'JSON.stringify(f)')"
	for want in "ai_api_key outbound EXFIL" "private_key_pem outbound EXFIL" "pipe_to_shell inbound INJECTION"; do
		set -- $want
		[[ $(findings "f.filter(x => x.pattern === '$1' && x.direction === '$2' &&
			x.threat_type === '$3' && x.protocol === 'https' &&
			x.dest === 'localhost:$port' && x.source === '$src').length") -eq 1 ]] ||
			fail "no $2 $1 finding for $src -> localhost:$port: $(findings 'JSON.stringify(f)')"
	done
	[[ $(findings "f.filter(x => x.pattern !== 'pipe_to_shell' && !x.snippet.includes('[REDACTED]')).length") -eq 0 ]] ||
		fail "a secret finding has no redaction marker"
}

# go NAME: let a client send, then wait for it to finish.
go_and_wait() {
	local name=$1 pid=$2
	touch "$T/$name.go"
	wait_for 30 bash -c "! kill -0 $pid 2>/dev/null" || fail "client $name did not finish"
	grep -q "status 200" "$T/$name.out" || fail "client $name: $(cat "$T/$name.out")"
}

# in_container PID CONFIG_JSON: make PID look like a process of a Docker
# container whose config.v2.json is CONFIG_JSON: a random container id, its
# config under $T/docker (give the agent "docker_containers_dir": "$T/docker")
# and a cgroup of Docker's shape (v1 pids ".../docker/<id>" or unified
# ".../docker-<id>.scope") holding PID. Sets CONTAINER_ID.
in_container() {
	local pid=$1 cg
	CONTAINER_ID=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	mkdir -p "$T/docker/$CONTAINER_ID"
	printf '%s\n' "$2" >"$T/docker/$CONTAINER_ID/config.v2.json"
	if [[ -d /sys/fs/cgroup/pids ]]; then
		mkdir -p /sys/fs/cgroup/pids/docker
		cg=/sys/fs/cgroup/pids/docker/$CONTAINER_ID
	elif [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
		cg=/sys/fs/cgroup/docker-$CONTAINER_ID.scope
	else
		need "no cgroup v1 pids or unified hierarchy to put a process in"
	fi
	mkdir "$cg" || need "cannot create the cgroup $cg"
	CGROUPS+=("$cg")
	echo "$pid" >"$cg/cgroup.procs" || fail "cannot move $pid into $cg"
}

# start_agent [agent args...]: sets AGENT_PID; waits for its first state.json.
start_agent() {
	"$CLI" agent --log-dir "$T/logs" --state-file "$T/home/state.json" "$@" 2>"$T/agent.err" &
	AGENT_PID=$!
	PIDS+=($AGENT_PID)
	wait_for 20 test -s "$T/home/state.json" || fail "agent wrote no state.json"
}

# state EXPR: evaluate a JS expression over the state document `s`.
state() {
	node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		console.log(eval(process.argv[2]))' "$T/home/state.json" "$1"
}

# target_attached PID: the state lists PID as an attached target.
target_attached() {
	[[ $(state "s.targets.some(t => t.pid === $1 && t.attached)") == true ]]
}

# findings EXPR: evaluate a JS expression over the findings array `f`.
findings() {
	node -e 'const fs = require("fs");
		const p = process.argv[1];
		const f = fs.existsSync(p) ? fs.readFileSync(p, "utf8").split("\n").filter(Boolean).map(JSON.parse) : [];
		console.log(eval(process.argv[2]))' "$T/logs/findings.jsonl" "$1"
}

# Predicates for wait_for: a JS expression over findings / state compared to N.
findings_at_least() { [[ $(findings "$1") -ge $2 ]]; }
findings_exactly() { [[ $(findings "$1") -eq $2 ]]; }
state_at_least() { [[ $(state "$1") -ge $2 ]]; }
state_is() { [[ $(state "$1") == "$2" ]]; }

# agent_links: ids of the BPF links the agent holds (from its fdinfo).
# An fd the busy agent closes between the glob and the read makes grep exit 2
# (with pipefail, the whole pipeline): what was read still counts.
agent_links() {
	{ grep -h '^link_id:' /proc/"$AGENT_PID"/fdinfo/* 2>/dev/null || true; } |
		awk '{print $2}' | sort -n
}

# agent_uprobe_links: how many of them are uprobes or uretprobes. Those are
# perf links ("link_type: perf"), as are the syscall tracepoints: the
# event_type line tells them apart.
agent_uprobe_links() {
	local f n=0
	for f in /proc/"$AGENT_PID"/fdinfo/*; do
		grep -qE '^event_type:[[:space:]]*uret?probe$' "$f" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}

# stop_agent: SIGTERM, exit 0, and none of its links left in the kernel.
stop_agent() {
	local links rc=0
	links=$(agent_links)
	[[ -n "$links" ]] || fail "agent holds no BPF links"
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID" || rc=$?
	[[ $rc -eq 0 ]] || fail "agent exited with $rc after SIGTERM"
	# The kernel tears uprobe links down after the process's files are closed,
	# which can trail its exit on a loaded machine: a leak is a link that stays.
	wait_for 5 links_gone "$links" || fail "link(s) $(links_left "$links") left attached after SIGTERM"
	return 0
}

# links_left IDS: which of IDS the kernel still lists.
links_left() {
	local live l
	live=$(bpftool link show -j | node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end",
		() => console.log(JSON.parse(s).map(l => l.id).join("\n")))')
	for l in $1; do
		grep -qx "$l" <<<"$live" && printf '%s ' "$l"
	done
	return 0
}
links_gone() { [[ -z $(links_left "$1") ]]; }

# The fake secrets client.js sends, rebuilt the same way: they must appear in no file.
RAW_KEY="sk-ant-api03-FAKEfakeFAKEfake0123456789abcdefFAKEfakeFAKEfake0123456789ab-AA"
RAW_PEM_LINE="MIIEFAKE00$(printf 'A%.0s' $(seq 54))"

# Test inputs that must hold a secret live in $T/input, which is not searched.
no_raw_secrets() {
	local hits
	hits=$(grep -rlF --exclude-dir=input -e "$RAW_KEY" -e "$RAW_PEM_LINE" "$T" || true)
	[[ -z "$hits" ]] || fail "raw secret found in: $hits"
}
