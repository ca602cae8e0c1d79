// A batch of sequences as the chunked (linear-attention) kernels take it: fixed-length (B
// sequences of T tokens) or variable-length (`seqlens`, passed to the kernel as int32
// cu_seqlens), cut into chunks of BT tokens that restart at every sequence; H value heads,
// Hg key heads, K and V head dims, the input dtype, the index variant and the seed. Every
// kernel family of the gated delta rule builds its keys and its Config from these.
// C++17: nvcc compiles it too.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/dtype_dispatch.hpp"
#include "harness/shape.hpp"
#include "harness/tensor.hpp"
#include "index_math.hpp"
#include "offsets.hpp"
#include "runtime/dtypes.hpp"

namespace dc::kernels {

inline constexpr std::int64_t kMaxI32 = (std::int64_t{1} << 31) - 1;
inline constexpr int kMaxHeadDim = 256;  // K and V
inline constexpr int kMaxChunk = 64;     // BT

// The key of a batch named `name`: B, T, seqlens, H, Hg, K, V, BT or dtype.
inline KeySpec batch_key(const std::string& name) {
  auto integer = [&](std::int64_t hi, std::string def, std::string help,
                     std::string ignored_if = "") {
    return KeySpec{
        name, KeyKind::integer, 1, hi, {}, std::move(def), std::move(help), std::move(ignored_if)};
  };
  if (name == "B")
    return integer(65535, "1", "sequences (ignored when seqlens is given)", "seqlens");
  if (name == "T")
    return integer(kMaxI32, "", "tokens per sequence (ignored when seqlens is given)", "seqlens");
  if (name == "seqlens")
    return KeySpec{
        name, KeyKind::list, 1, kMaxI32, {}, "-", "variable-length batch: lengths joined by '/'",
        ""};
  if (name == "H") return integer(65535, "", "value heads");
  if (name == "Hg") return integer(65535, "@H", "key heads (divides H)");
  if (name == "K") return integer(kMaxHeadDim, "128", "key head dim");
  if (name == "V") return integer(kMaxHeadDim, "128", "value head dim");
  if (name == "BT") return integer(kMaxChunk, "64", "chunk size");
  return KeySpec{"dtype",
                 KeyKind::choice,
                 0,
                 0,
                 {"bf16", "fp16", "fp32"},
                 "bf16",
                 "input dtype; accumulation in fp32",
                 ""};
}

// A 0/1 key.
inline KeySpec flag_key(std::string name, std::string def, std::string help) {
  return KeySpec{std::move(name), KeyKind::integer, 0, 1, {}, std::move(def), std::move(help), ""};
}

struct Batch {
  // From a shape of a family whose keys include B, T, seqlens and H (the others: 1 when the
  // family has no such key). Checks the cross-key rules (ShapeError).
  explicit Batch(const Shape& s)
      : seed(static_cast<std::uint64_t>(s.integer("seed"))),
        H(static_cast<int>(s.integer("H"))),
        Hg(optional(s, "Hg", H)),
        K(optional(s, "K", 1)),
        V(optional(s, "V", 1)),
        BT(optional(s, "BT", 64)),
        varlen(s.has("seqlens")) {
    const std::string dt = has_key(s, "dtype") ? s.text("dtype") : "fp32";
    dtype = dt == "fp32" ? DType::f32 : dt == "fp16" ? DType::f16 : DType::bf16;
    const std::string ix = has_key(s, "index") ? s.text("index") : "i64";
    index = ix == "i32"     ? IndexVariant::i32
            : ix == "mixed" ? IndexVariant::mixed
                            : IndexVariant::i64;
    if (varlen)
      lengths = s.list("seqlens");
    else
      lengths.assign(static_cast<std::size_t>(s.integer("B")), s.integer("T"));
    cu.push_back(0);
    chunk_offsets.push_back(0);
    for (const std::int64_t len : lengths) {
      cu.push_back(cu.back() + len);
      chunk_offsets.push_back(chunk_offsets.back() + (len + BT - 1) / BT);
    }
    if (H % Hg != 0)
      throw ShapeError("Hg", "key 'Hg': " + std::to_string(Hg) + " does not divide H=" +
                                 std::to_string(H) + "; valid: a divisor of H");
    if (cu.back() > kMaxI32)
      throw ShapeError(varlen ? "seqlens" : "T",
                       "total tokens " + std::to_string(cu.back()) +
                           " exceed 2^31-1 (cu_seqlens are int32); valid: B*T or the sum of "
                           "seqlens <= 2^31-1");
    // int32, as upstream passes them
    cu32.assign(cu.begin(), cu.end());
    chunk_offsets32.assign(chunk_offsets.begin(), chunk_offsets.end());
  }

