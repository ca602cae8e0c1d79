"""Running a case in a child process with the guarded allocator installed."""

import os
import subprocess
import sys
import tempfile

from .finding import from_child

_CHILD = "diffcheck_torch._child"


def child_environment(log, guards=True, path=()):
    """The environment of a case's child process (a run's, or a test's under the plugin):
    the allocation log, guards on or off, this package importable, and
    CUDA_LAUNCH_BLOCKING so that the error comes from the launch that faulted."""
    env = dict(os.environ)
    env["DIFFCHECK_ALLOC_LOG"] = log
    env["DIFFCHECK_TORCH_GUARDS"] = "1" if guards else "0"
    env.setdefault("CUDA_LAUNCH_BLOCKING", "1")
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, *path, env.get("PYTHONPATH", ""))
                                        if p)
    return env


def _child_command(target, args, sanitizer):
    command = [sys.executable, "-m", _CHILD, *target, *args]
    if sanitizer:
        command = [sanitizer if isinstance(sanitizer, str) else "compute-sanitizer",
                   "--print-limit", "1", *command]
    return command


def _run_child(target, args=(), sanitizer=False, guards=True, threshold=None, timeout=None,
               path=()):
    with tempfile.NamedTemporaryFile("r", suffix=".log", prefix="diffcheck-alloc-") as log:
        child_env = child_environment(log.name, guards, path)
        if threshold is not None:
            child_env["DIFFCHECK_GUARD_MIN_BYTES"] = str(int(threshold))
        try:
            done = subprocess.run(_child_command(target, args, sanitizer), env=child_env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as e:
            out = e.stdout if isinstance(e.stdout, str) else (e.stdout or b"").decode()
            finding = from_child(1, out, log.read())
            finding.kind, finding.message = "timeout", f"no end after {timeout} s"
            return finding
        finding = from_child(done.returncode, done.stdout, log.read())
        finding.details["output"] = done.stdout
        return finding


def run(function, *args, sanitizer=False, guards=True, threshold=None, timeout=None):
    """Runs module-level `function(*args)` in a child process with the allocator installed.

    sanitizer: run the child under compute-sanitizer (True, or its path), which reports the
    faulting kernel and address; the finding then names the tensor and the offset.
    guards=False runs the same child without the allocator (the silent baseline).
    """
    module = sys.modules.get(function.__module__)
    where = getattr(module, "__file__", None)
    path = [os.path.dirname(os.path.abspath(where))] if where else []  # importable there too
    target = f"{function.__module__}:{function.__qualname__}"
    return _run_child(["--call", target], [repr(a) for a in args], sanitizer, guards, threshold,
                      timeout, path)


def run_script(path, argv=(), sanitizer=False, guards=True, threshold=None, timeout=None):
    """Runs a Python script in a child process with the allocator installed."""
    return _run_child(["--script", str(path)], list(argv), sanitizer, guards, threshold, timeout)
