#!/usr/bin/env python3
"""Two builds of diffcheck on the same shapes, one right after the other, in one run.

    bench/ab.py OLD NEW [--repeat N] [--shape TEXT ...] [--small]

OLD and NEW are diffcheck binaries (for instance the previous commit built beside:
`git worktree add /tmp/wt_old REV && cd /tmp/wt_old && cmake --preset default &&
ninja -C build bin/diffcheck`). Each shape runs N times with each binary, alternating which
goes first, and each run is measured as a whole process tree (wall clock, user and system
time and peak RSS from wait4). Printed: every run, the medians, the share of system time in
the CPU time, and the ratio old/new of each median: a ratio from one run, which the host's
speed and load shift far less than the figures themselves. The verdicts must agree: a
differing verdict is reported and the exit status is 1. Asserts nothing else.

Default shapes: the seed shape's three index variants (issue 23). --small adds the small
cases of bench/small_shapes.txt (eight seeds each) run by one process, as a fuzz campaign
runs them: its figure is cases per second.
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import time

SEED = "chunk_gated_delta_rule_fwd_h:B=1,T=270336,H=32,Hg=16,K=128,V=128"


def measure(binary, shape):
    start = time.monotonic()
    batch = shape.startswith("@")  # a file of shapes, one process
    command = [binary, "--shapes-from", shape[1:]] if batch else [binary, "--shape", shape]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    lines = [l for l in out.splitlines() if l.startswith(("ok", "FAIL", "SKIP"))]
    verdict = " ".join(lines[0].split()[:2]) if lines else "?"
    if batch:
        verdict = f"{len(lines)} cases, {sum(l.startswith('ok') for l in lines)} ok, " \
                  f"{len(lines) / wall:.1f} exec/s"
    return {"wall": wall, "user": usage.ru_utime, "sys": usage.ru_stime,
            "rss": usage.ru_maxrss / 1024, "verdict": verdict,
            "status": os.waitstatus_to_exitcode(status)}


def row(label, r):
    cpu = r["user"] + r["sys"]
    return (f"  {label:<8} {r['wall']:8.2f} {r['user']:8.2f} {r['sys']:8.2f} "
            f"{100 * r['sys'] / cpu if cpu else 0:6.1f}% {r['rss']:8.0f}   {r['verdict']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--shape", action="append")
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    shapes = args.shape or [f"{SEED},index={v}" for v in ("i32", "i64", "mixed")]
    if args.small:
        listed = pathlib.Path(__file__).with_name("small_shapes.txt").read_text().splitlines()
        cases = [f"{l},seed={s}" for s in range(8) for l in listed if l and not l.startswith("#")]
        batch = pathlib.Path("/tmp") / f"ab_small_{os.getpid()}.txt"
        batch.write_text("\n".join(cases) + "\n")
        shapes.append(f"@{batch}")
    print(f"old: {args.old}\nnew: {args.new}")
    print(f"  {'binary':<8} {'wall s':>8} {'user s':>8} {'sys s':>8} {'sys':>7} {'RSS MiB':>8}   verdict")
    disagree = False
    summary = []
    for shape in shapes:
        print(shape)
        runs = {"old": [], "new": []}
        for i in range(args.repeat):
            order = ("old", "new") if i % 2 == 0 else ("new", "old")
            for which in order:
                r = measure(getattr(args, which), shape)
                runs[which].append(r)
                print(row(which, r), flush=True)
        med = {w: {k: statistics.median(r[k] for r in runs[w])
                   for k in ("wall", "user", "sys", "rss")} for w in runs}
        verdicts = {r["verdict"].split(", ")[0] if shape.startswith("@") else r["verdict"]
                    for w in runs for r in runs[w]}
        if len(verdicts) > 1:
            disagree = True
            print(f"  VERDICTS DIFFER: {sorted(verdicts)}")
        for w in ("old", "new"):
            verdict = runs[w][0]["verdict"]
            if shape.startswith("@"):  # the rate of the median run
                cases = int(verdict.split()[0])
                verdict = f"{cases} cases, {cases / med[w]['wall']:.1f} exec/s"
            print(row(f"median {w}", {**med[w], "verdict": verdict}))
        ratio = {k: med["old"][k] / med["new"][k] if med["new"][k] else float("inf")
                 for k in ("wall", "user", "sys", "rss")}
        print(f"  old/new  {ratio['wall']:7.2f}x {ratio['user']:7.2f}x {ratio['sys']:7.2f}x "
              f"{'':7} {ratio['rss']:7.2f}x")
        summary.append((shape, med, ratio))
    print("\nsummary (medians; sys: share of the CPU time)")
    for shape, med, ratio in summary:
        name = shape.split(",index=")[-1] if shape.startswith(SEED) else shape
        if shape.startswith("@"):
            name = "small cases"
        share = {w: 100 * med[w]["sys"] / (med[w]["user"] + med[w]["sys"]) for w in med}
        print(f"  {name:<10} wall {med['old']['wall']:6.2f} -> {med['new']['wall']:6.2f} s "
              f"({ratio['wall']:.2f}x)   sys {med['old']['sys']:5.2f} -> {med['new']['sys']:5.2f} s "
              f"({share['old']:.0f}% -> {share['new']:.1f}% of CPU)   peak RSS "
              f"{med['old']['rss']:.0f} -> {med['new']['rss']:.0f} MiB")
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
