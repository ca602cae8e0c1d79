// What the CPU backend cannot emulate fails to compile, naming the construct: inline PTX or GCN
// assembly (asm: mma.sync, cp.async, ldmatrix, ...), AMD's matrix-core builtins
// (__builtin_amdgcn_mfma_*, _wmma_*), and (in their headers) nvcuda::wmma, the async-copy
// pipeline and cooperative groups' grid synchronization. The error comes where the construct
// is compiled into a kernel that is used: a template or an inline function that is never
// instantiated, or code under `#if __CUDA_ARCH__ >= 800`, costs nothing. Never a silent wrong
// result.
#pragma once

#define DIFFCHECK_USE_GPU(what) \
  "diffcheck's CPU backend cannot emulate " what ": run this kernel with --backend gpu"

namespace dc::simt {
[[gnu::error(
    DIFFCHECK_USE_GPU("inline assembly (asm: PTX such as mma.sync or cp.async, or GCN)"))]] void
inline_assembly_is_not_emulated();
[[gnu::error(
    DIFFCHECK_USE_GPU("AMD matrix-core instructions (__builtin_amdgcn_mfma_*, _wmma_*)"))]] void
matrix_cores_are_not_emulated();
[[gnu::error(DIFFCHECK_USE_GPU("tensor-core fragments (nvcuda::wmma)"))]] void
wmma_is_not_emulated();
[[gnu::error(DIFFCHECK_USE_GPU("asynchronous copies (cp.async, __pipeline_memcpy_async)"))]] void
async_copy_is_not_emulated();
[[gnu::error(
    DIFFCHECK_USE_GPU("a grid-wide synchronization (cooperative_groups::grid_group::sync)"))]] void
grid_sync_is_not_emulated();

// Stands for any value (the result of an instruction that does not compile).
struct NotEmulated {
  template <class T>
  operator T() const {  // NOLINT(google-explicit-constructor)
    return T{};
  }
};
}  // namespace dc::simt

// NOLINTBEGIN(cppcoreguidelines-macro-usage,bugprone-reserved-identifier)
#define asm                                      \
  ::dc::simt::inline_assembly_is_not_emulated(); \
  __asm__
#define DC_MATRIX_CORE(...) (::dc::simt::matrix_cores_are_not_emulated(), ::dc::simt::NotEmulated{})
#define __builtin_amdgcn_mfma_f32_32x32x1f32(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_16x16x1f32(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_4x4x1f32(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_32x32x2f32(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_16x16x4f32(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_32x32x4f16(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_16x16x4f16(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_4x4x4f16(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_32x32x8f16(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_16x16x16f16(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_32x32x4bf16_1k(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_16x16x4bf16_1k(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_32x32x8bf16_1k(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_16x16x16bf16_1k(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_i32_32x32x8i8(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_i32_16x16x16i8(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_i32_32x32x16_i8(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_i32_16x16x32_i8(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f64_16x16x4f64(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f64_4x4x4f64(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_16x16x32_f16(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_32x32x16_f16(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_16x16x32_bf16(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_mfma_f32_32x32x16_bf16(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_wmma_f32_16x16x16_f16_w32(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_wmma_f32_16x16x16_bf16_w32(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_wmma_f32_16x16x16_f16_w64(...) DC_MATRIX_CORE()
#define __builtin_amdgcn_wmma_f32_16x16x16_bf16_w64(...) DC_MATRIX_CORE()
// NOLINTEND(cppcoreguidelines-macro-usage,bugprone-reserved-identifier)
