#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bun, harder cases: (1) three fetch() POSTs carrying only a fake key to one
# origin and three carrying only a fake private key to another, all at once
# from one process (Bun's HTTP client multiplexes them on one thread): every
# key finding is on the first origin, every private key finding on the
# second. (2) A 1 MiB body whose private key is at the end: captured whole,
# nothing lost. (3) A `bun build --compile` single-file executable of the
# same agent-like script (the shape of Claude Code): found, attached, the
# same findings. Responses are byte-identical to runs without the agent.
source "$(dirname "$0")/agent_lib.sh"
source "$(dirname "$0")/bun_lib.sh"
bun_setup

start_origin a; pa=$ORIGIN_PORT
start_origin b; pb=$ORIGIN_PORT
jobs=(--job "concurrent:https://localhost:$pa/v1/messages,https://localhost:$pb/v1/messages"
	--job "big:https://localhost:$pb/v1/big")
"$BUN14" build --compile "$FIXTURES/bun_client.js" --outfile "$T/agent-like" >"$T/compile.out" 2>&1 ||
	fail "bun build --compile failed: $(cat "$T/compile.out")"

run_bun base "$BUN14" "$FIXTURES/bun_client.js" "${jobs[@]}"
run_bun basec "$T/agent-like" "${jobs[@]}"
cmp -s "$T/base.out" "$T/basec.out" || fail "the compiled client answers differently"

# by_origin PID: key findings on a, on b; private key findings on a, on b; pipes.
by_origin() {
	findings "[['ai_api_key', $pa], ['ai_api_key', $pb], ['private_key_pem', $pa], ['private_key_pem', $pb]]
		.map(([p, port]) => f.filter(x => x.source.endsWith('/$1') && x.pattern === p &&
			x.direction === 'outbound' && x.dest === 'localhost:' + port).length)
		.concat([f.filter(x => x.source.endsWith('/$1') && x.pattern === 'pipe_to_shell').length]).join(' ')"
}

start_agent --config "$T/config.json"
for name in bun compiled; do
	if [[ $name == bun ]]; then
		run_bun bun "$BUN14" --attached "$FIXTURES/bun_client.js" "${jobs[@]}"
	else
		run_bun compiled "$T/agent-like" --attached "${jobs[@]}"
	fi
	pid=$RUN_PID
	cmp -s "$T/base.out" "$T/$name.out" || fail "$name: responses differ with the agent"
	[[ $(target "$name" "t.tls_path + ' ' + t.tls_visible") == "boringssl_aead true" ]] ||
		fail "$name: not attached through boringssl_aead: $(cat "$T/$name.target")"
	# 3 keys to a, 3 + 1 (the 1 MiB body) private keys to b, a pipe-to-shell per response
	wait_for 20 findings_at_least "f.filter(x => x.source.endsWith('/$pid')).length" 14 ||
		fail "$name: $(findings "f.filter(x => x.source.endsWith('/$pid')).length") findings, want 14"
	[[ $(by_origin "$pid") == "3 0 0 4 7" ]] ||
		fail "$name: findings (key a, key b, pem a, pem b, pipe) $(by_origin "$pid"), want 3 0 0 4 7"
done
# state.json is written each second: wait for the counters of the last run
wait_for 5 state_at_least s.capture.bytes $((2 * 1024 * 1024)) ||
	fail "the 1 MiB bodies were not captured whole: $(state 'JSON.stringify(s.capture)')"
capture_clean
stop_agent
no_raw_secrets
say "ok"
