// CUB's and hipCUB's block and warp primitives on the CPU backend: BlockReduce, WarpReduce,
// BlockScan, WarpScan, BlockLoad and BlockStore with their TempStorage, and the direct
// load/store functions. Integer results equal the libraries'. Float results follow the
// libraries' order where it is stated here:
//  - WarpReduce: CUB's shuffle tree (offsets 1, 2, 4, ...; lane l takes l + offset), bit for
//    bit, on the emulated warp shuffles;
//  - BlockReduce: that tree in every warp, then the warp totals in warp order (CUB's
//    BLOCK_REDUCE_WARP_REDUCTIONS, its default) or by the same tree over warps (rocPRIM, under
//    hipCUB). CUB's RAKING algorithms add in another order: within the reduction's error bound;
//  - WarpScan: CUB's shuffle-up scan, bit for bit; exclusive scans shift the inclusive one;
//  - BlockScan: left to right (CUB's default raking scan adds in another order).
#pragma once

#include <functional>
#include <type_traits>

#include "warp.hpp"

namespace dc::simt::cub_impl {

enum BlockReduceAlgorithm {
  BLOCK_REDUCE_RAKING_COMMUTATIVE_ONLY,
  BLOCK_REDUCE_RAKING,
  BLOCK_REDUCE_WARP_REDUCTIONS,
};
enum BlockScanAlgorithm { BLOCK_SCAN_RAKING, BLOCK_SCAN_RAKING_MEMOIZE, BLOCK_SCAN_WARP_SCANS };
enum BlockLoadAlgorithm {
  BLOCK_LOAD_DIRECT,
  BLOCK_LOAD_STRIPED,
  BLOCK_LOAD_VECTORIZE,
  BLOCK_LOAD_TRANSPOSE,
  BLOCK_LOAD_WARP_TRANSPOSE,
  BLOCK_LOAD_WARP_TRANSPOSE_TIMESLICED,
};
enum BlockStoreAlgorithm {
  BLOCK_STORE_DIRECT,
  BLOCK_STORE_STRIPED,
  BLOCK_STORE_VECTORIZE,
  BLOCK_STORE_TRANSPOSE,
  BLOCK_STORE_WARP_TRANSPOSE,
  BLOCK_STORE_WARP_TRANSPOSE_TIMESLICED,
};

struct Sum {
  template <class T>
  T operator()(const T& a, const T& b) const {
    return a + b;
  }
};
struct Max {
  template <class T>
  T operator()(const T& a, const T& b) const {
    return a < b ? b : a;
  }
};
struct Min {
  template <class T>
  T operator()(const T& a, const T& b) const {
    return b < a ? b : a;
  }
};

// The lane-0 result of the shuffle tree over v[0, count): step `offset` gives lane l
// op(v[l], v[l + offset]) where l + offset < count.
template <class T, class Op>
T tree(T* v, int count, int width, Op op) {
  for (int offset = 1; offset < width; offset *= 2)
    for (int l = 0; l + offset < count; l += 2 * offset) v[l] = op(v[l], v[l + offset]);
  return v[0];
}

// kWarp lanes per warp; kTreeOverWarps: warp totals combined by the tree (rocPRIM) or in order.
template <class T, int kThreads, int kWarp, bool kTreeOverWarps>
class BlockReduce {
 public:
  struct TempStorage {
    T values[kThreads];
  };
  explicit BlockReduce(TempStorage& storage) : s_(storage) {}

