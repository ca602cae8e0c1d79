#include "runner.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "buffer_loads.hpp"
#include "demand_pager.hpp"
#include "fault_capture.hpp"
#include "guarded_buffer.hpp"
#include "interrupt.hpp"
#include "overflow_finding.hpp"
#include "poison.hpp"
#include "runtime/simt.hpp"

namespace dc {

namespace {

using Clock = std::chrono::steady_clock;

// Demand-paged units kept resident at most (the rest is regenerated or stored compactly).
constexpr std::uint64_t kResidentBytes = std::uint64_t{256} << 20;

// What ran and what was verified: the plan's blocks on the CPU backend; on the GPU backend the
// whole grid runs (and the plan's slices are verified).
RunSummary run_summary(const Plan& plan, const DeviceBackend* device) {
  if (device != nullptr) return RunSummary{plan.grid_blocks, {}, {}, plan.verified};
  return RunSummary{plan.grid_blocks, plan.blocks, plan.reasons, plan.verified};
}

// The elements of `runs` of a paged output, packed (TensorView's packed form).
TensorView read_runs(const DemandPager& pager, const GuardedBuffer& buffer, DType dtype,
                     std::vector<ElementRun> runs) {
  const auto eb = static_cast<std::int64_t>(buffer.element_bytes());
  std::int64_t elements = 0;
  for (const ElementRun& r : runs) elements += r.elements();
  std::vector<std::byte> packed(static_cast<std::size_t>(elements * eb));
  pager.read_output(buffer, runs, packed.data());
  return {dtype, std::move(runs), std::move(packed)};
}

// The kernel on the CPU backend over the host tensors, then the checks of what it left
// there that need no reference: canaries, and (whole-grid runs) unwritten outputs.
Verdict run_on_cpu(const Problem& problem, const Plan& plan, const std::vector<TensorSpec>& specs,
                   std::vector<std::optional<GuardedBuffer>>& buffers,
                   std::span<void* const> pointers, Verdict v) {
  const auto launched = Clock::now();
  try {
    problem.launch(pointers);
    v.launch_s = std::chrono::duration<double>(Clock::now() - launched).count();
  } catch (const simt::LaunchError& e) {
    v.kind = VerdictKind::error;
    v.message = fmt::format("launch refused: {}", e.what());
    return v;
  } catch (const simt::SyncError& e) {  // a kernel bug: a finding, with its block, warp and lines
    v.kind = VerdictKind::sync_error;
    v.message = e.what();
    return v;
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (pointers[i] == nullptr) continue;
    if (const auto damage = buffers[i]->first_canary_damage()) {
      mark_canary(v, specs[i], *damage);
      return v;
    }
  }
  // A whole-grid run must write every output element. A sparse run writes only the slices
  // of its blocks: their unwritten elements surface in verification.
  for (std::size_t i = 0; plan.whole_grid() && i < specs.size(); ++i) {
    if (pointers[i] == nullptr || specs[i].role != Role::output) continue;
    const auto [count, first] = scan_unwritten(specs[i].dtype, pointers[i], specs[i].elements());
    if (count == 0) continue;
    mark_bad_elements(v, VerdictKind::unwritten, specs[i], count, first, "never written");
    return v;
  }
  v.kind = VerdictKind::pass;
  return v;
}

// The data path inside the case process. Every host tensor is demand-paged: nothing is
// generated or poisoned until the kernel (or the verification) touches it. On the GPU
// backend the kernel runs on the device, the host has no outputs, and verify() reads the
// elements the device copied back (packed TensorViews); its inputs are generated on the host
// by the same function the device used.
Verdict execute(const Shape& shape, const Problem& problem, const Plan& plan,
                const DeviceBackend* device, PagerMode pager_mode) {
  Verdict base;
  base.backend = device != nullptr ? "gpu" : "cpu";
  base.shape = shape.print();
  base.run = run_summary(plan, device);
  const std::vector<TensorSpec> specs = problem.tensors();
  std::uint64_t tensor_bytes = 0;
  for (const TensorSpec& s : specs) tensor_bytes += s.bytes();
  const PagerMode mode = DemandPager::mode_for(pager_mode, tensor_bytes);
  std::vector<std::optional<GuardedBuffer>> buffers(specs.size());
  std::vector<void*> pointers(specs.size(), nullptr);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const TensorSpec& spec = specs[i];
    if (spec.elements() == 0 || (device != nullptr && spec.role == Role::output)) continue;
    buffers[i].emplace(spec.name, spec.bytes(), dtype_bytes(spec.dtype),
                       DemandPager::backing_for(mode));
    pointers[i] = buffers[i]->data();
    register_guard_range(*buffers[i]);
  }
  // destroyed before the buffers
  DemandPager pager(kResidentBytes, mode);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (pointers[i] == nullptr) continue;
    if (specs[i].role == Role::input)
      pager.add_input(
          *buffers[i], specs[i].dtype, DemandPager::unit_bytes_for(specs[i]),
          [&problem, i](std::int64_t begin, std::int64_t count, void* out) {
            problem.fill(i, begin, count, out);
          },
          DemandPager::row_bytes_for(specs[i]));
    else
      pager.add_output(*buffers[i], specs[i].dtype, DemandPager::unit_bytes_for(specs[i]),
                       DemandPager::row_bytes_for(specs[i]));
  }
  install_fault_handlers();

