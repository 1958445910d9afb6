#!/usr/bin/env bash
# bench/run-findings.sh [BUILD_DIR] [OUT_NAME] - findings per 1,000 benign
# NanoClaw messages, by pattern and severity. Generates the seeded corpus
# (bench/gen-nanoclaw-corpus.js), prints the table and writes
# bench/results/<OUT_NAME>.json (default findings). The counts are exact,
# not timings: the same tree always gives the same table.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
name=${2:-findings}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench_findings -j"$(nproc)" >/dev/null
corpus="$build/nanoclaw-corpus.bin"
if [ ! -s "$corpus" ] || [ bench/gen-nanoclaw-corpus.js -nt "$corpus" ]; then
	node bench/gen-nanoclaw-corpus.js "$corpus"
fi
mkdir -p bench/results
"$build/bench/bench_findings" "$corpus" "bench/results/$name.json"
echo "wrote bench/results/$name.json"
