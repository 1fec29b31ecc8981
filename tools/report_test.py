#!/usr/bin/env python3
"""End-to-end test of ipcsim's reports and scale-out (design section 9): `sweep --html`,
`report`, `merge`, `--shard K/N`, the additive sweep JSON fields, tools/shard_sweep.sh under the
environments of a Slurm job array, a Kubernetes Indexed Job and a CI matrix (N local processes
each), and the HTML page rendered by headless Chromium (a missing Chromium is a failure: run
tools/setup.sh). Usage: report_test.py <path to ipcsim>"""

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

IPCSIM = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WRAPPER = os.path.join(ROOT, "tools", "shard_sweep.sh")
SCENARIOS = ["smoke.racy_counter", "smoke.mutex_counter"]
failures = []


def run(*args, cwd=None, env=None):
    done = subprocess.run([IPCSIM, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)
    return done.returncode, done.stdout, done.stderr


def expect(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def load(path):
    with open(path) as handle:
        return json.load(handle)


def sweep(work, name, *extra):
    """Runs a sweep of SCENARIOS into work/name.json (traces in work/name/); returns the JSON."""
    path = os.path.join(work, name + ".json")
    code, _, err = run("sweep", *SCENARIOS, "--json", path, "--out", os.path.join(work, name),
                       "--quiet", *extra)
    expect(code == 0, f"sweep {name} exits 0 (got {code}: {err.strip()[-200:]})")
    return load(path)


def seeds_run(out_dir):
    """(scenario, seed) of every finished run, from the sweep's seed log."""
    seeds = set()
    with open(os.path.join(out_dir, "sweep.log")) as handle:
        for line in handle:
            words = line.split()
            if words and words[0] == "end":
                seeds.add((words[1], int(words[3])))
    return seeds


def check_schema(work):
    document = sweep(work, "full", "--runs", "200", "--html", os.path.join(work, "full.html"))
    expect(document["version"] == 1, "the sweep JSON stays version 1")
    for key in ("runs", "failures", "decisions", "seconds", "schedules_per_s", "interrupted",
                "scenarios", "shards", "timeline"):
        expect(key in document, f"sweep JSON has {key}")
    expect(document["shards"] == [{"index": 0, "count": 1, "seed_base": 1,
                                   "strategy": "portfolio",
                                   "planned_runs": {name: 200 for name in SCENARIOS}}],
           "an unsharded sweep describes itself as shard 0/1 with its seed base and budget")
    timeline = document["timeline"]
    expect(len(timeline) >= 1 and timeline[-1]["runs"] == document["runs"],
           "the timeline ends with every run")
    expect(all(a["t"] <= b["t"] and a["runs"] <= b["runs"] and
               a["distinct_schedules"] <= b["distinct_schedules"]
               for a, b in zip(timeline, timeline[1:])), "the timeline is cumulative")
    racy = [s for s in document["scenarios"] if s["name"] == "smoke.racy_counter"][0]
    for key in ("name", "runs", "failures", "decisions", "seconds", "outcome", "expect_finding",
                "first_failure", "distinct_schedules", "strategies", "failures_list"):
        expect(key in racy, f"a scenario entry has {key}")
    expect(set(racy["strategies"]) == {"random", "pct:2", "pos", "pct:3", "surw"} and
           all(share["runs"] == 40 for share in racy["strategies"].values()),
           "the portfolio's five strategies each ran a fifth of the runs")
    expect(sum(s["failures"] for s in racy["strategies"].values()) == racy["failures"],
           "per-strategy findings add up to the scenario's findings")
    listed = racy["failures_list"]
    expect(0 < len(listed) <= 20 and listed[0]["seed"] == racy["first_failure"]["seed"] and
           all(a["seed"] < b["seed"] for a, b in zip(listed, listed[1:])),
           "failures_list holds the lowest seeds first, starting with first_failure")
    expect(listed[0]["message"] and listed[0]["trace"] and os.path.exists(listed[0]["trace"]),
           "a listed finding has its witness and trace file")
    expect(0 < racy["distinct_schedules"] <= racy["runs"], "distinct schedules are counted")
    return document


def check_report(work, document):
    html_from_sweep = open(os.path.join(work, "full.html")).read()
    out = os.path.join(work, "report.html")
    code, _, err = run("report", os.path.join(work, "full.json"), "-o", out)
    expect(code == 0, f"report exits 0 ({err.strip()})")
    html = open(out).read()
    expect(html == html_from_sweep, "report of the JSON equals the page sweep --html wrote")
    expect("<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html,
           "the page has no scripts and no network references")
    racy = [s for s in document["scenarios"] if s["name"] == "smoke.racy_counter"][0]
    first = racy["first_failure"]
    expect(f"ipcsim run smoke.racy_counter --seed {first['seed']} --strategy "
           f"{first['strategy']}" in html, "the page gives the command that repeats a finding")
    for verb in ("replay", "shrink", "explain"):
        expect(f"ipcsim {verb} {first['trace']}" in html, f"the page gives the {verb} command")
    expect(first["message"] in html, "the page quotes the witness")
    old = {key: document[key] for key in ("version", "runs", "failures", "decisions", "seconds",
                                         "schedules_per_s")}
    old["scenarios"] = [{key: s[key] for key in ("name", "runs", "failures", "decisions",
                                                 "seconds", "first_failure")}
                        for s in document["scenarios"]]
    check_bad_inputs(work, old)


def write(work, name, content):
    path = os.path.join(work, name)
    with open(path, "w") as handle:
        handle.write(content if isinstance(content, str) else json.dumps(content))
    return path


def check_bad_inputs(work, old_style):
    old = write(work, "old.json", old_style)
    code, _, err = run("report", old, "-o", os.path.join(work, "old.html"))
    expect(code == 0, f"a document with only the design 9 fields still renders ({err.strip()})")
    code, _, err = run("merge", old, "-o", os.path.join(work, "never.json"))
    expect(code == 2 and "shards" in err, "merge refuses a document without shards, exit 2")
    bad = {
        "missing.json": None,
        "malformed.json": "{\"version\": 1, \"runs\": ",
        "version2.json": dict(old_style, version=2),
        "noscenarios.json": {k: v for k, v in old_style.items() if k != "scenarios"},
        "badrow.json": dict(old_style, scenarios=[{"name": "x", "runs": -1}]),
        "array.json": "[1, 2, 3]",
    }
    for name, content in bad.items():
        path = os.path.join(work, name) if content is None else write(work, name, content)
        for command in (("report", path, "-o", os.path.join(work, "bad.html")),
                        ("merge", path, "-o", os.path.join(work, "bad.json"))):
            code, _, err = run(*command)
            expect(code == 2 and err.startswith("ipcsim: ") and name in err,
                   f"{command[0]} of {name} exits 2 with a message naming it "
                   f"(got {code}: {err.strip()})")
    code, _, err = run("report", os.path.join(work, "version2.json"), "-o",
                       os.path.join(work, "bad.html"))
    expect("unsupported version" in err, "a version mismatch says so")


def comparable(document):
    """What a merge of shards must reproduce exactly: every count and the first findings."""
    scenarios = {}
    for s in document["scenarios"]:
        scenarios[s["name"]] = {
            "runs": s["runs"], "failures": s["failures"], "decisions": s["decisions"],
            "outcome": s["outcome"], "strategies": s["strategies"],
            "first_failure": None if s["first_failure"] is None else
            (s["first_failure"]["seed"], s["first_failure"]["strategy"]),
            "failures_list": [(f["seed"], f["oracle"]) for f in s["failures_list"]]}
    return {"runs": document["runs"], "failures": document["failures"],
            "decisions": document["decisions"], "scenarios": scenarios}


def check_shards_and_merge(work):
    whole = sweep(work, "whole", "--runs", "90", "--strategy", "random", "--jobs", "2")
    whole_seeds = seeds_run(os.path.join(work, "whole"))
    expect(len(whole_seeds) == 180, "the unsharded sweep ran 180 (scenario, seed) pairs")
    paths = []
    union = set()
    for k in range(3):
        sweep(work, f"part{k}", "--runs", "90", "--strategy", "random", "--shard", f"{k}/3",
              "--jobs", str(1 + k % 2))
        seeds = seeds_run(os.path.join(work, f"part{k}"))
        expect(not (seeds & union), f"shard {k}/3 shares no seed with the earlier shards")
        union |= seeds
        paths.append(os.path.join(work, f"part{k}.json"))
    expect(union == whole_seeds, "three shards together run exactly the unsharded sweep's seeds")
    merged = os.path.join(work, "merged.json")
    code, out, err = run("merge", *paths, "-o", merged)
    expect(code == 0 and "merge:" in out, f"merge of the shards exits 0 ({err.strip()})")
    expect(comparable(load(merged)) == comparable(whole),
           "the merge of the shards equals the unsharded sweep (counts, strategies, findings)")
    expect(sorted((s["index"], s["count"]) for s in load(merged)["shards"]) ==
           [(0, 3), (1, 3), (2, 3)], "the merged document lists its shards")
    reordered = os.path.join(work, "reordered.json")
    run("merge", paths[2], paths[0], paths[1], "-o", reordered)
    expect(open(reordered).read() == open(merged).read(),
           "merge output does not depend on argument order")
    code, _, err = run("merge", paths[0], paths[0], "-o", os.path.join(work, "x.json"))
    expect(code == 2 and "overlap" in err, "merging a shard with itself is an overlap, exit 2")
    check_shard_overlap_rules(work)
    check_overlap_property(work)
    check_portfolio_merge(work)


def check_shard_overlap_rules(work):
    def shard(spec, name):
        path = os.path.join(work, name + ".json")
        run("sweep", "smoke.mutex_counter", "--runs", "12", "--shard", spec, "--json", path,
            "--quiet", "--out", os.path.join(work, name))
        return path
    half = shard("0/2", "h0")
    third = shard("0/3", "t0")
    code, _, err = run("merge", half, third, "-o", os.path.join(work, "x.json"))
    expect(code == 2 and "overlap" in err and "seed 1 " in err,
           f"shards 0/2 and 0/3 overlap on run 0, exit 2 ({err.strip()})")
    quarters = [shard("1/4", "q1"), shard("3/4", "q3")]
    code, _, err = run("merge", half, *quarters, "-o", os.path.join(work, "mixed.json"))
    expect(code == 0 and load(os.path.join(work, "mixed.json"))["runs"] == 12,
           f"0/2 with 1/4 and 3/4 is a complete, disjoint cover ({err.strip()})")
    other_base = os.path.join(work, "base.json")
    run("sweep", "smoke.mutex_counter", "--runs", "12", "--seed-base", "1000", "--json",
        other_base, "--quiet", "--out", os.path.join(work, "base"))
    code, _, _ = run("merge", half, other_base, "-o", os.path.join(work, "x.json"))
    expect(code == 0, "sweeps of disjoint seed ranges merge")
    missed = os.path.join(work, "missed.json")
    code, _, _ = run("sweep", "smoke.racy_counter", "--runs", "1", "--strategy", "pct:2",
                     "--json", missed, "--quiet", "--out", os.path.join(work, "missed"))
    expect(code == 1 and load(missed)["scenarios"][0]["outcome"] == "MISSED",
           "one pct:2 run of seed 1 misses the planted bug (the premise of the next check)")
    code, _, _ = run("merge", missed, "-o", os.path.join(work, "missed-merged.json"))
    expect(code == 1 and os.path.exists(os.path.join(work, "missed-merged.json")),
           "merge writes its output and exits 1 when an outcome is not the expected one")


def synthetic(index, count, seed_base, planned):
    """A minimal valid sweep document whose only content is one shard of scenario "s"."""
    return {"version": 1, "runs": 0, "failures": 0, "decisions": 0, "seconds": 0.0,
            "scenarios": [], "shards": [{"index": index, "count": count, "seed_base": seed_base,
                                          "strategy": "random", "planned_runs": {"s": planned}}]}


def check_overlap_property(work):
    """merge's overlap verdict and the seed it names agree with brute force on random shards,
    including large counts and seed bases near 2^64, where walking the seeds is not an option."""
    import random
    rng = random.Random(11)
    for case in range(60):
        big = case % 4 == 3
        specs = []
        for _ in range(2):
            count = rng.choice([1, 2, 3, 4, 6, 7, 12]) if not big else rng.randint(1, 2**32)
            base = rng.randint(0, 40) if not big else 2**64 - rng.randint(1, 2**40)
            planned = rng.randint(0, 60) if not big else rng.randint(0, 2**64 - 1 - base)
            specs.append((rng.randrange(count), count, base, planned))
        paths = [write(work, f"syn{i}.json", synthetic(*spec)) for i, spec in enumerate(specs)]
        code, _, err = run("merge", *paths, "-o", os.path.join(work, "syn.json"))
        if big:
            expect(code in (0, 2), f"merge of large shards {specs} decides ({code}: {err})")
            continue
        seeds = [{base + r for r in range(planned) if r % count == index}
                 for index, count, base, planned in specs]
        shared = seeds[0] & seeds[1]
        if shared:
            expect(code == 2 and f"seed {min(shared)} " in err,
                   f"{specs} overlap first at seed {min(shared)} ({code}: {err.strip()})")
        else:
            expect(code == 0, f"{specs} do not overlap ({code}: {err.strip()})")


def check_portfolio_merge(work):
    whole = sweep(work, "pwhole", "--runs", "50")
    parts = [os.path.join(work, f"pp{k}.json") for k in range(2)]
    for k in range(2):
        sweep(work, f"pp{k}", "--runs", "50", "--shard", f"{k}/2")
    merged = os.path.join(work, "pmerged.json")
    run("merge", *parts, "-o", merged)
    merged = load(merged)
    expect(merged["runs"] == whole["runs"], "merged portfolio shards have the unsharded runs")
    for a, b in zip(sorted(merged["scenarios"], key=lambda s: s["name"]),
                    sorted(whole["scenarios"], key=lambda s: s["name"])):
        expect({k: v["runs"] for k, v in a["strategies"].items()} ==
               {k: v["runs"] for k, v in b["strategies"].items()},
               f"{a['name']}: merged shards give each portfolio strategy its unsharded runs")


def check_wrapper(work, whole):
    styles = {
        "slurm": lambda k, n: {"SLURM_ARRAY_TASK_ID": str(k + 1), "SLURM_ARRAY_TASK_MIN": "1",
                               "SLURM_ARRAY_TASK_COUNT": str(n)},
        "k8s": lambda k, n: {"JOB_COMPLETION_INDEX": str(k), "IPCSIM_SHARD_COUNT": str(n)},
        "ci": lambda k, n: {"IPCSIM_SHARD_INDEX": str(k), "IPCSIM_SHARD_COUNT": str(n)},
    }
    for style, variables in styles.items():
        out_dir = os.path.join(work, "wrap-" + style)
        processes = []
        for k in range(3):
            env = dict(os.environ, IPCSIM=IPCSIM, **variables(k, 3))
            processes.append(subprocess.Popen(
                [WRAPPER, out_dir, *SCENARIOS, "--runs", "90", "--strategy", "random",
                 "--jobs", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        codes = [p.wait(timeout=600) for p in processes]
        expect(codes == [0, 0, 0], f"{style}: three parallel shard_sweep.sh exit 0 ({codes})")
        shards = sorted(f for f in os.listdir(out_dir) if f.endswith(".json"))
        expect(shards == [f"shard-{k}-of-3.json" for k in range(3)],
               f"{style}: the shards are named by index and count ({shards})")
        merged = os.path.join(out_dir, "merged.json")
        code, _, err = run("merge", *[os.path.join(out_dir, f) for f in shards], "-o", merged)
        expect(code == 0 and comparable(load(merged)) == comparable(whole),
               f"{style}: the merged shards equal the unsharded sweep ({err.strip()})")
        traces = [f for k in range(3) for f in os.listdir(os.path.join(out_dir,
                                                                       f"shard-{k}-of-3"))
                  if f.endswith(".trace")]
        expect(len(traces) > 0, f"{style}: failing traces land in the shard directories")
    env = dict(os.environ, IPCSIM=IPCSIM, IPCSIM_SHARD_INDEX="3", IPCSIM_SHARD_COUNT="3")
    done = subprocess.run([WRAPPER, os.path.join(work, "wrap-bad")], env=env,
                          capture_output=True, text=True)
    expect(done.returncode == 2 and "out of range" in done.stderr,
           "shard_sweep.sh rejects an index outside the count with exit 2")
    doc = open(os.path.join(ROOT, "docs", "scale-out.md")).read()
    for needle in ("SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "IPCSIM_SHARD_COUNT",
                   "tools/shard_sweep.sh", "ipcsim merge", "ipcsim report", "matrix"):
        expect(needle in doc, f"docs/scale-out.md covers {needle}")


def png_pixels(path):
    """Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) to rows of bytes."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG {header}"
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else
                                      up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def count_colour(image, rgb, tolerance=24):
    width, _, channels, rows = image
    found = 0
    for row in rows:
        for x in range(0, width * channels, channels):
            if all(abs(row[x + c] - rgb[c]) <= tolerance for c in range(3)):
                found += 1
    return found


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def check_chromium(work):
    chromium = find_chromium()
    expect(chromium is not None,
           "headless Chromium is installed (Debian package 'chromium'; run tools/setup.sh)")
    if chromium is None:
        return
    page = "file://" + os.path.join(work, "full.html")
    flags = ["--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
             f"--user-data-dir={os.path.join(work, 'chromium-profile')}"]
    done = subprocess.run([chromium, *flags, "--dump-dom", page], capture_output=True, text=True,
                          timeout=180)
    dom = done.stdout
    expect(done.returncode == 0 and "</html>" in dom, "chromium loads the page and dumps its DOM")
    table = re.search(r'<table id="scenarios">.*?</table>', dom, re.S)
    rows = re.findall(r"<tr class=\"(?:ok|caught|FINDING|MISSED)\">", table.group(0)) \
        if table else []
    expect(len(rows) == len(SCENARIOS), f"the scenario table has one row per scenario ({rows})")
    for chart in ("rate-chart", "coverage-chart", "strategy-chart"):
        svg = re.search(rf'<svg id="{chart}".*?</svg>', dom, re.S)
        expect(svg is not None, f"the DOM holds the {chart} svg")
        if svg and chart != "strategy-chart":
            points = re.search(r'class="series" points="([^"]*)"', svg.group(0))
            expect(points is not None and len(points.group(1).split()) >= 2,
                   f"{chart} draws a series of at least two points")
        if svg and chart == "strategy-chart":
            expect(len(re.findall(r'<rect class="bar-runs"', svg.group(0))) == 5,
                   "the strategy chart has a bar per portfolio strategy")
    shot = os.path.join(work, "page.png")
    done = subprocess.run([chromium, *flags, "--window-size=1200,2000", f"--screenshot={shot}",
                           page], capture_output=True, text=True, timeout=180)
    expect(done.returncode == 0 and os.path.exists(shot), "chromium takes a screenshot")
    if os.path.exists(shot):
        image = png_pixels(shot)
        expect(count_colour(image, (0x1F, 0x5F, 0xBF)) > 200,
               "the screenshot shows the line charts' blue series")
        expect(count_colour(image, (0xB0, 0x00, 0x20), 8) > 200,
               "the screenshot shows the red findings bars")
        expect(count_colour(image, (0xF0, 0xF0, 0xF0), 2) > 1000,
               "the screenshot shows the table header background")


with tempfile.TemporaryDirectory() as scratch:
    os.chdir(scratch)
    full = check_schema(scratch)
    check_report(scratch, full)
    check_shards_and_merge(scratch)
    check_wrapper(scratch, load(os.path.join(scratch, "whole.json")))
    check_chromium(scratch)
print(f"{len(failures)} failed" if failures else "report_test: all checks passed")
sys.exit(1 if failures else 0)
