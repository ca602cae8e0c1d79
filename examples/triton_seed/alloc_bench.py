"""The guarded allocator's overhead on a PyTorch workload, against PyTorch's default allocator:
many small tensors (1 KiB to 512 KiB, pooled below the 1 MiB threshold) and some large ones
(64 to 256 MiB, each in its own guarded reservation), allocated and freed in rounds.

    python alloc_bench.py default|guarded
Prints allocations per second (small, large) and the device memory in use at the peak
(cudaMemGetInfo), one JSON line. Run each in its own process (python -m diffcheck_torch does
for guarded).
"""

import json
import sys
import time

import torch


def main(which):
    if which == "guarded":
        import diffcheck_torch

        diffcheck_torch.install()
    free0, total = torch.cuda.mem_get_info()
    gen = torch.Generator().manual_seed(0)
    small_sizes = [int(s) for s in torch.randint(1 << 10, 512 << 10, (20000,), generator=gen)]
    large_sizes = [int(s) for s in torch.randint(64 << 20, 256 << 20, (64,), generator=gen)]
    torch.cuda.synchronize()
    start = time.perf_counter()
    keep = []
    for round_ in range(4):
        for s in small_sizes[round_ * 5000:(round_ + 1) * 5000]:
            keep.append(torch.empty(s, dtype=torch.uint8, device="cuda"))
            if len(keep) > 1000:
                keep.pop(0)
    torch.cuda.synchronize()
    small_s = time.perf_counter() - start
    keep.clear()
    start = time.perf_counter()
    large = []
    peak = 0
    for s in large_sizes:
        large.append(torch.empty(s, dtype=torch.uint8, device="cuda"))
        if len(large) > 16:
            large.pop(0)
        peak = max(peak, free0 - torch.cuda.mem_get_info()[0])
    torch.cuda.synchronize()
    large_s = time.perf_counter() - start
    print(json.dumps({"allocator": which, "small_allocs_per_s": len(small_sizes) / small_s,
                      "large_allocs_per_s": len(large_sizes) / large_s,
                      "peak_device_bytes": peak, "device_total_bytes": total}))


if __name__ == "__main__":
    main(sys.argv[1])
