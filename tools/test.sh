#!/usr/bin/env bash
# The test job (what CI runs): install what is missing, build the release preset and run its
# tests except those labelled `slow`, then build the fuzz preset (clang, libFuzzer) and run its
# short bounded fuzz runs when fuzz targets exist. Pass --sanitizers to also build and test the
# asan and tsan presets (slower; run before resolving work that touches concurrency).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh

run_preset() {
  local preset=$1
  echo "== ${preset}: configure, build, test"
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}"
  ctest --preset "${preset}"
}

run_preset release
if grep -rqs "fuzz_" fuzz/CMakeLists.txt 2>/dev/null; then
  run_preset fuzz
fi
if [ "${1:-}" = "--sanitizers" ]; then
  run_preset asan
  run_preset tsan
fi
