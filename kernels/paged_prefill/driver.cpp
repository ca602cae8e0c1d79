// Driver of paged_prefill (paged_prefill.hip): its keys, tensors, inputs, launch and check.
#include <fmt/format.h>

#include "kernels/rows/row_problem.hpp"
#include "paged_prefill.h"
#include "reference/rows/reference.hpp"

namespace dc::kernels::prefill {
namespace {

enum Tensor : std::size_t { kQ, kK, kV, kIndices, kO };
constexpr int kThreads = 64;  // paged_prefill.hip

class Problem final : public RowProblem {
 public:
  explicit Problem(const Shape& s)
      : RowProblem(s),
        seqs_(s.integer("seqs")),
        seqlen_(s.integer("seqlen")),
        q_heads_(s.integer("q_heads")),
        kv_heads_(s.integer("kv_heads")),
        head_dim_(s.integer("head_dim")),
        pages_(s.integer("pages")),
        kv_start_(s.integer("kv_start")) {
    if (q_heads_ % kv_heads_ != 0) throw ShapeError("kv_heads", "must divide q_heads");
    const std::int64_t tokens = seqs_ * seqlen_;
    const std::vector<Dim> kv{{"page", pages_}, {"kv_head", kv_heads_}, {"d", head_dim_}};
    const std::vector<Dim> qo{{"token", tokens}, {"head", q_heads_}, {"d", head_dim_}};
    set_up({.batches = seqs_,
            .rows_per_batch = seqlen_,
            .width = q_heads_ * head_dim_,
            .column_blocks = q_heads_,
            .threads = kThreads},
           {{{"q", dtype_, Role::input, qo}},
            {{"k", dtype_, Role::input, kv}},
            {{"v", dtype_, Role::input, kv}},
            {{"kv_indices", DType::i32, Role::input, {{"token", tokens}}}},
            {{"o", dtype_, Role::output, qo}}},
           {},
           // fp32: a dot product of head_dim terms, the exponentials, a sum over the window
           {{kO, fp32_then_rounded(dtype_, static_cast<double>(head_dim_ + 2 * seqlen_))}},
           // per token: the window's scores and the weighted sum, every head
           4.0 * static_cast<double>(q_heads_ * head_dim_ * (seqlen_ + 1)));
  }

  // The page table: the tokens' pages in order from kv_start (the published reproducer's),
  // around the cache.
  void fill(std::size_t t, std::int64_t begin, std::int64_t count, void* out) const override {
    if (t != kIndices) return RowProblem::fill(t, begin, count, out);
    auto* o = static_cast<std::int32_t*>(out);
    for (std::int64_t i = 0; i < count; ++i) o[i] = static_cast<std::int32_t>(page(begin + i));
  }

  void run(std::span<void* const> t) const override {
    const paged_prefill::Shape s{.seqs = static_cast<int>(seqs_),
                                 .seqlen = static_cast<int>(seqlen_),
                                 .q_heads = static_cast<int>(q_heads_),
                                 .kv_heads = static_cast<int>(kv_heads_),
                                 .head_dim = static_cast<int>(head_dim_),
                                 .num_pages = static_cast<int>(pages_),
                                 .scale = scale()};
    paged_prefill::prefill(t[kO], t[kQ], t[kK], t[kV],
                           static_cast<const std::int32_t*>(t[kIndices]), s,
                           choice_as<paged_prefill::DType>(shape_, "dtype"),
                           choice_as<paged_prefill::Index>(shape_, "index"));
  }

  // token r attends to the keys 0..t of its sequence, each at its page
  void check_row(std::span<const TensorView> t, std::int64_t r,
                 std::span<Comparer> cmp) const override {
    const std::int64_t first = r - r % seqlen_, window = r % seqlen_ + 1;
    const std::int64_t group = q_heads_ / kv_heads_;
    Eigen::VectorXd want(q_heads_ * head_dim_);
    for (std::int64_t h = 0; h < q_heads_; ++h) {
      Eigen::MatrixXd k(window, head_dim_), v(window, head_dim_);
      for (std::int64_t j = 0; j < window; ++j) {
        const std::int64_t at = (page(first + j) * kv_heads_ + h / group) * head_dim_;
        k.row(j) = input_vector(kK, at, head_dim_).transpose();
        v.row(j) = input_vector(kV, at, head_dim_).transpose();
      }
      want.segment(h * head_dim_, head_dim_) = reference::rows::attention(
          input_vector(kQ, (r * q_heads_ + h) * head_dim_, head_dim_), k, v, scale());
    }
    compare_row(cmp[0], 0, t[kO], r, want);
  }

