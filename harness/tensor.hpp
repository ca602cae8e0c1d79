// What a kernel's driver declares about each tensor it passes to the kernel.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dc {

enum class DType : std::uint8_t { f32, bf16, f16, i32 };

std::size_t dtype_bytes(DType t);
std::string_view dtype_name(DType t);

enum class Role : std::uint8_t { input, output };

struct Dim {
  std::string name;
  std::int64_t extent;
};

struct TensorSpec {
  std::string name;
  DType dtype;
  Role role;
  std::vector<Dim> dims;  // outermost first, row-major
  // A block touches it in pieces far apart (a grid-stride loop): demand-paged by the page.
  bool scattered = false;

  std::int64_t elements() const;
  std::uint64_t bytes() const {
    return static_cast<std::uint64_t>(elements()) * dtype_bytes(dtype);
  }
  // "chunk=4096,head=3,v=17,k=0" for a flat offset inside the tensor.
  std::string coordinates(std::int64_t flat) const;
};

// Elements start + r * stride + [0, length) of a flat tensor, for r in [0, count): the part
// of an output a verification reads, as few strided runs.
struct ElementRun {
  std::int64_t start = 0, length = 1, stride = 0, count = 1;
  std::int64_t elements() const { return length * count; }
};

// Widens a stored element to double (for checks and the reference).
double load_as_double(DType t, const void* base, std::int64_t index);

}  // namespace dc
