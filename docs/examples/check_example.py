#!/usr/bin/env python3
"""check_example: the lockfree_queue example built against an installed ipcsim.

How it works. The ipcsim build in --build-dir is installed into a scratch prefix
(`cmake --install`), the example project is configured against that prefix with
find_package(ipcsim) and built, and then:
  1. queue_test (the queue as written) passes and prints its seed line;
  2. queue_test_planted (LOCKFREE_QUEUE_PLANTED_BUG) fails, writes a trace file and prints the
     commands that reproduce, replay and explain the failure;
  3. the printed "reproduce" and "replay" commands, run as printed by a shell, fail again with
     the same witness, and the replay says that the recorded failure reproduces;
  4. the installed `ipcsim explain <trace>` shows the fibers' lanes and the witness.
  5. queue_demo runs the same queue on real threads (ipcsim::platform_real).
Exit status 0 when every step holds, 1 otherwise (each failed step says why).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys


def run(command, expect=None, env=None, cwd=None, shell=False):
    """Runs a command, echoes it and its output, and checks the exit code."""
    shown = command if shell else " ".join(command)
    print(f"$ {shown}", flush=True)
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd,
                               shell=shell, check=False)
    output = completed.stdout + completed.stderr
    print(output, flush=True)
    if expect == "success" and completed.returncode != 0:
        sys.exit(f"check_example: FAILED: exit {completed.returncode}, expected 0: {shown}")
    if expect == "failure" and completed.returncode == 0:
        sys.exit(f"check_example: FAILED: exit 0, expected a failure: {shown}")
    return output


def require(condition, message):
    if not condition:
        sys.exit(f"check_example: FAILED: {message}")


def printed_command(output, label):
    """The command a failure report printed after '<label>:'."""
    match = re.search(rf"^\s*{label}:\s+(.*)$", output, re.MULTILINE)
    require(match is not None, f"the failure report has no '{label}:' command")
    return match.group(1).strip()


def build_example(args, prefix, example_build):
    run(["cmake", "--install", args.build_dir, "--prefix", prefix], expect="success")
    require(os.path.isfile(os.path.join(prefix, "lib", "cmake", "ipcsim", "ipcsimConfig.cmake")),
            "ipcsimConfig.cmake was not installed")
    configure = ["cmake", "-S", args.example, "-B", example_build, "-DCMAKE_BUILD_TYPE=Release",
                 f"-DCMAKE_PREFIX_PATH={prefix}"]
    if shutil.which("ninja"):
        configure += ["-G", "Ninja"]
    # The example must be compiled like the installed libraries (a sanitizer build's archives
    # need the sanitizer runtime at link time).
    if args.cxx_compiler:
        configure.append(f"-DCMAKE_CXX_COMPILER={args.cxx_compiler}")
    if args.cxx_flags:
        configure.append(f"-DCMAKE_CXX_FLAGS={args.cxx_flags}")
    run(configure, expect="success")
    run(["cmake", "--build", example_build, "-j2"], expect="success")


def check_failure_path(prefix, example_build, out_dir):
    env = dict(os.environ, IPCSIM_OUT=out_dir)
    for name in ("IPCSIM_SEED", "IPCSIM_RUNS", "IPCSIM_STRATEGY", "IPCSIM_REPLAY"):
        env.pop(name, None)
    fixed = run([os.path.join(example_build, "queue_test")], expect="success", env=env)
    require("schedules passed" in fixed, "queue_test printed no seed line")
    planted = run([os.path.join(example_build, "queue_test_planted")], expect="failure", env=env)
    require("IPCSIM_CHECK(" in planted, "the planted bug's witness names no failed check")
    witness = re.search(r"IPCSIM_CHECK\([^\n]*\) failed at [^\s]+", planted).group(0)
    trace = re.search(r"IPCSIM_REPLAY='([^']+)'", planted)
    require(trace is not None and os.path.isfile(trace.group(1)), "no trace file was written")

    again = run(printed_command(planted, "reproduce"), expect="failure", env=env, shell=True)
    require(witness in again, "the printed reproduce command did not repeat the witness")
    replayed = run(printed_command(planted, "replay"), expect="failure", env=env, shell=True)
    require("the recorded failed reproduces" in replayed, "the replay did not reproduce")
    require(witness in replayed, "the replay did not repeat the witness")

    explained = run([os.path.join(prefix, "bin", "ipcsim"), "explain", trace.group(1)],
                    expect="success")
    for fiber in ("producer-0", "producer-1", "consumer"):
        require(fiber in explained, f"explain shows no lane for {fiber}")
    require(witness in explained, "explain does not show the witness")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", required=True, help="the built ipcsim tree to install")
    parser.add_argument("--example", required=True, help="docs/examples/lockfree_queue")
    parser.add_argument("--work-dir", required=True, help="scratch folder (recreated)")
    parser.add_argument("--cxx-compiler", default="", help="the compiler ipcsim was built with")
    parser.add_argument("--cxx-flags", default="", help="flags the example needs to link")
    args = parser.parse_args()
    shutil.rmtree(args.work_dir, ignore_errors=True)
    os.makedirs(args.work_dir)
    prefix = os.path.join(args.work_dir, "prefix")
    example_build = os.path.join(args.work_dir, "build")
    build_example(args, prefix, example_build)
    check_failure_path(prefix, example_build, os.path.join(args.work_dir, "out"))
    run([os.path.join(example_build, "queue_demo")], expect="success")
    print("check_example: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