  // A grid with a block row per (sequence, head) must stay within the 65535 rows a grid's y
  // dimension allows (ShapeError naming H otherwise).
  void require_grid_rows() const {
    const std::int64_t rows = sequences() * H;
    if (rows > 65535)
      throw ShapeError("H", "key 'H': " + std::to_string(sequences()) + " sequences x H=" +
                                std::to_string(H) + " = " + std::to_string(rows) +
                                " block rows exceed the grid's y limit; valid: sequences * H "
                                "<= 65535");
  }

  // The int32 tensors of a varlen batch the kernels read: its sequence starts (N + 1), its
  // chunk starts (N + 1) and (i_n, i_t) per chunk (2 per chunk, computed when asked).
  enum class Int32 : std::uint8_t { cu_seqlens, chunk_offsets, chunk_indices };
  void fill_int32(Int32 which, std::int64_t begin, std::int64_t count, std::int32_t* out) const {
    for (std::int64_t e = begin; e < begin + count; ++e)
      out[e - begin] = which == Int32::cu_seqlens ? cu32[static_cast<std::size_t>(e)]
                       : which == Int32::chunk_offsets
                           ? chunk_offsets32[static_cast<std::size_t>(e)]
                           : chunk_index_entry(e);
  }

  std::int64_t sequences() const { return static_cast<std::int64_t>(lengths.size()); }
  std::int64_t tokens() const { return cu.back(); }
  std::int64_t total_chunks() const { return chunk_offsets.back(); }
  std::int64_t chunks(std::int64_t n) const { return chunk_offsets[n + 1] - chunk_offsets[n]; }
  std::int64_t longest() const { return *std::max_element(lengths.begin(), lengths.end()); }
  Geometry geometry() const { return Geometry{cu, chunk_offsets, H, BT}; }
  // Entry e of chunk_indices, (i_n, i_t) per chunk of the batch: computed when asked (a batch
  // of 2^31 one-token chunks would need 16 GiB of them).
  std::int32_t chunk_index_entry(std::int64_t e) const {
    const std::int64_t chunk = e / 2;
    const auto n = static_cast<std::int64_t>(
        std::upper_bound(chunk_offsets.begin(), chunk_offsets.end(), chunk) -
        chunk_offsets.begin() - 1);
    return static_cast<std::int32_t>(e % 2 == 0 ? n : chunk - chunk_offsets[n]);
  }

  std::uint64_t seed;
  int H, Hg, K, V, BT;
  DType dtype = DType::bf16;
  IndexVariant index = IndexVariant::i64;
  bool varlen = false;
  std::vector<std::int64_t> lengths, cu, chunk_offsets;
  // int32 copies the kernels read: sequence starts and chunk starts
  std::vector<std::int32_t> cu32, chunk_offsets32;

 private:
  static bool has_key(const Shape& s, const std::string& name) {
    return std::any_of(s.keys().begin(), s.keys().end(),
                       [&](const KeySpec& k) { return k.name == name; });
  }
  static int optional(const Shape& s, const std::string& name, int fallback) {
    return has_key(s, name) ? static_cast<int>(s.integer(name)) : fallback;
  }
};

}  // namespace dc::kernels
