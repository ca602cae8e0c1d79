#include "simt_cpu.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/context/fiber.hpp>
#include <chrono>
#include <memory>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace dc::simt {
namespace ctx = boost::context;

namespace {

thread_local ThreadPosition* t_position = nullptr;
thread_local bool t_parallel_worker = false;
std::atomic<std::uint64_t> g_lowest_parked{~std::uint64_t{0}};
void (*g_finisher)() = nullptr;
constexpr std::uint64_t kDone = ~std::uint64_t{0};
thread_local ctx::fiber* t_scheduler = nullptr;  // resumes the block scheduler

// Fiber stacks are reused across the blocks a worker runs: mapping 256 stacks per block
// would cost more than running it. Only touched pages of a stack become resident.
class StackPool {
 public:
  static constexpr std::size_t kStackBytes = std::size_t{256} << 10;

  StackPool() : page_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))) {}
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;
  ~StackPool() {
    for (void* base : free_) munmap(base, kStackBytes + page_);
  }

  ctx::stack_context allocate() {
    void* base = nullptr;
    if (free_.empty()) {
      base = mmap(nullptr, kStackBytes + page_, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (base == MAP_FAILED) throw std::bad_alloc();
      mprotect(base, page_, PROT_NONE);  // a stack overflow faults instead of corrupting
    } else {
      base = free_.back();
      free_.pop_back();
    }
    ctx::stack_context sctx;
    sctx.size = kStackBytes;
    sctx.sp = static_cast<char*>(base) + page_ + kStackBytes;
    return sctx;
  }
  void deallocate(ctx::stack_context& sctx) noexcept {
    free_.push_back(static_cast<char*>(sctx.sp) - kStackBytes - page_);
  }

 private:
  std::size_t page_;
  std::vector<void*> free_;
};

struct PooledStack {
  StackPool* pool;
  ctx::stack_context allocate() { return pool->allocate(); }
  void deallocate(ctx::stack_context& sctx) noexcept { pool->deallocate(sctx); }
};

dim3 unflatten(std::uint64_t id, dim3 extent) {
  return dim3{static_cast<unsigned>(id % extent.x),
              static_cast<unsigned>((id / extent.x) % extent.y),
              static_cast<unsigned>(id / (std::uint64_t{extent.x} * extent.y))};
}

// Runs every thread of one block to completion, round robin: each fiber runs until it
// reaches a barrier or exits, so after each round all live fibers wait at the same barrier.
void run_block(const std::function<void()>& body, const ThreadPosition& block_position,
               StackPool& pool) {
  const dim3 bd = block_position.block_dim;
  const unsigned n = bd.x * bd.y * bd.z;
  std::vector<ThreadPosition> positions(n, block_position);
  std::vector<ctx::fiber> schedulers(n);
  std::vector<ctx::fiber> fibers;
  fibers.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    positions[i].thread = unflatten(i, bd);
    fibers.emplace_back(std::allocator_arg, PooledStack{&pool},
                        [&body, &schedulers, i](ctx::fiber&& scheduler) {
                          schedulers[i] = std::move(scheduler);
                          body();
                          return std::move(schedulers[i]);
                        });
  }
  unsigned live = n;
  while (live > 0) {
    for (unsigned i = 0; i < n; ++i) {
      if (!fibers[i]) continue;
      t_position = &positions[i];
      t_scheduler = &schedulers[i];
      fibers[i] = std::move(fibers[i]).resume();
      if (!fibers[i]) --live;
    }
  }
  t_position = nullptr;
  t_scheduler = nullptr;
}

void check_launch(dim3 grid, dim3 block) {
  const std::uint64_t threads = std::uint64_t{block.x} * block.y * block.z;
  if (threads == 0 || threads > 1024 || block.z > 64)
    throw LaunchError(fmt::format("invalid block ({}, {}, {}): 1 to 1024 threads, z <= 64", block.x,
                                  block.y, block.z));
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 0x7fffffffu || grid.y > 65535 ||
      grid.z > 65535)
    throw LaunchError(
        fmt::format("invalid grid ({}, {}, {}): x in [1, 2^31-1], y and z in [1, 65535]", grid.x,
                    grid.y, grid.z));
}

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
  for (;;) pause();
}

void set_parked_fault_finisher(void (*finish)()) {
  g_finisher = finish;
}

void syncthreads() {
  if (t_scheduler == nullptr) return;  // called on the host outside a launch
  ctx::fiber& scheduler = *t_scheduler;
  scheduler = std::move(scheduler).resume();
}

void launch(dim3 grid, dim3 block, const std::function<void()>& body,
            std::span<const std::uint64_t> blocks, unsigned workers) {
  check_launch(grid, block);
  const std::uint64_t total = std::uint64_t{grid.x} * grid.y * grid.z;
  const std::uint64_t count = blocks.empty() ? total : blocks.size();
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  workers = static_cast<unsigned>(std::min<std::uint64_t>(workers, count));

  std::vector<std::uint64_t> order(blocks.begin(), blocks.end());
  std::sort(order.begin(), order.end());  // blocks start in increasing order
  std::atomic<std::uint64_t> next{0};
  auto run = [&](std::atomic<std::uint64_t>* current) {
    StackPool pool;
    for (;;) {
      if (current != nullptr) current->store(0);  // about to take a block
      const std::uint64_t i = next++;
      if (i >= count) break;
      const std::uint64_t id = order.empty() ? i : order[i];
      if (current != nullptr) {
        current->store(id);
        if (id > g_lowest_parked.load()) continue;  // cannot be the lowest fault any more
      }
      run_block(body, ThreadPosition{{}, unflatten(id, grid), block, grid}, pool);
    }
    if (current != nullptr) current->store(kDone);
  };
  if (workers <= 1) {
    run(nullptr);
    return;
  }
  g_lowest_parked = kDone;
  std::vector<std::atomic<std::uint64_t>> current(workers);
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (unsigned w = 0; w < workers; ++w)
    threads.emplace_back([&run, slot = &current[w]] {
      t_parallel_worker = true;
      run(slot);
      t_parallel_worker = false;
    });
  // until every worker is done, or runs (or is parked in) a block at or above the lowest fault
  const auto settled = [&] {
    const std::uint64_t low = g_lowest_parked.load();
    return std::all_of(current.begin(), current.end(),
                       [&](const std::atomic<std::uint64_t>& c) { return c.load() >= low; });
  };
  while (!settled()) std::this_thread::sleep_for(std::chrono::microseconds(200));
  if (g_lowest_parked.load() == kDone) {
    for (std::thread& t : threads) t.join();
    return;
  }
  for (std::thread& t : threads) t.detach();  // parked ones never return
  if (g_finisher != nullptr) g_finisher();
  std::abort();
}

}  // namespace dc::simt
