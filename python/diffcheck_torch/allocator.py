"""Installing the guarded allocator in this process (the child of a run)."""

import os
from pathlib import Path

LIBRARY = "libdiffcheck_torch_alloc.so"
# Where the repository's presets put the library, from this file (python/diffcheck_torch/).
_REPOSITORY = Path(__file__).resolve().parents[2]
_SEARCH = ("build-nvidia/lib", "build-device/lib", "build-amd/lib")


def library_path():
    """The allocator library: $DIFFCHECK_TORCH_ALLOC, else a build of this repository."""
    explicit = os.environ.get("DIFFCHECK_TORCH_ALLOC")
    if explicit:
        return Path(explicit)
    for folder in _SEARCH:
        candidate = _REPOSITORY / folder / LIBRARY
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"{LIBRARY} not found: build it (cmake --preset nvidia && ninja -C build-nvidia "
        f"diffcheck_torch_alloc) or set DIFFCHECK_TORCH_ALLOC"
    )


def install(path=None, threshold=None, log=None):
    """Makes PyTorch allocate device memory through the guarded allocator.

    Must run before the first CUDA allocation of the process. threshold: the smallest
    allocation (bytes) that gets its own guarded reservation (default 1 MiB; smaller ones come
    from the driver's pool). log: a file the library appends every allocation to, so that a
    parent process can name a faulting address after this one died.
    """
    import torch  # only the child needs PyTorch

    if threshold is not None:
        os.environ["DIFFCHECK_GUARD_MIN_BYTES"] = str(int(threshold))
    if log is not None:
        os.environ["DIFFCHECK_ALLOC_LOG"] = str(log)
    if torch.cuda.is_initialized():
        raise RuntimeError(
            "diffcheck_torch.install() must run before the first CUDA allocation of the process"
        )
    allocator = torch.cuda.memory.CUDAPluggableAllocator(
        str(path or library_path()), "diffcheck_malloc", "diffcheck_free"
    )
    torch.cuda.memory.change_current_allocator(allocator)
    return allocator


def name_tensor(tensor, name):
    """Records a tensor's name beside its allocation in the log, for findings to use."""
    log = os.environ.get("DIFFCHECK_ALLOC_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"name {tensor.data_ptr():#x} {tensor.numel() * tensor.element_size()} "
                      f"{tensor.element_size()} {name}\n")
    return tensor
