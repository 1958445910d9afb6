#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/install-mcp.sh --v2 against a NanoClaw v2-shaped checkout made here:
# the MCP server lands as the skill directory container/skills/clawsec-traffic
# (binary, libcjson.so.1, SKILL.md) and is registered in the group's
# container.json beside the entries and keys already there, which stay as they
# are; a second run changes nothing; bad input is refused with the file left
# untouched; a checkout that keeps mcpServers in its DB gets the entry to add
# (exit 3). Then the registered command runs as a container would run it: in
# a root holding libc, the skills directory read-only at /app/skills and the
# session directory at /workspace, and it holds an MCP session.
set -euo pipefail
: "${CS_SOURCE_DIR:?}" "${CS_MCP:?CS_MCP must name the clawsec-traffic-mcp binary}"
# install-mcp.sh ships only a binary that needs libc and libcjson; a sanitizer
# build also links libasan/libubsan (and libm, libgcc_s), which it rightly refuses.
if [[ -n "${CS_SANITIZED:-}" ]]; then
	echo "SKIP: sanitizer build (links libasan; the gcc build runs this test)"
	exit 77
fi
install=$CS_SOURCE_DIR/scripts/install-mcp.sh

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nc=$work/nanoclaw
mkdir -p "$nc/src" "$nc/container/skills/agent-browser" "$nc/groups/main" "$nc/groups/other" \
	"$nc/data/v2-sessions/ag-1/sess-1"
