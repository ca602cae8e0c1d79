// The seed shape on the CPU backend, and the float64 reference's throughput. Prints; asserts
// nothing. Goals (issue 4): peak RSS <= 1 GiB and <= 30 s wall per case on a 2-core machine.
//   build/bin/seed_shape_bench            (about a minute and a half)
#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "harness/runner.hpp"
#include "reference/chunk_gated_delta_rule_fwd_h/reference.hpp"

namespace {

using Clock = std::chrono::steady_clock;

void run_seed_shape() {
  fmt::print("seed shape, CPU backend (wall and peak RSS of the case process)\n");
  fmt::print("{:<6} {:<10} {:>8} {:>9} {:>9} {:>10} {:>8} {:>14}  {}\n", "index", "verdict",
             "wall s", "launch s", "verify s", "peak RSS", "blocks", "elements", "first bad");
  for (const char* index : {"i32", "i64", "mixed"}) {
    const dc::Shape shape = dc::parse_shape(fmt::format(
        "chunk_gated_delta_rule_fwd_h:B=1,T=270336,H=32,Hg=16,K=128,V=128,index={}", index));
    const dc::Verdict v = dc::run_case(shape);
    std::int64_t compared = 0;
    for (const dc::TensorCheck& c : v.checks) compared += c.compared;
    fmt::print("{:<6} {:<10} {:>8.1f} {:>9.1f} {:>9.1f} {:>6} MiB {:>4}/{:<3} {:>14}  {}\n", index,
               dc::verdict_name(v.kind), v.wall_s, v.launch_s, v.verify_s, v.peak_rss_bytes >> 20,
               v.run.blocks.size(), v.run.grid_blocks, compared,
               v.first_bad ? v.first_bad->coordinates : "");
  }
  fmt::print("(elements: compared against the reference; a failing case stops at its fault)\n\n");
}

std::string cpu_line(const char* key) {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key, 0) == 0) return line.substr(line.find(':') + 2);
  return "";
}

void run_reference() {
  namespace gdr = dc::reference::fwd_h;
  constexpr int kChunks = 1024, kK = 128, kBT = 64;
  fmt::print("float64 reference (ChunkRecurrence), K={}, BT={}, {} chunks, one thread\n", kK, kBT,
             kChunks);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  auto random = [&](Eigen::Index r, Eigen::Index c) {
    gdr::Matrix m(r, c);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng) * 0.05;
    return m;
  };
  for (int vs : {8, 32, 128}) {
    gdr::SequenceHead c;
    c.k = random(kBT, kK);
    c.w = random(kBT, kK);
    c.u = random(kBT, vs);
    c.g = gdr::Vector::LinSpaced(kBT, 0.0, -0.5);
    gdr::ChunkRecurrence r(gdr::Matrix::Zero(vs, kK));
    const auto start = Clock::now();
    double sink = 0;
    for (int i = 0; i < kChunks; ++i) sink += r.step(c).update_magnitude;
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    fmt::print("  {:>3} V columns: {:6.2f} GFLOP/s ({} flops in {:.3f} s; checksum {:.3g})\n", vs,
               static_cast<double>(r.flops()) / s / 1e9, r.flops(), s, sink);
  }
  const double mhz = std::stod(cpu_line("cpu MHz").empty() ? "0" : cpu_line("cpu MHz"));
  const unsigned cores = std::thread::hardware_concurrency();
  const std::string flags = cpu_line("flags");
  const bool fma = flags.find(" fma") != std::string::npos;
  fmt::print(
      "CPU: {}, {} hardware threads at {:.0f} MHz{}\n"
      "float64 peak per thread: {:.1f} GFLOP/s for this build's SSE2 code (2 adds + 2 multiplies "
      "of 2 doubles per cycle), {:.1f} GFLOP/s with 256-bit FMA (2 FMAs of 4 doubles per cycle)\n",
      cpu_line("model name"), cores, mhz, fma ? ", FMA available" : "", mhz * 8 / 1e3,
      mhz * 16 / 1e3);
}

}  // namespace

int main() {
  run_seed_shape();
  run_reference();
  return 0;
}
