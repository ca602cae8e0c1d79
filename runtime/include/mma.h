// nvcuda::wmma (tensor cores) on diffcheck's CPU backend: it cannot be emulated; every use
// fails to compile with a message that says to run the kernel with --backend gpu.
#pragma once

#include "cuda_runtime.h"

namespace nvcuda::wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };
namespace precision {
struct tf32 {};
}  // namespace precision
template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
  static constexpr int num_elements = 0;
  T x[1];
  fragment() { ::dc::simt::wmma_is_not_emulated(); }
};
template <class... A>
void load_matrix_sync(A&&...) {
  ::dc::simt::wmma_is_not_emulated();
}
template <class... A>
void store_matrix_sync(A&&...) {
  ::dc::simt::wmma_is_not_emulated();
}
template <class... A>
void mma_sync(A&&...) {
  ::dc::simt::wmma_is_not_emulated();
}
template <class... A>
void fill_fragment(A&&...) {
  ::dc::simt::wmma_is_not_emulated();
}
}  // namespace nvcuda::wmma