  // everything after the setup; every outcome also reports what demand paging did
  const auto outcome = [&](Verdict v) -> Verdict {
    std::vector<TensorView> views;
    for (std::size_t i = 0; i < specs.size(); ++i) views.emplace_back(specs[i].dtype, pointers[i]);
    v = device != nullptr ? device->run(shape, problem, views, std::move(v))
                          : run_on_cpu(problem, plan, specs, buffers, pointers, std::move(v));
    if (v.kind != VerdictKind::pass) return v;
    // what the device found outside what a sparse plan verifies (unwritten or non-finite
    // elements of the whole grid): the verdict when the verification, which decides as on
    // the CPU backend, passes; else its second failure
    const VerdictKind deferred = v.also;
    const std::string deferred_message = is_failure(deferred) ? v.message : "";
    // On the CPU backend an output's verified runs are read from the pager, as the device's
    // are copied back: an evicted unit is not materialized again to be read.
    if (device == nullptr)
      for (std::size_t i = 0; i < specs.size(); ++i)
        if (pointers[i] != nullptr && specs[i].role == Role::output)
          if (std::vector<ElementRun> runs = problem.verified_runs(i); !runs.empty())
            views[i] = read_runs(pager, *buffers[i], specs[i].dtype, std::move(runs));

    const auto verifying = Clock::now();
    v.checks = problem.verify(views);
    v.verify_s = std::chrono::duration<double>(Clock::now() - verifying).count();
    v.kind = VerdictKind::pass;
    for (const TensorCheck& c : v.checks) {
      if (c.status == CheckStatus::pass) continue;
      // the class of the first bad element: a finite mismatch stays one where non-finite
      // (never-written) elements lie further on
      const bool finite_first = c.first_bad && std::isfinite(c.first_bad->got);
      v.kind = c.status == CheckStatus::nonfinite && !finite_first ? VerdictKind::nonfinite
                                                                   : VerdictKind::mismatch;
      v.tensor = c.tensor;
      v.first_bad = c.first_bad;
      if (!c.first_bad) {
        v.message = fmt::format("{}: output is all zeros where the reference is not", c.tensor);
        break;
      }
      v.message = fmt::format("{}: first bad element {} (flat {}): got {:.6g}, expected {:.6g}",
                              c.tensor, c.first_bad->coordinates, c.first_bad->flat,
                              c.first_bad->got, c.first_bad->expected);
      for (std::size_t i = 0; i < specs.size(); ++i)
        if (const void* at = views[i].address(c.first_bad->flat);
            specs[i].name == c.tensor && at != nullptr && is_poison(specs[i].dtype, at, 0)) {
          v.kind = VerdictKind::unwritten;
          v.message = fmt::format("{}: element {} (flat {}) was never written by its block",
                                  c.tensor, c.first_bad->coordinates, c.first_bad->flat);
        }
      break;
    }
    if (is_failure(deferred) && v.kind == VerdictKind::pass) {
      v.kind = deferred;
      v.also = VerdictKind::pass;
      v.message = deferred_message;
    } else if (is_failure(deferred)) {
      v.message += "; then " + deferred_message;
    }
    return v;
  };
  Verdict out = outcome(std::move(base));
  out.paging = pager.stats();
  return out;
}

