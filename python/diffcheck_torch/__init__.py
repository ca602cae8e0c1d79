"""Guarded device memory for PyTorch: Triton and PyTorch kernels, unmodified, on the GPU.

diffcheck's device allocator (libdiffcheck_torch_alloc.so, built by the nvidia and amd presets)
puts every large tensor in its own reservation of device virtual memory, between unmapped
guards of 2^32 x 8 bytes: an offset that a kernel computes in 32 bits and wraps lands in a
guard, so the first wrapped access is an illegal-address error instead of a silent write into
another live tensor of PyTorch's caching allocator. This package installs it before the first
CUDA allocation and runs code in a child process per case, turning an illegal-address error
into a Finding: the kernel's launch, and, where the address is known (compute-sanitizer
reports it), the tensor and the offset, "consistent with a 32-bit wrap".

    import diffcheck_torch
    finding = diffcheck_torch.run(my_module.my_test)        # a function, in a child process
    python -m diffcheck_torch script.py args...              # a script
    pytest --diffcheck-guards                                # every test (the pytest plugin)

No dependency beyond PyTorch (and none at all for what runs in the parent process).
"""

from .allocator import install, library_path, name_tensor
from .finding import Finding, describe_address, read_alloc_log
from .runner import run, run_script
from .shapes import boundary, explain

__all__ = [
    "Finding",
    "boundary",
    "describe_address",
    "explain",
    "install",
    "library_path",
    "name_tensor",
    "read_alloc_log",
    "run",
    "run_script",
]
