// A device array for the self-tests: filled from and read back to host vectors with the
// synchronous copies (which order after the legacy default stream).
#pragma once

#include <vector>

#include <cuda_runtime.h>
#include <gtest/gtest.h>

namespace simt_test {

template <class T>
class Buf {
 public:
  explicit Buf(size_t n) : n_(n) { EXPECT_EQ(cudaMalloc(&p_, n * sizeof(T)), cudaSuccess); }
  explicit Buf(const std::vector<T>& host) : Buf(host.size()) { put(host); }
  ~Buf() { (void)cudaFree(p_); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  T* get() const { return static_cast<T*>(p_); }
  void put(const std::vector<T>& host) {
    EXPECT_EQ(cudaMemcpy(p_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice), cudaSuccess);
  }
  std::vector<T> host() const {
    std::vector<T> h(n_);
    EXPECT_EQ(cudaMemcpy(h.data(), p_, n_ * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
    return h;
  }

 private:
  size_t n_;
  void* p_ = nullptr;
};

inline std::vector<float> iota_floats(int n, float scale = 1.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = scale * static_cast<float>(i + 1);
  return v;
}

}  // namespace simt_test