// The in-bounds offsets a faulting offset could have meant, had it wrapped k times at 2^32
// (k = +-1, +-2, ...; nearest first). More than one when the tensor spans over 2^32 elements.
std::vector<std::int64_t> wrap_candidates(std::int64_t offset, std::int64_t n) {
  std::vector<std::int64_t> out;
  constexpr std::int64_t kWrap = std::int64_t{1} << 32;
  for (std::int64_t k = 1; k <= n / kWrap + 1; ++k)
    for (const std::int64_t c : {offset + k * kWrap, offset - k * kWrap})
      if (c >= 0 && c < n) out.push_back(c);
  return out;
}

// Of several wrap candidates, the first (nearest) that lies at or past a 2^31 crossing of an
// offset the variant computes in 32 bits for this tensor: where a wrapped offset comes from.
std::int64_t likeliest_wrap(const std::vector<std::int64_t>& candidates, const Problem& problem,
                            const std::string& tensor, const std::string& variant) {
  const std::vector<IndexProduct> products = problem.index_products();
  for (const std::int64_t c : candidates)
    for (const IndexProduct& p : products)
      if (p.tensor == tensor && p.narrow(variant))
        for (const Reach& r : p.reaches)
          if (r.flat <= c) return c;
  return candidates.front();
}

// Turns a fault record into a verdict: which tensor, read or write, the offset in elements.
void diagnose_fault(const FaultRecord& r, const Problem& problem, const std::string& variant,
                    Verdict& v) {
  const std::vector<TensorSpec> specs = problem.tensors();
  std::string position;
  if (r.in_kernel != 0)
    position = fmt::format("block ({},{},{}) thread ({},{},{})", r.block[0], r.block[1], r.block[2],
                           r.thread[0], r.thread[1], r.thread[2]);
  for (int i = 0; i < r.range_count; ++i) {
    const GuardRange& g = r.ranges[i];
    if (r.address < g.reservation_begin || r.address >= g.reservation_end) continue;
    const auto byte_offset = static_cast<std::int64_t>(r.address - g.data_begin);
    const std::int64_t offset = byte_offset >= 0
                                    ? byte_offset / g.element_bytes
                                    : -((-byte_offset + g.element_bytes - 1) / g.element_bytes);
    const std::int64_t n = static_cast<std::int64_t>((g.data_end - g.data_begin) / g.element_bytes);
    GuardHit hit{g.name,
                 r.access == 2   ? "write"
                 : r.access == 1 ? "read"
                                 : "access",
                 offset, position, std::nullopt};
    const std::vector<std::int64_t> candidates = wrap_candidates(offset, n);
    if (!candidates.empty()) hit.unwrapped = likeliest_wrap(candidates, problem, g.name, variant);
    v.kind = r.access == 2 ? VerdictKind::oob_write : VerdictKind::oob_read;
    v.tensor = g.name;
    const std::string where = offset < 0    ? "before its start"
                              : offset >= n ? "past its end"
                                            : "inside it, but it is an input: inputs are read-only";
    v.message = fmt::format("{}: {} at element {} ({}; {} elements){}", g.name, hit.access, offset,
                            where, n, position.empty() ? "" : ", " + position);
    if (hit.unwrapped) {
      std::string coords;
      for (const TensorSpec& s : specs)
        if (s.name == g.name) coords = s.coordinates(*hit.unwrapped);
      const std::int64_t k = (*hit.unwrapped - offset) / (std::int64_t{1} << 32);
      v.message += fmt::format(
          "; consistent with a 32-bit wrap: offset {} {}2^32 = {} is in bounds ({}){}",
          k > 0 ? "+" : "-", std::abs(k) == 1 ? "" : fmt::format("{}*", std::abs(k)),
          *hit.unwrapped, coords,
          candidates.size() == 1
              ? ""
              : fmt::format(", of {} in-bounds candidates the nearest past a 2^31 crossing",
                            candidates.size()));
      v.first_bad = FirstBad{*hit.unwrapped, coords, NAN, NAN};
    }
    v.guard_hit = hit;
    return;
  }
  v.kind = VerdictKind::crash;
  v.message =
      fmt::format("signal {} ({}) at address {:#x}, outside every guarded tensor{}", r.signal,
                  strsignal(r.signal), r.address, position.empty() ? "" : ", " + position);
}

