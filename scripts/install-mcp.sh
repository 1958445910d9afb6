#!/usr/bin/env bash
# Install the MCP server into DESTDIR so a NanoClaw agent container can run it
# from a read-only mount: the binary plus the libcjson.so.1 it was linked
# against (the node:22-slim image has no cJSON; the binary's $ORIGIN rpath
# finds the copy beside it). Nothing else is needed besides the image's libc.
#   scripts/install-mcp.sh DESTDIR [BINARY]   (BINARY default: build/mcp/clawsec-traffic-mcp)
set -euo pipefail

die() {
	echo "install-mcp: $*" >&2
	exit 1
}

(($# >= 1 && $# <= 2)) || die "usage: install-mcp.sh DESTDIR [BINARY]"
dest=$1
bin=${2:-"$(dirname "$0")/../build/mcp/clawsec-traffic-mcp"}
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
