"""The child process of a run: installs the allocator, then runs the function or script."""

import ast
import importlib
import os
import runpy
import sys


def main(argv):
    if os.environ.get("DIFFCHECK_TORCH_GUARDS", "1") == "1":
        from .allocator import install

        install()
    mode, target, *rest = argv
    if mode == "--script":
        sys.argv = [target, *rest]
        runpy.run_path(target, run_name="__main__")
        return 0
    module, _, name = target.partition(":")
    function = importlib.import_module(module)
    for part in name.split("."):
        function = getattr(function, part)
    function(*(ast.literal_eval(a) for a in rest))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
