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
  shift
  echo "== ${preset}: configure, build, test"
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}" "$@"
  ctest --preset "${preset}"
}

run_preset release
# The fuzz preset builds only the fuzz targets (and what they link) and runs their bounded smoke
# runs; everything else is already tested above.
run_preset fuzz --target ipcsim_fuzzers
if [ "${1:-}" = "--sanitizers" ]; then
  run_preset asan
  run_preset tsan
fi
