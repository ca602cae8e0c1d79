#include "parallel.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace dc {

void run_in_parallel(std::size_t count, int jobs, const std::function<void(std::size_t)>& fn) {
  std::atomic<std::size_t> next{0};
  const auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) fn(i);
  };
  std::vector<std::jthread> threads;
  for (int j = 1; j < std::min<std::int64_t>(jobs, static_cast<std::int64_t>(count)); ++j)
    threads.emplace_back(worker);
  worker();
}

}  // namespace dc