printf '{"name":"nanoclaw","version":"2.4.0","scripts":{"start":"node dist/index.js"}}\n' >"$nc/package.json"
echo 'export function readContainerConfig(folder: string) {}' >"$nc/src/container-config.ts"
echo '# agent-browser' >"$nc/container/skills/agent-browser/SKILL.md"
cat >"$nc/groups/main/container.json" <<'JSON'
{
  "mcpServers": {
    "gmail": { "command": "bun", "args": ["/app/mcp/gmail.ts"], "env": { "TOKEN": "${GMAIL_TOKEN}" } }
  },
  "packages": { "apt": ["ffmpeg"], "npm": [] },
  "skills": "all",
  "assistantName": "Andy"
}
JSON
chmod 0640 "$nc/groups/main/container.json"
before=$(node -e 'const c = require(process.argv[1]); delete c.mcpServers["clawsec-traffic"];
	console.log(JSON.stringify(c))' "$nc/groups/main/container.json")

bash "$install" --v2 "$nc" main "$CS_MCP" >"$work/out1" 2>&1 || fail "install: $(cat "$work/out1")"
skill=$nc/container/skills/clawsec-traffic
for f in clawsec-traffic-mcp libcjson.so.1 SKILL.md; do
	[[ -f $skill/$f ]] || fail "$skill/$f not installed"
done
cmp -s "$CS_MCP" "$skill/clawsec-traffic-mcp" || fail "installed binary differs"
grep -q '^name: clawsec-traffic$' "$skill/SKILL.md" || fail "SKILL.md has no name"
[[ $(node -e 'const c = require(process.argv[1]); console.log(JSON.stringify(c.mcpServers["clawsec-traffic"]))' \
	"$nc/groups/main/container.json") == \
	'{"command":"/app/skills/clawsec-traffic/clawsec-traffic-mcp","args":["--group","main"],"env":{}}' ]] ||
	fail "not registered: $(cat "$nc/groups/main/container.json")"
[[ $(node -e 'const c = require(process.argv[1]); delete c.mcpServers["clawsec-traffic"];
	console.log(JSON.stringify(c))' "$nc/groups/main/container.json") == "$before" ]] ||
	fail "other entries or keys changed: $(cat "$nc/groups/main/container.json")"
[[ $(stat -c %a "$nc/groups/main/container.json") == 640 ]] || fail "container.json lost its mode"
[[ ! -e $nc/groups/other/container.json ]] || fail "another group was touched"

# Idempotent: nothing changes on a second run.
snap() { find "$nc" -type f -printf '%p %s %T@ %m\n' | sort; }
s1=$(snap)
bash "$install" --v2 "$nc" main "$CS_MCP" >"$work/out2" 2>&1 || fail "second install: $(cat "$work/out2")"
grep -q "already registers" "$work/out2" || fail "second run: $(cat "$work/out2")"
[[ $(snap | grep -v "/container/skills/clawsec-traffic/") == $(grep -v "/container/skills/clawsec-traffic/" <<<"$s1") ]] ||
	fail "second run changed files"
cmp -s "$CS_MCP" "$skill/clawsec-traffic-mcp" || fail "binary differs after the second run"

# A group without container.json gets one with only our entry.
bash "$install" --v2 "$nc" other "$CS_MCP" >/dev/null 2>&1 || fail "install for a group with no container.json"
[[ $(node -e 'console.log(Object.keys(require(process.argv[1]).mcpServers).join())' \
	"$nc/groups/other/container.json") == clawsec-traffic ]] || fail "other: $(cat "$nc/groups/other/container.json")"

# Refusals leave everything as it was.
refused() { # WHY ARGS...: must fail, and change no file of the checkout
	local why=$1 s rc=0
	shift
	s=$(snap)
	bash "$install" "$@" >"$work/refused" 2>&1 || rc=$?
	((rc != 0)) || fail "accepted: $why"
	[[ $(snap) == "$s" ]] || fail "changed files while refusing: $why"
}
refused "a missing group" --v2 "$nc" nogroup "$CS_MCP"
refused "a bad folder name" --v2 "$nc" ../main "$CS_MCP"
printf '{"mcpServers": {"gmail": {' >"$nc/groups/other/container.json"
refused "container.json that is not JSON" --v2 "$nc" other "$CS_MCP"
grep -q "container.json" "$work/refused" || fail "no reason given: $(cat "$work/refused")"
printf '{"mcpServers": []}\n' >"$nc/groups/other/container.json"
refused "mcpServers that is not an object" --v2 "$nc" other "$CS_MCP"
printf '{"name":"other"}\n' >"$work/package.json"
refused "not a NanoClaw checkout" --v2 "$work" main "$CS_MCP"

# A release that rewrites container.json from its DB: the entry to add, exit 3.
printf '{}\n' >"$nc/groups/other/container.json"
cp -a "$nc" "$work/db"
echo 'export function materializeContainerJson(id: string) {}' >"$work/db/src/container-config.ts"
sum=$(md5sum "$work/db/groups/other/container.json")
rc=0
bash "$install" --v2 "$work/db" other "$CS_MCP" >"$work/out3" 2>&1 || rc=$?
((rc == 3)) || fail "DB-backed checkout: exit $rc: $(cat "$work/out3")"
grep -q 'container_configs.mcp_servers' "$work/out3" && grep -qF '"command":"/app/skills/clawsec-traffic/clawsec-traffic-mcp"' "$work/out3" ||
	fail "DB-backed checkout: no entry to add: $(cat "$work/out3")"
[[ $(md5sum "$work/db/groups/other/container.json") == "$sum" ]] || fail "DB-backed: container.json edited"

# Run the registered command the way a v2 container does (needs root for chroot).
if ((EUID != 0)) || ! command -v unshare >/dev/null || [[ -n "${CS_SANITIZED:-}" ]]; then
	echo "ok (the in-container run needs root, unshare and the release build)"
	exit 0
fi
root=$work/root
mkdir -p "$root/app/skills" "$root/workspace" "$root/proc"
while read -r lib; do
	install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
done < <(ldd "$skill/clawsec-traffic-mcp" | awk '$2 == "=>" && $3 ~ /^\// && $1 != "libcjson.so.1" { print $3 }
	$1 ~ /^\// { print $1 }')
read -r -a cmd < <(node -e 'const e = require(process.argv[1]).mcpServers["clawsec-traffic"];
	console.log([e.command, ...e.args].join(" "))' "$nc/groups/main/container.json")
node "$CS_SOURCE_DIR/tests/fixtures/node/mcp_smoke.js" \
	unshare --mount --pid --fork --mount-proc="$root/proc" bash -c '
		mount --bind -o ro "$1" "$2/app/skills" && mount -o remount,ro,bind "$2/app/skills" &&
		mount --bind "$3" "$2/workspace" && shift 3 && exec chroot "$@"' \
	sh "$nc/container/skills" "$root" "$nc/data/v2-sessions/ag-1/sess-1" "$root" "${cmd[@]}" --timeout-ms 300 ||
	fail "the registered MCP server did not run in a container-like root"
# Its task went where the host looks for a v2 session's (and was withdrawn when unanswered).
[[ -d $nc/data/v2-sessions/ag-1/sess-1/clawsec_tasks ]] ||
	fail "no clawsec_tasks in the session directory: $(find "$nc/data" | tr '\n' ' ')"
echo ok
