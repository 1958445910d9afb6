#!/usr/bin/env bash
# bench/run-fixtures.sh [BUILD_DIR] - credential recall per group on the
# seeded fixtures of bench/gen-credential-fixtures.js (the shapes and
# contexts public secret scanners test with), and false positives on their
# negatives. Prints the table and writes bench/results/fixtures.json. The
# counts are exact, not timings: the same tree always gives the same table.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench_fixtures -j"$(nproc)" >/dev/null
fixtures="$build/credential-fixtures.bin"
if [ ! -s "$fixtures" ] || [ bench/gen-credential-fixtures.js -nt "$fixtures" ]; then
	node bench/gen-credential-fixtures.js "$fixtures"
fi
mkdir -p bench/results
"$build/bench/bench_fixtures" "$fixtures" bench/results/fixtures.json
echo "wrote bench/results/fixtures.json"
