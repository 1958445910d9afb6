#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# No cold start: with a freshly started agent and no earlier TLS user, a target
# that runs curl (libssl) or wget (libgnutls), each of which connects right
# after exec, is captured from its first request, 20 times out of 20 for
# each library. The agent probes the libraries of the host root (and of each
# container's root) before anything loads them (docs/capture.md).
source "$(dirname "$0")/agent_lib.sh"
setup
command -v curl >/dev/null || need "curl is not installed"
command -v wget >/dev/null || need "wget is not installed"
start_server
RUNS=20

# key N: a distinct fake key per request (the same key to the same dest within
# the dedup window would be folded into one finding).
key() { printf '%s%04d%s' "${RAW_KEY:0:43}" "$1" "${RAW_KEY:47}"; }
[[ $(key 7 | wc -c) -eq ${#RAW_KEY} ]] || fail "key() changed the key's length"

# The target runs each client the moment it is told, as a container's tool call would.
sh -c 'while [ ! -e "$1/go" ]; do sleep 0.02; done
	i=0
	while [ $i -lt "$3" ]; do
		curl -sS --cacert "$1/cert.pem" -H "x-api-key: $(cat "$1/keys/c$i")" \
			-o /dev/null "https://localhost:$2/v1/messages" -d "{}" || echo "curl $i failed" >&2
		wget -q -t 1 --ca-certificate="$1/cert.pem" --header "x-api-key: $(cat "$1/keys/w$i")" \
			--post-data "{}" -O /dev/null "https://localhost:$2/v1/messages" ||
			echo "wget $i failed" >&2
		i=$((i + 1))
	done' sh "$T" "$PORT" "$RUNS" 2>"$T/clients.err" &
shell=$!
PIDS+=($shell)
mkdir -m 700 "$T/keys"
for ((i = 0; i < RUNS; i++)); do
	key "$i" >"$T/keys/c$i"
	key $((i + 5000)) >"$T/keys/w$i"
done

start_agent --pid "$shell"
wait_for 10 target_attached "$shell" || fail "the shell was not attached"
touch "$T/go"
wait_for 60 bash -c "! kill -0 $shell 2>/dev/null" || fail "the clients did not finish"
[[ ! -s $T/clients.err ]] || fail "clients failed: $(cat "$T/clients.err")"

count() { # COMM
	findings "f.filter(x => x.pattern === 'ai_api_key' && x.direction === 'outbound' &&
		x.source.startsWith('$1/') && x.dest === 'localhost:$PORT').length"
}
for comm in curl wget; do
	for _ in $(seq 50); do [[ $(count $comm) -ge $RUNS ]] && break; sleep 0.1; done
	n=$(count $comm)
	say "$comm: $n of $RUNS first requests captured"
	if [[ $n -ne $RUNS ]]; then
		say "capture: $(state 'JSON.stringify(s.capture)') flows: $(state 'JSON.stringify(s.flows || s.detector || {})')"
		say "seen: $(findings "JSON.stringify(f.filter(x => x.source.startsWith('$comm/')).map(x =>
			[x.pattern, x.direction, x.dest, x.source]))")"
		fail "$comm: only $n of $RUNS captured from the first request"
	fi
done
stop_agent
no_raw_secrets
hits=$(grep -rlF --exclude-dir=keys -e "${RAW_KEY:13:30}" "$T" || true)
[[ -z $hits ]] || fail "a raw key found in: $hits"
say "ok"
