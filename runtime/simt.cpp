#include "simt.hpp"

#include <link.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <boost/context/fiber.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace dc::simt {
namespace ctx = boost::context;

namespace {

// The kernels' `__shared__` arrays are `thread_local` (every instantiation of every kernel
// compiled for the CPU backend: megabytes of static TLS), and glibc carves a thread's static
// TLS block out of its stack. Every thread the process creates gets the default stack size
// plus that block, so that no worker starts with its stack already spent.
int tls_bytes(dl_phdr_info* info, std::size_t, void* total) {
  for (int i = 0; i < info->dlpi_phnum; ++i)
    if (info->dlpi_phdr[i].p_type == PT_TLS)
      *static_cast<std::size_t*>(total) += info->dlpi_phdr[i].p_memsz;
  return 0;
}

const bool stacks_hold_tls = [] {
  std::size_t tls = 0;
  dl_iterate_phdr(tls_bytes, &tls);
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return false;
  std::size_t stack = 0;
  pthread_attr_getstacksize(&attr, &stack);
  const bool set =
      pthread_attr_setstacksize(&attr, stack + tls) == 0 && pthread_setattr_default_np(&attr) == 0;
  pthread_attr_destroy(&attr);
  return set;
}();

constexpr std::uint64_t kDone = ~std::uint64_t{0};
constexpr std::uint64_t kParked = kDone - 1;  // a worker parked by the fault handler
const std::size_t kPage = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));

// What a thread of a block is doing while the scheduler runs.
enum class Wait : std::uint8_t { running, barrier, warp, done };

struct Lane {
  Wait wait = Wait::running;
  WarpRequest request;  // Wait::warp
  std::uint64_t result = 0;
  SourceSite barrier_site;  // Wait::barrier
};

struct BlockState {
  std::vector<ThreadPosition> positions;
  std::vector<Lane> lanes;
  std::vector<ctx::fiber> schedulers;  // each fiber's way back to the scheduler
  unsigned warp_size = 32;
};

thread_local ThreadPosition* t_position = nullptr;
thread_local BlockState* t_block = nullptr;
thread_local unsigned t_thread = 0;  // linear thread id in the block
thread_local bool t_parallel_worker = false;
thread_local void* t_dynamic_shared = nullptr;
thread_local std::size_t t_dynamic_bytes = 0;
thread_local const LaunchPolicy* t_policy = nullptr;
thread_local std::atomic<std::uint64_t>* t_slot = nullptr;  // the worker's block, for the launch
std::atomic<std::uint64_t> g_lowest_parked{kDone};
void (*g_finisher)() = nullptr;
std::atomic<std::uint64_t> g_launches{0};

std::mutex g_optin_mutex;
std::map<const void*, std::size_t> g_optin;  // kernel -> opted-in dynamic shared bytes

// Fiber stacks are reused across the blocks a worker runs: mapping 256 stacks per block
// would cost more than running it. Only touched pages of a stack become resident.
class StackPool {
 public:
  static constexpr std::size_t kStackBytes = std::size_t{256} << 10;

  StackPool() = default;
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;
  ~StackPool() {
    for (void* base : free_) munmap(base, kStackBytes + kPage);
  }

