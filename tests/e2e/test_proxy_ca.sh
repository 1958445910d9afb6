#!/usr/bin/env bash
# `clawsec-traffic ca`: modes and ownership, refusal of container-visible
# directories (IPC root, Docker bind-mount source), fingerprint equal to
# `openssl x509 -fingerprint -sha256`, rotation, and the private key's bytes
# appearing in no file outside the CA directory and in no output or log.
set -euo pipefail
source "$(dirname "$0")/proxy_lib.sh"

write_config "$work/cfg.json" '"https_inspection": true'
ca=$work/home/ca
# check-config reports what the proxy would refuse at start, with the proxy's own words.
"$CS_CLI" check-config "$work/cfg.json" >"$work/check0.out" 2>&1 && fail "check-config passed without a CA"
grep -q '^$.proxy: the proxy would refuse to start: .*/ca: missing (run `clawsec-traffic ca init`)' \
	"$work/check0.out" || fail "check-config without a CA: $(cat "$work/check0.out")"
"$CS_CLI" proxy --config "$work/cfg.json" --listen 127.0.0.1:0 >"$work/refused0.out" 2>&1 &&
	fail "the proxy started without a CA"
grep -qF "$(sed -n 's/^$.proxy: the proxy would refuse to start: //p' "$work/check0.out")" "$work/refused0.out" ||
	fail "check-config and the proxy disagree: $(cat "$work/refused0.out")"
(umask 000 && "$CS_CLI" ca init --config "$work/cfg.json") >"$work/init.out" 2>&1 || fail "ca init"
[[ $(stat -c %a "$ca") == 700 ]] || fail "CA dir mode $(stat -c %a "$ca")"
[[ $(stat -c %a "$ca/ca.key") == 600 ]] || fail "key mode $(stat -c %a "$ca/ca.key")"
[[ $(stat -c %u "$ca/ca.key") == $(id -u) ]] || fail "key not owned by the running user"
openssl pkey -in "$ca/ca.key" -noout -text 2>/dev/null | grep -q "prime256v1\|P-256" || fail "key is not P-256"
openssl x509 -in "$ca/ca.crt" -noout -text | grep -q "CA:TRUE, pathlen:0" || fail "not a CA certificate"

"$CS_CLI" check-config "$work/cfg.json" >"$work/check1.out" 2>&1 ||
	fail "check-config after ca init: $(cat "$work/check1.out")"
chmod 0644 "$ca/ca.key"
"$CS_CLI" check-config "$work/cfg.json" >"$work/check2.out" 2>&1 && fail "check-config passed a 0644 key"
grep -q 'ca.key: readable by others' "$work/check2.out" || fail "0644 key: $(cat "$work/check2.out")"
chmod 0600 "$ca/ca.key"
"$CS_CLI" ca show --config "$work/cfg.json" >"$work/show.out" 2>&1 || fail "ca show"
want=$(openssl x509 -in "$ca/ca.crt" -noout -fingerprint -sha256)
grep -qx "$want" "$work/show.out" || fail "fingerprint differs from openssl: $(cat "$work/show.out") vs $want"
grep -qx "certificate: $ca/ca.crt" "$work/show.out" || fail "ca show does not name the certificate"

if "$CS_CLI" ca init --config "$work/cfg.json" >"$work/again.out" 2>&1; then
	fail "ca init overwrote an existing CA"
fi
cp "$ca/ca.key" "$work/old-key.pem.keep"
"$CS_CLI" ca rotate --config "$work/cfg.json" >"$work/rotate.out" 2>&1 || fail "ca rotate"
[[ $(openssl x509 -in "$ca/ca.crt" -noout -fingerprint -sha256) != "$want" ]] || fail "rotate kept the CA"
[[ $(stat -c %a "$ca/ca.key") == 600 ]] || fail "rotated key mode"
cmp -s "$ca/ca.key" "$work/old-key.pem.keep" && fail "rotate kept the key"
rm -f "$work/old-key.pem.keep"

# A proxy using the CA: its log and the state file must not carry key bytes either.
start_proxy mitm "$work/cfg.json" --state-file "$work/home/state.json"
for ((i = 0; i < 40; i++)); do
	[[ -s $work/home/state.json ]] && break
	sleep 0.05
