// Must not compile on the CPU backend (tests/conformance/CMakeLists.txt checks the message).
#include <cuda_runtime.h>
#include <mma.h>

__global__ void tensor_cores(const __half* a, const __half* b, float* c) {
  using namespace nvcuda;
  wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> fb;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
  wmma::fill_fragment(acc, 0.0f);
  wmma::load_matrix_sync(fa, a, 16);
  wmma::load_matrix_sync(fb, b, 16);
  wmma::mma_sync(acc, fa, fb, acc);
  wmma::store_matrix_sync(c, acc, 16, wmma::mem_row_major);
}

void launch(const __half* a, const __half* b, float* c) {
  tensor_cores<<<1, 32>>>(a, b, c);
}
