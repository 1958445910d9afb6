#!/usr/bin/env bash
# MCP protocol conformance of clawsec-traffic-mcp, driven as a process by a
# Node script (child_process only) with a fake host answering IPC tasks:
# version negotiation, ping, tools/list, JSON-RPC error codes, isError for bad
# arguments, host timeouts, cancellation, stdin EOF.
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

command -v node >/dev/null || skip "node is not installed (scripts/setup.sh installs it)"
exec node "$CS_SOURCE_DIR/tests/fixtures/node/mcp_protocol.js"
