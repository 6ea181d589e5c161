// Shared by the GPU tests of the cuda backend (tests/test_cuda_*.cpp): the skip when no usable
// GPU (or no cuda backend) is present, the GPU tolerances, comparisons of whole outputs and
// gradients against cpu-ref, and host <-> device copies of tensors and parameters.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "recur/backend.h"
#include "recur/random.h"
#include "support/compare.h"
#if RECUR_WITH_CUDA
#include "kernels/cuda/device_memory.h"
#endif

namespace recur::test {

// True when the cuda backend is compiled in and a GPU can run it; otherwise *why says why not.
inline bool cuda_backend_usable(std::string* why) {
  const std::vector<std::string> names = backend_names();
  if (std::find(names.begin(), names.end(), "cuda") == names.end()) {
    *why = "recur was built without the cuda backend (RECUR_CUDA=OFF)";
    return false;
  }
  return gpu_available(why);
}

#define RECUR_SKIP_WITHOUT_CUDA()                                    \
  do {                                                               \
    std::string recur_why_;                                          \
    if (!::recur::test::cuda_backend_usable(&recur_why_))            \
      GTEST_SKIP() << "no GPU for the cuda backend: " << recur_why_; \
  } while (0)

// DESIGN.md's bounds for GPU backends (TF32 off).
inline Tolerance gpu_tol(DType dtype) {
  return dtype == DType::F64 ? kF64 : kF32Gpu;
}

inline void expect_outputs_near(const RnnOutputs& got, const RnnOutputs& ref, Cell cell,
                                Tolerance tol, const std::string& what) {
  EXPECT_TRUE(close(got.output, ref.output, tol, what + " output"));
  EXPECT_TRUE(close(got.h_n, ref.h_n, tol, what + " h_n"));
  if (cell == Cell::LSTM) {
    EXPECT_TRUE(close(got.c_n, ref.c_n, tol, what + " c_n"));
  }
}

inline void expect_grads_near(const RnnGrads& got, const RnnGrads& ref, Cell cell, Tolerance tol,
                              const std::string& what) {
  EXPECT_TRUE(close(got.input, ref.input, tol, what + " grad input"));
  EXPECT_TRUE(close(got.h0, ref.h0, tol, what + " grad h0"));
  if (cell == Cell::LSTM) {
    EXPECT_TRUE(close(got.c0, ref.c0, tol, what + " grad c0"));
  }
  ASSERT_EQ(got.params.size(), ref.params.size());
  for (size_t i = 0; i < ref.params.size(); ++i)
    EXPECT_TRUE(close(got.params[i], ref.params[i], tol, what + " grad " + ref.params.name(i)));
}

#if RECUR_WITH_CUDA
// A host copy of t (t itself when it is on the host; undefined stays undefined).
inline Tensor on_host(const Tensor& t) {
  return t.defined() && t.device() == Device::CUDA ? cuda::to_host(t) : t;
}
inline Tensor on_device(const Tensor& t) {
  return t.defined() && t.device() == Device::CPU ? cuda::to_device(t) : t;
}

inline RnnParams params_on(const RnnParams& p, Device device) {
  RnnParams out = p;  // shares the tensors until each is replaced
  for (size_t i = 0; i < out.size(); ++i)
    out.set(i, device == Device::CUDA ? on_device(p[i]) : on_host(p[i]));
  return out;
}

inline RnnOutputs outputs_on_host(const RnnOutputs& o) {
  RnnOutputs h = o;
  h.output = on_host(o.output);
  h.h_n = on_host(o.h_n);
  h.c_n = on_host(o.c_n);
  return h;
}

// A device array filled from / read back to a host vector (synchronising the device first, since
// the executor's streams do not synchronise with the legacy stream cudaMemcpy uses).
template <class T>
class DeviceVec {
 public:
  explicit DeviceVec(const std::vector<T>& host)
      : n_(static_cast<int64_t>(host.size())), buf_(host.size() * sizeof(T)) {
    if (n_) CUDA_CHECK(cudaMemcpy(buf_.get(), host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice));
    // A copy from pageable memory may return before it lands, and the executor's non-blocking
    // streams do not wait for the legacy stream: finish it before anything reads the buffer.
    CUDA_CHECK(cudaDeviceSynchronize());
  }
  T* get() const { return buf_.as<T>(); }
  std::vector<T> host() const {
    CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<T> h(static_cast<size_t>(n_));
    if (n_) CUDA_CHECK(cudaMemcpy(h.data(), buf_.get(), n_ * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
  }

 private:
  int64_t n_;
  cuda::DeviceBuffer buf_;
};

template <class T>
inline std::vector<T> random_vec(int64_t n, uint64_t seed, double lo = -1, double hi = 1) {
  Rng rng(seed);
  std::vector<T> v(static_cast<size_t>(n));
  for (T& x : v) x = static_cast<T>(rng.uniform(lo, hi));
  return v;
}

template <class T>
inline Tolerance tol_of() {
  return sizeof(T) == 8 ? kF64 : kF32Gpu;
}

// Compares two host vectors with the suite's helper.
template <class T>
::testing::AssertionResult near(const std::vector<T>& got, const std::vector<T>& want,
                                const std::string& what) {
  Tensor g = Tensor::empty({static_cast<int64_t>(got.size())}, dtype_of<T>());
  Tensor w = Tensor::empty({static_cast<int64_t>(want.size())}, dtype_of<T>());
  std::copy(got.begin(), got.end(), g.data<T>());
  std::copy(want.begin(), want.end(), w.data<T>());
  return close(g, w, tol_of<T>(), what);
}

inline RnnGrads grads_on_host(const RnnGrads& g) {
  RnnGrads h = g;
  h.input = on_host(g.input);
  h.h0 = on_host(g.h0);
  h.c0 = on_host(g.c0);
  h.params = params_on(g.params, Device::CPU);
  return h;
}
#endif

}  // namespace recur::test
