#!/usr/bin/env bash
# `clawsec-traffic setup` prints the wiring and applies nothing: with the proxy
# off it says so; with inspection on it shows the container-only environment,
# the trust commands and the CA fingerprint exactly as openssl prints it, and
# neither the state directory nor anything else changes; no key bytes leak.
set -euo pipefail
source "$(dirname "$0")/proxy_lib.sh"

write_config "$work/off.json"
sed -i 's/"enabled": true/"enabled": false/' "$work/off.json"
"$CS_CLI" setup --config "$work/off.json" >"$work/off.out" 2>&1 || fail "setup (proxy off)"
grep -q "^Nothing is blocked" "$work/off.out" || fail "no 'nothing is blocked' statement"
grep -q "^Proxy mode: off" "$work/off.out" || fail "proxy off not stated"
grep -q "findings.jsonl" "$work/off.out" || fail "findings location missing"
grep -q "HTTP_PROXY=" "$work/off.out" && fail "proxy wiring printed while the proxy is off"

write_config "$work/on.json" '"https_inspection": true, "parent_proxy": "http://127.0.0.1:10254"'
"$CS_CLI" ca init --config "$work/on.json" >/dev/null 2>&1 || fail "ca init"
before=$(find "$work/home" -printf '%p %s %T@ %m\n' | sort)
"$CS_CLI" setup --config "$work/on.json" >"$work/on.out" 2>&1 || fail "setup (proxy on)"
after=$(find "$work/home" -printf '%p %s %T@ %m\n' | sort)
[[ $before == "$after" ]] || fail "setup changed the state directory"
for want in "HTTP_PROXY=http://host.docker.internal:10255" "HTTPS_PROXY=http://host.docker.internal:10255" \
	"NO_PROXY=" "--add-host=host.docker.internal:host-gateway" "NODE_EXTRA_CA_CERTS=" \
	"SSL_CERT_FILE=" "REQUESTS_CA_BUNDLE=" "CURL_CA_BUNDLE=" "update-ca-certificates" \
	"parent proxy http://127.0.0.1:10254" "NOT reachable from containers" \
	"http_proxy=http://host.docker.internal:10255" "https_proxy=http://host.docker.internal:10255" \
	"no_proxy=localhost,127.0.0.1" "loopback services (127.0.0.1:*)" \
	"Listen on the Docker bridge address, not" "host firewall rule"; do
	grep -qF -- "$want" "$work/on.out" || fail "setup text lacks: $want"
done
fp=$(openssl x509 -in "$work/home/ca/ca.crt" -noout -fingerprint -sha256)
grep -qF "$fp" "$work/on.out" || fail "fingerprint missing or different from openssl's"
# A proxy.ca_bundle that is not this CA (stale copy after a rotation) is called out.
write_config "$work/stale.json" "\"https_inspection\": true, \"ca_bundle\": \"$work/stale.crt\""
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=old \
	-keyout /dev/null -out "$work/stale.crt" 2>/dev/null
"$CS_CLI" setup --config "$work/stale.json" >"$work/stale.out" 2>&1 && fail "setup succeeded with a stale bundle"
grep -q "ERROR: proxy.ca_bundle" "$work/stale.out" || fail "stale ca_bundle not reported"
grep -qF -- "-v " "$work/stale.out" && fail "mount line printed for a bundle that is not the CA"
grep -qF -- "-v $work/home/ca/ca.crt:/etc/clawsec-traffic/ca.crt:ro" "$work/on.out" || fail "no mount line for the CA"
grep -q "ERROR" "$work/on.out" && fail "error without a reason"
# A copy of the certificate elsewhere is what gets mounted.
cp "$work/home/ca/ca.crt" "$work/copy.crt"
write_config "$work/copy.json" "\"https_inspection\": true, \"ca_bundle\": \"$work/copy.crt\""
"$CS_CLI" setup --config "$work/copy.json" >"$work/copy.out" 2>&1 || fail "setup (copied bundle)"
grep -qF -- "-v $work/copy.crt:/etc/clawsec-traffic/ca.crt:ro" "$work/copy.out" || fail "mount does not use proxy.ca_bundle"
# The CA key as the bundle, in the file or the environment: invalid, and never a mount line.
write_config "$work/key.json" "\"https_inspection\": true, \"ca_bundle\": \"$work/home/ca/ca.key\""
"$CS_CLI" check-config "$work/key.json" >"$work/key-check.out" 2>&1 && fail "check-config accepted ca.key as the bundle"
grep -q 'ca_bundle.*not its ca.crt' "$work/key-check.out" || fail "no reason: $(cat "$work/key-check.out")"
"$CS_CLI" setup --config "$work/key.json" >"$work/key.out" 2>&1 && fail "setup accepted ca.key as the bundle"
NANOCLAW_TRAFFIC_GUARDIAN_CA_BUNDLE=$work/home/ca/ca.key "$CS_CLI" setup --config "$work/on.json" \
	>>"$work/key.out" 2>&1 && fail "setup accepted ca.key from the environment"
grep -q "NANOCLAW_TRAFFIC_GUARDIAN_CA_BUNDLE" "$work/key.out" || fail "env bundle not named: $(cat "$work/key.out")"
grep -qF "ca.key:" "$work/key.out" && fail "the CA key was offered as a mount"
grep -v '^-----' "$work/home/ca/ca.key" | head -1 | cut -c1-40 >"$work/piece"
grep -qFf "$work/piece" "$work/on.out" && fail "key bytes in the setup text"
echo "ok: setup text (proxy off/on), nothing applied, fingerprint matches openssl"
