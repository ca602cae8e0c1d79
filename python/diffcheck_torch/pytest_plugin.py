"""pytest --diffcheck-guards: every test in its own child pytest with the guarded allocator.

Load it with `-p diffcheck_torch.pytest_plugin` (or the `pytest11` entry point of an
installed package). Each test runs in a child process (a CUDA context does not survive an
illegal-address error, nor a fork) whose allocator was installed before any CUDA allocation;
an illegal-address error fails the test with the finding (the kernel and the tensor where
compute-sanitizer names them: --diffcheck-sanitizer).
"""

import os
import subprocess
import sys
import tempfile

import pytest

from .finding import from_child
from .runner import child_environment


def pytest_addoption(parser):
    group = parser.getgroup("diffcheck", "guarded device memory (diffcheck_torch)")
    group.addoption("--diffcheck-guards", action="store_true",
                    help="run each test in a child process with the guarded allocator")
    group.addoption("--diffcheck-sanitizer", action="store_true",
                    help="run the children under compute-sanitizer (names kernel and address)")
    group.addoption("--diffcheck-child", action="store_true",
                    help="(internal) this process is the child of a guarded run")



def pytest_configure(config):
    if config.getoption("--diffcheck-child") and os.environ.get("DIFFCHECK_TORCH_GUARDS") == "1":
        from .allocator import install

        install()  # before any test of this process allocates


def _child_output(item, sanitizer):
    with tempfile.NamedTemporaryFile("r", suffix=".log", prefix="diffcheck-alloc-") as log:
        env = child_environment(log.name, os.environ.get("DIFFCHECK_TORCH_GUARDS", "1") == "1")
        command = [sys.executable, "-m", "pytest", item.nodeid, "-q", "-p", "no:cacheprovider",
                   "-p", "diffcheck_torch.pytest_plugin", "--diffcheck-child",
                   "--rootdir", str(item.config.rootpath)]
        if sanitizer:
            command = ["compute-sanitizer", "--print-limit", "1", *command]
        done = subprocess.run(command, cwd=str(item.config.invocation_params.dir), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              check=False)
        return done.returncode, done.stdout, log.read()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    config = item.config
    if not config.getoption("--diffcheck-guards") or config.getoption("--diffcheck-child"):
        return None
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    code, output, log = _child_output(item, config.getoption("--diffcheck-sanitizer"))
    # pytest's exit codes: 0 passed, 1 failed, 5 nothing collected (e.g. skipped by a mark)
    outcome = "passed" if code in (0, 5) else "failed"
    longrepr = None
    if outcome == "failed":
        finding = from_child(code, output, log)
        longrepr = f"diffcheck_torch: {finding}\n\n{output}"
    report = pytest.TestReport(item.nodeid, item.location, {k: 1 for k in item.keywords},
                               outcome, longrepr, "call", [])
    item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
