"""Naming a faulting address from the allocator's log; findings from a child's output."""

from diffcheck_torch.finding import describe_address, from_child, read_alloc_log

GUARD = 1 << 35  # 2^32 x 8 bytes
DATA = 0x7F0000000000 + GUARD
LOG = f"""alloc 1 data={DATA:#x} size=8192 device=0 guards={DATA - GUARD:#x}-{DATA + 8192 + GUARD:#x}
alloc 2 data=0x100000 size=16 device=0 guards=0x0-0x200000
free 2
name {DATA:#x} 8192 2 h
"""


def test_the_log_keeps_live_allocations_and_their_names():
    live = read_alloc_log(LOG)
    assert [a["serial"] for a in live] == [1]
    assert live[0]["name"] == "h" and live[0]["element"] == 2


def test_an_address_in_a_guard_is_named_as_a_wrapped_element_offset():
    # element 100 of 2-byte elements, wrapped by -2^32: 2^33 bytes before the data
    address = DATA + 200 - (1 << 33)
    text = describe_address(address, read_alloc_log(LOG))
    assert "in a guard of h" in text
    assert "element offset -4294967196" in text and "32-bit wrap of element 100" in text


def test_an_address_inside_and_one_outside_every_reservation():
    assert describe_address(DATA + 10, read_alloc_log(LOG)) == "inside h, byte offset 10"
    assert describe_address(0x10, read_alloc_log(LOG)) == ""


def test_a_child_that_died_of_an_illegal_address_is_a_finding():
    out = "Traceback ...\nRuntimeError: CUDA error: an illegal memory access was encountered\n"
    f = from_child(1, out)
    assert f.kind == "illegal_address" and f.found
    assert from_child(0, "").kind == "pass"
    assert from_child(1, "ValueError: x\n").kind == "error"


def test_compute_sanitizer_names_the_kernel_and_the_tensor():
    address = DATA + 200 - (1 << 33)
    out = f"""========= Invalid __global__ write of size 2 bytes
=========     at chunk_fwd_h_kernel+0x1a30
=========     by thread (0,0,0) in block (0,0,0)
=========     Address {address:#x} is out of bounds
"""
    f = from_child(1, out, LOG)
    assert (f.kind, f.access, f.kernel, f.address) == ("illegal_address", "write",
                                                       "chunk_fwd_h_kernel", address)
    assert "h" in f.where and "32-bit wrap" in f.where
    assert "kernel chunk_fwd_h_kernel (write)" in str(f)


# compute-sanitizer's report of the Triton seed kernel's first wrapped store on an H100 with the
# guarded allocator (CUDA 13; harness/device/runs/2026-12-06-session14-triton-seed.txt), with
# the allocation log lines of h
H100_REPORT = """========= COMPUTE-SANITIZER
========= Invalid __global__ write of size 16 bytes
=========     at chunk_state_fwd+0x1d00 in seed_state.py:38
=========     by thread (0,0,0) in block (0,14,0)
=========     Access to 0x63e2070000 is out of bounds
=========     and is 4,294,508,544 bytes before the nearest allocation at 0x64e2000000 of size 4,429,185,024 bytes
"""
H100_LOG = """alloc 9 data=0x64e2000000 size=4429185024 device=0 guards=0x5ce2000000-0x6dea000000
name 0x64e2000000 4429185024 2 h
"""


def test_a_real_report_names_h_and_the_chunk_4096_element():
    f = from_child(1, H100_REPORT, H100_LOG)
    assert (f.kernel, f.source, f.access) == ("chunk_state_fwd", "seed_state.py:38", "write")
    # chunk 4096, head 14: 4096 * 524288 + 14 * 128 * 128 = 2147713024, wrapped by -2^32
    assert "in a guard of h" in f.where and "32-bit wrap of element 2147713024" in f.where
