#!/usr/bin/env bash
# bench/run-detector.sh [BUILD_DIR] - detector throughput and memory.
# Builds bench_detector (Release), generates the benign corpus if needed,
# prints the table and writes bench/results/detector.json. Not a test: the
# figures depend on the machine; the goals are listed in the JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench_detector -j"$(nproc)" >/dev/null
corpus="$build/benign-corpus.bin"
if [ ! -s "$corpus" ] || [ scripts/gen-benign-corpus.js -nt "$corpus" ]; then
	node scripts/gen-benign-corpus.js "$corpus"
fi
mkdir -p bench/results
"$build/bench/bench_detector" "$corpus" bench/results/detector.json
echo "wrote bench/results/detector.json"
