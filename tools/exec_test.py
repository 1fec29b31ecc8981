#!/usr/bin/env python3
"""End-to-end test of `ipcsim exec` (docs/exec.md) and of replay/shrink/explain on its traces.

Two parts, chosen by the arguments:
  --fake PROGRAM      the driver side of the fork-server protocol against a fake fork server
                      (tools/cli/exec_fake_server.cpp): findings, crashes, watchdog timeouts,
                      programs that do not speak the protocol or do not exist, exit codes, and the
                      trace round trip replay -> shrink -> explain;
  --programs DIR      the classic pthread bug programs of scenarios/pthread/ built in DIR: each
                      buggy program is found within --runs runs with the expected kind of
                      finding, its trace replays (exit 1) and explains (exit 0), and its fixed
                      version passes the same budget.
Usage: exec_test.py --ipcsim PATH [--fake PATH] [--programs DIR [--runs N] [--starts S]]
                    [--only NAME]"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

failures = []
IPCSIM = None

# program -> the finding statuses that count as "found the bug" (the runtime's status names).
PROGRAMS = {
    "racy_counter": {"race"},
    "atomicity_violation": {"assert"},
    "order_violation": {"assert"},
    "abba_deadlock": {"deadlock"},
    "lost_signal": {"deadlock"},
    "aba_stack": {"assert"},
    "dcl_init": {"race"},
}


def run(*args, timeout=900):
    done = subprocess.run([IPCSIM, *args], capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


def expect(condition, what, detail=""):
    if condition:
        print("ok:", what)
        return
    failures.append(what)
    print("FAIL:", what)
    if detail:
        print("   ", detail.replace("\n", "\n    "))


def field(out, name):
    """The value of the first 'name: value' line of ipcsim's output, or None."""
    for line in out.splitlines():
        if line.startswith(name + ": "):
            return line.split(": ", 1)[1]
    return None


def check_fake_finding(fake, work):
    out_dir = os.path.join(work, "out")
    code, out, err = run("exec", "--runs", "50", "--quiet", "--out", out_dir, "--",
                         fake, "--fail-seed", "7")
    expect(code == 1 and field(out, "result").startswith("race at run 6 (seed 7"),
           "a finding stops the runs and exits 1", out + err)
    trace = field(out, "trace")
    expect(trace is not None and os.path.exists(trace), "the finding's trace is written to --out")
    for name in ("witness", "determinism", "replay", "explain", "repeat"):
        expect(field(out, name) is not None, f"the finding prints '{name}:'", out)
    expect("reproduced" in (field(out, "determinism") or ""), "the seed is re-run and reproduces")
    if trace is None:
        return
    code, out, err = run("replay", trace)
    expect(code == 1 and "reproduces" in out and "followed all 20" in out,
           "replay of an exec trace re-runs it through the fork server and exits 1", out + err)
    small = os.path.join(work, "small.trace")
    code, out, err = run("shrink", trace, "-o", small)
    expect(code == 1 and os.path.exists(small) and "preemptions" in out,
           "shrink of an exec trace drives candidates through the fork server", out + err)
    code, out, err = run("explain", small)
    expect(code == 0 and "witness: data race" in out, "explain of a shrunk exec trace", out + err)
    code, out, err = run("replay", small)
    expect(code == 1, "the shrunk trace still reproduces", out + err)
    repeat = field(run("exec", "--runs", "50", "--quiet", "--out", out_dir, "--", fake,
                       "--fail-seed", "7")[1], "repeat")
    code, out, _ = run(*repeat.split(" ")[1:])
    expect(code == 1 and "seed 7" in out, "the printed repeat command repeats the finding", out)


def check_fake_failures(fake, work):
    out_dir = os.path.join(work, "crash")
    code, out, err = run("exec", "--runs", "50", "--quiet", "--out", out_dir, "--",
                         fake, "--crash-seed", "3")
    expect(code == 1 and "crash" in out and "SIGSEGV" in out and "about to crash" in out,
           "a child killed by a signal is a crash finding quoting its output", out + err)
    trace = field(out, "trace")
    if trace:
        code, out, err = run("replay", trace)
        expect(code == 1 and "holds no schedule" in out,
               "a crash trace without a schedule replays from its seed", out + err)
        code, out, _ = run("explain", trace)
        expect(code == 0 and "SIGSEGV" in out, "a crash trace explains", out)
        code, out, err = run("shrink", trace, "-o", os.path.join(work, "x.trace"))
        expect(code == 2 and "no schedule" in err, "shrink of a crash trace is an input error")
    started = time.monotonic()
    code, out, err = run("exec", "--runs", "50", "--quiet", "--timeout-ms", "300", "--out",
                         out_dir, "--", fake, "--hang-seed", "2")
    expect(code == 1 and "timeout at run 1" in out and time.monotonic() - started < 20,
           "the watchdog kills a hung run: a timeout finding", out + err)
    code, out, err = run("exec", "--runs", "40", "--quiet", "--out", out_dir, "--", fake)
    expect(code == 0 and "40 runs passed" in out, "a program without findings exits 0", out + err)
    code, out, err = run("exec", "--time", "0.5", "--runs", "100000000", "--quiet", "--out",
                         out_dir, "--", fake)
    expect(code == 0 and "runs passed" in out, "--time stops the runs", out + err)


