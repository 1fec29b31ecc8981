#!/usr/bin/env python3
"""Issue 7's end-to-end story on a planted depth-2 bug, through the command line only:
sweep finds it and writes a trace -> replay reproduces it (exit 1) -> shrink leaves at most two
preemptions -> explain names the operations either side of the preemption (the load and the
store of the lost update) and what ran in between. Usage: pipeline_test.py <path to ipcsim>"""

import json
import os
import re
import subprocess
import sys
import tempfile

IPCSIM = sys.argv[1]


def run(*args):
    done = subprocess.run([IPCSIM, *args], capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout + done.stderr


def fail(what, output=""):
    print("FAIL:", what)
    print(output)
    sys.exit(1)


with tempfile.TemporaryDirectory() as work:
    results = os.path.join(work, "sweep.json")
    seed_base = os.environ.get("IPCSIM_SEED", "1")
    code, out = run("sweep", "smoke.racy_counter", "--runs", "50", "--strategy", "portfolio",
                    "--seed-base", seed_base, "--json", results, "--out", work, "--quiet")
    print(f"sweep (seed base {seed_base}) exit {code}")
    with open(results) as handle:
        found = json.load(handle)["scenarios"][0]["first_failure"]
    if found is None or not found["trace"]:
        fail("the sweep found the planted lost update and wrote a trace", out)
    trace = found["trace"]

    code, out = run("replay", trace)
    if code != 1 or "reproduces" not in out:
        fail("replay of the sweep's trace exits 1 and reproduces", out)

    small = os.path.join(work, "small.trace")
    code, out = run("shrink", trace, "-o", small)
    match = re.search(r"preemptions\s+(\d+) -> (\d+)", out)
    if match is None:
        fail("shrink reports preemptions before and after", out)
    before, after = int(match.group(1)), int(match.group(2))
    print(f"shrink: preemptions {before} -> {after}")
    if after > 2 or after < 1:
        fail("a depth-2 bug shrinks to one or two preemptions", out)
    shrunk = small if code == 1 else trace
    code, out = run("replay", shrunk)
    if code != 1:
        fail("the shrunk trace still reproduces", out)

    code, out = run("explain", shrunk)
    story = out[out.find("preemptions ("):] if "preemptions (" in out else ""
    if code != 0 or not story:
        fail("explain exits 0 and has a preemption section", out)
    if not re.search(r"did load #\d+ \(.*smoke_scenarios\.cpp:\d+\)", story) or \
       not re.search(r"to do store #\d+ \(.*smoke_scenarios\.cpp:\d+\)", story) or \
       "in between:" not in story:
        fail("explain names the load and the store around the preemption and what came between",
             out)
print("pipeline_test: sweep -> replay -> shrink -> explain all held")
