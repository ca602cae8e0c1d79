"""The seed bug in a Triton kernel: the state of a chunked linear recurrence stored per chunk at
`h + i_t * stride_h`, with the pre-vLLM-#39087 arithmetic (a 32-bit loop index times a 32-bit
stride) or the fix (the index widened first). Written by the project for diffcheck_torch's
demonstration (issue 25); the recurrence is a decayed sum of the chunks' k^T v, not the gated
delta rule, but the addressing of `h` is the one the upstream kernel had.

    python seed_state.py i32|i64 [T]          # T defaults to the seed shape's 270,336

At the seed shape (H=32, K=V=128, chunks of 64 tokens) stride_h = H*K*V = 524,288 and
i_t * stride_h passes 2^31 at chunk 4096. The script checks every chunk's stored state against
a float32 PyTorch reference and exits 1 naming the first chunk that differs; a write that
lands outside `h` is looked for in a neighbour tensor allocated just before it.
"""

import sys

import torch
import triton
import triton.language as tl

H, K, V, BT, BV = 32, 128, 128, 64, 64
DECAY = 0.99


@triton.jit
def chunk_state_fwd(k, v, h, T, NT, stride_h, H: tl.constexpr, K: tl.constexpr,
                    V: tl.constexpr, BT: tl.constexpr, BV: tl.constexpr, WIDE: tl.constexpr):
    i_v = tl.program_id(0)
    i_h = tl.program_id(1)
    b_h = tl.zeros([K, BV], dtype=tl.float32)
    for i_t in range(NT):
        if WIDE:
            h_chunk = h + i_t.to(tl.int64) * stride_h  # the fix
        else:
            h_chunk = h + i_t * stride_h  # before it: int32 * int32, wraps at chunk 4096
        p_h = tl.make_block_ptr(h_chunk + i_h * K * V, (K, V), (V, 1), (0, i_v * BV), (K, BV),
                                (1, 0))
        tl.store(p_h, b_h.to(p_h.dtype.element_ty), boundary_check=(0, 1))
        p_k = tl.make_block_ptr(k + i_h * K, (T, K), (H * K, 1), (i_t * BT, 0), (BT, K), (1, 0))
        p_v = tl.make_block_ptr(v + i_h * V, (T, V), (H * V, 1), (i_t * BT, i_v * BV), (BT, BV),
                                (1, 0))
        b_k = tl.load(p_k, boundary_check=(0, 1))
        b_v = tl.load(p_v, boundary_check=(0, 1))
        b_h = b_h * 0.99 + tl.dot(tl.trans(b_k), b_v)


def name(tensor, label):
    try:
        import diffcheck_torch
    except ImportError:
        return tensor
    return diffcheck_torch.name_tensor(tensor, label)


def main(index, T):
    NT = (T + BT - 1) // BT
    torch.manual_seed(0)
    dev = "cuda"
    k = name((torch.randn(T, H, K, device=dev) * 0.05).to(torch.bfloat16), "k")
    v = name((torch.randn(T, H, V, device=dev) * 0.05).to(torch.bfloat16), "v")
    # a live neighbour just before h: where a wrapped store lands without guards
    neighbour = name(torch.full((5 << 30,), 7, dtype=torch.uint8, device=dev), "neighbour")
    h = name(torch.zeros(NT, H, K, V, dtype=torch.bfloat16, device=dev), "h")
    stride_h = H * K * V
    chunk_state_fwd[(triton.cdiv(V, BV), H)](k, v, h, T, NT, stride_h, H=H, K=K, V=V, BT=BT,
                                            BV=BV, WIDE=index == "i64")
    torch.cuda.synchronize()

    # the reference: the same recurrence in float32, every head at once
    state = torch.zeros(H, K, V, device=dev)
    first_bad, worst = None, 0.0
    for i_t in range(NT):
        got = h[i_t].float()
        err = (got - state).abs().max().item()
        tol = 2e-2 * max(state.abs().max().item(), 1e-3)
        worst = max(worst, err / tol)
        if err > tol and first_bad is None:
            first_bad = i_t
        rows = slice(i_t * BT, min(T, (i_t + 1) * BT))
        state = state * DECAY + torch.einsum("thk,thv->hkv", k[rows].float(), v[rows].float())
    touched = int((neighbour != 7).sum().item())
    print(f"index={index} T={T} chunks={NT}: h checked against the float32 reference; "
          f"neighbour bytes overwritten: {touched}")
    if first_bad is not None:
        print(f"FAIL: h is wrong from chunk {first_bad} on (of {NT}); the kernel ended without "
              f"an error")
        return 1
    print(f"pass: every chunk of h within tolerance (worst {worst:.3f} of it)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 270336))
