// The time-loop driver called directly on the CUDA executor with every output, gradient and the
// saved region poisoned with NaN on the device before each run (the Backend API allocates its
// own outputs, so only this level proves that every element is written), diffed against
// cpu-ref. Skips without a GPU.
#include <cstring>
#include <functional>

#include <gtest/gtest.h>

#include "kernels/common/driver_call.h"
#include "test_cuda_support.h"
#include "test_driver_cases.h"
#if RECUR_WITH_CUDA
#include "kernels/cuda/cuda_executor.h"
#endif

namespace recur::test {
namespace {

#if RECUR_WITH_CUDA

using cuda::CudaContext;
using cuda::CudaExecutor;

// A device tensor whose every byte is 0xFF: a NaN in float and in double.
Tensor poisoned_device(const Shape& shape, DType dtype) {
  Tensor t = cuda::device_empty(shape, dtype);
  if (t.nbytes()) CUDA_CHECK(cudaMemset(t.raw(), 0xFF, t.nbytes()));
  return t;
}

// driver_call.h's staging policy for this test: device tensors as they are, outputs new device
// tensors poisoned with NaN, so that every element the driver fails to write shows.
struct PoisonedDeviceStaging {
  template <class T>
  const T* input(const Tensor& t, const char* /*what*/) {
    return t.defined() ? static_cast<const T*>(t.raw()) : nullptr;
  }
  template <class T>
  Tensor output(const Shape& shape, T** data) {
    Tensor t = poisoned_device(shape, dtype_of<T>());
    *data = static_cast<T*>(t.raw());
    return t;
  }
};

struct DeviceRun {
  RnnParams params;
  RnnInputs in;
};

DeviceRun to_device_run(const RnnParams& params, const RnnInputs& in) {
  DeviceRun r{params_on(params, Device::CUDA), {}};
  r.in.input = on_device(in.input);
  r.in.h0 = on_device(in.h0);
  r.in.lengths = in.lengths;  // host integers, as every backend takes them
  r.in.c0 = on_device(in.c0);
  return r;
}

template <class T>
void run_poisoned(const std::shared_ptr<CudaContext>& ctx, Backend& ref, const Case& c) {
  SCOPED_TRACE(c.name());
  const RnnSpec spec = c.spec();
  const DType dtype = dtype_of<T>();
  const Tolerance tol = gpu_tol(dtype);
  const uint64_t seed = std::hash<std::string>{}(c.name());
  const RnnParams params = RnnParams::init_uniform(spec, seed, dtype);
  RnnInputs in = random_inputs(spec, c.T, c.B, dtype, seed + 1, c.states);
  in.lengths = c.lengths_tensor();
  const DeviceRun dev = to_device_run(params, in);
  const SeqDims dims{c.T, c.B};
  CudaExecutor<T> ex(ctx);
  PoisonedDeviceStaging st;

  Tensor saved = poisoned_device({driver::saved_elems(spec, c.T, c.B)}, dtype);
  auto forward = [&](bool training, uint64_t dropout_seed) {
    RnnOutputs out;
    driver::ForwardArgs<T> a =
        driver::forward_args<T>(spec, dev.params, dev.in, training, dropout_seed, dims, st, &out);
    a.saved = training ? static_cast<T*>(saved.raw()) : nullptr;
    // The poisoning memsets and the input copies ran on the legacy default stream, which the
    // executor's streams do not wait for by themselves (the backend's CallStaging does this).
    ctx->after_legacy_stream();
    driver::forward(ex, a);
    ctx->synchronize();
    return outputs_on_host(out);
  };

  expect_outputs_near(forward(false, 0), ref.forward(spec, params, in, {false, 0}), c.cell, tol,
                      "inference");
  const ForwardOptions train{true, seed + 2};
  const RnnOutputs want = ref.forward(spec, params, in, train);
  expect_outputs_near(forward(true, train.dropout_seed), want, c.cell, tol, "training");

  const RnnGradOutputs grads = case_grads(c, want, seed + 3);
  RnnGradOutputs d_grads;
  d_grads.output = on_device(grads.output);
  d_grads.h_n = on_device(grads.h_n);
  d_grads.c_n = on_device(grads.c_n);
  RnnGrads got;
  driver::BackwardArgs<T> a = driver::backward_args<T>(spec, dev.params, dev.in, train.dropout_seed,
                                                       d_grads, dims, st, &got);
  a.saved = static_cast<const T*>(saved.raw());
  ctx->after_legacy_stream();
  driver::backward(ex, a);
  ctx->synchronize();
  expect_grads_near(grads_on_host(got), ref.backward(spec, params, in, want, grads), c.cell, tol,
                    "backward");
}

TEST(CudaDriver, PoisonedOutputsMatchCpuRef) {
  RECUR_SKIP_WITHOUT_CUDA();
  auto ctx = std::make_shared<CudaContext>(false);
  auto ref = make_backend("cpu-ref");
  int i = 0;
  for (Cell cell : all_cells()) {
    for (bool bi : {false, true}) {
      for (int64_t B : {1, 5}) {
        Case c;
        c.cell = cell;
        c.layers = 2;
        c.bidirectional = bi;
        c.batch_first = i % 2 == 1;
        c.bias = i % 3 != 2;
        c.I = 6;
        c.H = 37;
        c.T = i % 4 == 3 ? 1 : 4;
        c.B = B;
        c.states = i % 4 < 2;
        c.dropout = 0.3;
        c.missing_grads = i % 5 == 4 ? 1 : 0;
        c.dtype = i % 2 == 0 ? DType::F32 : DType::F64;
        // Variable-length batches: unsorted with a length-1 sequence, or sorted below T.
        if (B == 5 && c.T == 4)
          c.lengths = i % 3 == 0 ? std::vector<int64_t>{3, 4, 1, 4, 2}
                                 : std::vector<int64_t>{3, 3, 2, 1, 1};
        if (c.dtype == DType::F32) {
          run_poisoned<float>(ctx, *ref, c);
        } else {
          run_poisoned<double>(ctx, *ref, c);
        }
        ++i;
      }
    }
  }
  // LSTM projections (m_t saved per step, h_t = m_t · W_hr^T written into the layer output).
  for (bool bi : {false, true}) {
    Case c;
    c.cell = Cell::LSTM;
    c.layers = 2;
    c.bidirectional = bi;
    c.batch_first = bi;
    c.I = 6;
    c.H = 37;
    c.proj_size = 11;
    c.T = 4;
    c.B = 5;
    c.states = !bi;
    c.dropout = 0.3;
    c.missing_grads = bi ? 2 : 0;
    c.dtype = bi ? DType::F64 : DType::F32;
    if (c.dtype == DType::F32) {
      run_poisoned<float>(ctx, *ref, c);
    } else {
      run_poisoned<double>(ctx, *ref, c);
    }
  }
}

#else

TEST(CudaDriver, NeedsCuda) {
  GTEST_SKIP() << "recur was built without CUDA";
}

#endif  // RECUR_WITH_CUDA

}  // namespace
}  // namespace recur::test
