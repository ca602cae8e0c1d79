#include "amd_buffer.hpp"

#include "simt.hpp"

namespace dc::amd_buffer {

namespace {
Record* g_record = nullptr;
}  // namespace

void use_record(Record* record) {
  g_record = record;
}

bool out_of_range(const void* base, std::uint32_t range, std::uint32_t offset, unsigned bytes) {
  if (std::uint64_t{offset} + bytes <= range) return false;
  Record* r = g_record;
  if (r == nullptr) return false;
  __atomic_fetch_add(&r->loads, 1, __ATOMIC_RELAXED);
  const simt::ThreadPosition* pos = simt::position_if_in_kernel();
  const overflow::Order o{simt::launch_sequence(),
                          pos != nullptr ? simt::linear_position(*pos) : ~std::uint64_t{0}};
  while (__atomic_exchange_n(&r->lock, 1, __ATOMIC_ACQUIRE) != 0) {
  }
  if (r->present == 0 || o < r->order) {
    r->order = o;
    r->address = reinterpret_cast<std::uintptr_t>(base) + offset;
    r->offset = offset;
    r->range = range;
    if (pos != nullptr) {
      r->block[0] = pos->block.x, r->block[1] = pos->block.y, r->block[2] = pos->block.z;
      r->thread[0] = pos->thread.x, r->thread[1] = pos->thread.y, r->thread[2] = pos->thread.z;
    }
    r->present = 1;
  }
  __atomic_store_n(&r->lock, 0, __ATOMIC_RELEASE);
  return r->zero_out_of_range != 0;
}

}  // namespace dc::amd_buffer
