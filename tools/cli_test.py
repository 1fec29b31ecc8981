#!/usr/bin/env python3
"""End-to-end test of the ipcsim command line contract (design section 9): every subcommand's
exit code, the sweep JSON schema, sharding, and the trace round trip run -> replay -> shrink ->
explain. Usage: cli_test.py <path to ipcsim>"""

import json
import os
import subprocess
import sys
import tempfile

IPCSIM = sys.argv[1]
failures = []


def run(*args, cwd=None):
    done = subprocess.run([IPCSIM, *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout, done.stderr


def expect(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def check_basics(work):
    code, out, _ = run("list")
    expect(code == 0 and "smoke.racy_counter" in out, "list exits 0 and names scenarios")
    code, _, err = run("run", "no.such.scenario")
    expect(code == 2 and "unknown scenario" in err, "run of an unknown scenario exits 2")
    code, _, _ = run("run", "smoke.mutex_counter", "--seed", "3")
    expect(code == 0, "run of a correct scenario exits 0")
    code, _, _ = run("sweep", "--shard", "4/4")
    expect(code == 2, "--shard K/N with K >= N exits 2")
    code, _, _ = run("sweep", "--strategy", "bogus")
    expect(code == 2, "an unknown strategy exits 2")
    code, _, err = run("replay", os.path.join(work, "missing.trace"))
    expect(code == 2, "replay of a missing file exits 2")
    garbage = os.path.join(work, "garbage.trace")
    with open(garbage, "wb") as handle:
        handle.write(b"\xdf\xff\xff\xff\xff")
    code, _, err = run("replay", garbage)
    expect(code == 2 and "not a valid ipcsim trace" in err, "replay of garbage exits 2")


def check_trace_round_trip(work):
    out_dir = os.path.join(work, "out")
    trace = None
    for seed in range(1, 50):
        code, out, _ = run("run", "smoke.lost_wakeup", "--seed", str(seed), "--strategy",
                           "random", "--out", out_dir)
        if code == 1:
            trace = [line.split(" ", 1)[1] for line in out.splitlines()
                     if line.startswith("trace: ")][0]
            expect("deadlock" in out and "determinism: re-run" in out,
                   "a finding prints the witness and the determinism check")
            break
    expect(trace is not None and os.path.exists(trace), "a finding writes a trace file")
    if trace is None:
        return
    code, out, _ = run("replay", trace)
    expect(code == 1 and "reproduces" in out, "replay of a finding exits 1 and reproduces")
    small = os.path.join(work, "small.trace")
    code, out, _ = run("shrink", trace, "-o", small)
    expect(code in (0, 1) and "preemptions" in out, "shrink reports preemptions")
    perfetto = os.path.join(work, "p.json")
    code, out, _ = run("explain", small if code == 1 else trace, "--perfetto", perfetto)
    expect(code == 0 and "witness:" in out, "explain exits 0 and shows the witness")
    with open(perfetto) as handle:
        expect("traceEvents" in json.load(handle), "perfetto JSON has traceEvents")


def check_sweep(work):
    result = os.path.join(work, "sweep.json")
    code, out, _ = run("sweep", "smoke.racy_counter", "smoke.mutex_counter", "--runs", "60",
                       "--json", result, "--quiet", "--out", os.path.join(work, "s"))
    expect(code == 0 and "caught" in out, "sweep of a planted bug and a correct scenario exits 0")
    with open(result) as handle:
        document = json.load(handle)
    expect(document["version"] == 1 and document["runs"] == 120, "sweep JSON version and runs")
    for key in ("failures", "decisions", "seconds", "schedules_per_s", "scenarios"):
        expect(key in document, f"sweep JSON has {key}")
    # Additive fields (README, "sweep JSON"); tools/report_test.py checks their contents.
    for key in ("interrupted", "shards", "timeline"):
        expect(key in document, f"sweep JSON has the additive field {key}")
    for key in ("outcome", "expect_finding", "distinct_schedules", "strategies", "failures_list"):
        expect(all(key in s for s in document["scenarios"]), f"scenario entries have {key}")
    racy = [s for s in document["scenarios"] if s["name"] == "smoke.racy_counter"][0]
    expect(racy["first_failure"] is not None and racy["first_failure"]["oracle"] == "failed",
           "first_failure names seed, strategy and oracle")
    shard_runs = 0
    for shard in range(3):
        shard_json = os.path.join(work, f"shard{shard}.json")
        run("sweep", "smoke.mutex_counter", "--runs", "30", "--shard", f"{shard}/3", "--json",
            shard_json, "--quiet")
        with open(shard_json) as handle:
            shard_runs += json.load(handle)["runs"]
    expect(shard_runs == 30, "three shards together run every seed once")
    code, out, _ = run("sweep", "smoke.mutex_counter", "--runs", "5", "--strategy", "random",
                       "--quiet", "--seed-base", "1000")
    expect(code == 0, "a correct scenario sweeps clean")
    crash_json = os.path.join(work, "crash.json")
    code, out, _ = run("sweep", "smoke.assert_crash", "--runs", "100", "--quiet", "--json",
                       crash_json, "--out", os.path.join(work, "c"))
    with open(crash_json) as handle:
        crash = json.load(handle)["scenarios"][0]
    expect(code == 0 and crash["runs"] == 100, "a crashing seed does not end the sweep")
    expect(crash["first_failure"]["oracle"] == "crash" and
           "assertion failed" in crash["first_failure"]["message"],
           "a crash is a finding quoting the worker's last stderr line")
    determinism_json = os.path.join(work, "determinism.json")
    code, out, _ = run("sweep", "smoke.nondeterminism", "--runs", "200", "--quiet", "--json",
                       determinism_json, "--out", os.path.join(work, "d"))
    with open(determinism_json) as handle:
        planted = json.load(handle)["scenarios"][0]
    expect(code == 0 and planted["first_failure"] is not None and
           planted["first_failure"]["oracle"] == "determinism",
           "the determinism sample catches a run that depends on state outside the simulation")
    seed = str(crash["first_failure"]["seed"])
    code, out, _ = run("run", "smoke.assert_crash", "--seed", seed, "--strategy",
                       crash["first_failure"]["strategy"])
    expect(code == 1 and "crash" in out, "run reports a crash of the simulated program as 1")


with tempfile.TemporaryDirectory() as scratch:
    check_basics(scratch)
    check_trace_round_trip(scratch)
    check_sweep(scratch)
print(f"{len(failures)} failed" if failures else "cli_test: all checks passed")
sys.exit(1 if failures else 0)
