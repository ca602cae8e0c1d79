"""pytest --diffcheck-guards: every test in its own child; an illegal address fails that test
alone with the finding. (Children without the allocator: no GPU here.)"""

import os
import subprocess
import sys
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def test_each_test_runs_in_a_child_and_a_fault_fails_only_its_test(tmp_path):
    (tmp_path / "test_kernels.py").write_text(
        "import os\n"
        "def test_fine():\n"
        "    assert os.environ.get('DIFFCHECK_ALLOC_LOG')  # set by the parent for its child\n"
        "def test_wraps():\n"
        "    raise RuntimeError('CUDA error: an illegal memory access was encountered')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT), DIFFCHECK_TORCH_GUARDS="0")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
         "diffcheck_torch.pytest_plugin", "--diffcheck-guards", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed, 1 passed" in done.stdout, done.stdout
    assert "diffcheck_torch: illegal_address" in done.stdout, done.stdout


def test_without_the_option_the_plugin_changes_nothing(tmp_path):
    (tmp_path / "test_plain.py").write_text(
        "import os\n"
        "def test_in_this_process():\n"
        "    assert not os.environ.get('DIFFCHECK_ALLOC_LOG')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    env.pop("DIFFCHECK_ALLOC_LOG", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
         "diffcheck_torch.pytest_plugin", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