  ctx::stack_context allocate() {
    void* base = nullptr;
    if (free_.empty()) {
      base = mmap(nullptr, kStackBytes + kPage, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (base == MAP_FAILED) throw std::bad_alloc();
      mprotect(base, kPage, PROT_NONE);  // a stack overflow faults instead of corrupting
    } else {
      base = free_.back();
      free_.pop_back();
    }
    ctx::stack_context sctx;
    sctx.size = kStackBytes;
    sctx.sp = static_cast<char*>(base) + kPage + kStackBytes;
    return sctx;
  }
  void deallocate(ctx::stack_context& sctx) noexcept {
    free_.push_back(static_cast<char*>(sctx.sp) - kStackBytes - kPage);
  }

 private:
  std::vector<void*> free_;
};

struct PooledStack {
  StackPool* pool;
  ctx::stack_context allocate() { return pool->allocate(); }
  void deallocate(ctx::stack_context& sctx) noexcept { pool->deallocate(sctx); }
};

// A worker's dynamic shared memory: the launch's bytes, 16-byte aligned, flush with a
// trailing inaccessible page (and one before), so an access past the launch's size faults.
class SharedArena {
 public:
  explicit SharedArena(std::size_t bytes) {
    const std::size_t data = (bytes + kPage - 1) / kPage * kPage;
    size_ = data + 2 * kPage;
    base_ = static_cast<char*>(
        mmap(nullptr, size_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
    if (base_ == MAP_FAILED) throw std::bad_alloc();
    if (data > 0) mprotect(base_ + kPage, data, PROT_READ | PROT_WRITE);
    t_dynamic_shared = base_ + kPage + data - (bytes + 15) / 16 * 16;
    t_dynamic_bytes = bytes;
  }
  SharedArena(const SharedArena&) = delete;
  SharedArena& operator=(const SharedArena&) = delete;
  ~SharedArena() {
    munmap(base_, size_);
    t_dynamic_shared = nullptr;
    t_dynamic_bytes = 0;
  }

 private:
  char* base_ = nullptr;
  std::size_t size_ = 0;
};

dim3 unflatten(std::uint64_t id, dim3 extent) {
  return dim3{static_cast<unsigned>(id % extent.x),
              static_cast<unsigned>((id / extent.x) % extent.y),
              static_cast<unsigned>(id / (std::uint64_t{extent.x} * extent.y))};
}

std::string site_text(const SourceSite& s) {
  std::string_view file = s.file_name();
  if (const auto slash = file.rfind('/'); slash != std::string_view::npos)
    file = file.substr(slash + 1);
  return fmt::format("{}:{}", file, s.line());
}

// "3", "0-15", "0-3, 8"
std::string lane_list(std::uint64_t lanes) {
  std::string out;
  for (int i = 0; i < 64;) {
    if ((lanes >> i & 1) == 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j + 1 < 64 && (lanes >> (j + 1) & 1)) ++j;
    if (!out.empty()) out += ", ";
    out += i == j ? fmt::format("{}", i) : fmt::format("{}-{}", i, j);
    i = j + 1;
  }
  return out;
}

// One block's threads, run to completion. Each sweep resumes every running fiber until it
// waits (a barrier, a warp collective) or ends; then the first of these that applies happens:
// a `_sync` collective whose lanes have all arrived completes, a collective without a mask
// completes with the lanes at its call site, a barrier every live thread waits at opens.
// When none applies the block can never finish: SyncError.
class BlockRun {
 public:
  BlockRun(const ThreadPosition& at, unsigned warp_size, const std::function<void()>& body,
           StackPool& pool)
      : body_(body), pool_(pool) {
    const dim3 bd = at.block_dim;
    n_ = bd.x * bd.y * bd.z;
    s_.warp_size = warp_size;
    s_.positions.assign(n_, at);
    s_.lanes.assign(n_, Lane{});
    s_.schedulers.resize(n_);
    for (unsigned i = 0; i < n_; ++i) s_.positions[i].thread = unflatten(i, bd);
  }

  void run() {
    std::vector<ctx::fiber> fibers;
    fibers.reserve(n_);
    for (unsigned i = 0; i < n_; ++i)
      fibers.emplace_back(std::allocator_arg, PooledStack{&pool_},
                          [this, i](ctx::fiber&& scheduler) {
                            s_.schedulers[i] = std::move(scheduler);
                            body_();
                            return std::move(s_.schedulers[i]);
                          });
    t_block = &s_;
    unsigned live = n_;
    try {
      while (live > 0) {
        for (unsigned i = 0; i < n_; ++i) {
          if (s_.lanes[i].wait != Wait::running) continue;
          t_position = &s_.positions[i];
          t_thread = i;
          fibers[i] = std::move(fibers[i]).resume();
          if (!fibers[i]) {
            s_.lanes[i].wait = Wait::done;
            --live;
          }
        }
        if (live > 0 && !complete_one()) throw SyncError(stuck());
      }
    } catch (...) {
      t_position = nullptr;
      t_block = nullptr;
      throw;  // the fibers still waiting unwind as `fibers` goes
    }
    t_position = nullptr;
    t_block = nullptr;
  }

 private:
  unsigned warps() const { return (n_ + s_.warp_size - 1) / s_.warp_size; }
  Lane& lane(unsigned warp, unsigned l) { return s_.lanes[warp * s_.warp_size + l]; }
  std::uint64_t present(unsigned warp) const {
    const unsigned count = std::min(s_.warp_size, n_ - warp * s_.warp_size);
    return count >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << count) - 1;
  }
  std::uint64_t lanes_where(unsigned warp, auto&& pred) {
    std::uint64_t m = 0;
    for (unsigned l = 0; l < s_.warp_size && warp * s_.warp_size + l < n_; ++l)
      if (pred(lane(warp, l))) m |= std::uint64_t{1} << l;
    return m;
  }
  std::string where(unsigned warp) const {
    const ThreadPosition& p = s_.positions[warp * s_.warp_size];
    return fmt::format("block ({},{},{}) warp {}", p.block.x, p.block.y, p.block.z, warp);
  }

  bool complete_one() {
    for (unsigned w = 0; w < warps(); ++w)
      if (complete_sync(w)) return true;
    for (unsigned w = 0; w < warps(); ++w)
      if (complete_unmasked(w)) return true;
    bool all_at_barrier = true;
    for (const Lane& l : s_.lanes)
      all_at_barrier &= l.wait == Wait::barrier || l.wait == Wait::done;
    if (!all_at_barrier) return false;
    for (Lane& l : s_.lanes)
      if (l.wait == Wait::barrier) l.wait = Wait::running;
    return true;
  }

  // A `_sync` collective of warp w whose every non-exited lane has arrived.
  bool complete_sync(unsigned w) {
    const std::uint64_t here = present(w);
    const std::uint64_t live = lanes_where(w, [](const Lane& l) { return l.wait != Wait::done; });
    for (unsigned l = 0; l < s_.warp_size && (here >> l & 1); ++l) {
      const Lane& first = lane(w, l);
      if (first.wait != Wait::warp || !first.request.sync) continue;
      const WarpRequest& r = first.request;
      if ((r.mask & ~here) != 0)
        throw SyncError(fmt::format(
            "{}: lane {} calls {} with mask {:#x}, which names lane {} that is not there (the "
            "warp has lanes {}); at {}",
            where(w), l, r.name, r.mask, lane_list(r.mask & ~here), lane_list(here),
            site_text(r.site)));
      if ((r.mask >> l & 1) == 0)
        throw SyncError(
            fmt::format("{}: lane {} calls {} with mask {:#x}, which does not name it; at {}",
                        where(w), l, r.name, r.mask, site_text(r.site)));
      const std::uint64_t need = r.mask & live;
      const std::uint64_t ready = lanes_where(w, [&r](const Lane& x) {
        return x.wait == Wait::warp && x.request.sync && x.request.kind == r.kind &&
               x.request.mask == r.mask;
      });
      if ((need & ~ready) != 0) continue;
      finish(w, need);
      return true;
    }
    return false;
  }

  // A collective without a mask (HIP's __shfl, __ballot, __any, __all; __activemask): the
  // lanes of warp w at the call site of its lowest waiting lane, once no lane of the warp runs.
  bool complete_unmasked(unsigned w) {
    const std::uint64_t here = present(w);
    for (unsigned l = 0; l < s_.warp_size && (here >> l & 1); ++l) {
      const Lane& first = lane(w, l);
      if (first.wait != Wait::warp || first.request.sync) continue;
      const WarpRequest& r = first.request;
      const std::uint64_t group = lanes_where(w, [&r](const Lane& x) {
        return x.wait == Wait::warp && !x.request.sync && x.request.kind == r.kind &&
               x.request.site.line() == r.site.line() &&
               x.request.site.column() == r.site.column() &&
               std::string_view(x.request.site.file_name()) == r.site.file_name();
      });
      finish(w, group);
      return true;
    }
    return false;
  }

  // The source lane of a shuffle, as PTX's shfl defines it (CUDA's intrinsics and HIP's agree
  // for every source lane in [0, width)); a lane outside the segment reads its own value.
  unsigned shuffle_source(unsigned l, const WarpRequest& r) const {
    const unsigned ws = s_.warp_size;
    const unsigned width = r.width == 0 ? ws : static_cast<unsigned>(r.width);
    const unsigned seg = l & ~(width - 1);  // first lane of l's segment
    const unsigned top = seg + width - 1;
    const auto b = static_cast<unsigned>(r.lane_arg);
    switch (r.kind) {
      case Collective::shfl_up:
        return l >= seg + b && b <= l ? l - b : l;
      case Collective::shfl_down:
        return l + b <= top ? l + b : l;
      case Collective::shfl_xor:
        return (l ^ b) <= top && (l ^ b) < ws ? l ^ b : l;
      default:
        return seg + (b & (width - 1));
    }
  }

  void finish(unsigned w, std::uint64_t group) {
    const auto lanes_in = [&](auto&& pred) {
      std::uint64_t m = 0;
      for (unsigned l = 0; l < s_.warp_size; ++l)
        if ((group >> l & 1) && pred(lane(w, l))) m |= std::uint64_t{1} << l;
      return m;
    };
    const std::uint64_t set = lanes_in([](const Lane& x) { return x.request.value != 0; });
    for (unsigned l = 0; l < s_.warp_size; ++l) {
      if ((group >> l & 1) == 0) continue;
      Lane& me = lane(w, l);
      const WarpRequest& r = me.request;
      switch (r.kind) {
        case Collective::shfl_idx:
        case Collective::shfl_up:
        case Collective::shfl_down:
        case Collective::shfl_xor: {
          const unsigned width = r.width == 0 ? s_.warp_size : static_cast<unsigned>(r.width);
          if (width == 0 || width > s_.warp_size || !std::has_single_bit(width))
            throw SyncError(
                fmt::format("{}: lane {} calls {} with width {}: a power of two up "
                            "to warpSize ({}) is required; at {}",
                            where(w), l, r.name, r.width, s_.warp_size, site_text(r.site)));
          const unsigned src = shuffle_source(l, r);
          if ((group >> src & 1) == 0)
            throw SyncError(fmt::format(
                "{}: lane {} calls {} and reads lane {}, which does not take part (lanes {} "
                "do): the value is undefined on the hardware; at {}",
                where(w), l, r.name, src, lane_list(group), site_text(r.site)));
          me.result = lane(w, src).request.value;
          break;
        }
        case Collective::ballot:
          me.result = set;
          break;
        case Collective::any:
          me.result = set != 0;
          break;
        case Collective::all:
          me.result = set == group;
          break;
        case Collective::activemask:
          me.result = group;
          break;
        case Collective::syncwarp:
          me.result = 0;
          break;
      }
    }
    for (unsigned l = 0; l < s_.warp_size; ++l)
      if (group >> l & 1) lane(w, l).wait = Wait::running;
  }

  // Why no thread of the block can go on: what each lane of the first warp with a waiting
  // collective waits at.
  std::string stuck() const {
    for (unsigned w = 0; w < warps(); ++w) {
      std::vector<std::pair<std::string, std::uint64_t>> states;  // what, lanes
      bool collective = false;
      for (unsigned l = 0; l < s_.warp_size && w * s_.warp_size + l < n_; ++l) {
        const Lane& x = s_.lanes[w * s_.warp_size + l];
        std::string what;
        if (x.wait == Wait::done) what = "have exited";
        if (x.wait == Wait::barrier) what = "wait at __syncthreads at " + site_text(x.barrier_site);
        if (x.wait == Wait::warp) {
          collective = true;
          what = x.request.sync
                     ? fmt::format("wait at {} (mask {:#x}) at {}", x.request.name, x.request.mask,
                                   site_text(x.request.site))
                     : fmt::format("wait at {} at {}", x.request.name, site_text(x.request.site));
        }
        auto it = std::find_if(states.begin(), states.end(),
                               [&](const auto& s) { return s.first == what; });
        if (it == states.end()) it = states.insert(states.end(), {what, 0});
        it->second |= std::uint64_t{1} << l;
      }
      if (!collective) continue;
      std::string text = where(w) + " can never go on: ";
      for (std::size_t i = 0; i < states.size(); ++i)
        text += fmt::format("{}lanes {} {}", i == 0 ? "" : "; ", lane_list(states[i].second),
                            states[i].first);
      return text + " (a `_sync` collective needs every non-exited lane of its mask)";
    }
    return "the block can never go on";
  }

  const std::function<void()>& body_;
  StackPool& pool_;
  unsigned n_ = 0;
  BlockState s_;
};

void check_launch(const LaunchConfig& c) {
  const dim3 block = c.block, grid = c.grid;
  const std::uint64_t threads = std::uint64_t{block.x} * block.y * block.z;
  if (threads == 0 || threads > 1024 || block.z > 64)
    throw LaunchError(fmt::format("invalid block ({}, {}, {}): 1 to 1024 threads, z <= 64", block.x,
                                  block.y, block.z));
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 0x7fffffffu || grid.y > 65535 ||
      grid.z > 65535)
    throw LaunchError(
        fmt::format("invalid grid ({}, {}, {}): x in [1, 2^31-1], y and z in [1, 65535]", grid.x,
                    grid.y, grid.z));
  std::size_t allowed = c.device.shared_default;
  {
    const std::lock_guard lock(g_optin_mutex);
    if (const auto it = g_optin.find(c.kernel); it != g_optin.end())
      allowed = std::max(allowed, std::min(it->second, c.device.shared_optin));
  }
  if (c.shared_bytes > allowed)
    throw LaunchError(fmt::format(
        "dynamic shared memory of {} bytes: at most {} without an opt-in of the kernel "
        "(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes), up "
        "to {})",
        c.shared_bytes, allowed, c.device.shared_optin));
}

// The lowest block of a launch that ended in a SyncError, and its error.
class Failures {
 public:
  void add(std::uint64_t block, std::exception_ptr e) {
    const std::lock_guard lock(mutex_);
    if (!first_ || block < first_->first) first_.emplace(block, std::move(e));
  }
  std::uint64_t lowest() {
    const std::lock_guard lock(mutex_);
    return first_ ? first_->first : kDone;
  }
  void rethrow() {
    if (first_) std::rethrow_exception(first_->second);
  }

