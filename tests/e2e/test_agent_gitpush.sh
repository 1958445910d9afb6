#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# git over HTTPS, seen by the agent: `git ls-remote` and `git push` to a local
# smart-HTTP server (`git http-backend` behind a Node HTTPS server on
# 127.0.0.1), run by a target shell. git's git-remote-https speaks TLS
# through libgnutls (probed before it starts: no cold start); the push body is
# pkt-lines and a packfile, whose zlib-deflated blobs hold a fake private key
# and a fake API key committed to the repository: both are reported outbound
# with the server as dest, and no output holds the raw secrets.
source "$(dirname "$0")/agent_lib.sh"
setup
command -v git >/dev/null || need "git is not installed"

export GIT_CONFIG_NOSYSTEM=1 HOME=$T GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid GIT_SSL_CAINFO=$T/cert.pem
git init -q --bare "$T/srv/repo.git"
git -C "$T/srv/repo.git" config http.receivepack true
git init -q -b main "$T/src"
# Fake secrets, made up here: no file of the project holds them.
rand=$(head -c 300 /dev/urandom | base64 -w0 | tr -d '+/=' | head -c 93)
api_key="sk-ant-api03-${rand}AA"
{
	echo "-----BEGIN RSA PRIVATE KEY-----"
	head -c 900 /dev/urandom | base64 -w 64
	echo "-----END RSA PRIVATE KEY-----"
} >"$T/src/id_rsa"
key_line=$(sed -n 3p "$T/src/id_rsa")
printf 'ANTHROPIC_API_KEY=%s\n' "$api_key" >"$T/src/.env"
git -C "$T/src" add id_rsa .env
git -C "$T/src" commit -qm "deploy key and settings"

node "$FIXTURES/git_http_capture.js" "$T/srv" --tls "$T/cert.pem" "$T/key.pem" >"$T/git.port" &
PIDS+=($!)
wait_for 10 test -s "$T/git.port" || fail "the git server did not start"
port=$(head -1 "$T/git.port")

# The target: a shell that runs git once told to, as an agent's tool call would.
sh -c 'while [ ! -e "$1/go" ]; do sleep 0.02; done
	cd "$1/src" && git ls-remote "https://localhost:$2/repo.git" >"$1/ls.out" 2>&1 &&
	git push -q "https://localhost:$2/repo.git" main >"$1/push.out" 2>&1' sh "$T" "$port" &
shell=$!
PIDS+=($shell)
start_agent --pid "$shell"
wait_for 10 target_attached "$shell" || fail "the shell was not attached"
touch "$T/go"
wait_for 60 bash -c "! kill -0 $shell 2>/dev/null" || fail "git did not finish"
wait "$shell" || fail "git failed: $(cat "$T/ls.out" "$T/push.out")"
[[ $(git --git-dir="$T/srv/repo.git" rev-parse main) == $(git -C "$T/src" rev-parse main) ]] ||
	fail "the push did not arrive"

for pat in private_key_pem ai_api_key; do
	wait_for 10 findings_at_least "f.filter(x => x.pattern === '$pat' && x.direction === 'outbound' &&
		x.source.startsWith('git-remote-http/') && x.protocol === 'https' &&
		x.dest === 'localhost:$port').length" 1 ||
		fail "the pushed $pat was not reported: $(findings 'JSON.stringify(f.map(x => [x.pattern, x.source, x.dest]))')"
done
stop_agent
no_raw_secrets
hits=$(grep -rlF --exclude-dir=src --exclude-dir=srv -e "$api_key" -e "$key_line" "$T" || true)
[[ -z $hits ]] || fail "a raw secret found in: $hits"
say "ok"