// Reads the case's answer until it closes the pipe, the deadline passes (timed_out) or
// `stop` says so (stopped).
std::string read_all_with_deadline(int fd, Clock::time_point deadline, bool& timed_out,
                                   const std::function<bool()>& stop, bool& stopped) {
  std::string out;
  char buf[1 << 14];
  for (;;) {
    if (stop && stop()) {
      stopped = true;
      return out;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      return out;
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(std::min<long long>(left, 50)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return out;
    out.append(buf, static_cast<std::size_t>(got));
  }
}

}  // namespace

MemoryEstimate memory_estimate(const Problem& problem, const Plan& plan) {
  MemoryEstimate m;
  std::uint64_t all = 0, outputs = 0;
  for (const TensorSpec& s : problem.tensors()) {
    all += s.bytes();
    if (s.role == Role::output) outputs += s.bytes();
  }
  // a resident unit is mapped twice (the guarded view the kernel touches and the alias the
  // harness fills through), and the peak RSS counts both mappings' pages: measured over the
  // corpus, counting it once underestimated the seed shape's peak by a fifth
  m.resident = 2 * std::min(all, kResidentBytes);
  // written output elements stay in memory, resident or stored (plus a header per run)
  m.written = plan.written_bytes != 0 ? plan.written_bytes : outputs;
  m.written += m.written / 8;
  m.working = plan.working_bytes;
  // the pager's bookkeeping: a state byte per unit of every tensor, and a pointer per unit of
  // an output (its evicted runs); a 16 TiB output of 4 KiB units needs 36 GiB of it
  for (const TensorSpec& s : problem.tensors()) {
    const std::uint64_t unit = DemandPager::unit_bytes_for(s);
    m.working += (s.bytes() + unit - 1) / unit * (s.role == Role::output ? 9 : 1);
  }
  m.harness = std::uint64_t{64} << 20;  // the harness itself and fiber stacks
  return m;
}

double case_work(const Problem& problem) {
  double table_bytes = 0;
  for (const TensorSpec& s : problem.tensors()) {
    const std::uint64_t unit = DemandPager::unit_bytes_for(s);
    const std::uint64_t units = (s.bytes() + unit - 1) / unit;
    table_bytes += static_cast<double>(units) *
                   (s.role == Role::output ? 9 : 1);  // as memory_estimate counts them
  }
  return problem.plan().work_flops + table_bytes / 4096 * kPageTouchFlops;
}

std::uint64_t address_space_needed(const Problem& problem) {
  std::uint64_t total = 0;
  for (const TensorSpec& s : problem.tensors()) {
    const std::uint64_t guard = (std::uint64_t{1} << 32) * dtype_bytes(s.dtype);
    total += 2 * guard + 2 * s.bytes();  // the guards, the data and its writable alias
  }
  return total;
}

std::uint64_t address_space_limit() {
  // 40 TiB of the 128 TiB user address space of x86-64 and AArch64 Linux: measured here,
  // tensors reserving 48 TiB still ran and 62.5 TiB did not (the pager's own allocations no
  // longer found room); less if the process limit says so
  std::uint64_t limit = std::uint64_t{40} << 40;
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
    limit = std::min<std::uint64_t>(limit, as.rlim_cur / 2);
  return limit;
}

std::uint64_t resident_limit() {
  return kResidentBytes;
}

// Relates the first bad element of a failing verdict to the offsets that cross 2^31 or
// 2^32 at this shape and are computed in 32 bits by the index variant that ran.
std::string relate_to_crossings(const Verdict& v, const Shape& shape, const Problem& problem) {
  if (!is_failure(v.kind) || !v.first_bad || v.tensor.empty() || !shape.has("index")) return {};
  const std::string& variant = shape.text("index");
  const std::vector<TensorSpec> specs = problem.tensors();
  std::size_t tensor = specs.size();
  for (std::size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name == v.tensor) tensor = i;
  if (tensor == specs.size()) return {};
  const IndexProduct* best = nullptr;
  const Reach* best_reach = nullptr;
  const std::vector<IndexProduct> products = problem.index_products();
  // where a crossing lies in the bad tensor: its offset's own, or the output its row writes
  // (a loop bound's crossing is where the loop stops, in the tensor it bounds)
  const auto position = [&](const IndexProduct& p, const Reach& r) -> std::optional<std::int64_t> {
    if (r.output == v.tensor) return r.output_flat;
    if (p.tensor == v.tensor) return r.flat;
    return std::nullopt;
  };
  std::int64_t best_at = 0;
  for (const IndexProduct& p : products) {
    if (!p.narrow(variant)) continue;
    for (const Reach& r : p.reaches) {
      const auto at = position(p, r);
      if (!at || *at > v.first_bad->flat) continue;
      // the crossing closest below the bad element; a product rather than a sum on ties
      if (best_reach == nullptr || *at > best_at ||
          (*at == best_at && best->term == "offset" && p.term != "offset"))
        best = &p, best_reach = &r, best_at = *at;
    }
  }
  const std::string where = problem.locate(tensor, v.first_bad->flat);
  if (best == nullptr) {
    // damage below a crossing: an unsigned offset that reaches 2^32 wraps back into its own
    // tensor, 2^32 elements lower (a wrapped store landing on row 0)
    constexpr std::int64_t k2_32 = std::int64_t{1} << 32;
    for (const IndexProduct& p : products) {
      if (p.tensor != v.tensor || !p.narrow(variant) || !p.is_unsigned) continue;
      for (const Reach& r : p.reaches)
        if (r.bits == 32 && r.flat > v.first_bad->flat && r.flat - k2_32 <= v.first_bad->flat)
          return fmt::format(
              "{}: first bad {}: below the crossing where {} reaches 2^32 (at {}; 32-bit with "
              "index={}): the unsigned offset wraps there to {}, back into {}",
              v.tensor, where, p.expression, r.where, variant, r.flat - k2_32, v.tensor);
    }
  }
  if (best == nullptr)
    return fmt::format(
        "{}: first bad {}; no offset computed in 32 bits by index={} crosses "
        "2^31 before it",
        v.tensor, where, variant);
  return fmt::format("{}: first bad {}: where {} reaches 2^{} (at {}; 32-bit with index={})",
                     v.tensor, where, best->expression, best_reach->bits, best_reach->where,
                     variant);
}

std::string overflow_check_unavailable(Backend backend) {
  if (backend != Backend::cpu)
    return "--check overflow checks the kernel code compiled for the CPU backend; a GPU "
           "build's kernels have no such checks (run the case on --backend cpu)";
  if (!overflow::compiled_in())
    return "this build's kernels were compiled without the integer-overflow checks: they need "
           "clang 19 or later (the default preset's compiler; DIFFCHECK_OVERFLOW_CHECK)";
  return {};
}

void MemoryGate::enter(std::uint64_t bytes) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return running_ == 0 || used_ + bytes <= capacity_; });
  used_ += bytes;
  ++running_;
}

