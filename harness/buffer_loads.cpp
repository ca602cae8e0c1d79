#include "buffer_loads.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace dc {

namespace {

// Where `address` lies among the case's tensors, and what a global load does there.
std::string elsewhere(std::uintptr_t address, const FaultRecord* fault, const Problem& problem) {
  if (fault == nullptr) return "Where it points is not known (the case ran in the harness).";
  const std::vector<TensorSpec> specs = problem.tensors();
  for (int i = 0; i < fault->range_count; ++i) {
    const GuardRange& g = fault->ranges[i];
    if (address < g.reservation_begin || address >= g.reservation_end) continue;
    const auto spec = std::find_if(specs.begin(), specs.end(), [&](const TensorSpec& s) {
      return std::strncmp(s.name.c_str(), g.name, sizeof g.name) == 0;
    });
    if (address >= g.data_begin && address < g.data_end) {
      const auto flat = static_cast<std::int64_t>((address - g.data_begin) / g.element_bytes);
      const std::string where =
          spec == specs.end()
              ? fmt::format("element {}", flat)
              : problem.locate(static_cast<std::size_t>(spec - specs.begin()), flat);
      return fmt::format(
          "The address is inside {} ({}): a global load (an NVIDIA GPU, the CPU backend "
          "without --amd-buffers) reads the right value there; only an AMD buffer load reads 0",
          g.name, where);
    }
    return fmt::format(
        "The address is {} bytes {} {}: a global load there faults (the CPU backend's guard)",
        address < g.data_begin ? g.data_begin - address : address - g.data_end + 1,
        address < g.data_begin ? "before" : "past the end of", g.name);
  }
  return "The address is outside every tensor: a global load there faults";
}

}  // namespace

void add_buffer_loads(Verdict& v, const amd_buffer::Record& record, const FaultRecord* fault,
                      const Problem& problem) {
  if (record.present == 0) return;
  const std::string position =
      record.order.position == ~std::uint64_t{0}
          ? "host code"
          : fmt::format("block ({},{},{}) thread ({},{},{})", record.block[0], record.block[1],
                        record.block[2], record.thread[0], record.thread[1], record.thread[2]);
  v.buffer_loads = BufferLoads{.count = record.loads,
                               .read_zero = record.zero_out_of_range != 0,
                               .first = fmt::format("byte offset {} of a resource of {} bytes, {}",
                                                    record.offset, record.range, position),
                               .elsewhere = elsewhere(record.address, fault, problem)};
}

}  // namespace dc
