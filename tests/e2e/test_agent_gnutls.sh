#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The GnuTLS path: git and wget in an agent container speak TLS through
# libgnutls.so.30 (git through libcurl-gnutls). A target shell runs them as
# its children; the agent attaches bpf/gnutls.bpf.c to the libgnutls they map
# and sees the plaintext: a fake key in a header and a private key in a POST
# body going out (wget --post-file, git ls-remote with an extra header) and the
# pipe-to-shell of the reply coming in, with the SNI as dest.
# A first, long-lived wget (stalled by a server that never answers) brings
# the library in, as test_agent_libssl.sh does for libssl; the library stays
# probed for the short-lived ones that follow. (A process that is the very
# first user of a TLS library races the probes: docs/capture.md.)
source "$(dirname "$0")/agent_lib.sh"
setup
command -v wget >/dev/null || need "wget is not installed"
command -v git >/dev/null || need "git is not installed"
start_server
# A TLS server that accepts requests and never answers them.
node -e 'const s = require("https").createServer({key: require("fs").readFileSync(process.argv[1]),
	cert: require("fs").readFileSync(process.argv[2])}, () => {});
	s.listen(0, "127.0.0.1", () => console.log("listening", s.address().port));' \
	"$T/key.pem" "$T/cert.pem" >"$T/stall.out" 2>&1 &
PIDS+=($!)
wait_for 10 grep -qs listening "$T/stall.out" || fail "stalling server did not start"
stall=$(awk '/listening/ {print $2}' "$T/stall.out")

# git's key differs from wget's: the same key to the same dest within the
# dedup window would be folded into wget's finding.
GIT_KEY=${RAW_KEY/FAKEfake/GITgitGI}
mkdir -p "$T/input"
printf '{"messages":[{"role":"user","content":"key:\\n%s\\n%s\\n%s\\n"}]}' \
	"-----BEGIN RSA PRIVATE KEY-----" "$RAW_PEM_LINE" "-----END RSA PRIVATE KEY-----" \
	>"$T/input/body.json"
# The target: a shell that starts the stalled wget, then the real clients once told.
sh -c 'while [ ! -e "$1/stall.go" ]; do sleep 0.02; done
	wget -q -t 1 --ca-certificate="$1/cert.pem" -O /dev/null "https://localhost:$4/" &
	echo $! >"$1/stalled.pid"
	while [ ! -e "$1/real.go" ]; do sleep 0.02; done
	wget -q -t 1 --ca-certificate="$1/cert.pem" --header "x-api-key: $3" \
		--header "content-type: application/json" --post-file="$1/input/body.json" \
		-O "$1/wget.out" "https://localhost:$2/v1/messages"
	GIT_SSL_CAINFO="$1/cert.pem" git -c http.extraHeader="x-api-key: $5" \
		ls-remote "https://localhost:$2/repo.git" >/dev/null 2>&1 || true' \
	sh "$T" "$PORT" "$RAW_KEY" "$stall" "$GIT_KEY" &
shell=$!
PIDS+=($shell)

start_agent --pid "$shell"
wait_for 10 target_attached "$shell" || fail "the shell was not attached"
touch "$T/stall.go"
wait_for 10 test -s "$T/stalled.pid" || fail "the stalled wget did not start"
stalled=$(cat "$T/stalled.pid")
wait_for 10 state_is "s.targets.some(t => t.pid === $stalled && t.tls_path === 'gnutls' && t.attached)" true ||
	fail "the stalled wget was not classified gnutls: $(state 'JSON.stringify(s.targets)')"
kill "$stalled"
touch "$T/real.go"
wait_for 30 bash -c "! kill -0 $shell 2>/dev/null" || fail "wget/git did not finish"
test -s "$T/wget.out" || fail "wget got no answer"

# at_least N PATTERN DIRECTION COMM: findings from a COMM process to the server
at_least() {
	[[ $(findings "f.filter(x => x.pattern === '$2' && x.direction === '$3' &&
		x.source.startsWith('$4/') && x.protocol === 'https' &&
		x.dest === 'localhost:$PORT').length") -ge $1 ]]
}
for p in ai_api_key:outbound:wget private_key_pem:outbound:wget pipe_to_shell:inbound:wget \
	ai_api_key:outbound:git-remote-http; do
	IFS=: read -r pat dir comm <<<"$p"
	wait_for 10 at_least 1 "$pat" "$dir" "$comm" ||
		fail "$comm's $dir $pat not captured: $(findings 'JSON.stringify(f)')"
done
stop_agent
no_raw_secrets
hits=$(grep -rlF --exclude-dir=input -e "$GIT_KEY" "$T" || true)
[[ -z $hits ]] || fail "git's raw key found in: $hits"
say "ok"
