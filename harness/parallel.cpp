#include "parallel.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace dc {

void run_in_parallel(std::size_t count, int jobs, const std::function<void(std::size_t)>& fn) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failed;  // the first exception of any call, rethrown once all have ended
  std::mutex failing;
  const auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) {
      try {
        fn(i);
      } catch (...) {
        const std::lock_guard lock(failing);
        if (!failed) failed = std::current_exception();
      }
    }
  };
  {
    std::vector<std::jthread> threads;
    for (int j = 1; j < std::min<std::int64_t>(jobs, static_cast<std::int64_t>(count)); ++j)
      threads.emplace_back(worker);
    worker();
  }
  if (failed) std::rethrow_exception(failed);
}

}  // namespace dc
