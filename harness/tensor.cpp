#include "tensor.hpp"

#include <fmt/format.h>

#include "runtime/dtypes.hpp"

namespace dc {

std::size_t dtype_bytes(DType t) {
  switch (t) {
    case DType::bf16:
    case DType::f16:
      return 2;
    case DType::f32:
    case DType::i32:
      return 4;
  }
  return 0;
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32:
      return "fp32";
    case DType::bf16:
      return "bf16";
    case DType::f16:
      return "fp16";
    case DType::i32:
      return "int32";
  }
  return "?";
}

std::int64_t TensorSpec::elements() const {
  std::int64_t n = 1;
  for (const Dim& d : dims) n *= d.extent;
  return n;
}

std::string TensorSpec::coordinates(std::int64_t flat) const {
  std::vector<std::int64_t> idx(dims.size());
  for (std::size_t i = dims.size(); i-- > 0;) {
    idx[i] = flat % dims[i].extent;
    flat /= dims[i].extent;
  }
  std::string out;
  for (std::size_t i = 0; i < dims.size(); ++i)
    out += fmt::format("{}{}={}", i ? "," : "", dims[i].name, idx[i]);
  return out;
}

double load_as_double(DType t, const void* base, std::int64_t index) {
  switch (t) {
    case DType::f32:
      return static_cast<const float*>(base)[index];
    case DType::bf16:
      return static_cast<const bf16*>(base)[index].to_float();
    case DType::f16:
      return static_cast<const fp16*>(base)[index].to_float();
    case DType::i32:
      return static_cast<const std::int32_t*>(base)[index];
  }
  return 0.0;
}

}  // namespace dc
