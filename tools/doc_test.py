#!/usr/bin/env python3
"""doc_test: runs the commands that the pages under docs/ show, so the pages stay true.

How it works. In every docs/*.md page, a fenced block opened with ```sh doctest is runnable, and
so is a ```sh block on the line after an <!-- doctest --> comment. The info string may add
`exit=N` (the exit code the block must end with; default 0). Inside a block, a comment line
`# expect: TEXT` requires TEXT somewhere in the block's output (stdout and stderr together).

The blocks of one page run in order, each with `bash -e -o pipefail`, in one fresh temporary
folder per page (so a later block sees the files an earlier one wrote), with the build's bin
folder first on PATH and IPCSIM_* variables cleared. A block that ends with another exit code,
misses an expectation, or runs longer than --timeout seconds fails, with its output shown.

Usage: doc_test.py --bin-dir BUILD/bin [--docs DOCS] [--page NAME.md] [--timeout S]
       doc_test.py --self-test
Exit status: 0 when every block passed, 1 when one failed, 2 on a usage error (or no blocks).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```(\S*)\s*(.*)$")
EXPECT = re.compile(r"^\s*#\s*expect:\s*(.*?)\s*$")


class Block:
    """One runnable block: where it is, what it runs, and what it must produce."""

    def __init__(self, page, line, code, exit_code):
        self.page = page
        self.line = line
        self.code = code
        self.exit_code = exit_code
        self.expected = [match.group(1) for match in map(EXPECT.match, code.splitlines())
                         if match]

    def where(self):
        return f"{self.page}:{self.line}"


def parse_info(language, rest, marked):
    """The expected exit code when the fence opens a runnable block, else None."""
    words = rest.split()
    if language != "sh" or not (marked or "doctest" in words):
        return None
    exit_code = 0
    for word in words:
        if word.startswith("exit="):
            exit_code = int(word[len("exit="):])
    return exit_code


def extract_blocks(page, text):
    """The runnable blocks of one page, in order."""
    blocks = []
    lines = text.splitlines()
    index = 0
    marked = False
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            marked = lines[index].strip() == "<!-- doctest -->"
            index += 1
            continue
        exit_code = parse_info(match.group(1), match.group(2), marked)
        start = index + 1
        end = start
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        if exit_code is not None:
            blocks.append(Block(page, index + 1, "\n".join(lines[start:end]) + "\n", exit_code))
        index = end + 1
        marked = False
    return blocks


def block_environment(bin_dir):
    env = {name: value for name, value in os.environ.items() if not name.startswith("IPCSIM_")}
    env["PATH"] = os.path.abspath(bin_dir) + os.pathsep + env.get("PATH", "")
    return env


def run_block(block, folder, env, timeout):
    """Runs one block; returns a list of problems (empty when it passed)."""
    try:
        completed = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.code],
                                   cwd=folder, env=env, capture_output=True, text=True,
                                   timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return [f"timed out after {timeout} s"]
    output = completed.stdout + completed.stderr
    problems = []
    if completed.returncode != block.exit_code:
        problems.append(f"exit {completed.returncode}, expected {block.exit_code}")
    for text in block.expected:
        if text not in output:
            problems.append(f"output lacks {text!r}")
    if problems:
        problems.append("output:\n" + "\n".join("    " + line for line in output.splitlines()))
    return problems


def run_pages(pages, bin_dir, timeout, out):
    """Runs every block of `pages` ({name: text}); returns (blocks run, blocks failed)."""
    env = block_environment(bin_dir)
    run = failed = 0
    for page in sorted(pages):
        blocks = extract_blocks(page, pages[page])
        with tempfile.TemporaryDirectory(prefix="ipcsim-doc-") as folder:
            for block in blocks:
                problems = run_block(block, folder, env, timeout)
                run += 1
                status = "ok" if not problems else "FAILED"
                print(f"doc_test: {block.where()}: {status}", file=out)
                for problem in problems:
                    print(f"  {problem}", file=out)
                failed += 1 if problems else 0
    return run, failed


def read_pages(docs, only):
    pages = {}
    for name in sorted(os.listdir(docs)):
        if name.endswith(".md") and (only is None or name == only):
            with open(os.path.join(docs, name), encoding="utf-8") as page:
                pages[name] = page.read()
    return pages


SELF_TEST_PAGE = """# page
<!-- doctest -->
```sh
echo hello > file.txt
# expect: nothing
```
```sh doctest exit=3
cat file.txt
exit 3
# expect: hello
```
```sh
not run: no marker
```
```sh doctest
false
echo unreachable
```
"""


def self_test():
    """The extractor finds exactly the marked blocks, and each failure kind is reported."""
    blocks = extract_blocks("self.md", SELF_TEST_PAGE)
    assert [(block.line, block.exit_code) for block in blocks] == [(3, 0), (7, 3), (15, 0)]
    assert blocks[0].expected == ["nothing"] and blocks[1].expected == ["hello"]

    class Sink:
        def __init__(self):
            self.text = ""

        def write(self, text):
            self.text += text

    sink = Sink()
    run, failed = run_pages({"self.md": SELF_TEST_PAGE}, os.getcwd(), 10, sink)
    assert (run, failed) == (3, 2), sink.text
    assert "self.md:3: FAILED" in sink.text and "output lacks 'nothing'" in sink.text
    assert "self.md:7: ok" in sink.text
    assert "self.md:15: FAILED" in sink.text and "exit 1, expected 0" in sink.text
    print("doc_test: self-test OK")
    return 0


def main():
    parser = argparse.ArgumentParser(description="run the runnable blocks of docs/*.md")
    parser.add_argument("--bin-dir", help="the build's bin folder (put first on PATH)")
    parser.add_argument("--docs", default=os.path.join(os.path.dirname(__file__), "..", "docs"))
    parser.add_argument("--page", help="only this page (a file name such as seam.md)")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per block")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    if not args.bin_dir or not os.path.isdir(args.bin_dir):
        parser.print_usage(sys.stderr)
        print("doc_test: --bin-dir must name the build's bin folder", file=sys.stderr)
        return 2
    pages = read_pages(args.docs, args.page)
    run, failed = run_pages(pages, args.bin_dir, args.timeout, sys.stdout)
    if run == 0:
        print("doc_test: no runnable blocks found", file=sys.stderr)
        return 2
    print(f"doc_test: {run - failed} of {run} blocks passed in {len(pages)} pages")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