 private:
  std::mutex mutex_;
  std::optional<std::pair<std::uint64_t, std::exception_ptr>> first_;
};

}  // namespace

ThreadPosition& current_position() {
  static thread_local ThreadPosition host;  // outside any kernel: block 0, thread 0
  return t_position != nullptr ? *t_position : host;
}

const ThreadPosition* position_if_in_kernel() {
  return t_position;
}

bool in_parallel_worker() {
  return t_parallel_worker;
}

void park_faulted_worker(std::uint64_t block) {
  std::uint64_t low = g_lowest_parked.load();
  while (block < low && !g_lowest_parked.compare_exchange_weak(low, block)) {
  }
  if (t_slot != nullptr) t_slot->store(kParked);
  for (;;) pause();
}

void set_parked_fault_finisher(void (*finish)()) {
  g_finisher = finish;
}

void syncthreads(SourceSite site) {
  if (t_block == nullptr) return;  // called on the host outside a launch
  Lane& me = t_block->lanes[t_thread];
  me.wait = Wait::barrier;
  me.barrier_site = site;
  ctx::fiber& scheduler = t_block->schedulers[t_thread];
  scheduler = std::move(scheduler).resume();
}

unsigned warp_size() {
  return t_block != nullptr ? t_block->warp_size : 32;
}

