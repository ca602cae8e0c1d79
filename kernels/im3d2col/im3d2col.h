// The host entry of the 3-D image-to-column transform (im3d2col.hip).
#pragma once

#include <cstdint>

namespace im3d2col {

enum class DType { bf16, fp16, fp32 };
// How the kernel bounds its grid-stride loop: the column matrix's size in 64 bits (the fix),
// as the unsigned 32-bit product of its seven extents (before it; the offsets are 64-bit
// either way), or that product widened afterwards.
enum class Index { i64, i32, mixed };

// The extents: an image [c, d, h, w] and a filter [kd, kh, kw] (stride 1, no padding, no
// dilation), so the output is [od, oh, ow] = [d - kd + 1, h - kh + 1, w - kw + 1].
struct Extents {
  int c, d, h, w, kd, kh, kw;
  int od() const { return d - kd + 1; }
  int oh() const { return h - kh + 1; }
  int ow() const { return w - kw + 1; }
  std::int64_t columns() const {
    return static_cast<std::int64_t>(c) * kd * kh * kw * od() * oh() * ow();
  }
};

constexpr int kThreads = 256;     // per block
constexpr int kMaxBlocks = 1024;  // the grid: enough blocks to fill a GPU, then they stride

// col[((ci * kd + z) * kh + y) * kw + x][(oz * oh + oy) * ow + ox] =
//   im[ci][oz + z][oy + y][ox + x], by a grid of min(ceil(columns / 256), 1024) blocks of 256
// threads, each thread striding over the column matrix's elements.
void forward(void* col, const void* im, const Extents& e, DType dtype, Index index);

}  // namespace im3d2col
