// The offsets a kernel over a (varlen) batch of sequences computes, as functions of the shape,
// and where each first reaches 2^31 or 2^32. Every offset of the gated-delta-rule kernels has
// the form
//   base(n, h) + r * C,   base(n, h) = (start(n) * A + h / hdiv) * B
// with start(n) the sequence's first chunk (boh), first token (bos) or its index, and r a
// chunk (i_t) or a token row of the sequence. index=i32 computes base, loop term and their
// sum in 32 bits; index=mixed only the base (runtime/index_math.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/problem.hpp"

namespace dc::kernels {

// The batch: sequence starts in tokens and in chunks (N + 1 entries each), heads, chunk size.
struct Geometry {
  std::vector<std::int64_t> token_start, chunk_start;
  std::int64_t H = 1, BT = 64;

  std::int64_t sequences() const { return static_cast<std::int64_t>(token_start.size()) - 1; }
  std::int64_t tokens(std::int64_t n) const { return token_start[n + 1] - token_start[n]; }
  std::int64_t chunks(std::int64_t n) const { return chunk_start[n + 1] - chunk_start[n]; }
  // The sequence holding a global token or a global chunk.
  std::int64_t sequence_of_token(std::int64_t token) const;
  std::int64_t sequence_of_chunk(std::int64_t chunk) const;
};

struct OffsetForm {
  enum class Start : std::uint8_t { chunk, token, sequence };
  std::string tensor;
  std::string base_text, loop_text;  // "(boh*H+i_h)*V*K", "i_t*H*V*K" ("" without a loop)
  Start start;
  std::int64_t A, hdiv, B;
  std::int64_t C;   // loop stride (0: no loop term)
  bool chunk_rows;  // r counts chunks (else token rows)
};

// Where an offset first reaches a threshold: sequence n, row r (chunk or token row), head h.
struct Position {
  std::int64_t n = 0, r = 0, h = 0;
  std::int64_t value = 0;
  bool every_head = false;
  std::int64_t chunk = 0;  // the chunk of the sequence that holds row r (crossing_positions)
};

class Offsets {
 public:
  Offsets(Geometry g, std::vector<OffsetForm> forms) : g_(std::move(g)), forms_(std::move(forms)) {}

  std::int64_t base(const OffsetForm& f, std::int64_t n, std::int64_t h) const;
  std::int64_t rows(const OffsetForm& f, std::int64_t n) const;

  std::optional<Position> base_reaches(const OffsetForm& f, std::int64_t x) const;
  std::optional<Position> loop_reaches(const OffsetForm& f, std::int64_t x) const;
  std::optional<Position> sum_reaches(const OffsetForm& f, std::int64_t x) const;

  // Every form as base, loop and sum products, with where they reach 2^31 and 2^32.
  std::vector<IndexProduct> products() const;
  // Every position at which some offset reaches 2^31 or 2^32 first.
  std::vector<Position> crossing_positions() const;

  const Geometry& geometry() const { return g_; }

 private:
  std::string where(const OffsetForm& f, const Position& p) const;
  Geometry g_;
  std::vector<OffsetForm> forms_;
};

// Where an element of a tensor whose outermost dimension is "token" or "chunk" lies, in the
// batch's terms ("chunk 4096 of sequence 0 (chunk=4096,head=0,v=3,k=1)").
std::string locate_in_batch(const Geometry& g, const TensorSpec& spec, std::int64_t flat);

}  // namespace dc::kernels