void MemoryGate::leave(std::uint64_t bytes) {
  {
    const std::lock_guard lock(mutex_);
    used_ -= bytes;
    --running_;
  }
  changed_.notify_all();
}

std::uint64_t available_memory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib << 10;
  return std::uint64_t{1} << 34;
}

namespace {

// Runs `probe` in a child process (the device runtime never starts in the harness, which
// forks) and returns what it answered; "" when it died or did not answer within two minutes.
std::string answer_in_child(const std::function<std::string()>& probe) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    ignore_interrupts_in_child();
    close(fds[0]);
    std::string answer;
    try {
      answer = probe();
    } catch (const std::exception& e) {
      answer = e.what();
    }
    (void)!write(fds[1], answer.data(), answer.size());
    _exit(0);
  }
  close(fds[1]);
  track_child(pid);
  bool timed_out = false, stopped = false;
  std::string answer = read_all_with_deadline(fds[0], Clock::now() + std::chrono::seconds(120),
                                              timed_out, interrupted, stopped);
  close(fds[0]);
  if (timed_out || stopped) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  untrack_child(pid);
  return stopped ? std::string() : answer;
}

}  // namespace

std::string backend_unavailable(Backend backend) {
  if (backend == Backend::cpu) return {};
  const DeviceBackend* device = device_backend();
  if (device == nullptr)
    return "--backend gpu: this build has no GPU backend (configure with -DDIFFCHECK_GPU=nvidia, "
           "e.g. the nvidia-device preset; AMD: README, \"GPU backend\")";
  const std::string why = answer_in_child([device] {
    const std::string reason = device->unavailable();
    return reason.empty() ? std::string("ok") : reason;
  });
  if (why == "ok") return {};
  return why.empty() ? "--backend gpu: the device probe died without an answer" : why;
}