  T Sum(T x) { return Reduce(x, std::plus<>{}); }
  T Sum(T x, int valid) { return Reduce(x, std::plus<>{}, valid); }
  template <int N>
  T Sum(T (&items)[N]) {
    return Reduce(items, std::plus<>{});
  }
  template <class Op>
  T Reduce(T x, Op op) {
    return Reduce(x, op, kThreads);
  }
  template <int N, class Op>
  T Reduce(T (&items)[N], Op op) {
    T x = items[0];
    for (int i = 1; i < N; ++i) x = op(x, items[i]);
    return Reduce(x, op, kThreads);
  }
  // The block's total in thread 0 (the other threads' results are undefined, as in CUB).
  template <class Op>
  T Reduce(T x, Op op, int valid) {
    const unsigned tid = linear_thread();
    s_.values[tid] = x;
    __syncthreads();
    if (tid != 0) return x;
    constexpr int kWarps = (kThreads + kWarp - 1) / kWarp;
    T totals[kWarps] = {};
    int warps = 0;
    for (int w = 0; w * kWarp < valid; ++w, ++warps) {
      T lanes[kWarp] = {};
      const int count = valid - w * kWarp < kWarp ? valid - w * kWarp : kWarp;
      for (int l = 0; l < count; ++l) lanes[l] = s_.values[w * kWarp + l];
      totals[w] = tree(lanes, count, kWarp, op);
    }
    if constexpr (kTreeOverWarps) return tree(totals, warps, kWarp, op);
    T total = totals[0];
    for (int w = 1; w < warps; ++w) total = op(total, totals[w]);
    return total;
  }

 private:
  TempStorage& s_;
};

template <class T, int kLogical>
class WarpReduce {
 public:
  struct TempStorage {};
  explicit WarpReduce(TempStorage& /*storage*/) {}

  T Sum(T x) { return Reduce(x, std::plus<>{}); }
  T Sum(T x, int valid) { return Reduce(x, std::plus<>{}, valid); }
  template <class Op>
  T Reduce(T x, Op op) {
    return Reduce(x, op, kLogical);
  }
  // The logical warp's total in its first lane.
  template <class Op>
  T Reduce(T x, Op op, int valid) {
    const unsigned lane = lane_id() % kLogical;
    for (int offset = 1; offset < kLogical; offset *= 2) {
      const T y = __shfl_down_sync(member_mask(), x, offset, kLogical);
      if (static_cast<int>(lane) + offset < valid) x = op(x, y);
    }
    return x;
  }

  static std::uint64_t member_mask() { return logical_warp_mask(kLogical); }
};

template <class T, int kLogical>
class WarpScan {
 public:
  struct TempStorage {};
  explicit WarpScan(TempStorage& /*storage*/) {}

  void InclusiveSum(T x, T& out) { InclusiveScan(x, out, std::plus<>{}); }
  void InclusiveSum(T x, T& out, T& aggregate) { InclusiveScan(x, out, std::plus<>{}, aggregate); }
  void ExclusiveSum(T x, T& out) { ExclusiveScan(x, out, T{}, std::plus<>{}); }
  void ExclusiveSum(T x, T& out, T& aggregate) {
    ExclusiveScan(x, out, T{}, std::plus<>{}, aggregate);
  }
  template <class Op>
  void InclusiveScan(T x, T& out, Op op) {
    const unsigned lane = lane_id() % kLogical;
    for (int offset = 1; offset < kLogical; offset *= 2) {
      const T y = __shfl_up_sync(logical_warp_mask(kLogical), x, offset, kLogical);
      if (static_cast<int>(lane) >= offset) x = op(y, x);
    }
    out = x;
  }
  template <class Op>
  void InclusiveScan(T x, T& out, Op op, T& aggregate) {
    InclusiveScan(x, out, op);
    aggregate = __shfl_sync(logical_warp_mask(kLogical), out, kLogical - 1, kLogical);
  }
  template <class Op>
  void ExclusiveScan(T x, T& out, T init, Op op) {
    T aggregate;
    ExclusiveScan(x, out, init, op, aggregate);
  }
  template <class Op>
  void ExclusiveScan(T x, T& out, T init, Op op, T& aggregate) {
    T inclusive;
    InclusiveScan(x, inclusive, op, aggregate);
    const T shifted = __shfl_up_sync(logical_warp_mask(kLogical), inclusive, 1, kLogical);
    out = lane_id() % kLogical == 0 ? init : op(init, shifted);
  }
};

template <class T, int kThreads>
class BlockScan {
 public:
  struct TempStorage {
    T values[kThreads];
  };
  explicit BlockScan(TempStorage& storage) : s_(storage) {}

