#!/usr/bin/env bash
# bench/run-exec.sh [BUILD_DIR] [EXECS] - what the agent costs every exec on
# the machine (docs/capture.md, "Cost"). The agent watches no target; EXECS
# runs of /bin/true happen while run-time stats are on (BPF_ENABLE_STATS,
# held by this script only: the kernel.bpf_stats_enabled sysctl is left
# alone). Two configs: the default (other processes' exec records are
# batched unless they may make a target) and one with its own cmdline rule
# (every exec wakes the agent, as all did before). Prints calls and ns per
# call of the process programs and the agent's CPU per 1,000 execs, and
# writes bench/results/exec.json. Needs root. A benchmark: figures from a
# loaded machine are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-2000}
cli="$build/user/clawsec-traffic"
[[ -x $cli ]] || { echo "build first: bash scripts/build.sh $build" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "needs root" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 700 "$tmp"
mkdir -m 700 "$tmp/logs" "$tmp/home"
echo '{"metrics": {"listen": ""}}' >"$tmp/default.json"
echo '{"metrics": {"listen": ""}, "target_cmdline": ["^cs-bench-exec-no-match$"]}' >"$tmp/rules.json"

# run_case NAME CONFIG: one agent, EXECS execs; appends a JSON line to $tmp/results.
run_case() {
	local name=$1 cfg=$2 agent c0 c1
	rm -f "$tmp/home/state.json"
	NANOCLAW_TRAFFIC_GUARDIAN_HOME="$tmp/home" "$cli" agent --config "$cfg" \
		--log-dir "$tmp/logs" --state-file "$tmp/home/state.json" 2>"$tmp/$name.err" &
	agent=$!
	for _ in $(seq 200); do [[ -s $tmp/home/state.json ]] && break; sleep 0.1; done
	[[ -s $tmp/home/state.json ]] || { cat "$tmp/$name.err" >&2; exit 1; }
	sleep 1
	prog_stats "$agent" >"$tmp/before"
	c0=$(awk '{print $14 + $15}' "/proc/$agent/stat")
	for ((i = 0; i < n; i++)); do /bin/true; done
	sleep 0.3 # batched records are drained on the agent's 100 ms tick
	c1=$(awk '{print $14 + $15}' "/proc/$agent/stat")
	prog_stats "$agent" >"$tmp/after"
	kill -TERM "$agent"
	wait "$agent"
	python3 - "$name" "$n" "$(((c1 - c0) * 1000 / $(getconf CLK_TCK)))" "$tmp/before" "$tmp/after" \
		>>"$tmp/results" <<'EOF'
import json, sys
name, n, cpu_ms, before, after = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
b, a = json.load(open(before)), json.load(open(after))
progs = {}
for k in a:
    calls = a[k][0] - b.get(k, [0, 0])[0]
    ns = a[k][1] - b.get(k, [0, 0])[1]
    progs[k] = {"calls": calls, "ns_per_call": round(ns / calls) if calls else 0}
print(json.dumps({"case": name, "execs": n, "agent_cpu_ms_per_1000_execs": round(cpu_ms * 1000 / n, 1),
                  "programs": progs}))
EOF
}

# prog_stats PID: {name: [run_cnt, run_time_ns]} of the agent's process programs.
prog_stats() {
	local id
	for id in $(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un); do
		bpftool prog show id "$id" -j
		echo
	done | python3 -c '
import json, sys
out = {}
for line in sys.stdin:
    if line.strip():
        p = json.loads(line)
        if p.get("name") in ("cs_exec", "cs_fork", "cs_exit", "cs_signal"):
            out[p["name"]] = [p.get("run_cnt", 0), p.get("run_time_ns", 0)]
print(json.dumps(out))'
}

# Run-time stats on while this script runs: bpf(BPF_ENABLE_STATS) returns an
# fd that keeps them on; it is inherited by the shell below and closed at exit.
export -f run_case prog_stats
export tmp n cli
python3 - <<'EOF'
import ctypes, os, struct, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
attr = ctypes.create_string_buffer(struct.pack("I", 0), 120)  # BPF_STATS_RUN_TIME
fd = libc.syscall(321 if os.uname().machine == "x86_64" else 280, 32, attr, 120)
if fd < 0:
    sys.exit("BPF_ENABLE_STATS failed: errno %d" % ctypes.get_errno())
os.set_inheritable(fd, True)
for name, cfg in (("default", "default.json"), ("wake_every_exec", "rules.json")):
    rc = subprocess.call(["bash", "-c", 'set -euo pipefail; run_case "$0" "$1"', name,
                          os.path.join(os.environ["tmp"], cfg)], close_fds=False)
    if rc:
        sys.exit(rc)
EOF
mkdir -p bench/results
python3 - "$tmp/results" bench/results/exec.json <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
json.dump({"bench": "exec", "load_avg": open("/proc/loadavg").read().split()[:3], "results": rows},
          open(sys.argv[2], "w"), indent=2)
print("| case | program | calls | ns/call | agent CPU ms per 1,000 execs |")
print("|---|---|---|---|---|")
for r in rows:
    for p, v in sorted(r["programs"].items()):
        print(f"| {r['case']} | {p} | {v['calls']} | {v['ns_per_call']:,} | {r['agent_cpu_ms_per_1000_execs']} |")
EOF
echo "wrote bench/results/exec.json"
