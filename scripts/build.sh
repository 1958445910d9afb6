#!/usr/bin/env bash
# Configure and build one tree. Usage: scripts/build.sh [BUILD_DIR] [cmake options...]
# The default tree is build/ with gcc; the sanitizer+fuzzer tree is made by
#   CC=clang scripts/build.sh build-asan -DCLAWSEC_SANITIZE=ON -DCLAWSEC_FUZZ=ON
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)" -- --no-print-directory
