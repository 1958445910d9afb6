#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bun's stripped, static BoringSSL (1.2: legacy scatter/gather AEAD calls; 1.3
# and 1.4: iovec calls) is found and read: fetch() against origins forced to TLS 1.3
# and 1.2 with AES-GCM and ChaCha20-Poly1305, node:https and Bun.connect in
# Bun. Each request's fake key header and private key body go out, the
# pipe-to-shell comes back in a gzip'd SSE stream: one finding of each per
# request, named localhost:PORT (the Host header: Bun gives no SNI), source
# bun/PID. Every response is byte-identical to a run without the agent;
# status names the path and Bun version; nothing lost; no raw secret anywhere.
source "$(dirname "$0")/agent_lib.sh"
source "$(dirname "$0")/bun_lib.sh"
bun_setup

declare -A port
start_origin aes13; port[aes13]=$ORIGIN_PORT
start_origin chacha13 --ciphers TLS_CHACHA20_POLY1305_SHA256; port[chacha13]=$ORIGIN_PORT
start_origin aes12 --max-version TLSv1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256; port[aes12]=$ORIGIN_PORT
start_origin chacha12 --max-version TLSv1.2 --ciphers ECDHE-RSA-CHACHA20-POLY1305; port[chacha12]=$ORIGIN_PORT
jobs=()
for o in aes13 chacha13 aes12 chacha12; do jobs+=(--job "fetch:https://localhost:${port[$o]}/v1/messages"); done
jobs+=(--job "https:https://localhost:${port[aes13]}/v1/messages" --job "connect:https://localhost:${port[aes13]}/v1/messages")

# The same jobs without the agent: what the clients must get back with it too.
run_bun base12 "$BUN12" "$FIXTURES/bun_client.js" "${jobs[@]}"
run_bun base13 "$BUN13" "$FIXTURES/bun_client.js" "${jobs[@]}"
run_bun base14 "$BUN14" "$FIXTURES/bun_client.js" "${jobs[@]}"

# tally PID: per origin, how many key, private key and pipe-to-shell findings.
tally() {
	findings "['aes13', 'chacha13', 'aes12', 'chacha12'].map(o => {
		const p = { aes13: ${port[aes13]}, chacha13: ${port[chacha13]}, aes12: ${port[aes12]}, chacha12: ${port[chacha12]} }[o];
		const n = (pat, dir) => f.filter(x => x.source === 'bun/$1' && x.dest === 'localhost:' + p &&
			x.pattern === pat && x.direction === dir && x.protocol === 'https').length;
		return [o, n('ai_api_key', 'outbound'), n('private_key_pem', 'outbound'), n('pipe_to_shell', 'inbound')].join(' ');
	}).join(', ')"
}

start_agent --config "$T/config.json"
links_before=$(agent_links | wc -l) # the core's, and the host's prewarmed libraries'
for v in 12 13 14; do
	bun=BUN$v
	run_bun "bun$v" "${!bun}" --attached "$FIXTURES/bun_client.js" "${jobs[@]}"
	pid=$RUN_PID
	cmp -s "$T/base$v.out" "$T/bun$v.out" ||
		fail "bun$v: responses differ with the agent: $(diff "$T/base$v.out" "$T/bun$v.out")"
	[[ $(target "bun$v" "t.tls_path + ' ' + t.tls_visible") == "boringssl_aead true" ]] ||
		fail "bun$v: TLS path is not boringssl_aead: $(cat "$T/bun$v.target")"
	target "bun$v" t.note | grep -Eq "AEAD tables.*Bun 1\.${v:1}\." ||
		fail "bun$v: status does not name the tables and Bun version: $(cat "$T/bun$v.target")"
	# 6 requests: one finding of each kind per request, on its origin
	wait_for 20 findings_at_least "f.filter(x => x.source === 'bun/$pid').length" 18 ||
		fail "bun$v: $(findings "f.filter(x => x.source === 'bun/$pid').length") findings, want 18"
	got=$(tally "$pid")
	want="aes13 3 3 3, chacha13 1 1 1, aes12 1 1 1, chacha12 1 1 1"
	[[ "$got" == "$want" ]] || fail "bun$v: findings per origin (key, pem, pipe) $got, want $want"
done
# The Bun binaries stay probed once their processes are gone (pinned), so the
# next session's Bun, the same image file, is seen from its first record.
wait_for 10 state_is "s.targets.length" 0 || fail "Bun targets still listed: $(state 'JSON.stringify(s.targets)')"
[[ $(agent_links | wc -l) -gt $links_before ]] || fail "the Bun binaries were detached after their last process"
[[ $(findings "f.filter(x => !x.dest.startsWith('localhost:')).length") -eq 0 ]] ||
	fail "a finding is not named by the Host header: $(findings 'JSON.stringify(f.map(x => x.dest))')"
capture_clean
stop_agent
no_raw_secrets
say "ok"
