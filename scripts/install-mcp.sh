#!/usr/bin/env bash
# Install the MCP server so a NanoClaw agent container can run it from a
# read-only mount: the binary plus the libcjson.so.1 it was linked against
# (the node:22-slim image has no cJSON; the binary's $ORIGIN rpath finds the
# copy beside it). Nothing else is needed besides the image's libc.
#
#   scripts/install-mcp.sh DESTDIR [BINARY]
#       v1: into DESTDIR; mounting and registering it are edits of your fork (INSTALL.md).
#   scripts/install-mcp.sh --v2 CHECKOUT FOLDER [BINARY]
#       NanoClaw v2, no fork edits: as the skill directory
#       CHECKOUT/container/skills/clawsec-traffic (v2 mounts container/skills
#       read-only at /app/skills in every container), registered in
#       CHECKOUT/groups/FOLDER/container.json under mcpServers["clawsec-traffic"].
#       Idempotent; other mcpServers entries and keys are kept as they are.
# BINARY defaults to build/mcp/clawsec-traffic-mcp.
set -euo pipefail

here=$(dirname "$0")
die() {
	echo "install-mcp: $*" >&2
	exit 1
}

# install_binary DESTDIR BINARY: the binary and its libcjson.so.1, checked.
install_binary() {
	local dest=$1 bin=$2 lib rpath extra
	[[ -x "$bin" ]] || die "$bin is not an executable (build it first: scripts/build.sh)"
	# The library the dynamic loader resolves for this binary, symlinks followed.
	lib=$(ldd "$bin" | awk '$1 == "libcjson.so.1" && $2 == "=>" { print $3 }')
	[[ -n "$lib" && -f "$lib" ]] || die "cannot resolve libcjson.so.1 for $bin (ldd: $(ldd "$bin" | tr '\n' ' '))"
	rpath=$(readelf -d "$bin" 2>/dev/null | grep -E 'R(UN)?PATH' || true)
	[[ "$rpath" == *'$ORIGIN'* ]] || die "$bin has no \$ORIGIN rpath; it would not find the bundled library"

	install -d -m 0755 "$dest"
	install -m 0755 "$bin" "$dest/clawsec-traffic-mcp"
	install -m 0644 "$(readlink -f "$lib")" "$dest/libcjson.so.1"

	# Anything else the binary needs must be part of libc, or the container cannot run it.
	extra=$(ldd "$dest/clawsec-traffic-mcp" | awk '$2 == "=>" { print $1 }' |
		grep -Ev '^(libc\.so\.6|libcjson\.so\.1)$' || true)
	[[ -z "$extra" ]] || die "unexpected dependencies: $extra"
	echo "install-mcp: installed clawsec-traffic-mcp and libcjson.so.1 in $dest"
}

if [[ "${1:-}" != --v2 ]]; then
	(($# >= 1 && $# <= 2)) || die "usage: install-mcp.sh DESTDIR [BINARY] | --v2 CHECKOUT FOLDER [BINARY]"
	install_binary "$1" "${2:-$here/../build/mcp/clawsec-traffic-mcp}"
	exit 0
fi

(($# >= 3 && $# <= 4)) || die "usage: install-mcp.sh --v2 CHECKOUT FOLDER [BINARY]"
checkout=$2 folder=$3 bin=${4:-$here/../build/mcp/clawsec-traffic-mcp}
command -v node >/dev/null || die "node is needed to edit container.json (NanoClaw v2 runs on it)"
# Check everything before anything is written.
node "$here/nanoclaw-v2-mcp.mjs" check "$checkout" "$folder"
install_binary "$checkout/container/skills/clawsec-traffic" "$bin"
install -m 0644 "$here/nanoclaw-skill.md" "$checkout/container/skills/clawsec-traffic/SKILL.md"
node "$here/nanoclaw-v2-mcp.mjs" register "$checkout" "$folder"