  // The descriptor's element-space size, before the fix: its page term `(num_pages - 1) *
  // stride_page` in int32, and the resource's range, that size in bytes in the 32-bit
  // num_records field. Either wrapping makes the range too small: pages past it read 0.
  std::vector<IndexProduct> index_products() const override {
    std::vector<IndexProduct> out = RowProblem::index_products();
    const std::int64_t stride = kv_heads_ * head_dim_, bytes = dtype_bytes(dtype_);
    const std::int64_t first_page = first_zero_page(), first_row = first_page - kv_start_;
    const std::string damage = fmt::format(
        "here the range is {} bytes: pages from {} on read 0 under AMD buffer semantics "
        "(--amd-buffers){}",
        range_bytes(), first_page,
        first_row < seqs_ * seqlen_
            ? fmt::format(", first in token {}", std::max<std::int64_t>(first_row, 0))
            : ", none of them in this case's page table");
    // one declared product: its tensor, expression, signedness and value at a page count
    const auto product = [&](const char* tensor, const char* expression, bool is_unsigned,
                             const auto& at) {
      IndexProduct p{.tensor = tensor,
                     .expression = expression,
                     .term = "range",
                     .narrow_in = {"i32"},
                     .max = at(pages_),
                     .is_unsigned = is_unsigned};
      for (const int bits : is_unsigned ? std::vector<int>{32} : std::vector<int>{31, 32}) {
        const std::int64_t limit = std::int64_t{1} << bits;
        if (p.max < limit) continue;
        std::int64_t onset = 1;  // the first page count where it reaches the limit
        for (std::int64_t step = std::int64_t{1} << 32; step > 0; step /= 2)
          if (at(onset + step - 1) < limit) onset += step;
        p.reaches.push_back(
            Reach{.bits = bits,
                  .where = fmt::format("num_pages {} on; {}", onset, damage),
                  .flat = p.max,
                  .output = "o",
                  .output_flat = std::max<std::int64_t>(first_row, 0) * q_heads_ * head_dim_});
      }
      out.push_back(std::move(p));
    };
    for (const char* tensor : {"k", "v"}) {
      product(tensor, "(num_pages - 1) * stride_page", false,
              [&](std::int64_t pages) { return (pages - 1) * stride; });
      product(tensor, "element_space * sizeof(T) (num_records)", true, [&](std::int64_t pages) {
        return (pages * stride + (kv_heads_ - 1) * head_dim_ + head_dim_ - stride) * bytes;
      });
    }
    return out;
  }

 private:
  std::int64_t page(std::int64_t token) const { return (kv_start_ + token) % pages_; }
  float scale() const { return 1.0f / std::sqrt(static_cast<float>(head_dim_)); }

  // The i32 variant's resource range: the element-space size with its page term wrapped to
  // int32, in bytes, in the 32-bit num_records field.
  std::uint32_t range_bytes() const {
    const auto space =
        1 +
        static_cast<std::int64_t>(static_cast<std::int32_t>((pages_ - 1) * kv_heads_ * head_dim_)) +
        (kv_heads_ - 1) * head_dim_ + head_dim_ - 1;
    return static_cast<std::uint32_t>(space * static_cast<std::int64_t>(dtype_bytes(dtype_)));
  }
  // The first page not wholly inside that range.
  std::int64_t first_zero_page() const {
    return static_cast<std::int64_t>(range_bytes() / dtype_bytes(dtype_)) / (kv_heads_ * head_dim_);
  }

  // k and v are not per token: their coordinates alone
  std::string locate(std::size_t tensor, std::int64_t flat) const override {
    if (tensor == kK || tensor == kV) return tensors()[tensor].coordinates(flat);
    return RowProblem::locate(tensor, flat);
  }

  std::int64_t seqs_, seqlen_, q_heads_, kv_heads_, head_dim_, pages_, kv_start_;
};

KeyTable keys() {
  KeyTable k = row_keys(
      {integer_key("seqs", 1, 65535, "sequences (a prefill batch)"),
       integer_key("seqlen", 1, 1024, "tokens per sequence: queries and keys alike (causal)"),
       integer_key("q_heads", 1, 128, "query heads", "16"),
       integer_key("kv_heads", 1, 128, "KV heads (divides q_heads)", "8"),
       integer_key("head_dim", 1, 256, "head dimension", "64"),
       integer_key("pages", 1, 0x7fffffff, "pages of the KV cache (page block size 1)"),
       integer_key("kv_start", 0, 0x7fffffff,
                   "the first page of the page table (token i at page (kv_start + i) mod pages)",
                   "0")},
      {"bf16", "fp16"});
  for (KeySpec& spec : k)
    if (spec.name == "index") {
      spec.choices = {"i64", "i32"};
      spec.help =
          "how K and V are reached: i64 a buffer resource rebased onto each page (the fix); i32 "
          "one resource over the pool, its range the element-space size with int32 products "
          "(composable_kernel issue 3722)";
    }
  return k;
}

const Registration registration = register_family<Problem>(
    "paged_prefill",
    "prefill attention over a paged KV cache read by AMD buffer loads (HIP source as written; "
    "the buffer range from an element-space size with int32 products before the fix: "
    "composable_kernel issue 3722, aiter issue 2517)",
    keys(),
    {.small = "seqs=3,seqlen=9,q_heads=4,kv_heads=2,head_dim=16,pages=64,kv_start=5",
     .large = "seqs=1,seqlen=8,q_heads=2,kv_heads=1,head_dim=48",
     .grows = "pages",
     .amd_buffers = true});

}  // namespace
}  // namespace dc::kernels::prefill
