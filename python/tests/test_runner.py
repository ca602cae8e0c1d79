"""Each case in a child process; its death becomes a finding, never the caller's. The
children run without the allocator (guards=False): this machine has no GPU."""

import cases
import diffcheck_torch


def test_a_function_that_passes_and_one_that_faults():
    assert diffcheck_torch.run(cases.passes, 3, guards=False).kind == "pass"
    assert diffcheck_torch.run(cases.passes, 4, guards=False).kind == "error"
    found = diffcheck_torch.run(cases.illegal_address, guards=False)
    assert found.kind == "illegal_address", found
    assert "illegal memory access" in found.traceback
    assert diffcheck_torch.run(cases.other_failure, guards=False).kind == "error"


def test_a_case_that_hangs_is_a_timeout():
    assert diffcheck_torch.run(cases.sleeps, guards=False, timeout=2).kind == "timeout"


def test_a_script_and_python_m(tmp_path):
    script = tmp_path / "kernel.py"
    script.write_text("import sys\nraise RuntimeError('CUDA error: an illegal memory access "
                      "was encountered' if sys.argv[1] == 'bad' else 'fine')\n")
    assert diffcheck_torch.run_script(script, ["bad"], guards=False).kind == "illegal_address"
    assert diffcheck_torch.run_script(script, ["ok"], guards=False).kind == "error"
    from diffcheck_torch.__main__ import main

    assert main(["--no-guards", str(script), "bad"]) == 1


def test_the_library_describes_addresses_without_a_device():
    try:
        path = diffcheck_torch.library_path()
    except FileNotFoundError:
        import pytest

        pytest.skip("no build of libdiffcheck_torch_alloc.so (the nvidia preset builds it)")
    import ctypes

    lib = ctypes.CDLL(str(path))
    out = ctypes.create_string_buffer(256)
    lib.diffcheck_describe(ctypes.c_uint64(0x1000), out, ctypes.c_size_t(256))
    assert out.value == b"not in a guarded allocation"
    lib.diffcheck_live_guarded.restype = ctypes.c_size_t
    assert lib.diffcheck_live_guarded() == 0

