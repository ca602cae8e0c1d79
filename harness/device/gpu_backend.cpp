// The GPU backend: one case on the device, inside the case process the runner forks. Every
// tensor gets its own guarded reservation (device_buffer.hpp); inputs are generated there by
// the family's device generator, outputs poisoned; the whole grid runs; the device scans for
// canary damage, unwritten and non-finite outputs; then only the elements the verification
// reads cross to the host tensors, and the CPU reference judges them as on the CPU backend.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "device_buffer.hpp"
#include "gpu_kernel.hpp"
#include "harness/backend.hpp"
#include "harness/parallel.hpp"
#include "harness/poison.hpp"

namespace dc::gpu {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::uint32_t exponent_bits(DType t) {
  switch (t) {
    case DType::f32:
      return 0x7f800000u;
    case DType::bf16:
      return 0x7f80u;
    case DType::f16:
      return 0x7c00u;
    default:
      return 0;  // integers are always finite
  }
}

// Input `tensor` generated on the host by the problem's own fill() (so the same bits as on
// the CPU backend) and copied to the device, in pieces generated on every core.
void fill_from_host(const Problem& problem, std::size_t tensor, const TensorSpec& spec,
                    void* device) {
  constexpr std::int64_t kPieceBytes = std::int64_t{32} << 20;
  const auto width = static_cast<std::int64_t>(dtype_bytes(spec.dtype));
  const std::int64_t per_piece = kPieceBytes / width, n = spec.elements();
  const auto pieces = static_cast<std::size_t>((n + per_piece - 1) / per_piece);
  const int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  run_in_parallel(pieces, jobs, [&](std::size_t k) {
    const std::int64_t begin = static_cast<std::int64_t>(k) * per_piece;
    const std::int64_t count = std::min(per_piece, n - begin);
    std::vector<std::byte> host(static_cast<std::size_t>(count * width));
    problem.fill(tensor, begin, count, host.data());
    copy_to_device(static_cast<std::byte*>(device) + begin * width, host.data(), host.size());
  });
}

std::string unavailable() {
  if (device_count() > 0) return {};
  return "--backend gpu: no GPU device is visible (no driver, or no device): run on the CPU "
         "backend (the default), or on a machine with a GPU";
}

Verdict run(const Shape& shape, const Problem& problem, std::span<TensorView> views, Verdict v) {
  const GpuKernel* kernel = find_gpu_kernel(shape.kernel());
  if (const std::string why = device_side_missing(shape.kernel()); !why.empty()) {
    v.kind = VerdictKind::skipped;
    v.message = fmt::format("{}: {}; the CPU backend runs it", shape.kernel(), why);
    return v;
  }
  if (const std::string why = kernel->unsupported ? kernel->unsupported(shape) : ""; !why.empty()) {
    v.kind = VerdictKind::skipped;
    v.message = why + "; the CPU backend runs it";
    return v;
  }
  const auto started = Clock::now();  // the device runtime starts with the first call below
  const std::vector<TensorSpec> specs = problem.tensors();
  std::uint64_t need = 0;
  for (const TensorSpec& s : specs) need += s.bytes() + (std::uint64_t{2} << 20);  // + granule
  const std::uint64_t free = device_free_bytes();
  if (need > free - free / 16)
    throw DeviceRefusal(fmt::format(
        "refused before allocating: the case needs about {:.2f} GiB of device memory, the device "
        "has {:.2f} GiB free",
        static_cast<double>(need) / (1 << 30), static_cast<double>(free) / (1 << 30)));

  std::vector<std::unique_ptr<DeviceGuardedBuffer>> buffers(specs.size());
  std::vector<void*> device(specs.size(), nullptr);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].elements() == 0) continue;
    buffers[i] =
        std::make_unique<DeviceGuardedBuffer>(specs[i].bytes(), dtype_bytes(specs[i].dtype));
    device[i] = buffers[i]->data();
  }
  const double setup_s = seconds_since(started);
  const auto generating = Clock::now();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (device[i] == nullptr) continue;
    if (specs[i].role == Role::input && kernel->fill)
      kernel->fill(shape, i, device[i], specs[i].elements());
    else if (specs[i].role == Role::input)
      fill_from_host(problem, i, specs[i], device[i]);
    else
      buffers[i]->poison(poison_bits(specs[i].dtype));
  }
  synchronize("input generation");
  const double generate_s = seconds_since(generating);

  const auto launched = Clock::now();
  try {
    kernel->launch(shape, device);
    synchronize("the kernel");
  } catch (const DeviceError& e) {
    v.kind = VerdictKind::device_fault;
    v.message = fmt::format(
        "{} (the device context is lost: the case process ends with it); the CPU backend, with "
        "the same inputs, names the tensor, the direction and the offset",
        e.what());
    return v;
  }
  v.launch_s = seconds_since(launched);

  const auto scanning = Clock::now();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (device[i] == nullptr) continue;
    if (const auto damage = buffers[i]->first_canary_damage()) {
      mark_canary(v, specs[i], *damage);
      return v;
    }
  }
  // The whole grid ran: every output element must be written. Where the CPU backend would
  // run a sparse plan, the verification of its elements decides first, as there (the same
  // verdict on both backends); what the scan finds is then the verdict if it passes, else its
  // second failure (the runner: Verdict::also).
  const bool sparse = !problem.plan().whole_grid();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (device[i] == nullptr || specs[i].role != Role::output) continue;
    const std::uint32_t poison = poison_bits(specs[i].dtype);
    const std::size_t width = dtype_bytes(specs[i].dtype);
    const DeviceGuardedBuffer::Scan unwritten = buffers[i]->scan_poison(poison);
    const DeviceGuardedBuffer::Scan nonfinite =
        unwritten.count == 0 && exponent_bits(specs[i].dtype) != 0
            ? scan_nonfinite(device[i], specs[i].elements(), width, exponent_bits(specs[i].dtype),
                             poison)
            : DeviceGuardedBuffer::Scan{};
    const DeviceGuardedBuffer::Scan& found = unwritten.count != 0 ? unwritten : nonfinite;
    if (found.count == 0) continue;
    const bool never_written = unwritten.count != 0;
    mark_bad_elements(v, never_written ? VerdictKind::unwritten : VerdictKind::nonfinite, specs[i],
                      found.count, found.first.front(),
                      never_written ? "never written" : "not finite",
                      fmt::format("; the first offsets: {}", fmt::join(found.first, ", ")));
    if (!sparse) return v;
    v.also = v.kind;  // its tensor and first element stay, for the verdict it may become
    v.kind = VerdictKind::pass;
    break;
  }

  const double scan_s = seconds_since(scanning);

  // what verify() reads crosses to the host, packed; inputs there are generated on demand by
  // the same function (bit-identical: gpu_test checks it)
  const auto copying = Clock::now();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (device[i] == nullptr || specs[i].role != Role::output) continue;
    std::vector<ElementRun> runs = problem.verified_runs(i);
    if (runs.empty()) runs.push_back(ElementRun{0, specs[i].elements(), 0, 1});
    std::vector<std::byte> packed = copy_runs_packed(device[i], dtype_bytes(specs[i].dtype), runs);
    views[i] = TensorView(specs[i].dtype, std::move(runs), std::move(packed));
  }
  if (!is_failure(v.also))
    v.message = fmt::format(
        "device: set-up {:.3f} s, inputs generated in {:.3f} s, kernel {:.3f} s, scans {:.3f} s, "
        "verified elements copied back in {:.3f} s",
        setup_s, generate_s, v.launch_s, scan_s, seconds_since(copying));
  v.kind = VerdictKind::pass;
  return v;
}

const bool registered = [] {
  register_device_backend(DeviceBackend{.unavailable = unavailable,
                                        .run = run,
                                        .count = device_count,
                                        .missing = device_side_missing});
  return true;
}();

}  // namespace
}  // namespace dc::gpu
