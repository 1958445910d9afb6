#!/usr/bin/env bash
# CONNECT through the proxy to a local TLS origin (its own test CA):
#  - inspection off: an opaque tunnel, the origin's own certificate, no finding;
#  - inspection on: the client (trusting only our CA through NODE_EXTRA_CA_CERTS)
#    gets a leaf minted for the name; a FAKE key in the POST body and a reverse
#    shell in a gzip'd chunked response are found; bodies arrive unchanged;
#  - upstream verification failure: the client gets a TLS error, never a leaf;
#  - an excluded host is tunnelled, not inspected, whether named by the CONNECT or only by SNI.
set -euo pipefail
source "$(dirname "$0")/proxy_lib.sh"

# A test CA and a leaf for localhost, for the origin.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=proxy test origin CA" -keyout "$work/oca.key" -out "$work/oca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
	-keyout "$work/origin.key" -out "$work/origin.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$work/ext"
openssl x509 -req -in "$work/origin.csr" -CA "$work/oca.crt" -CAkey "$work/oca.key" \
	-CAcreateserial -days 2 -extfile "$work/ext" -out "$work/origin.crt" 2>/dev/null
start_node origin proxy_tls.js upstream --key "$work/origin.key" --cert "$work/origin.crt"
origin=$PORT

key="sk-ant-api03-$(printf 'FAKEKEYFORTESTS0%.0s' {1..6})AA"
printf '{"prompt":"use %s"}' "$key" >"$work/body"
body_sha=$(sha256sum "$work/body" | cut -d' ' -f1)
export NANOCLAW_TRAFFIC_GUARDIAN_UPSTREAM_CA_BUNDLE=$work/oca.crt

client() { # LOG-NAME ARGS...: run the TLS client through ADDR, its JSON in $work/NAME.json
	local name=$1
	shift
	node "$NODE_DIR/proxy_tls.js" client --proxy "$ADDR" --target "localhost:$origin" "$@" \
		>"$work/$name.json" 2>"$work/$name.err" || fail "$name client crashed"
}
field() { node -e 'const o=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(o[process.argv[2]])' "$@"; }

# 1. inspection off: opaque tunnel
write_config "$work/cfg-off.json" "\"connect_ports\": [$origin]"
start_proxy plain "$work/cfg-off.json" --log-dir "$work/logs-off"
NODE_EXTRA_CA_CERTS=$work/oca.crt client off --path /upload --body-file "$work/body"
[[ $(field "$work/off.json" ok) == true ]] || fail "tunnel: $(cat "$work/off.json")"
[[ $(field "$work/off.json" issuer) == "proxy test origin CA" ]] || fail "tunnel: not the origin's certificate"
grep -q "$body_sha" "$work/off.json" || fail "tunnel: the origin received a different body"
sleep 0.3
[[ ! -s $work/logs-off/findings.jsonl ]] || fail "tunnel: a finding from ciphertext"

# 2. inspection on
write_config "$work/cfg.json" "\"https_inspection\": true, \"inspect_ports\": [443, $origin], \"connect_ports\": [$origin]"
"$CS_CLI" ca init --config "$work/cfg.json" >"$work/ca-init.log" 2>&1 || fail "ca init"
start_proxy mitm "$work/cfg.json"
NODE_EXTRA_CA_CERTS=$work/home/ca/ca.crt client post --path /upload --body-file "$work/body"
[[ $(field "$work/post.json" ok) == true ]] || fail "inspected POST: $(cat "$work/post.json")"
field "$work/post.json" issuer | grep -q "^clawsec traffic guardian CA" ||
	fail "inspected POST: leaf not from our CA"
grep -q "$body_sha" "$work/post.json" || fail "inspected POST: the origin received a different body"
wait_finding ai_api_key || fail "no ai_api_key finding inside TLS"
findings | grep '"pattern":"ai_api_key"' | grep -q '"protocol":"https"' || fail "finding protocol is not https"
findings | grep '"pattern":"ai_api_key"' | grep -q "\"dest\":\"localhost:$origin\"" ||
	fail "finding dest is not the SNI name"
NODE_EXTRA_CA_CERTS=$work/home/ca/ca.crt client shell --path /shell
[[ $(field "$work/shell.json" ok) == true ]] || fail "inspected GET: $(cat "$work/shell.json")"
[[ $(field "$work/shell.json" body_sha256) == $(field "$work/shell.json" shell_sha256) ]] ||
	fail "inspected GET: response body changed"
wait_finding reverse_shell || fail "no reverse_shell finding in the inspected gzip response"
findings | grep -qF "$key" && fail "the raw key reached the findings log"

# 3. upstream verification failure: the origin's CA is not trusted by the proxy
NANOCLAW_TRAFFIC_GUARDIAN_UPSTREAM_CA_BUNDLE=$work/home/ca/ca.crt \
	start_proxy badup "$work/cfg.json" --log-dir "$work/logs-bad"
NODE_EXTRA_CA_CERTS=$work/home/ca/ca.crt client bad --path /upload --body-file "$work/body"
[[ $(field "$work/bad.json" ok) == false ]] || fail "unverified origin: the client got through"
field "$work/bad.json" error | grep -qi "tls\|alert\|handshake" || fail "unverified origin: $(cat "$work/bad.json")"
grep -q "upstream TLS with localhost:$origin failed" "$work/badup.log" ||
	fail "unverified origin: no reason logged"

# 4. excluded host: tunnelled with the origin's own certificate
write_config "$work/cfg-ex.json" "\"https_inspection\": true, \"inspect_ports\": [$origin], \"connect_ports\": [$origin], \"inspect_exclude\": [\"*.example.test\", \"localhost\"]"
start_proxy excl "$work/cfg-ex.json" --log-dir "$work/logs-ex"
cat "$work/home/ca/ca.crt" "$work/oca.crt" >"$work/both.crt"
NODE_EXTRA_CA_CERTS=$work/both.crt client ex --path /upload --body-file "$work/body"
[[ $(field "$work/ex.json" ok) == true ]] || fail "excluded: $(cat "$work/ex.json")"
[[ $(field "$work/ex.json" issuer) == "proxy test origin CA" ]] || fail "excluded host was inspected"
# Excluded by the name in the ClientHello although the CONNECT names an address.
NODE_EXTRA_CA_CERTS=$work/both.crt node "$NODE_DIR/proxy_tls.js" client --proxy "$ADDR" --target "127.0.0.1:$origin" --servername localhost \
	--path /upload --body-file "$work/body" >"$work/ex-sni.json" 2>&1 || fail "ex-sni client crashed"
[[ $(field "$work/ex-sni.json" ok) == true ]] || fail "excluded SNI: $(cat "$work/ex-sni.json")"
[[ $(field "$work/ex-sni.json" issuer) == "proxy test origin CA" ]] || fail "excluded SNI was inspected"
grep -q "$body_sha" "$work/ex-sni.json" || fail "excluded SNI: the origin received a different body"
sleep 0.3
[[ ! -s $work/logs-ex/findings.jsonl ]] || fail "excluded host produced findings"
echo "ok: CONNECT tunnel, inspection, upstream verification failure, exclusion"
