#!/usr/bin/env python3
"""The cost of `--check overflow` over the regression corpus (issue 21).

Replays the corpus with a plain build (kernels compiled without the integer checks) and with
the default build, `--check none` and `--check overflow`, one after the other on the same
machine, and prints each entry's wall time and the ratios. It asserts nothing.

  bench/overflow_cost.py [--plain build-plain/bin/diffcheck] [--checked build/bin/diffcheck]
                         [--jobs N] [corpus folders...]

The plain build: cmake --preset default -B build-plain -DDIFFCHECK_OVERFLOW_CHECK=OFF
-DDIFFCHECK_TESTS=OFF -DDIFFCHECK_BENCH=OFF && cmake --build build-plain --target diffcheck
(the script configures and builds it when it is missing).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def replay(binary, paths, jobs, check):
    start = time.monotonic()
    out = subprocess.run([binary, "replay", *paths, "--jobs", str(jobs), "--json", "--check", check],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    entries = {}
    summary = None
    for line in out.stdout.splitlines():
        j = json.loads(line)
        if j.get("event") == "summary":
            summary = j
        else:
            entries[j["file"]] = j
    return wall, entries, summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plain", default=os.path.join(ROOT, "build-plain/bin/diffcheck"))
    ap.add_argument("--checked", default=os.path.join(ROOT, "build/bin/diffcheck"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("paths", nargs="*", default=["corpus"])
    a = ap.parse_args()
    if not os.path.exists(a.plain):
        build = os.path.dirname(os.path.dirname(a.plain))
        subprocess.run(["cmake", "--preset", "default", "-B", build, "-DDIFFCHECK_OVERFLOW_CHECK=OFF",
                        "-DDIFFCHECK_TESTS=OFF", "-DDIFFCHECK_BENCH=OFF"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", build, "--target", "diffcheck"], cwd=ROOT, check=True)
    runs = [("plain build", a.plain, "none"), ("checked build, --check none", a.checked, "none"),
            ("checked build, --check overflow", a.checked, "overflow")]
    results = []
    for name, binary, check in runs:
        wall, entries, summary = replay(binary, a.paths, a.jobs, check)
        results.append((name, wall, entries, summary))
        print(f"{name:<33} {wall:8.1f} s wall, {summary['as_expected']} as expected, "
              f"{summary['not_as_expected']} not, {summary['skipped']} skipped", flush=True)
    plain_wall = results[0][1]
    print()
    for name, wall, _, _ in results[1:]:
        print(f"{name:<33} {wall / plain_wall:6.2f}x the plain build's replay")
    base = results[0][2]
    checked = results[2][2]
    ratios = sorted((checked[f]["wall_s"] / base[f]["wall_s"], f) for f in base
                    if f in checked and base[f]["wall_s"] > 0)
    if ratios:
        print(f"per entry (--check overflow / plain): median {statistics.median(r for r, _ in ratios):.2f}x, "
              f"max {ratios[-1][0]:.2f}x ({ratios[-1][1]}), min {ratios[0][0]:.2f}x")
    heavy = sorted(base, key=lambda f: -base[f]["wall_s"])[:5]
    print("\nthe five longest entries (wall s): plain / --check none / --check overflow")
    for f in heavy:
        print(f"  {f:<58} " + " / ".join(f"{r[2][f]['wall_s']:.1f}" for r in results if f in r[2]))
    unexpected = [f for f, j in checked.items() if not j["ok"]]
    print(f"\nwith --check overflow, entries not as expected: {len(unexpected)}", *unexpected, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
