#!/usr/bin/env python3
"""The JSON diffcheck writes, checked against docs/schema/*.json (CTest: schema_test).

Real output of the binary given as argv[1]: verdicts of a guard hit, a NaN output (non-finite
numbers), a pass; report.json of a replay and of a fuzz campaign; explain --json; boundary
--json; the fuzz
event stream. Each object must validate, and the checks that could not fail were they absent
are asserted too (a key that is null must be present)."""
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

BIN = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMAS = {name: json.load(open(os.path.join(ROOT, "docs", "schema", name)))
           for name in ("verdict.schema.json", "report.schema.json", "explain.schema.json",
                        "boundary.schema.json")}


def validator(name):
    schema = SCHEMAS[name]
    try:  # jsonschema >= 4.18
        from referencing import Registry, Resource
        registry = Registry().with_resources(
            [(s["$id"], Resource.from_contents(s)) for s in SCHEMAS.values()] +
            [(n, Resource.from_contents(s)) for n, s in SCHEMAS.items()])
        return jsonschema.Draft202012Validator(schema, registry=registry)
    except ImportError:  # Debian 12's 4.10
        store = {s["$id"]: s for s in SCHEMAS.values()}
        store.update({"https://diffcheck.invalid/schema/" + n: s for n, s in SCHEMAS.items()})
        resolver = jsonschema.RefResolver.from_schema(schema, store=store)
        return jsonschema.Draft202012Validator(schema, resolver=resolver)


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True)


def check(name, obj, what):
    errors = sorted(validator(name).iter_errors(obj), key=str)
    if errors:
        sys.exit(f"{what}: not a valid {name}: {errors[0].message} at {list(errors[0].path)}")
    print(f"ok  {what}")


checked = 0
for shape, want in [("defect_overrun_write:n=3", "oob_write"), ("defect_nan:n=64", "nonfinite"),
                    ("chunk_local_cumsum:T=64,H=1", "pass")]:
    out = run("--json", "--shape", shape)
    v = json.loads(out.stdout)
    assert v["verdict"] == want, (shape, v["verdict"])
    check("verdict.schema.json", v, f"--json {shape}")
    checked += 1
nan = json.loads(run("--json", "--shape", "defect_nan:n=64").stdout)
assert "nan" in json.dumps(nan), "a NaN output is written as the string \"nan\""
guard = json.loads(run("--json", "--shape", "defect_overrun_write:n=3").stdout)
assert guard["guard_hit"]["unwrapped_offset"] is None and "first_bad" in guard

with tempfile.TemporaryDirectory() as tmp:
    corpus = os.path.join(ROOT, "corpus", "defect")
    run("replay", corpus, "--report", os.path.join(tmp, "replay"))
    report = json.load(open(os.path.join(tmp, "replay", "report.json")))
    check("report.schema.json", report, "replay corpus/defect --report")
    assert all(not c["file"].startswith("/") for c in report["cases"]), "relative file paths"
    events = os.path.join(tmp, "events.jsonl")
    run("fuzz", "--kernel", "chunk_local_cumsum", "--index", "i32", "--runs", "6",
        "--minimize-cases", "2", "--out", os.path.join(tmp, "found"),
        "--report", os.path.join(tmp, "fuzz"), "--events", events)
    check("report.schema.json", json.load(open(os.path.join(tmp, "fuzz", "report.json"))),
          "fuzz --report")
    kinds = set()
    for line in open(events):
        e = json.loads(line)
        assert e["schema_version"] == 1
        kinds.add(e["event"])
        if e["event"] in ("finding", "minimized"):
            check("verdict.schema.json", e, f"fuzz --events {e['event']}")
    assert {"start", "case", "end"} <= kinds, kinds
explain = json.loads(run("explain", "--json", "--shape",
                         "chunk_gated_delta_rule_fwd_h:T=270336,H=32,Hg=16,index=i32").stdout)
check("explain.schema.json", explain, "explain --json (the seed shape)")
assert any(r["bits"] == 31 for o in explain["offsets"] for r in o["reaches"])
near = json.loads(run("boundary", "--json", "--key", "T", "--product", "h/loop", "--shape",
                      "chunk_gated_delta_rule_fwd_h:T=1000,H=32,Hg=16,index=i32").stdout)
check("boundary.schema.json", near, "boundary --json (the seed kernel's T, h/loop)")
assert near["crossing"] == 262145 and [s["where"] for s in near["shapes"]] == [
    "before", "crossing", "after"], near

# the schema is not a formality: a verdict without a key, or with a NaN as a number, fails it
broken = dict(guard)
del broken["crossing"]
assert list(validator("verdict.schema.json").iter_errors(broken)), "a missing key must fail"
print("schema_test: every object valid")
