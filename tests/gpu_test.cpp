// The GPU backend's device guarded allocator and generator, on a real device. Every test
// runs in its own child process: a device fault ends the context, and a process that has
// initialized the runtime must not fork. Without a device every test is skipped (and CTest
// reports it as skipped).
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <functional>

#include "harness/device/device_buffer.hpp"
#include "harness/device/gpu_kernel.hpp"
#include "harness/family_check.hpp"
#include "harness/poison.hpp"
#include "harness/problem.hpp"
#include "harness/runner.hpp"
#include "kernels/chunk_gated_delta_rule_fwd_h/gpu_run.hpp"
#include "runtime/counter_rng.hpp"

namespace {

constexpr int kIllegalAddress = 700;

// Runs fn in a child process and returns what it returned (-1 if it died or threw).
int in_child(const std::function<int()>& fn) {
  auto* result = static_cast<int*>(
      mmap(nullptr, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  *result = -1;
  const pid_t pid = fork();
  if (pid == 0) {
    try {
      *result = fn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const int r = *result;
  munmap(result, sizeof(int));
  return r;
}

bool has_device() {
  static const int n = in_child([] { return dc::gpu::device_count(); });
  return n > 0;
}

class Gpu : public testing::Test {
 protected:
  void SetUp() override {
    if (!has_device()) GTEST_SKIP() << "no GPU device: the GPU backend's tests need one";
  }
};

// A one-element overrun, a one-element underrun (no slack: the size is a multiple of the
// 2 MiB granularity) and a 32-bit wrap (offset 2^31 + 5 computed in int32: -2^31 + 5) each
// land in an unmapped guard; the first and last elements do not.
TEST_F(Gpu, GuardsTurnOverrunUnderrunAndWrapIntoIllegalAddress) {
  const auto probe = [](std::int64_t n, std::int64_t index, bool wrap) {
    return in_child([=] {
      dc::gpu::DeviceGuardedBuffer b(n * 2, 2);
      return dc::gpu::write_probe(b.data(), index, wrap);
    });
  };
  constexpr std::int64_t odd = 4096 + 17, whole = std::int64_t{1} << 20;  // bf16 elements
  EXPECT_EQ(probe(odd, odd - 1, false), 0);
  EXPECT_EQ(probe(odd, odd, false), kIllegalAddress);
  EXPECT_EQ(probe(whole, 0, false), 0);
  EXPECT_EQ(probe(whole, -1, false), kIllegalAddress);
  EXPECT_EQ(probe(odd, 5, true), kIllegalAddress);
}

TEST_F(Gpu, GuardsAreAtLeast2To32ElementsAndTheEndIsFlush) {
  EXPECT_EQ(in_child([] {
              dc::gpu::DeviceGuardedBuffer b(1000 * 4, 4);
              return static_cast<int>(b.guard_bytes() >= (std::size_t{1} << 32) * 4 &&
                                      b.slack_bytes() > 0 && b.bytes() == 4000);
            }),
            1);
}

// Poisoned outputs: the scan counts the elements never written and names the first few;
// a write into the slack before the data damages the canary, and the scan says where.
TEST_F(Gpu, ScansFindUnwrittenElementsAndCanaryDamage) {
  EXPECT_EQ(in_child([] {
              constexpr std::int64_t n = 20000;
              dc::gpu::DeviceGuardedBuffer b(n * 2, 2);
              b.poison(dc::poison_bits(dc::DType::bf16));
              if (b.first_canary_damage()) return 10;
              for (std::int64_t i = 0; i < n; ++i)
                if (i != 3 && i != 7000 && dc::gpu::write_probe(b.data(), i, false) != 0) return 11;
              const auto scan = b.scan_poison(dc::poison_bits(dc::DType::bf16));
              if (scan.count != 2 || scan.first != std::vector<std::int64_t>{3, 7000}) return 12;
              if (dc::gpu::write_probe(b.data(), -1, false) != 0) return 13;  // in the slack
              const auto damage = b.first_canary_damage();
              return damage && *damage == -2 ? 1 : 14;
            }),
            1);
}

// The generator on the device gives the host's bits, around 2^32 too.
TEST_F(Gpu, DeviceGeneratorIsBitIdenticalToTheHost) {
  EXPECT_EQ(in_child([] {
              const std::uint64_t key = dc::rng::stream_key(12345, 7);
              for (const std::uint64_t begin : {std::uint64_t{0}, (std::uint64_t{1} << 32) - 500}) {
                const auto bits = dc::gpu::device_bits(key, begin, 1 << 20);
                const auto normal = dc::gpu::device_normalish(key, begin, 1 << 20);
                for (std::size_t i = 0; i < bits.size(); ++i)
                  if (bits[i] != dc::rng::bits_at(key, begin + i) ||
                      normal[i] != dc::rng::normalish_at(key, begin + i))
                    return 20;
              }
              return 1;
            }),
            1);
}

// The seed bug on the device (B=1, T=270336, H=32, Hg=16, K=V=128, bf16; 12 GiB of tensors):
// with index=i32 the wrapped h + i_t*stride_h hits h's leading guard (error 700); side by side
// in one plain allocation the same launch raises nothing and leaves chunk 4096 on of h
// unwritten (the wrapped writes went into another tensor); i64 writes every element of h.
TEST_F(Gpu, SeedKernelI32FaultsInTheGuardsAndCorruptsSilentlyWithout) {
  using dc::kernels::gdr_gpu::run_fixed_length;
  constexpr std::int64_t kChunkElements = 32 * 128 * 128;  // H * V * K
  // error * 10000 + (chunk of the first unwritten element of h) + 1, or + 0 when none
  const auto run = [&](const char* index, bool guarded) {
    return in_child([=] {
      const auto r = run_fixed_length(1, 270336, 32, 16, 128, 128, index, guarded);
      std::fprintf(
          stderr, "  index=%s %s: error %d, kernel %.1f ms, h unwritten %lld (first %lld)\n", index,
          guarded ? "guarded" : "side by side", r.error, r.kernel_ms,
          static_cast<long long>(r.h_unwritten), static_cast<long long>(r.first_unwritten));
      return r.error * 10000 +
             (r.first_unwritten < 0 ? 0 : static_cast<int>(r.first_unwritten / kChunkElements) + 1);
    });
  };
  EXPECT_EQ(run("i32", true), kIllegalAddress * 10000);
  EXPECT_EQ(run("i32", false), 4096 + 1);
  EXPECT_EQ(run("i64", true), 0);
  EXPECT_EQ(run("mixed", true), 0);
}

// Every family's device generator writes the bits its Problem::fill writes on the host, for
// every input tensor (varlen batches, gk, h0 and each dtype included).
TEST_F(Gpu, EveryFamilysDeviceGeneratorWritesTheHostsBits) {
  const std::vector<std::string> shapes{
      "chunk_gated_delta_rule_fwd_h:B=2,T=100,H=4,Hg=2,K=96,V=40,dtype=bf16,gk=1,h0=1",
      "chunk_gated_delta_rule_fwd_h:seqlens=70/1/200,H=3,K=128,V=33,BT=16,dtype=fp16,gk=1,seed=9",
      "chunk_gated_delta_rule_fwd_h:T=300,H=2,K=17,V=5,dtype=fp32,h0=1,seed=4",
      "defect_nan:n=5000,seed=3",
  };
  for (const std::string& text : shapes) {
    SCOPED_TRACE(text);
    EXPECT_EQ(in_child([&] {
                const dc::Shape shape = dc::parse_shape(text);
                const auto problem = dc::find_family(shape.kernel()).make(shape);
                const dc::gpu::GpuKernel* kernel = dc::gpu::find_gpu_kernel(shape.kernel());
                if (kernel == nullptr) return 10;
                const std::vector<dc::TensorSpec> specs = problem->tensors();
                for (std::size_t i = 0; i < specs.size(); ++i) {
                  if (specs[i].role != dc::Role::input || specs[i].elements() == 0) continue;
                  const std::int64_t n = specs[i].elements();
                  const std::size_t width = dc::dtype_bytes(specs[i].dtype);
                  dc::gpu::DeviceGuardedBuffer device(specs[i].bytes(), width);
                  kernel->fill(shape, i, device.data(), n);
                  dc::gpu::synchronize("fill");
                  const std::vector<std::byte> got =
                      dc::gpu::copy_runs_packed(device.data(), width, {dc::ElementRun{0, n, 0, 1}});
                  std::vector<std::byte> want(specs[i].bytes());
                  problem->fill(i, 0, n, want.data());
                  if (got != want) {
                    std::fprintf(stderr, "  %s differs\n", specs[i].name.c_str());
                    return 20 + static_cast<int>(i);
                  }
                }
                return 1;
              }),
              1);
  }
}

dc::Verdict on_gpu(const std::string& text) {
  dc::RunOptions o;
  o.backend = dc::Backend::gpu;
  return dc::run_case(dc::parse_shape(text), o);
}

// Small shapes through the GPU backend: the device's outputs against the float64 reference,
// as on the CPU backend (every element: whole-grid plans).
TEST_F(Gpu, SmallShapesPassOnTheDeviceAgainstTheReference) {
  for (const std::string text : {
           "chunk_gated_delta_rule_fwd_h:B=2,T=130,H=4,Hg=2,K=64,V=48,index=i32",
           "chunk_gated_delta_rule_fwd_h:seqlens=70/1/200,H=3,K=128,V=33,BT=16,dtype=fp16,gk=1",
           "chunk_gated_delta_rule_fwd_h:T=300,H=2,K=17,V=5,dtype=fp32,h0=1,ht=1,seed=4",
           // K = 256: 74.8 KiB of dynamic shared memory, past the 48 KiB default (the opt-in)
           "chunk_gated_delta_rule_fwd_h:T=100,H=2,K=256,V=40,h0=1,gk=1",
       }) {
    const dc::Verdict v = on_gpu(text);
    EXPECT_EQ(v.kind, dc::VerdictKind::pass) << dc::to_text(v);
    EXPECT_EQ(v.backend, "gpu");
    EXPECT_FALSE(v.checks.empty());
  }
}

// Every family whose kernels are files gets its device side from the same description
// (diffcheck_add_kernel_family): the generic checks run there as on the CPU backend (its
// small shapes pass in every variant and dtype, two runs agree, the 32-bit variant fails at
// its declared crossing and the fix passes), the whole grid on the device. A family without a
// device side says why.
TEST_F(Gpu, EveryFamilyWithADeviceSidePassesItsGenericChecksThere) {
  int families = 0;
  for (const dc::KernelFamily* f : dc::checkable_families()) {
    const std::string missing = dc::gpu::device_side_missing(f->name);
    if (!missing.empty()) continue;
    ++families;
    for (const dc::FamilyCheckResult& r : dc::check_family(*f, dc::Backend::gpu))
      EXPECT_TRUE(r.passed || r.skipped)
          << f->name << ": " << r.check << ": " << r.detail << "\n  " << r.shape;
  }
  EXPECT_GE(families, 11);  // the seed kernel and ten of the kernel-file families at least
}

// The planted defects on the device: a device fault where the CPU backend names an
// out-of-bounds access, and the same verdict as there for the others.
TEST_F(Gpu, EveryPlantedDefectGetsItsVerdict) {
  const std::vector<std::pair<std::string, dc::VerdictKind>> expected{
      {"defect_overrun_read:", dc::VerdictKind::device_fault},
      {"defect_overrun_write:", dc::VerdictKind::device_fault},
      {"defect_write_before_start:", dc::VerdictKind::device_fault},
      {"defect_wrapped_offset:", dc::VerdictKind::device_fault},
      {"defect_unwritten_tail:", dc::VerdictKind::unwritten},
      {"defect_hang:", dc::VerdictKind::timeout},
      {"defect_nan:", dc::VerdictKind::nonfinite},
      {"defect_slack_write:", dc::VerdictKind::canary},
  };
  for (const auto& [text, kind] : expected) {
    const dc::Verdict v = on_gpu(text);
    EXPECT_EQ(v.kind, kind) << dc::to_text(v);
    if (kind == dc::VerdictKind::device_fault) {
      EXPECT_NE(dc::to_text(v).find("pinpoint on the CPU backend: diffcheck --shape"),
                std::string::npos);
    }
  }
}

// The seed shape through the GPU backend: i32 faults in h's guard, i64 and mixed pass
// against the reference on the plan's sampled slices.
TEST_F(Gpu, SeedShapeFailsWithI32AndPassesWithI64AndMixed) {
  const std::string seed = "chunk_gated_delta_rule_fwd_h:B=1,T=270336,H=32,Hg=16,K=128,V=128";
  for (const std::string index : {"i32", "i64", "mixed"}) {
    const dc::Verdict v = on_gpu(seed + ",index=" + index);
    std::fprintf(stderr, "%s", dc::to_text(v).c_str());
    EXPECT_EQ(v.kind, index == "i32" ? dc::VerdictKind::device_fault : dc::VerdictKind::pass)
        << dc::to_text(v);
    EXPECT_TRUE(v.run.blocks.empty()) << "the device runs the whole grid";
  }
}

}  // namespace