int visible_devices() {
  const DeviceBackend* device = device_backend();
  if (device == nullptr || !device->count) return 0;
  const std::string answer = answer_in_child([device] {
    return device->unavailable().empty() ? std::to_string(device->count()) : std::string("0");
  });
  try {
    return answer.empty() ? 0 : std::stoi(answer);
  } catch (const std::exception&) {
    return 0;
  }
}

Verdict run_case(const Shape& shape, const RunOptions& options) {
  const KernelFamily& family = find_family(shape.kernel());
  const std::unique_ptr<Problem> problem = family.make(shape);
  const Plan plan = problem->plan();
  const std::uint64_t estimate = memory_estimate(*problem, plan).total();
  const std::uint64_t budget =
      options.memory_budget != 0 ? options.memory_budget : available_memory();
  if (estimate > budget)
    throw Refusal(fmt::format(
        "refused before allocating: the case needs about {:.2f} GiB, the budget is "
        "{:.2f} GiB (--mem-budget to change it)",
        static_cast<double>(estimate) / (1 << 30), static_cast<double>(budget) / (1 << 30)));

  if (options.backend == Backend::cpu) {
    // one tensor of more than 12 TiB: measured here, 12 TiB ran and 15.3 TiB did not (its
    // mapping succeeds, the pager's bookkeeping next to it does not)
    constexpr std::uint64_t kMaxTensorBytes = std::uint64_t{12} << 40;
    for (const TensorSpec& t : problem->tensors())
      if (t.bytes() > kMaxTensorBytes)
        throw Refusal(fmt::format(
            "refused before allocating: tensor '{}' needs {:.1f} TiB, more than the {:.0f} TiB "
            "one tensor of a case process may have",
            t.name, static_cast<double>(t.bytes()) / std::pow(2.0, 40),
            static_cast<double>(kMaxTensorBytes) / std::pow(2.0, 40)));
    const std::uint64_t needed = address_space_needed(*problem), limit = address_space_limit();
    if (needed > limit)
      throw Refusal(fmt::format(
          "refused before allocating: the tensors need {:.1f} TiB of address space (each "
          "between guards of 2^32 elements, demand-paged ones mapped twice), more than the "
          "{:.1f} TiB a case process can reserve",
          static_cast<double>(needed) / std::pow(2.0, 40),
          static_cast<double>(limit) / std::pow(2.0, 40)));
  }

  const DeviceBackend* device = options.backend == Backend::gpu ? device_backend() : nullptr;
  if (options.backend == Backend::gpu && device == nullptr)
    throw EnvironmentError(backend_unavailable(Backend::gpu));

  struct Admission {  // holds the case's share of the gate while it runs
    MemoryGate* gate;
    std::uint64_t bytes;
    ~Admission() {
      if (gate != nullptr) gate->leave(bytes);
    }
  } admission{options.gate, estimate};
  if (options.gate != nullptr) options.gate->enter(estimate);

  const auto start = Clock::now();
  if (!options.isolate) {
    if (device != nullptr)
      if (const std::string why = device->unavailable(); !why.empty()) throw EnvironmentError(why);
    overflow::Record record{};
    record.enabled = options.check_overflow ? 1 : 0;
    overflow::use_record(&record);
    amd_buffer::Record buffers{};
    buffers.zero_out_of_range = options.amd_buffers ? 1 : 0;
    amd_buffer::use_record(&buffers);
    Verdict v = execute(shape, *problem, plan, device, options.pager);
    overflow::use_record(nullptr);
    amd_buffer::use_record(nullptr);
    add_overflow(v, record, nullptr, shape, *problem);
    add_buffer_loads(v, buffers, nullptr, *problem);
    v.crossing = relate_to_crossings(v, shape, *problem);
    v.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
    return v;
  }

  const double timeout_s = options.timeout_s > 0  ? options.timeout_s
                           : family.timeout_s > 0 ? family.timeout_s
                                                  : 600.0;
  SharedFaultRecord record;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    // only the write end of this case's pipe stays open: a case forked by another thread of
    // the harness must not hold that case's pipe open past its end
    const auto keep = static_cast<unsigned>(pipe_fds[1]);
    close_range(3, keep - 1, 0);
    close_range(keep + 1, ~0U, 0);
    ignore_interrupts_in_child();
    use_fault_record(record.get());
    record.get().overflow.enabled = options.check_overflow ? 1 : 0;
    overflow::use_record(&record.get().overflow);
    record.get().buffers.zero_out_of_range = options.amd_buffers ? 1 : 0;
    amd_buffer::use_record(&record.get().buffers);
    install_fault_handlers();
    if (device != nullptr && options.device >= 0) select_device(options.device);
    std::string out;
    try {
      // the device runtime starts here, in the case process: never in the harness, which
      // forks (a device context does not survive a fork, nor a device fault)
      const std::string unavailable = device != nullptr ? device->unavailable() : "";
      out = !unavailable.empty()
                ? nlohmann::json{{"unavailable", unavailable}}.dump()
                : to_json(execute(shape, *problem, plan, device, options.pager)).dump();
    } catch (const DeviceRefusal& e) {
      out = nlohmann::json{{"refused", e.what()}}.dump();
    } catch (const std::exception& e) {
      Verdict err;
      err.shape = shape.print();
      err.message = fmt::format("harness error in the case process: {}", e.what());
      out = to_json(err).dump();
    }
    for (std::size_t done = 0; done < out.size();) {
      const ssize_t n = write(pipe_fds[1], out.data() + done, out.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    _exit(0);
  }
  close(pipe_fds[1]);
  track_child(pid);
  bool timed_out = false, stopped = false;
  const auto stop = [&options] { return interrupted() || (options.stop && options.stop()); };
  const std::string payload = read_all_with_deadline(
      pipe_fds[0],
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s)),
      timed_out, stop, stopped);
  close(pipe_fds[0]);
  if (timed_out || stopped) kill(pid, SIGKILL);
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  untrack_child(pid);
  if (stopped) throw Cancelled("the case was stopped before its verdict");

  Verdict v;
  v.shape = shape.print();
  if (timed_out) {
    v.kind = VerdictKind::timeout;
    v.message = fmt::format("no result within {} s; the case process was killed", timeout_s);
  } else if (WIFSIGNALED(status)) {
    const FaultRecord& r = record.get();
    if (r.faulted != 0) {
      diagnose_fault(r, *problem, shape.has("index") ? shape.text("index") : "", v);
    } else if (WTERMSIG(status) == SIGKILL) {
      // not by diffcheck (a timeout or a stop is handled above): the kernel's out-of-memory
      // killer is what sends it; the case says nothing of the kernel under test
      v.kind = VerdictKind::error;
      v.out_of_memory = true;
      v.message = fmt::format(
          "the case process was killed (SIGKILL, not sent by diffcheck) at a peak RSS of {} MiB: "
          "most likely by the out-of-memory killer; not a finding (--mem-budget, fewer --jobs)",
          usage.ru_maxrss >> 10);
    } else {
      v.kind = VerdictKind::crash;
      v.message = fmt::format("the case process died of signal {} ({})", WTERMSIG(status),
                              strsignal(WTERMSIG(status)));
    }
  } else if (payload.empty()) {
    v.kind = VerdictKind::crash;
    v.message =
        fmt::format("the case process exited with status {} and no verdict", WEXITSTATUS(status));
  } else {
    const nlohmann::json j = nlohmann::json::parse(payload);
    if (j.contains("unavailable")) throw EnvironmentError(j["unavailable"].get<std::string>());
    if (j.contains("refused")) throw Refusal(j["refused"].get<std::string>());
    v = verdict_from_json(j);
  }
  if (device != nullptr) v.backend = "gpu";
  add_overflow(v, record.get().overflow, &record.get(), shape, *problem);
  add_buffer_loads(v, record.get().buffers, &record.get(), *problem);
  v.run = run_summary(plan, device);
  v.crossing = relate_to_crossings(v, shape, *problem);
  v.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  v.peak_rss_bytes = static_cast<std::int64_t>(usage.ru_maxrss) << 10;
  v.estimate_bytes = static_cast<std::int64_t>(estimate);
  return v;
}

}  // namespace dc