  void InclusiveSum(T x, T& out) { InclusiveScan(x, out, std::plus<>{}); }
  void ExclusiveSum(T x, T& out) { ExclusiveScan(x, out, T{}, std::plus<>{}); }
  void ExclusiveSum(T x, T& out, T& aggregate) {
    ExclusiveScan(x, out, T{}, std::plus<>{}, aggregate);
  }
  template <int N>
  void InclusiveSum(T (&in)[N], T (&out)[N]) {
    T exclusive[N];
    ExclusiveSum(in, exclusive);
    for (int i = 0; i < N; ++i) out[i] = exclusive[i] + in[i];
  }
  template <int N>
  void ExclusiveSum(T (&in)[N], T (&out)[N]) {
    T total = in[0];
    for (int i = 1; i < N; ++i) total = total + in[i];
    T run;
    ExclusiveSum(total, run);
    for (int i = 0; i < N; ++i) {
      out[i] = run;
      run = run + in[i];
    }
  }
  template <class Op>
  void InclusiveScan(T x, T& out, Op op) {
    const unsigned tid = publish(x);
    T run = s_.values[0];
    for (unsigned i = 1; i <= tid; ++i) run = op(run, s_.values[i]);
    out = run;
    __syncthreads();
  }
  template <class Op>
  void ExclusiveScan(T x, T& out, T init, Op op) {
    T aggregate;
    ExclusiveScan(x, out, init, op, aggregate);
  }
  template <class Op>
  void ExclusiveScan(T x, T& out, T init, Op op, T& aggregate) {
    const unsigned tid = publish(x);
    T run = init;
    for (unsigned i = 0; i < tid; ++i) run = op(run, s_.values[i]);
    out = run;
    aggregate = s_.values[0];
    for (unsigned i = 1; i < kThreads; ++i) aggregate = op(aggregate, s_.values[i]);
    __syncthreads();
  }

 private:
  unsigned publish(T x) {
    const unsigned tid = linear_thread();
    s_.values[tid] = x;
    __syncthreads();
    return tid;
  }
  TempStorage& s_;
};

// Blocked: thread t owns items [t * N, t * N + N); striped: item i of thread t is at
// i * kThreads + t. Only items below `valid` are read or written.
template <class T, int N, class It>
void LoadDirectBlocked(int tid, It in, T (&items)[N], int valid = 1 << 30, T fill = T{},
                       bool use_fill = false) {
  for (int i = 0; i < N; ++i)
    if (tid * N + i < valid)
      items[i] = in[tid * N + i];
    else if (use_fill)
      items[i] = fill;
}
template <int kThreads, class T, int N, class It>
void LoadDirectStriped(int tid, It in, T (&items)[N], int valid = 1 << 30, T fill = T{},
                       bool use_fill = false) {
  for (int i = 0; i < N; ++i)
    if (i * kThreads + tid < valid)
      items[i] = in[i * kThreads + tid];
    else if (use_fill)
      items[i] = fill;
}
template <class T, int N, class It>
void StoreDirectBlocked(int tid, It out, T (&items)[N], int valid = 1 << 30) {
  for (int i = 0; i < N; ++i)
    if (tid * N + i < valid) out[tid * N + i] = items[i];
}
template <int kThreads, class T, int N, class It>
void StoreDirectStriped(int tid, It out, T (&items)[N], int valid = 1 << 30) {
  for (int i = 0; i < N; ++i)
    if (i * kThreads + tid < valid) out[i * kThreads + tid] = items[i];
}
template <class T, int N>
void LoadDirectBlockedVectorized(int tid, const T* in, T (&items)[N]) {
  LoadDirectBlocked(tid, in, items);
}
template <class T, int N>
void StoreDirectBlockedVectorized(int tid, T* out, T (&items)[N]) {
  StoreDirectBlocked(tid, out, items);
}

template <class T, int kThreads, int N, BlockLoadAlgorithm kAlgorithm>
class BlockLoad {
 public:
  struct TempStorage {};
  BlockLoad() = default;
  explicit BlockLoad(TempStorage& /*storage*/) {}
  template <class It>
  void Load(It in, T (&items)[N]) {
    load(in, items, 1 << 30, T{}, false);
  }
  template <class It>
  void Load(It in, T (&items)[N], int valid) {
    load(in, items, valid, T{}, false);
  }
  template <class It, class D>
  void Load(It in, T (&items)[N], int valid, D fill) {
    load(in, items, valid, static_cast<T>(fill), true);
  }

