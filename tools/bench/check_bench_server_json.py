#!/usr/bin/env python3
"""Smoke test of `ipcsim-bench server` (design section 9): runs it with --json plus the given
arguments (the test passes --quick), and checks that stdout is one JSON array of
{"name", "value", "unit", "baseline", "ratio"} holding every figure the suite promises, with
ratio = value / baseline, ratio figures in unit "x" with a null baseline, and no missing value
except the ZeroMQ-based ones in a build without ZeroMQ (which the suite must then say on stderr).
It checks the shape only: a --quick run's numbers mean nothing.
Usage: check_bench_server_json.py <path to ipcsim-bench> [args...]"""

import json
import math
import subprocess
import sys

BENCH = sys.argv[1]
EXTRA = sys.argv[2:]

EXPECTED = [f"server.reads_per_s.{t}.c{n}" for t in ("uds", "shm") for n in (1, 2, 4, 7)]
EXPECTED += [f"server.reads_per_s.{t}.pipelined{w}" for t in ("uds", "shm")
             for w in (1, 2, 4, 8, 16)]
EXPECTED += ["server.reactor_vs_serial_4conn", "server.reactor_vs_serial_4conn.uds",
             "server.shm_rt_p50_ns", "server.shm_rt_p99_ns", "server.uds_rt_p50_ns",
             "server.uds_rt_p99_ns", "server.shm_rt_vs_futex_rt",
             "server.pings_per_s.shm.pipelined16", "server.pings_per_s.uds.pipelined16",
             "server.vs_zmq_dealer_router"]
# Figures whose value or baseline is the ZeroMQ echo.
ZMQ_BASED = {"server.pings_per_s.shm.pipelined16", "server.pings_per_s.uds.pipelined16",
             "server.vs_zmq_dealer_router"}

failures = []


def expect(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def check_entry(entry, zmq_missing):
    name = entry.get("name")
    expect(set(entry) == {"name", "value", "unit", "baseline", "ratio"},
           f"{name}: keys are exactly name, value, unit, baseline, ratio (got {sorted(entry)})")
    expect(isinstance(name, str) and isinstance(entry.get("unit"), str),
           f"{name}: name and unit are strings")
    value, baseline, ratio = entry.get("value"), entry.get("baseline"), entry.get("ratio")
    if zmq_missing and name in ZMQ_BASED:
        return
    expect(isinstance(value, (int, float)) and math.isfinite(value) and value > 0,
           f"{name}: value is a positive number (got {value})")
    if entry.get("unit") == "x":
        expect(baseline is None and ratio is None, f"{name}: a ratio figure has no baseline")
        return
    if baseline is None:
        expect(ratio is None, f"{name}: no baseline, no ratio")
        return
    expect(isinstance(baseline, (int, float)) and baseline > 0, f"{name}: baseline > 0")
    expect(isinstance(ratio, (int, float)) and math.isclose(ratio, value / baseline,
                                                           rel_tol=1e-6),
           f"{name}: ratio = value / baseline")


def main():
    done = subprocess.run([BENCH, "server", "--json", *EXTRA], capture_output=True, text=True,
                          timeout=600)
    sys.stderr.write(done.stderr)
    expect(done.returncode == 0, f"exit code 0 (got {done.returncode})")
    try:
        figures = json.loads(done.stdout)
    except json.JSONDecodeError as error:
        print("FAIL: stdout is not JSON:", error)
        print(done.stdout[:2000])
        return 1
    expect(isinstance(figures, list), "stdout is one JSON array")
    names = [entry.get("name") for entry in figures]
    expect(len(names) == len(set(names)), "figure names are unique")
    for name in EXPECTED:
        expect(name in names, f"figure {name} is present")
    zmq_missing = "without ZeroMQ" in done.stderr
    for entry in figures:
        check_entry(entry, zmq_missing)
    # Usage errors exit 2 with a message.
    bad = subprocess.run([BENCH, "server", "--seconds", "-1"], capture_output=True, text=True,
                         timeout=60)
    expect(bad.returncode == 2 and bad.stderr.strip() != "", "a bad flag exits 2 with a message")
    print(f"{len(figures)} figures checked; {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
