// Driver of paged_kv_gather (paged_kv_gather.cu): its keys, tensors, inputs, launch and check.
#include "kernels/rows/row_problem.hpp"
#include "paged_kv_gather.h"

namespace dc::kernels::paged {
namespace {

enum Tensor : std::size_t { kCkv, kIndices, kOut };

class Problem final : public RowProblem {
 public:
  explicit Problem(const Shape& s)
      : RowProblem(s),
        tokens_(s.integer("tokens")),
        pages_(s.integer("pages")),
        page_size_(s.integer("page_size")),
        rank_(s.integer("rank")) {
    if (page_size_ * rank_ > 0xffffffff)
      throw ShapeError("rank", "page_size * rank (the page stride) must fit in 32 bits");
    set_up({.rows_per_batch = tokens_, .width = rank_, .threads = 128},
           {{{"ckv", dtype_, Role::input, {{"page", pages_}, {"slot", page_size_}, {"c", rank_}}}},
            {{"indices", DType::i32, Role::input, {{"token", tokens_}}}, 0, 0, pages_},
            {{"out", dtype_, Role::output, {{"token", tokens_}, {"c", rank_}}}}},
           {{"ckv",
             "indices[q] * ckv_stride_page",
             page_size_ * rank_,
             true,
             {"i32", "mixed"},
             "indices"}},
           {{kOut, {0, 0}}},  // a copy: exact
           2.0 * static_cast<double>(rank_));
  }

  void run(std::span<void* const> t) const override {
    paged_kv_gather::gather(t[kOut], t[kCkv], static_cast<const std::int32_t*>(t[kIndices]),
                            static_cast<int>(tokens_), static_cast<int>(page_size_),
                            static_cast<int>(rank_),
                            choice_as<paged_kv_gather::DType>(shape_, "dtype"),
                            choice_as<paged_kv_gather::Index>(shape_, "index"));
  }

  // the row the page table names: page indices[q], slot q % page_size
  void check_row(std::span<const TensorView> t, std::int64_t q,
                 std::span<Comparer> cmp) const override {
    const auto page = static_cast<std::int64_t>(input(kIndices, q, 1)[0]);
    compare_row(cmp[0], 0, t[kOut], q,
                input_vector(kCkv, (page * page_size_ + q % page_size_) * rank_, rank_));
  }

 private:
  std::int64_t tokens_, pages_, page_size_, rank_;
};

const Registration registration = register_family<Problem>(
    "paged_kv_gather",
    "paged KV-cache gather (MLA decode read), one block per query (CUDA source as written; the "
    "page offset indices[q] * ckv_stride_page in unsigned 32 bits before the fix: FlashInfer "
    "PR 3136)",
    row_keys(
        {integer_key("tokens", 1, 65536, "queries (one block each)"),
         integer_key("pages", 1, 0x7fffffff, "pages in the cache (page table values below it)"),
         integer_key("page_size", 1, 1024, "tokens per page", "32"),
         integer_key("rank", 1, 4096, "kv_lora_rank: elements per token", "512")}),
    {.small = "tokens=40,pages=64,page_size=4,rank=48", .large = "tokens=16", .grows = "pages"});

}  // namespace
}  // namespace dc::kernels::paged