 private:
  template <class It>
  void load(It in, T (&items)[N], int valid, T fill, bool use_fill) {
    const int tid = static_cast<int>(linear_thread());
    if constexpr (kAlgorithm == BLOCK_LOAD_STRIPED)
      LoadDirectStriped<kThreads>(tid, in, items, valid, fill, use_fill);
    else
      LoadDirectBlocked(tid, in, items, valid, fill, use_fill);
  }
};

template <class T, int kThreads, int N, BlockStoreAlgorithm kAlgorithm>
class BlockStore {
 public:
  struct TempStorage {};
  BlockStore() = default;
  explicit BlockStore(TempStorage& /*storage*/) {}
  template <class It>
  void Store(It out, T (&items)[N], int valid = 1 << 30) {
    const int tid = static_cast<int>(linear_thread());
    if constexpr (kAlgorithm == BLOCK_STORE_STRIPED)
      StoreDirectStriped<kThreads>(tid, out, items, valid);
    else
      StoreDirectBlocked(tid, out, items, valid);
  }
};

}  // namespace dc::simt::cub_impl

// CUB's and hipCUB's names for them; `kWarp` is the library's warp: 32 lanes (CUB), 64 (hipCUB
// on AMD, whose block reduction combines warp totals by the tree).
#define DC_CUB_NAMESPACE(ns, kWarp, kTreeOverWarps)                                                \
  namespace ns {                                                                                   \
  using namespace ::dc::simt::cub_impl; /* NOLINT(google-build-using-namespace) */                 \
  template <class T, int X, BlockReduceAlgorithm A = BLOCK_REDUCE_WARP_REDUCTIONS, int Y = 1,      \
            int Z = 1, int ARCH = 0>                                                               \
  using BlockReduce = ::dc::simt::cub_impl::BlockReduce<T, X * Y * Z, kWarp, kTreeOverWarps>;      \
  template <class T, int LOGICAL = kWarp, int ARCH = 0>                                            \
  using WarpReduce = ::dc::simt::cub_impl::WarpReduce<T, LOGICAL>;                                 \
  template <class T, int LOGICAL = kWarp, int ARCH = 0>                                            \
  using WarpScan = ::dc::simt::cub_impl::WarpScan<T, LOGICAL>;                                     \
  template <class T, int X, BlockScanAlgorithm A = BLOCK_SCAN_RAKING, int Y = 1, int Z = 1,        \
            int ARCH = 0>                                                                          \
  using BlockScan = ::dc::simt::cub_impl::BlockScan<T, X * Y * Z>;                                 \
  template <class T, int X, int N, BlockLoadAlgorithm A = BLOCK_LOAD_DIRECT, int Y = 1, int Z = 1, \
            int ARCH = 0>                                                                          \
  using BlockLoad = ::dc::simt::cub_impl::BlockLoad<T, X * Y * Z, N, A>;                           \
  template <class T, int X, int N, BlockStoreAlgorithm A = BLOCK_STORE_DIRECT, int Y = 1,          \
            int Z = 1, int ARCH = 0>                                                               \
  using BlockStore = ::dc::simt::cub_impl::BlockStore<T, X * Y * Z, N, A>;                         \
  }
