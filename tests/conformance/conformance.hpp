// The conformance suite of the CPU runtime: one small kernel per feature of CUDA's vocabulary,
// each a Case whose values (bits) are compared with values computed on the host without the
// runtime. The same .cu files build with nvcc (conformance_gpu): what the GPU gives is recorded
// in gpu_h100.txt, and the CPU test checks it is bit for bit what the CPU gives where `exact`.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace conformance {

using Values = std::vector<std::uint64_t>;

struct Case {
  const char* name;
  Values (*run)();     // on the backend the file is built for
  Values (*expect)();  // on the host, independently of the runtime
  bool exact = true;   // the GPU gives these bits too (integer or order-defined operations)
  double ulps = 0;     // float results (bits of floats): within this many ulps of expect
  double abs = 0;      // ... or within this much of it (a documented absolute error bound)
};

inline std::vector<Case>& cases() {
  static std::vector<Case> all;
  return all;
}
struct Register {
  explicit Register(const Case& c) { cases().push_back(c); }
};

// Device memory holding `host`, read back whole.
template <class T>
class DeviceArray {
 public:
  explicit DeviceArray(const std::vector<T>& host) : n_(host.size()) {
    cudaMalloc(reinterpret_cast<void**>(&p_), bytes());
    cudaMemcpy(p_, host.data(), bytes(), cudaMemcpyHostToDevice);
  }
  explicit DeviceArray(std::size_t n, T fill = T{}) : DeviceArray(std::vector<T>(n, fill)) {}
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() { cudaFree(p_); }
  T* get() const { return p_; }
  std::vector<T> read() const {
    cudaDeviceSynchronize();
    std::vector<T> host(n_);
    cudaMemcpy(host.data(), p_, bytes(), cudaMemcpyDeviceToHost);
    return host;
  }

 private:
  std::size_t bytes() const { return n_ * sizeof(T); }
  std::size_t n_;
  T* p_ = nullptr;
};

// Each element's bits.
template <class T>
void append(Values& out, const std::vector<T>& v) {
  for (const T& x : v) {
    std::uint64_t b = 0;
    std::memcpy(&b, &x, sizeof(T));
    out.push_back(b);
  }
}
template <class T>
Values bits(const std::vector<T>& v) {
  Values out;
  append(out, v);
  return out;
}

// A deterministic stream of test inputs (an LCG), the same everywhere.
inline std::uint32_t lcg(std::uint32_t& state) {
  state = state * 1664525u + 1013904223u;
  return state >> 8;
}

}  // namespace conformance
