// libFuzzer target: the shape parser alone, on arbitrary bytes. Every input either parses
// (and then prints to a canonical line that parses back to itself) or is rejected with a
// ShapeError that names a key; nothing else may happen.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "harness/problem.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const dc::Shape shape = dc::parse_shape(text);
    const std::string printed = shape.print();
    if (dc::parse_shape(printed).print() != printed) std::abort();  // print is canonical
  } catch (const dc::ShapeError&) {
  }
  return 0;
}