done
grep -q '"https_inspection":true' "$work/home/state.json" || fail "state file lacks the proxy block"
kill -TERM "$proxy_pid"
wait "$proxy_pid" || fail "proxy did not exit cleanly on SIGTERM"

# The key's base64 lines appear nowhere but in ca.key.
grep -v '^-----' "$ca/ca.key" | tr -d '\n' | fold -w 24 >"$work/key-pieces"
[[ -s $work/key-pieces ]] || fail "could not read the key"
while read -r piece; do
	hits=$(grep -rlF -- "$piece" "$work" | grep -vx "$ca/ca.key" | grep -vx "$work/key-pieces" || true)
	[[ -z $hits ]] || fail "key bytes found in: $hits"
done <"$work/key-pieces"

# Refusals: inside an IPC root, inside a Docker bind-mount source (either file Docker writes).
mkdir -p "$work/ipc/main" "$work/docker/c1" "$work/docker/c2" "$work/shared" "$work/shared2"
cat >"$work/docker/c1/config.v2.json" <<JSON
{"Name":"/nanoclaw-main-1","MountPoints":{"/workspace":{"Source":"$work/shared","Destination":"/workspace"}}}
JSON
printf '{"Binds":["%s:/data:ro"]}\n' "$work/shared2" >"$work/docker/c2/hostconfig.json"
refuse() { # NAME CA_DIR
	cat >"$work/$1.json" <<JSON
{ "home": "$work/home", "log_dir": "$work/home/logs", "ipc_roots": ["$work/ipc/*"],
  "docker_containers_dir": "$work/docker", "proxy": { "ca_dir": "$2" } }
JSON
	chmod 600 "$work/$1.json"
	if "$CS_CLI" ca init --config "$work/$1.json" >"$work/$1.out" 2>&1; then
		fail "$1: a container-visible CA directory was accepted"
	fi
	[[ ! -e $2/ca.key ]] || fail "$1: a key was written"
	grep -qi "container\|ipc\|visible\|inside" "$work/$1.out" || fail "$1: no reason given: $(cat "$work/$1.out")"
}
refuse ipc "$work/ipc/main/ca"
refuse mount "$work/shared/sub/ca"
refuse binds "$work/shared2/ca"

# A parent that group or others may write (no sticky bit) lets them swap the CA directory.
mkdir -p "$work/open/deeper" "$work/sticky"
chmod 0777 "$work/open"
chmod 1777 "$work/sticky"
write_config "$work/open.json" "\"https_inspection\": true, \"ca_dir\": \"$work/open/deeper/ca\""
if "$CS_CLI" ca init --config "$work/open.json" >"$work/open.out" 2>&1; then
	fail "ca init accepted a CA directory under a world-writable parent"
fi
[[ ! -e $work/open/deeper/ca ]] || fail "the CA directory was created under a world-writable parent"
grep -qF "parent directory $work/open is writable by group or others without the sticky bit" \
	"$work/open.out" || fail "no clear reason: $(cat "$work/open.out")"
# check-config reports it too (issue 9: it used to pass a ca_dir that `proxy` then refused).
"$CS_CLI" check-config "$work/open.json" >"$work/open-check.out" 2>&1 &&
	fail "check-config accepted a CA directory under a world-writable parent"
grep -qF "\$.proxy.ca_dir: CA directory $work/open/deeper/ca: parent directory $work/open is writable by group or others without the sticky bit" \
	"$work/open-check.out" || fail "check-config: $(cat "$work/open-check.out")"
chmod 0775 "$work/open"
"$CS_CLI" ca init --config "$work/open.json" >"$work/open.out" 2>&1 &&
	fail "ca init accepted a group-writable parent"
write_config "$work/sticky.json" "\"https_inspection\": true, \"ca_dir\": \"$work/sticky/ca\""
"$CS_CLI" ca init --config "$work/sticky.json" >"$work/sticky.out" 2>&1 ||
	fail "a sticky world-writable parent (like /tmp) was refused: $(cat "$work/sticky.out")"
echo "ok: CA modes, fingerprint, rotation, refusals, key confined to its file"
