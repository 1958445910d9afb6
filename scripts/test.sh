#!/usr/bin/env bash
# Set up, build and pass every test: the README's second command and .ci/run.
#  1. gcc build, whole ctest suite (unit, end-to-end with real processes, BPF);
#  2. clang build with ASan+UBSan and libFuzzer: the unit and end-to-end suites
#     again under the sanitizers, plus each fuzzer for a short bounded run;
#  3. the skill manifest's sbom matches the shipped files.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

jobs=$(nproc)
status=0
bash scripts/build.sh build
(cd build && ctest --output-on-failure -j"$jobs") || status=1

CC=clang bash scripts/build.sh build-asan -DCLAWSEC_SANITIZE=ON -DCLAWSEC_FUZZ=ON \
	-DCLAWSEC_FUZZ_SECONDS="${CLAWSEC_FUZZ_SECONDS:-20}"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
(cd build-asan && ctest --output-on-failure -j"$jobs") || status=1

# skill.json's sbom must list every shipped file with its current hash.
bash scripts/gen-sbom.sh --check || {
	echo "skill.json is stale: run scripts/gen-sbom.sh and commit it" >&2
	status=1
}

exit $status
