"""python -m diffcheck_torch [--sanitizer] [--no-guards] SCRIPT [ARGS...]: the script in a
child process with the guarded allocator; prints the finding, exits 1 if there is one."""

import argparse
import sys

from .runner import run_script


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m diffcheck_torch", description=__doc__)
    parser.add_argument("--sanitizer", action="store_true",
                        help="run the child under compute-sanitizer (names kernel and address)")
    parser.add_argument("--no-guards", action="store_true",
                        help="without the guarded allocator (the baseline)")
    parser.add_argument("--threshold", type=int, default=None,
                        help="smallest allocation in bytes that gets guards (default 1 MiB)")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    a = parser.parse_args(argv)
    finding = run_script(a.script, a.args, sanitizer=a.sanitizer, guards=not a.no_guards,
                         threshold=a.threshold)
    if finding.kind != "pass" and finding.traceback:
        print(finding.traceback)
    print(f"diffcheck_torch: {finding}")
    return 1 if finding.found else 0


if __name__ == "__main__":
    sys.exit(main())
