// The 3-D image-to-column transform of a GEMM-based 3-D convolution, written in HIP: each
// element of the column matrix [c * kd * kh * kw, od * oh * ow] is one pixel of the image,
// and a grid of at most 1024 blocks strides over them (a grid-stride loop: thread t of the
// grid writes elements t, t + G, t + 2G, ... with G its total thread count). Written by the
// project, modelled on the public facts of ROCm/rocm-libraries PR 4611 (MIOpen's Im3d2Col):
// the column matrix's size, the loop's bound, was an `unsigned` product of the seven extents,
// so past 2^32 elements (c=256, 19x146x258 image, 3x3x3 filter: 4,331,937,792) the loop ends
// at the product mod 2^32 and everything after it is never written. The fix computes the
// bound in 64 bits; the offsets are 64-bit in every variant.
#include <hip/hip_runtime.h>

#include <cstdint>

#include "im3d2col.h"

namespace im3d2col {
namespace {

template <typename T, Index kIndex>
__global__ void __launch_bounds__(kThreads)
    im3d2col_kernel(T* __restrict__ col, const T* __restrict__ im, int c, int d, int h, int w,
                    int kd, int kh, int kw, int od, int oh, int ow) {
  uint64_t col_size = 0;
  unsigned col_size32 = 0;
  if constexpr (kIndex == Index::i64)
    col_size = static_cast<uint64_t>(od) * oh * ow * kd * kh * kw * c;
  else if constexpr (kIndex == Index::mixed)
    col_size = static_cast<uint64_t>(static_cast<unsigned>(od) * oh * ow * kd * kh * kw * c);
  else
    col_size32 = static_cast<unsigned>(od) * oh * ow * kd * kh * kw * c;  // before the fix
  const uint64_t spatial = static_cast<uint64_t>(od) * oh * ow;
  const uint64_t stride = static_cast<uint64_t>(blockDim.x) * gridDim.x;
  for (uint64_t i = static_cast<uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       kIndex == Index::i32 ? i < col_size32 : i < col_size; i += stride) {
    const uint64_t s = i % spatial, row = i / spatial;
    const int ox = static_cast<int>(s % ow), oy = static_cast<int>(s / ow % oh);
    const int oz = static_cast<int>(s / (static_cast<uint64_t>(ow) * oh));
    const int x = static_cast<int>(row % kw), y = static_cast<int>(row / kw % kh);
    const int z = static_cast<int>(row / (static_cast<uint64_t>(kw) * kh) % kd);
    const uint64_t ci = row / (static_cast<uint64_t>(kw) * kh * kd);
    col[i] = im[((ci * d + oz + z) * h + oy + y) * w + ox + x];
  }
}

template <typename T, Index kIndex>
void launch(void* col, const void* im, const Extents& e) {
  const int64_t blocks = (e.columns() + kThreads - 1) / kThreads;
  const auto grid = static_cast<unsigned>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
  hipLaunchKernelGGL((im3d2col_kernel<T, kIndex>), dim3(grid), dim3(kThreads), 0, 0,
                     static_cast<T*>(col), static_cast<const T*>(im), e.c, e.d, e.h, e.w, e.kd,
                     e.kh, e.kw, e.od(), e.oh(), e.ow());
}

template <Index kIndex>
void launch_index(void* col, const void* im, const Extents& e, DType dtype) {
  switch (dtype) {
    case DType::bf16:
      return launch<__hip_bfloat16, kIndex>(col, im, e);
    case DType::fp16:
      return launch<__half, kIndex>(col, im, e);
    case DType::fp32:
      return launch<float, kIndex>(col, im, e);
  }
}

}  // namespace

void forward(void* col, const void* im, const Extents& e, DType dtype, Index index) {
  switch (index) {
    case Index::i64:
      return launch_index<Index::i64>(col, im, e, dtype);
    case Index::i32:
      return launch_index<Index::i32>(col, im, e, dtype);
    case Index::mixed:
      return launch_index<Index::mixed>(col, im, e, dtype);
  }
}

}  // namespace im3d2col
