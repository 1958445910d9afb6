#!/usr/bin/env bash
# bench/run-boringssl-find.sh [BUILD_DIR] [OUT_NAME] - what finding BoringSSL's
# AEAD seal/open functions costs on the pinned Bun binaries (tests/fixtures/node):
# disk cold, page cache only, cached. Prints a table and writes
# bench/results/<OUT_NAME>.json (default boringssl_find). Run it once; on a
# shared machine the timings are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
name=${2:-boringssl_find}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench_boringssl_find -j"$(nproc)" >/dev/null
bins=()
for v in bun12 bun13 bun14; do
	bins+=("tests/fixtures/node/node_modules/$v/bin/bun")
done
mkdir -p bench/results
"$build/bench/bench_boringssl_find" "bench/results/$name.json" "${bins[@]}"
echo "wrote bench/results/$name.json"
