// The handlers clang's integer checks call (the ABI of compiler-rt's ubsan_handlers.h: the
// static data the compiler emits for each check, and each operand as a "value handle", the
// integer itself when it fits in a pointer). This file is never compiled with the checks.
#include "runtime/overflow_check.hpp"

#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "runtime/simt.hpp"

namespace dc::overflow {
namespace {

Record* g_record = nullptr;

struct SourceLocation {
  const char* file;
  std::uint32_t line, column;
};
struct TypeDescriptor {
  std::uint16_t kind;  // 0: integer
  std::uint16_t info;  // integers: log2(bit width) << 1 | signed
  char name[1];        // NUL-terminated, as the source spelled it ("'unsigned int'")
};
struct OverflowData {
  SourceLocation location;
  const TypeDescriptor* type;
};
struct ImplicitConversionData {
  SourceLocation location;
  const TypeDescriptor* from;
  const TypeDescriptor* to;
  unsigned char kind;  // 1, 2: truncation (unsigned, signed); 3: sign change; 4: both
};
using ValueHandle = std::uintptr_t;

struct Integer {
  unsigned bits = 0;
  bool is_signed = false;
  const char* name = "";
};

Integer integer(const TypeDescriptor* t) {
  if (t == nullptr || t->kind != 0) return {};
  return {1u << (t->info >> 1), (t->info & 1) != 0, t->name};
}

// The operand's value, exactly (up to 128 bits).
__int128 value(const Integer& t, ValueHandle h) {
  if (t.bits > 64) {
    // larger integers are passed by address
    const auto* p =
        reinterpret_cast<const unsigned __int128*>(h);  // NOLINT(performance-no-int-to-ptr)
    return static_cast<__int128>(*p);
  }
  const auto raw = static_cast<std::uint64_t>(h);
  const unsigned extra = 64 - t.bits;
  if (t.is_signed) return static_cast<std::int64_t>(raw << extra) >> extra;
  return t.bits == 64 ? raw : raw & ((std::uint64_t{1} << t.bits) - 1);
}

std::string text(__int128 x) {
  if (x >= std::numeric_limits<std::int64_t>::min() &&
      x <= std::numeric_limits<std::int64_t>::max())
    return std::to_string(static_cast<std::int64_t>(x));
  const bool negative = x < 0;
  auto u =
      negative ? static_cast<unsigned __int128>(-(x + 1)) + 1 : static_cast<unsigned __int128>(x);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  } while (u != 0);
  return negative ? "-" + digits : digits;
}

// What `x` becomes in `t`: its low bits, read as t reads them.
__int128 wrapped(const Integer& t, __int128 x) {
  if (t.bits >= 128) return x;
  const auto low =
      static_cast<unsigned __int128>(x) & ((static_cast<unsigned __int128>(1) << t.bits) - 1);
  if (t.is_signed && (low >> (t.bits - 1)) != 0)
    return static_cast<__int128>(low) - (static_cast<__int128>(1) << t.bits);
  return static_cast<__int128>(low);
}

std::string describe(const Integer& t) {
  return fmt::format("{} {}-bit", t.is_signed ? "signed" : "unsigned", t.bits);
}

Order current_order() {
  const simt::ThreadPosition* pos = simt::position_if_in_kernel();
  if (pos == nullptr) return {simt::launch_sequence(), std::numeric_limits<std::uint64_t>::max()};
  return {simt::launch_sequence(), simt::linear_position(*pos)};
}

bool earlier_than_first(const Record& r, const Order& o) {
  return __atomic_load_n(&r.present, __ATOMIC_ACQUIRE) == 0 ||
         o < Order{__atomic_load_n(&r.first.order.launch, __ATOMIC_RELAXED),
                   __atomic_load_n(&r.first.order.position, __ATOMIC_RELAXED)};
}

// `type`: the type that could not hold the value (the operation's, or the conversion's target).
template <class Describe>
[[maybe_unused]] void record(const SourceLocation& where, const TypeDescriptor* type,
                             Describe&& what) {
  Record* r = g_record;
  if (r == nullptr || r->enabled == 0) return;
  __atomic_fetch_add(&r->events, 1, __ATOMIC_RELAXED);
  const Order o = current_order();
  if (!earlier_than_first(*r, o)) return;  // most events: a later one than the first
  while (__atomic_exchange_n(&r->lock, 1, __ATOMIC_ACQUIRE) != 0) {
  }
  if (r->present == 0 || o < r->first.order) {
    Event& e = r->first;
    __atomic_store_n(&e.order.launch, o.launch, __ATOMIC_RELAXED);
    __atomic_store_n(&e.order.position, o.position, __ATOMIC_RELAXED);
    std::snprintf(e.file, sizeof e.file, "%s", where.file != nullptr ? where.file : "?");
    e.line = where.line;
    e.column = where.column;
    std::snprintf(e.what, sizeof e.what, "%s", what().c_str());
    e.wraps_unsigned = integer(type).is_signed ? 0 : 1;
    const simt::ThreadPosition* pos = simt::position_if_in_kernel();
    e.in_kernel = pos != nullptr ? 1 : 0;
    if (pos != nullptr) {
      e.block[0] = pos->block.x, e.block[1] = pos->block.y, e.block[2] = pos->block.z;
      e.thread[0] = pos->thread.x, e.thread[1] = pos->thread.y, e.thread[2] = pos->thread.z;
    }
    __atomic_store_n(&r->present, 1, __ATOMIC_RELEASE);
  }
  __atomic_store_n(&r->lock, 0, __ATOMIC_RELEASE);
}

[[maybe_unused]] void arithmetic(const OverflowData* d, const char* operation, char symbol,
                                 ValueHandle a, ValueHandle b) {
  record(d->location, d->type, [&] {
    const Integer t = integer(d->type);
    const __int128 x = value(t, a), y = value(t, b);
    __int128 exact = 0;
    bool known = t.bits < 128;
    switch (symbol) {
      case '+':
        exact = x + y;
        break;
      case '-':
        exact = x - y;
        break;
      case '*':
        known = known && t.bits <= 64;
        exact = x * y;
        break;
      default:  // '/', '%': the one signed overflow, minimum / -1
        exact = -x;
        break;
    }
    if (!known)
      return fmt::format("{} {} {} {} {} (type {})", describe(t), operation, text(x), symbol,
                         text(y), t.name);
    return fmt::format("{} {} {} {} {} = {}, wraps to {} (type {})", describe(t), operation,
                       text(x), symbol, text(y), text(exact), text(wrapped(t, exact)), t.name);
  });
}

}  // namespace