unsigned lane_id() {
  return t_block != nullptr ? t_thread % t_block->warp_size : 0;
}

std::uint64_t lanes_present() {
  if (t_block == nullptr) return 1;
  const unsigned ws = t_block->warp_size;
  const auto n = static_cast<unsigned>(t_block->lanes.size());
  const unsigned count = std::min(ws, n - t_thread / ws * ws);
  return count >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << count) - 1;
}

std::uint64_t warp_collective(const WarpRequest& request) {
  if (t_block == nullptr) {  // on the host: a warp of one lane
    switch (request.kind) {
      case Collective::ballot:
      case Collective::any:
      case Collective::all:
        return request.value != 0 ? 1 : 0;
      case Collective::activemask:
        return 1;
      default:
        return request.value;
    }
  }
  Lane& me = t_block->lanes[t_thread];
  me.wait = Wait::warp;
  me.request = request;
  if (t_block->warp_size == 32) me.request.mask &= 0xffffffffu;
  ctx::fiber& scheduler = t_block->schedulers[t_thread];
  scheduler = std::move(scheduler).resume();
  return me.result;
}

void* dynamic_shared() {
  return t_dynamic_shared;
}

std::size_t dynamic_shared_bytes() {
  return t_dynamic_bytes;
}

Device cuda_device() {
  return Device{};
}

