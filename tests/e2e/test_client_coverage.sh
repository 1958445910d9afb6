#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Client coverage: every TLS client an agent container holds, run by one
# target shell against the local origin, each sending its own fake key, and
# what the agent saw, per client and capture path, printed as a table:
#   node fetch (static OpenSSL in the executable), curl and python3 urllib
#   (libssl), wget and git (libgnutls), Bun fetch (BoringSSL's AEAD functions).
# Every client's key must be reported outbound with the origin as dest. The
# path column names the library each client's TLS goes through (checked in
# state.json for Bun, which must be attached before it sends; the others exit
# before the table is printed: their paths are covered by their own tests).
source "$(dirname "$0")/agent_lib.sh"
source "$(dirname "$0")/bun_lib.sh"
setup
for tool in curl wget git python3; do
	command -v $tool >/dev/null || need "$tool is not installed"
done
start_server
url="https://localhost:$PORT/v1/messages"

# key N: a distinct fake key per client (one key to one dest is folded by dedup).
key() { printf '%s%04d%s' "${RAW_KEY:0:43}" "$1" "${RAW_KEY:47}"; }
mkdir -m 700 "$T/keys"
clients=(node curl python3 wget git)
for i in "${!clients[@]}"; do key "$((i + 100))" >"$T/keys/${clients[$i]}"; done

# The target: the clients one after the other, once told; Bun last, after it
# was exec'd and classified (bun_client.js waits for its --go file).
sh -c 'while [ ! -e "$1/go" ]; do sleep 0.02; done
	k() { cat "$1/keys/$2"; }
	node -e "fetch(process.argv[1], {method: \"POST\", body: \"{}\",
		headers: {\"x-api-key\": process.argv[2]}}).then(r => r.text())" "$2" "$(k "$1" node)"
	curl -sS --cacert "$1/cert.pem" -H "x-api-key: $(k "$1" curl)" -d "{}" -o /dev/null "$2"
	python3 -c "import ssl, sys, urllib.request as u
u.urlopen(u.Request(sys.argv[1], data=b\"{}\", headers={\"x-api-key\": sys.argv[2]}),
	context=ssl.create_default_context(cafile=sys.argv[3])).read()" "$2" "$(k "$1" python3)" "$1/cert.pem"
	wget -q -t 1 --ca-certificate="$1/cert.pem" --header "x-api-key: $(k "$1" wget)" \
		--post-data "{}" -O /dev/null "$2"
	GIT_SSL_CAINFO="$1/cert.pem" git -c http.extraHeader="x-api-key: $(k "$1" git)" \
		ls-remote "${2%/v1/messages}/repo.git" >/dev/null 2>&1
	"$3" "$4" --go "$1/bun.go" --job "fetch:$2" >"$1/bun.out" 2>&1 &
	echo $! >"$1/bun.pid"
	wait $!' \
	sh "$T" "$url" "$BUN14" "$FIXTURES/bun_client.js" 2>"$T/clients.err" &
shell=$!
PIDS+=($shell)

start_agent --pid "$shell"
wait_for 10 target_attached "$shell" || fail "the shell was not attached"
touch "$T/go"
wait_for 60 test -s "$T/bun.pid" || fail "Bun did not start: $(cat "$T/clients.err")"
bun=$(cat "$T/bun.pid")
wait_for 20 state_is "s.targets.some(t => t.pid === $bun && t.tls_path === 'boringssl_aead' && t.attached)" true ||
	fail "Bun not attached: $(state 'JSON.stringify(s.targets)')"
touch "$T/bun.go"
wait_for 60 bash -c "! kill -0 $shell 2>/dev/null" || fail "the clients did not finish"

# seen COMM: findings of a COMM process to the origin
seen() {
	findings "f.filter(x => x.pattern === 'ai_api_key' && x.direction === 'outbound' &&
		x.source.startsWith('$1/') && x.dest === 'localhost:$PORT').length"
}
missing=()
printf '%-10s %-16s %-6s %s\n' client capture_path seen dest >&2
for row in node:static_openssl:node curl:libssl:curl python3:libssl:python3 wget:gnutls:wget \
	git:gnutls:git-remote-http bun:boringssl_aead:bun; do
	IFS=: read -r client path comm <<<"$row"
	n=0
	for _ in $(seq 30); do
		n=$(seen "$comm")
		[[ $n -ge 1 ]] && break
		sleep 0.1
	done
	printf '%-10s %-16s %-6s %s\n' "$client" "$path" "$([[ $n -ge 1 ]] && echo yes || echo NO)" \
		"localhost:$PORT" >&2
	[[ $n -ge 1 ]] || missing+=("$client")
done
((${#missing[@]} == 0)) || fail "not seen: ${missing[*]}: $(findings 'JSON.stringify(f.map(x => [x.pattern, x.source, x.dest]))')"
stop_agent
no_raw_secrets
hits=$(grep -rlF --exclude-dir=keys -e "${RAW_KEY:13:30}" "$T" || true)
[[ -z $hits ]] || fail "a raw key found in: $hits"
say "ok"
