"""Shapes for Python tests, from the diffcheck CLI (its JSON output is a stable interface).

    diffcheck_torch.boundary("chunk_gated_delta_rule_fwd_h:T=1000,H=32,Hg=16,index=i32",
                             key="T", product="h/loop")
    -> {"crossing": 262145, "shapes": [{"where": "before", "value": 262144, "shape": ...}, ...]}

The binary: $DIFFCHECK, else `diffcheck` on PATH, else this repository's build/bin/diffcheck.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

_REPOSITORY = Path(__file__).resolve().parents[2]


def _binary():
    explicit = os.environ.get("DIFFCHECK")
    if explicit:
        return explicit
    on_path = shutil.which("diffcheck")
    if on_path:
        return on_path
    built = _REPOSITORY / "build" / "bin" / "diffcheck"
    if built.exists():
        return str(built)
    raise FileNotFoundError("diffcheck not found: set $DIFFCHECK, or build it (scripts/build)")


def _json(*args):
    done = subprocess.run([_binary(), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ValueError(done.stderr.strip() or f"diffcheck {' '.join(args)}: exit {done.returncode}")
    return json.loads(done.stdout)


def explain(shape):
    """`diffcheck explain --json`: sizes, memory, each offset and where it crosses 2^31/2^32."""
    return _json("explain", "--json", "--shape", shape)


def boundary(shape, key, variant=None, bits=31, product=None):
    """`diffcheck boundary --json`: the shapes before, at and after the value of `key` where
    an offset computed in 32 bits by `variant` (default: the shape's index) reaches 2^bits;
    only `product` ("TENSOR/TERM", as explain lists it) when given."""
    args = ["boundary", "--json", "--shape", shape, "--key", key, "--bits", str(bits)]
    if variant:
        args += ["--variant", variant]
    if product:
        args += ["--product", product]
    return _json(*args)
