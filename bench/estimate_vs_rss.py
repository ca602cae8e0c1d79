#!/usr/bin/env python3
"""How honest the memory estimate is: each corpus entry's estimate (what a case is admitted
and refused by) against the peak RSS its case process reached, over the whole corpus.

  bench/estimate_vs_rss.py [build/bin/diffcheck] [corpus] [--jobs N]

Prints the entries with the lowest and the highest ratio estimate / peak RSS and the worst
ratio each way. An estimate below the peak (ratio < 1) risks the out-of-memory killer; one far
above refuses or serializes cases that would fit. Peak RSS counts pages, not seconds: the
figures do not depend on the machine's load."""
import json
import subprocess
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
binary = args[0] if args else "build/bin/diffcheck"
corpus = args[1] if len(args) > 1 else "corpus"
jobs = sys.argv[sys.argv.index("--jobs") + 1] if "--jobs" in sys.argv else "2"
out = subprocess.run([binary, "replay", corpus, "--json", "--jobs", jobs],
                     capture_output=True, text=True).stdout
rows = []
for line in out.splitlines():
    e = json.loads(line)
    if e.get("event") == "summary" or not e["peak_rss_bytes"] or not e["estimate_bytes"]:
        continue
    rows.append((e["estimate_bytes"] / e["peak_rss_bytes"], e["estimate_bytes"] >> 20,
                 e["peak_rss_bytes"] >> 20, e["file"]))
rows.sort()
print(f"{'estimate/peak':>13} {'estimate MiB':>12} {'peak MiB':>9}  entry")
for r in rows[:5] + [None] + rows[-5:]:
    print("          ..." if r is None else f"{r[0]:>13.2f} {r[1]:>12} {r[2]:>9}  {r[3]}")
print(f"{len(rows)} entries; worst under-estimate {rows[0][0]:.2f} ({rows[0][3]}), "
      f"worst over-estimate {rows[-1][0]:.2f} ({rows[-1][3]})")
