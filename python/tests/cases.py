"""Functions the runner tests run in a child process (importable by module name)."""

import time


def passes(n):
    assert n == 3


def illegal_address():
    # what PyTorch raises when a kernel touched a guard (CUDA_LAUNCH_BLOCKING=1: at its launch)
    raise RuntimeError("CUDA error: an illegal memory access was encountered")


def other_failure():
    raise ValueError("not a device fault")


def sleeps():
    time.sleep(30)