def check_fake_input_errors(fake, work):
    cases = [
        (["--", fake, "--mute"], "does not speak the ipcsim exec protocol",
         "a program that exits without answering is not instrumented: exit 2"),
        (["--", "true"], "does not speak the ipcsim exec protocol",
         "an uninstrumented system program (true) gives exit 2"),
        (["--timeout-ms", "200", "--", fake, "--silent"], "no reply",
         "a program that never answers is not instrumented: exit 2"),
        (["--", os.path.join(work, "no-such-program")], "does not exist",
         "a non-existent program gives exit 2"),
        (["--", "no-such-program-in-path"], "not in PATH", "a name not in PATH gives exit 2"),
        (["--strategy", "bogus", "--", fake], "unknown strategy", "an unknown strategy exits 2"),
        (["--strategy", "dfs:2", "--", fake], "cannot carry its search",
         "dfs (which needs state across runs) is refused: exit 2"),
        ([], "command", "exec without a program exits 2"),
    ]
    for args, message, what in cases:
        code, out, err = run("exec", "--quiet", "--out", os.path.join(work, "e"), *args)
        expect(code == 2 and message in err, what, f"exit {code}\n{out}{err}")
    # A trace whose program is gone: replay and shrink say so (exit 2).
    copy = os.path.join(work, "fake-copy")
    shutil.copy(fake, copy)
    code, out, _ = run("exec", "--runs", "20", "--quiet", "--out", os.path.join(work, "g"),
                       "--", copy, "--fail-seed", "4")
    trace = field(out, "trace")
    os.remove(copy)
    code, out, err = run("replay", trace)
    expect(code == 2 and "does not exist" in err, "replay of a trace whose program is gone: 2",
           out + err)


def find_bug(name, buggy, runs, seed, out_dir, statuses):
    """Runs the buggy program from `seed`; returns the finding's trace path (or None)."""
    started = time.monotonic()
    code, out, err = run("exec", "--seed", str(seed), "--runs", str(runs), "--quiet", "--out",
                         out_dir, "--", buggy)
    result = field(out, "result") or ""
    print(f"  {name} from seed {seed}: {result} ({time.monotonic() - started:.1f} s)")
    expect(code == 1 and result.split(" ")[0] in statuses,
           f"{name}: the bug is found within {runs} runs from seed {seed} as "
           f"{'/'.join(sorted(statuses))}", out + err)
    return field(out, "trace") if code == 1 else None


def check_programs(directory, runs, starts, work, only):
    for name, statuses in PROGRAMS.items():
        if only and name != only:
            continue
        buggy = os.path.join(directory, "pthread_" + name)
        fixed = buggy + "_fixed"
        out_dir = os.path.join(work, name)
        traces = [find_bug(name, buggy, runs, 1 + 100003 * start, out_dir, statuses)
                  for start in range(starts)]
        for trace in [path for path in traces if path]:
            code, out, err = run("replay", trace)
            expect(code == 1 and "reproduces" in out,
                   f"{name}: the finding's trace replays (exit 1)", out + err)
            code, out, err = run("explain", trace)
            expect(code == 0 and "witness:" in out, f"{name}: the trace explains", out + err)
        started = time.monotonic()
        code, out, err = run("exec", "--runs", str(runs), "--quiet", "--out", out_dir, "--",
                             fixed)
        print(f"  {name}_fixed: {out.strip().splitlines()[-1] if out.strip() else ''} "
              f"({time.monotonic() - started:.1f} s)")
        expect(code == 0, f"{name}: the fixed version passes {runs} runs", out + err)


def main():
    global IPCSIM
    parser = argparse.ArgumentParser()
    parser.add_argument("--ipcsim", required=True)
    parser.add_argument("--fake")
    parser.add_argument("--programs")
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--starts", type=int, default=1,
                        help="seed bases from which each bug must be found")
    parser.add_argument("--only")
    args = parser.parse_args()
    IPCSIM = args.ipcsim
    with tempfile.TemporaryDirectory() as work:
        if args.fake:
            check_fake_finding(args.fake, work)
            check_fake_failures(args.fake, work)
            check_fake_input_errors(args.fake, work)
        if args.programs:
            check_programs(args.programs, args.runs, args.starts, work, args.only)
    print(f"{len(failures)} failed" if failures else "exec_test: all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
