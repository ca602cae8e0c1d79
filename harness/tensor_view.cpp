#include "tensor_view.hpp"

#include <array>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace dc {

TensorView::TensorView(DType dtype, std::vector<ElementRun> runs, std::vector<std::byte> packed)
    : dtype_(dtype) {
  auto p = std::make_shared<Packed>();
  p->first.push_back(0);
  for (const ElementRun& r : runs) p->first.push_back(p->first.back() + r.elements());
  if (static_cast<std::uint64_t>(p->first.back()) * dtype_bytes(dtype) != packed.size())
    throw std::invalid_argument(
        fmt::format("TensorView: {} packed bytes for {} elements", packed.size(), p->first.back()));
  p->runs = std::move(runs);
  p->values = std::move(packed);
  packed_ = std::move(p);
}

std::int64_t TensorView::packed_index(std::int64_t flat) const {
  const Packed& p = *packed_;
  const auto in_run = [&](std::size_t r) -> std::int64_t {
    const ElementRun& run = p.runs[r];
    const std::int64_t from_start = flat - run.start;
    if (from_start < 0) return -1;
    const std::int64_t row = run.stride == 0 ? 0 : from_start / run.stride;
    const std::int64_t col = from_start - row * run.stride;
    if (row >= run.count || col >= run.length) return -1;
    return p.first[r] + row * run.length + col;
  };
  // the calling thread's last hit in this view (a few views at once: a verification reads
  // several outputs in turn); a hint only, checked before use
  struct Hit {
    const Packed* view = nullptr;
    std::size_t run = 0;
  };
  thread_local std::array<Hit, 8> hits{};
  Hit& hit = hits[(reinterpret_cast<std::uintptr_t>(&p) >> 6) % hits.size()];
  if (hit.view == &p && hit.run < p.runs.size())
    if (const std::int64_t at = in_run(hit.run); at >= 0) return at;
  for (std::size_t r = 0; r < p.runs.size(); ++r)
    if (const std::int64_t at = in_run(r); at >= 0) {
      hit = {&p, r};
      return at;
    }
  return -1;
}

double TensorView::operator()(std::int64_t flat) const {
  if (packed_ == nullptr) return load_as_double(dtype_, base_, flat);
  const std::int64_t at = packed_index(flat);
  if (at < 0)
    throw std::out_of_range(
        fmt::format("element {} is not among the elements copied back for verification", flat));
  return load_as_double(dtype_, packed_->values.data(), at);
}

const void* TensorView::address(std::int64_t flat) const {
  if (base_ == nullptr && packed_ == nullptr) return nullptr;
  const std::byte* base = static_cast<const std::byte*>(base_);
  std::int64_t at = flat;
  if (packed_ != nullptr) {
    base = packed_->values.data();
    at = packed_index(flat);
    if (at < 0) return nullptr;
  }
  return base + at * static_cast<std::int64_t>(dtype_bytes(dtype_));
}

}  // namespace dc
