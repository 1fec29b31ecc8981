#!/usr/bin/env bash
# The main job: install what is missing, build the release preset, and run the default simulation
# sweep over every scenario (1,000 runs each) with a summary table. Extra arguments go to
# `ipcsim sweep` (e.g. --json results.json, --runs 10000, --jobs 4).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
exec build/release/bin/ipcsim sweep "$@"
