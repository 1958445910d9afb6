#!/usr/bin/env bash
# git smart HTTP end to end: a real `git push` over plain HTTP to a local
# `git http-backend` (CGI behind a tiny Node server on 127.0.0.1), recorded
# by a relay and fed to `clawsec-traffic scan`. The pushed history holds a
# fake private key in a new file (a whole blob) and a fake API key that a
# later commit replaced by a longer line (git stores the smaller, older
# version as a delta of the newer one, so the key is only in the bytes the
# delta inserts). Both must be reported, with the raw secrets nowhere in
# the output.
source "$(dirname "$0")/scan_lib.sh"

export GIT_CONFIG_NOSYSTEM=1 HOME=$work GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid
git init -q --bare "$work/srv/repo.git"
git init -q -b main "$work/src"
cd "$work/src"

# Fake secrets, made up here so no file of the project holds them.
rand=$(head -c 300 /dev/urandom | base64 -w0 | tr -d '+/=' | head -c 93)
api_key="sk-ant-api03-${rand}AA"
{
	echo "-----BEGIN RSA PRIVATE KEY-----"
	head -c 900 /dev/urandom | base64 -w 64
	echo "-----END RSA PRIVATE KEY-----"
} >id_rsa
key_line=$(sed -n 3p id_rsa)
for i in $(seq 400); do echo "setting_$i = value number $i for the service"; done >settings.txt
sed -i "200a ANTHROPIC_API_KEY=$api_key" settings.txt
git add settings.txt id_rsa
git commit -qm "add settings and a deploy key"
sed -i "s|^ANTHROPIC_API_KEY=.*|# the key moved to the vault; $(printf 'x%.0s' $(seq 300))|" settings.txt
git commit -qam "move the key to the vault"

start_capture "git server" git_http_capture.js "$work/srv"
git push -q "http://127.0.0.1:$port/repo.git" main 2>"$work/push.err" || {
	cat "$work/push.err" >&2
	fail "git push failed"
}
head=$(git rev-parse main)
for _ in $(seq 40); do
	[[ $(git --git-dir="$work/srv/repo.git" rev-parse main 2>/dev/null) == "$head" ]] && break
	sleep 0.05
done
[[ $(git --git-dir="$work/srv/repo.git" rev-parse main) == "$head" ]] || fail "the push did not arrive"
sleep 0.3
# git packs the key-holding (older, smaller) version of settings.txt as a
# delta of the newer one, the same choice the push made: check it, so the
# test keeps exercising the delta path.
git repack -adq
delta=$(git verify-pack -v .git/objects/pack/*.idx | awk '$2 == "blob" && NF == 7 {print $1}')
[[ -n $delta && $(git cat-file -p "$delta") == *ANTHROPIC_API_KEY* ]] ||
	fail "the key is not in a delta: the test would not exercise deltas"
: >"$work/out"
for f in "$work"/cap/conn*.out; do
	"$CS_CLI" scan -d outbound --dest "127.0.0.1:$port" "$f" >>"$work/out" 2>>"$work/err" ||
		fail "scan of $f failed"
done
grep -q '"pattern":"ai_api_key"' "$work/out" || fail "the API key pushed in a delta was not found"
grep -q '"pattern":"private_key_pem"' "$work/out" || fail "the private key pushed in a blob was not found"
for s in "$api_key" "${api_key:20:40}" "$key_line"; do
	grep -qF -- "$s" "$work/out" "$work/err" && fail "a raw secret reached the output"
done
echo "test_scan_gitpush: ok ($(wc -l <"$work/out") findings)"
