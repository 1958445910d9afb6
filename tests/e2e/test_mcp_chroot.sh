#!/usr/bin/env bash
# The installed MCP server must run where only libc exists (NanoClaw's
# node:22-slim agent image has no cJSON): install it with
# scripts/install-mcp.sh, build a root holding just the dynamic loader, libc
# and the install dir, and hold an MCP session with it under chroot.
# The root gets a /proc (as every container has): the loader resolves the
# binary's $ORIGIN rpath through /proc/self/exe, so without it the bundled
# libcjson.so.1 would not be found.
set -euo pipefail
: "${CS_SOURCE_DIR:?}" "${CS_MCP:?CS_MCP must name the clawsec-traffic-mcp binary}"

skip() {
	if [[ "${CI:-}" == "true" ]]; then
		echo "FAIL (CI): $1"
		exit 1
	fi
	echo "SKIP: $1"
	exit 77
}

# What this proves is the release binary's footprint; a sanitizer build also
# needs libasan/libubsan, which the minimal root deliberately lacks.
if [[ -n "${CS_SANITIZED:-}" ]]; then
	echo "SKIP: sanitizer build (links libasan; the gcc build runs this test)"
	exit 77
fi
((EUID == 0)) || skip "chroot needs root"
command -v node >/dev/null || skip "node is not installed (scripts/setup.sh installs it)"
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
bash "$CS_SOURCE_DIR/scripts/install-mcp.sh" "$root/opt/clawsec" "$CS_MCP"

# Copy every library outside the install dir (the loader and libc) to the
# path ldd names, so the loader finds them without /etc/ld.so.cache.
while read -r path; do
	[[ "$path" == "$root"/* ]] && continue
	install -D -m 0755 "$(readlink -f "$path")" "$root$path"
done < <(ldd "$root/opt/clawsec/clawsec-traffic-mcp" |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')

echo "root contents:"
(cd "$root" && find . -type f | sort | sed 's/^/  /')
unexpected=$(cd "$root" && find . -type f | grep -Ev '^\./opt/clawsec/(clawsec-traffic-mcp|libcjson\.so\.1)$|/(libc\.so\.6|ld-linux[^/]*\.so\.[0-9]+)$' || true)
if [[ -n "$unexpected" ]]; then
	echo "FAIL: the root holds more than libc and the install dir: $unexpected"
	exit 1
fi

# A private mount and pid namespace: the /proc mount disappears with it.
mkdir "$root/proc"
node "$CS_SOURCE_DIR/tests/fixtures/node/mcp_smoke.js" \
	unshare --mount --pid --fork --mount-proc="$root/proc" \
	chroot "$root" /opt/clawsec/clawsec-traffic-mcp --timeout-ms 300
