#!/usr/bin/env bash
# Runs one shard of an `ipcsim sweep` inside a batch engine, so that the engine's recipe stays a
# one-liner. The shard comes from the engine's environment:
#   Slurm job array        SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT (and SLURM_ARRAY_TASK_MIN,
#                          so --array=1-8 works as well as --array=0-7)
#   Kubernetes Indexed Job JOB_COMPLETION_INDEX, with IPCSIM_SHARD_COUNT set to the completions
#                          (Kubernetes does not expose the completion count to the pod)
#   CI matrix / by hand    IPCSIM_SHARD_INDEX and IPCSIM_SHARD_COUNT
# and none of them means the whole sweep (shard 0/1).
#
# Usage: tools/shard_sweep.sh OUTPUT_DIR [ipcsim sweep arguments...]
# Writes OUTPUT_DIR/shard-K-of-N.json, and the failing traces and seed log to
# OUTPUT_DIR/shard-K-of-N/, which is what an artefact store should collect. Combine the shards
# with `ipcsim merge OUTPUT_DIR/shard-*-of-N.json -o merged.json` and render with `ipcsim report`.
#
# The ipcsim binary is $IPCSIM, else `ipcsim` on PATH, else build/release/bin/ipcsim of this
# checkout. Exit code: 0 when the sweep ran, whether or not it found something (findings are in
# the JSON and `ipcsim merge` exits 1 for them; a batch engine must not retry a deterministic
# finding); 2 for a usage error; otherwise ipcsim's own code.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 OUTPUT_DIR [ipcsim sweep arguments...]" >&2
  exit 2
fi
output_dir=$1
shift

here=$(cd "$(dirname "$0")/.." && pwd)
ipcsim=${IPCSIM:-}
if [ -z "$ipcsim" ]; then
  if command -v ipcsim >/dev/null 2>&1; then
    ipcsim=ipcsim
  else
    ipcsim=$here/build/release/bin/ipcsim
  fi
fi

if [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
  index=$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-0}))
  count=${SLURM_ARRAY_TASK_COUNT:?SLURM_ARRAY_TASK_COUNT is not set}
elif [ -n "${JOB_COMPLETION_INDEX:-}" ]; then
  index=$JOB_COMPLETION_INDEX
  count=${IPCSIM_SHARD_COUNT:?set IPCSIM_SHARD_COUNT to the Indexed Job completions}
else
  index=${IPCSIM_SHARD_INDEX:-0}
  count=${IPCSIM_SHARD_COUNT:-1}
fi
case "$index$count" in
  *[!0-9]*)
    echo "$0: shard index '$index' and count '$count' must be non-negative integers" >&2
    exit 2
    ;;
esac
if [ "$count" -lt 1 ] || [ "$index" -ge "$count" ]; then
  echo "$0: shard $index/$count is out of range (0 <= index < count)" >&2
  exit 2
fi

name=shard-$index-of-$count
mkdir -p "$output_dir/$name"
echo "shard_sweep: $name -> $output_dir/$name.json" >&2
status=0
"$ipcsim" sweep --shard "$index/$count" --json "$output_dir/$name.json" \
  --out "$output_dir/$name" --quiet "$@" >"$output_dir/$name/summary.txt" || status=$?
if [ "$status" -eq 1 ]; then
  status=0
fi
exit "$status"
