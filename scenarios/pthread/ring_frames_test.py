#!/usr/bin/env python3
"""ring_frames_test: runs an instrumented ring program (ring_frames.cpp) on consecutive seeds in
standalone mode and checks its verdicts.

How it works. The program runs under the instrumentation runtime with IPCSIM_SEED=1, 2, ... and
prints a result line ("ipcsim-instr: <status> seed=...") and, on a finding, the report.
  --expect pass   every seed must pass and move every frame (exit 0, "frames moved").
  --expect race   every seed must end with status race (exit 1); since every schedule of the
                  program moves frames, seed 1 is the first schedule that moves one. The report
                  must name the frame access on both sides (the consumer's read in the receive
                  path, the producer's write in the send path) and the publication the consumer
                  saw without synchronising with it (spsc_ring::publish's store of head).
Exit 0 when every seed met the expectation, 1 otherwise (the first mismatch is printed).
"""

import argparse
import os
import subprocess
import sys

CONSUMER_MARKS = ("try_receive_frame", "check_frame")
PRODUCER_MARKS = ("write_frame",)
PUBLISH_NOTE = "without synchronising with it"
PUBLISH_MARK = "spsc_ring::publish("


def run_seed(program, seed):
    environment = dict(os.environ, IPCSIM_SEED=str(seed), IPCSIM_STRATEGY="random")
    done = subprocess.run([program], env=environment, capture_output=True, text=True,
                          timeout=300)
    return done.returncode, done.stdout + done.stderr


def race_problem(output):
    """None when the output is a race report that names both sides of the frame access."""
    if "ipcsim-instr: race" not in output or "data race on" not in output:
        return "no race reported"
    if not any(mark in output for mark in CONSUMER_MARKS):
        return "the report does not name the consumer's frame read"
    if not any(mark in output for mark in PRODUCER_MARKS):
        return "the report does not name the producer's frame write"
    note = output.find(PUBLISH_NOTE)
    if note < 0 or PUBLISH_MARK not in output[note:]:
        return "the report does not name the publish the consumer saw unsynchronised"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--program", required=True)
    parser.add_argument("--expect", choices=("pass", "race"), required=True)
    parser.add_argument("--seeds", type=int, default=20)
    options = parser.parse_args()
    for seed in range(1, options.seeds + 1):
        code, output = run_seed(options.program, seed)
        if options.expect == "pass":
            problem = None if code == 0 and "frames moved" in output else f"exit code {code}"
        else:
            problem = race_problem(output) if code == 1 else f"exit code {code}, not 1"
        if problem is not None:
            print(f"ring_frames_test: {os.path.basename(options.program)} seed {seed}: "
                  f"{problem}\n{output}")
            return 1
        if seed == 1 and options.expect == "race":
            print(f"seed 1 (the first schedule that moves a frame):\n{output}")
    print(f"ring_frames_test: {os.path.basename(options.program)}: {options.seeds} seeds, "
          f"each {'passed' if options.expect == 'pass' else 'a race'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