Device hip_device() {
  return Device{.warp_size = 64, .shared_default = 64 << 10, .shared_optin = 64 << 10};
}

LaunchScope::LaunchScope(LaunchPolicy policy) : previous_(t_policy), policy_(policy) {
  t_policy = &policy_;
}

LaunchScope::~LaunchScope() {
  t_policy = previous_;
}

void set_max_dynamic_shared(const void* kernel, std::size_t bytes) {
  const std::lock_guard lock(g_optin_mutex);
  g_optin[kernel] = bytes;
}

std::uint64_t launch_sequence() {
  return g_launches.load(std::memory_order_relaxed);
}

void launch(const LaunchConfig& config, const std::function<void()>& body) {
  check_launch(config);
  g_launches.fetch_add(1, std::memory_order_relaxed);
  const LaunchPolicy policy = t_policy != nullptr ? *t_policy : LaunchPolicy{};
  const unsigned warp = policy.warp_size != 0 ? policy.warp_size : config.device.warp_size;
  if (warp != 32 && warp != 64) throw LaunchError(fmt::format("warp size {}: 32 or 64", warp));
  const dim3 grid = config.grid;
  const std::uint64_t total = std::uint64_t{grid.x} * grid.y * grid.z;
  const std::uint64_t count = policy.blocks.empty() ? total : policy.blocks.size();
  unsigned workers = policy.workers;
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  workers =
      static_cast<unsigned>(std::max<std::uint64_t>(1, std::min<std::uint64_t>(workers, count)));

  std::vector<std::uint64_t> order(policy.blocks.begin(), policy.blocks.end());
  std::sort(order.begin(), order.end());  // blocks start in increasing order
  std::atomic<std::uint64_t> next{0};
  Failures failures;
  // A worker that ends says so; a parked one (a fault) cannot, and is seen within a wait.
  std::mutex done_mutex;
  std::condition_variable done;
  const bool parallel = workers > 1;
  // Every worker is a fresh thread: its `__shared__` and `extern __shared__` are new.
  auto run = [&](std::atomic<std::uint64_t>* current) {
    t_parallel_worker = parallel;
    t_slot = current;
    const SharedArena shared(config.shared_bytes);
    StackPool pool;
    for (;;) {
      current->store(0);  // about to take a block
      const std::uint64_t i = next++;
      if (i >= count) break;
      const std::uint64_t id = order.empty() ? i : order[i];
      current->store(id);
      if (id > g_lowest_parked.load() || id > failures.lowest()) continue;  // cannot matter
      try {
        BlockRun(ThreadPosition{{}, unflatten(id, grid), config.block, grid}, warp, body, pool)
            .run();
      } catch (const SyncError&) {
        failures.add(id, std::current_exception());
      }
    }
    {
      const std::lock_guard lock(done_mutex);
      current->store(kDone);
    }
    done.notify_all();
  };
  g_lowest_parked = kDone;
  std::vector<std::atomic<std::uint64_t>> current(workers);
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (unsigned w = 0; w < workers; ++w) threads.emplace_back(run, &current[w]);
  // until every worker is done, or runs (or is parked in) a block at or above the lowest event
  const auto settled = [&](std::uint64_t low) {
    return std::all_of(current.begin(), current.end(),
                       [&](const std::atomic<std::uint64_t>& c) { return c.load() >= low; });
  };
  const auto lowest = [&] { return std::min(g_lowest_parked.load(), failures.lowest()); };
  const auto wait_until_settled = [&](const auto& low) {
    std::unique_lock lock(done_mutex);
    while (!settled(low())) done.wait_for(lock, std::chrono::milliseconds(5));
  };
  wait_until_settled(lowest);
  if (g_lowest_parked.load() < failures.lowest()) {  // a fault comes first: it ends the process
    for (std::thread& t : threads) t.detach();       // parked ones never return
    if (g_finisher != nullptr) g_finisher();
    std::abort();
  }
  // the rest finish the blocks they run (blocks above a SyncError start no more)
  wait_until_settled([] { return kParked; });
  for (std::size_t w = 0; w < threads.size(); ++w) {
    if (current[w].load() == kParked)
      threads[w].detach();  // parked by a fault above the SyncError: never returns
    else
      threads[w].join();
  }
  failures.rethrow();
}

}  // namespace dc::simt
