// Driver of attn_bwd_dq (attn_bwd_dq.cu): its keys, tensors, inputs, launch and check.
#include "attn_bwd_dq.h"
#include "kernels/rows/row_problem.hpp"

namespace dc::kernels::bwd {
namespace {

enum Tensor : std::size_t { kDs, kK, kAccum, kDq };
constexpr int kThreads = 128;           // attn_bwd_dq.cu
constexpr std::int64_t kPadding = 128;  // accumulator rows after each sequence's

class Problem final : public RowProblem {
 public:
  explicit Problem(const Shape& s)
      : RowProblem(s),
        batch_(s.integer("batch")),
        seqlen_(s.integer("seqlen")),
        heads_(s.integer("heads")),
        head_dim_(s.integer("head_dim")),
        d_rounded_(attn_bwd_dq::d_rounded(static_cast<int>(head_dim_))) {
    const std::int64_t tokens = batch_ * seqlen_;
    const std::vector<Dim> qk{{"token", tokens}, {"head", heads_}, {"d", head_dim_}};
    set_up(
        {.batches = batch_,
         .rows_per_batch = seqlen_,
         .width = heads_ * head_dim_,
         .rows_per_block = seqlen_,
         .column_blocks = heads_,
         .threads = kThreads},
        {{{"ds",
           DType::f32,
           Role::input,
           {{"batch", batch_}, {"head", heads_}, {"i", seqlen_}, {"j", seqlen_}}}},
         {{"k", dtype_, Role::input, qk}},
         {{"dq_accum",
           DType::f32,
           Role::output,
           {{"row", batch_ * (seqlen_ + kPadding)}, {"head", heads_}, {"d", d_rounded_}}}},
         {{"dq", dtype_, Role::output, qk}}},
        // the block of a row's sequence zeroes its rows up to the padding's last, the largest
        // offset it forms
        {{.tensor = "dq_accum",
          .expression = "(q_offset + 128 * bidb + i) * h * d_rounded",
          .stride = heads_ * d_rounded_,
          .narrow_in = {"i32", "mixed"},
          .row_index = [seqlen = seqlen_](
                           std::int64_t r) { return (r / seqlen + 1) * (seqlen + kPadding) - 1; }}},
        // fp32: a sum of seqlen products (in blocks of 64), the scale, rounded to dtype
        {{kDq, fp32_then_rounded(dtype_, static_cast<double>(seqlen_) + 2)}},
        2.0 * static_cast<double>(heads_ * head_dim_ * seqlen_) +
            static_cast<double>(heads_ * d_rounded_ * (seqlen_ + kPadding)) / seqlen_);
  }

  void run(std::span<void* const> t) const override {
    attn_bwd_dq::dq(t[kDq], static_cast<float*>(t[kAccum]), static_cast<const float*>(t[kDs]),
                    t[kK], static_cast<int>(batch_), static_cast<int>(seqlen_),
                    static_cast<int>(heads_), static_cast<int>(head_dim_), scale(),
                    choice_as<attn_bwd_dq::DType>(shape_, "dtype"),
                    choice_as<attn_bwd_dq::Index>(shape_, "index"));
  }

  // token r = b * seqlen + i: dq[r, h, :] = scale * sum_j ds[b, h, i, j] k[b * seqlen + j, h, :]
  void check_row(std::span<const TensorView> t, std::int64_t r,
                 std::span<Comparer> cmp) const override {
    const std::int64_t b = r / seqlen_, i = r % seqlen_;
    Eigen::VectorXd want(heads_ * head_dim_);
    for (std::int64_t h = 0; h < heads_; ++h) {
      Eigen::MatrixXd k(seqlen_, head_dim_);
      for (std::int64_t j = 0; j < seqlen_; ++j)
        k.row(j) = input_vector(kK, ((b * seqlen_ + j) * heads_ + h) * head_dim_, head_dim_);
      const Eigen::VectorXd ds =
          input_vector(kDs, ((b * heads_ + h) * seqlen_ + i) * seqlen_, seqlen_);
      want.segment(h * head_dim_, head_dim_) = static_cast<double>(scale()) * (k.transpose() * ds);
    }
    compare_row(cmp[0], 0, t[kDq], r, want);
  }

 private:
  float scale() const { return 1.0f / std::sqrt(static_cast<float>(head_dim_)); }

  std::int64_t batch_, seqlen_, heads_, head_dim_, d_rounded_;
};

const Registration registration = register_family<Problem>(
    "attn_bwd_dq",
    "attention backward's dQ = scale dS K over a variable-length batch, accumulated in a padded "
    "float32 buffer with atomicAdd, one block per (head, sequence) (CUDA source as written; the "
    "accumulator row offset (q_offset + 128 * bidb) * h * d_rounded in int before the fix: "
    "flash-attention PR 1500)",
    row_keys({integer_key("batch", 1, 65535, "sequences (one block per head of each)"),
              integer_key("seqlen", 1, 1024, "tokens per sequence (queries and keys)"),
              integer_key("heads", 1, 256, "heads", "16"),
              integer_key("head_dim", 1, 256, "head dimension (d_rounded: up to a multiple of 32)",
                          "128")},
             {"bf16", "fp16"}),
    {.small = "batch=3,seqlen=70,heads=2,head_dim=40", .large = "seqlen=1", .grows = "batch"});

}  // namespace
}  // namespace dc::kernels::bwd