void use_record(Record* record) {
  g_record = record;
}

Record* current_record() {
  return g_record;
}

bool compiled_in() {
#if defined(DIFFCHECK_OVERFLOW_CHECK)
  return true;
#else
  return false;
#endif
}

}  // namespace dc::overflow

// The entry points, with the names and arguments the compiler's checks call (recoverable
// checks: the computation goes on with the wrapped value).
#if defined(DIFFCHECK_OVERFLOW_CHECK)
using dc::overflow::ImplicitConversionData;
using dc::overflow::OverflowData;
using dc::overflow::ValueHandle;

// NOLINTBEGIN(bugprone-reserved-identifier): the names the compiler's checks call
extern "C" {

void __ubsan_handle_add_overflow(OverflowData* d, ValueHandle a, ValueHandle b) {
  dc::overflow::arithmetic(d, "sum", '+', a, b);
}
void __ubsan_handle_sub_overflow(OverflowData* d, ValueHandle a, ValueHandle b) {
  dc::overflow::arithmetic(d, "difference", '-', a, b);
}
void __ubsan_handle_mul_overflow(OverflowData* d, ValueHandle a, ValueHandle b) {
  dc::overflow::arithmetic(d, "product", '*', a, b);
}
void __ubsan_handle_divrem_overflow(OverflowData* d, ValueHandle a, ValueHandle b) {
  dc::overflow::arithmetic(d, "quotient", '/', a, b);
}
void __ubsan_handle_negate_overflow(OverflowData* d, ValueHandle a) {
  dc::overflow::record(d->location, d->type, [&] {
    const dc::overflow::Integer t = dc::overflow::integer(d->type);
    const __int128 x = dc::overflow::value(t, a);
    return fmt::format("{} negation of {} = {}, wraps to {} (type {})", dc::overflow::describe(t),
                       dc::overflow::text(x), dc::overflow::text(-x),
                       dc::overflow::text(dc::overflow::wrapped(t, -x)), t.name);
  });
}
void __ubsan_handle_implicit_conversion(ImplicitConversionData* d, ValueHandle from,
                                        ValueHandle to) {
  dc::overflow::record(d->location, d->to, [&] {
    const dc::overflow::Integer f = dc::overflow::integer(d->from),
                                t = dc::overflow::integer(d->to);
    const char* change = d->kind == 3   ? "changes sign"
                         : d->kind == 4 ? "is truncated and changes sign"
                                        : "is truncated";
    return fmt::format("implicit conversion of {} from {} ({}) to {} ({}) {}: {}",
                       dc::overflow::text(dc::overflow::value(f, from)), f.name,
                       dc::overflow::describe(f), t.name, dc::overflow::describe(t), change,
                       dc::overflow::text(dc::overflow::value(t, to)));
  });
}

}  // extern "C"
// NOLINTEND(bugprone-reserved-identifier)
#endif  // DIFFCHECK_OVERFLOW_CHECK
