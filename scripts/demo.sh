#!/usr/bin/env bash
# README command 1: set up, build, and run the detector on the bundled demo
# traffic (tests/fixtures/demo: an API request leaking a FAKE Anthropic key and
# a FAKE SSH private key, and a gzip+chunked SSE answer that splits a
# `curl | sudo bash` across events). Prints the findings as a table and
# writes them as JSONL, exactly as the live agent logs them.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${CS_BUILD_DIR:-build}
bash scripts/setup.sh
bash scripts/build.sh "$build"

cli=$build/user/clawsec-traffic
captures=(tests/fixtures/demo/outbound-leak.http
	tests/fixtures/demo/inbound-sse-pipe-to-shell.http
	tests/fixtures/demo/inbound-benign.http)
out=${CS_DEMO_DIR:-$build/demo}
mkdir -p "$out"
umask 077 # findings are redacted, but still nobody else's business

echo
echo "== Scanning ${#captures[@]} captured streams =="
for c in "${captures[@]}"; do
	printf '  %-52s %6d bytes\n' "$c" "$(wc -c <"$c")"
done
echo
"$cli" scan "${captures[@]}" >"$out/findings.jsonl"
echo
"$cli" scan --table "${captures[@]}" 2>/dev/null
echo
echo "== $(wc -l <"$out/findings.jsonl") findings written as JSONL (clawsec-traffic-finding/v1) to $out/findings.jsonl =="
echo "   Secrets are redacted in every line; see docs/finding-schema.md."
