// The `cuda` backend diffed against `cpu-ref` over the driver tests' full sweep (every cell x
// layers {1,2,3} x {uni, bi} x batch_first x bias, odd sizes, T = 1, B = 1, with and without
// h0/c0, dropout in training, absent output gradients), inference and training, forward and
// every gradient: float32 within 1e-4 (TF32 off), float64 within 1e-12. Then device tensors in
// and out, determinism, TF32 only on request, and the error paths (no device, out of memory,
// foreign saved state, a "device" tensor in host memory). Every GPU test skips with the reason
// when no usable GPU is present; the no-device test runs exactly then.
#include <algorithm>
#include <cstring>
#include <functional>

#include <gtest/gtest.h>

#include "test_cuda_support.h"
#include "test_driver_cases.h"
#if RECUR_WITH_CUDA
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_context.h"
#endif

namespace recur::test {
namespace {

void run_case(Backend& gpu, Backend& ref, const Case& c) {
  SCOPED_TRACE(c.name());
  const RnnSpec spec = c.spec();
  const Tolerance tol = gpu_tol(c.dtype);
  const uint64_t seed = std::hash<std::string>{}(c.name());
  const RnnParams params = RnnParams::init_uniform(spec, seed, c.dtype);
  const RnnInputs in = case_inputs(c, seed + 1);

  expect_outputs_near(gpu.forward(spec, params, in, {false, 0}),
                      ref.forward(spec, params, in, {false, 0}), c.cell, tol, "inference");

  const ForwardOptions train{true, seed + 2};
  const RnnOutputs want = ref.forward(spec, params, in, train);
  const RnnOutputs got = gpu.forward(spec, params, in, train);
  expect_outputs_near(got, want, c.cell, tol, "training");
  const RnnGradOutputs grads = case_grads(c, want, seed + 3);
  expect_grads_near(gpu.backward(spec, params, in, got, grads),
                    ref.backward(spec, params, in, want, grads), c.cell, tol, "backward");
}

TEST(CudaBackend, NoDeviceGivesOneClearError) {
  std::string why;
  if (gpu_available(&why)) GTEST_SKIP() << "a GPU is present: " << why;
  const std::vector<std::string> names = backend_names();
  if (std::find(names.begin(), names.end(), "cuda") == names.end())
    GTEST_SKIP() << "recur was built without the cuda backend";
  try {
    make_backend("cuda");
    FAIL() << "make_backend(\"cuda\") succeeded without a GPU";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("cuda backend: no", 0), 0u) << msg;
    EXPECT_NE(msg.find("CUDA device"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  }
}

class CudaSweep : public ::testing::TestWithParam<DType> {};

TEST_P(CudaSweep, MatchesCpuRef) {
  RECUR_SKIP_WITHOUT_CUDA();
  auto gpu = make_backend("cuda");
  auto ref = make_backend("cpu-ref");
  for (const Case& c : sweep_cases(GetParam())) run_case(*gpu, *ref, c);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, CudaSweep, ::testing::Values(DType::F32, DType::F64),
                         [](const auto& param_info) {
                           return std::string(dtype_name(param_info.param));
                         });

// Sizes past one warp and one block: H not a multiple of 32, several blocks per pointwise
// pass, column sums over many rows, and B = 1 / T = 1 at a realistic width.
TEST(CudaBackend, LargerOddSizesMatchCpuRef) {
  RECUR_SKIP_WITHOUT_CUDA();
  auto gpu = make_backend("cuda");
  auto ref = make_backend("cpu-ref");
  int i = 0;
  for (Cell cell : {Cell::RNN_RELU, Cell::LSTM, Cell::GRU}) {
    Case c;
    c.cell = cell;
    c.layers = 2;
    c.bidirectional = true;
    c.batch_first = i % 2 == 1;
    c.I = 45;
    c.H = 100;
    c.T = 7;
    c.B = 70;
    c.dropout = 0.2;
    c.dtype = DType::F32;
    run_case(*gpu, *ref, c);
    c.B = 1;
    c.T = 1;
    c.H = 333;
    run_case(*gpu, *ref, c);
    ++i;
  }
}

#if RECUR_WITH_CUDA

bool same_bits(const Tensor& a, const Tensor& b) {
  const Tensor ha = on_host(a), hb = on_host(b);
  return ha.nbytes() == hb.nbytes() && std::memcmp(ha.raw(), hb.raw(), ha.nbytes()) == 0;
}

// Inputs, parameters and output gradients as device tensors: everything comes back on the
// device, with the values of the host path.
TEST(CudaBackend, DeviceTensorsInDeviceTensorsOut) {
  RECUR_SKIP_WITHOUT_CUDA();
  auto gpu = make_backend("cuda");
  Case c;
  c.cell = Cell::LSTM;
  c.layers = 2;
  c.bidirectional = true;
  c.I = 11;
  c.H = 37;
  c.T = 5;
  c.B = 3;
  c.dropout = 0.25;
  c.dtype = DType::F32;
  const RnnSpec spec = c.spec();
  const RnnParams params = RnnParams::init_uniform(spec, 21, c.dtype);
  const RnnInputs in = random_inputs(spec, c.T, c.B, c.dtype, 22, true);
  const RnnParams d_params = params_on(params, Device::CUDA);
  RnnInputs d_in;
  d_in.input = on_device(in.input);
  d_in.h0 = on_device(in.h0);
  d_in.c0 = on_device(in.c0);

  const RnnOutputs host = gpu->forward(spec, params, in, {true, 5});
  const RnnOutputs dev = gpu->forward(spec, d_params, d_in, {true, 5});
  EXPECT_EQ(dev.output.device(), Device::CUDA);
  EXPECT_EQ(dev.h_n.device(), Device::CUDA);
  EXPECT_EQ(dev.c_n.device(), Device::CUDA);
  const Tolerance same{1e-6, 1e-6};
  expect_outputs_near(outputs_on_host(dev), host, c.cell, same, "device forward");

  const RnnGradOutputs grads = random_grad_outputs(spec, host, 23);
  RnnGradOutputs d_grads;
  d_grads.output = on_device(grads.output);
  d_grads.h_n = on_device(grads.h_n);
  d_grads.c_n = on_device(grads.c_n);
  const RnnGrads g_host = gpu->backward(spec, params, in, host, grads);
  const RnnGrads g_dev = gpu->backward(spec, d_params, d_in, dev, d_grads);
  EXPECT_EQ(g_dev.input.device(), Device::CUDA);
  EXPECT_EQ(g_dev.h0.device(), Device::CUDA);
  for (size_t i = 0; i < g_dev.params.size(); ++i)
    EXPECT_EQ(g_dev.params[i].device(), Device::CUDA) << g_dev.params.name(i);
  expect_grads_near(grads_on_host(g_dev), g_host, c.cell, same, "device backward");

  // Mixed: host parameters with a device input still give device outputs.
  const RnnOutputs mixed = gpu->forward(spec, params, d_in, {false, 0});
  EXPECT_EQ(mixed.output.device(), Device::CUDA);
  expect_outputs_near(outputs_on_host(mixed), gpu->forward(spec, params, in, {false, 0}), c.cell,
                      same, "mixed");
}

TEST(CudaBackend, RepeatedRunsGiveIdenticalBits) {
  // No atomics anywhere (bias gradients are fixed-order column sums; one cuBLAS handle per
  // stream): two runs give the same bits.
  RECUR_SKIP_WITHOUT_CUDA();
  auto gpu = make_backend("cuda");
  RnnSpec spec;
  spec.cell = Cell::GRU;
  spec.input_size = 16;
  spec.hidden_size = 96;
  spec.num_layers = 2;
  spec.bidirectional = true;
  const RnnParams params = RnnParams::init_uniform(spec, 3, DType::F32);
  const RnnInputs in = random_inputs(spec, 9, 40, DType::F32, 4, true);
  const RnnOutputs f1 = gpu->forward(spec, params, in, {true, 9});
  const RnnOutputs f2 = gpu->forward(spec, params, in, {true, 9});
  EXPECT_TRUE(same_bits(f1.output, f2.output));
  const RnnGradOutputs grads = random_grad_outputs(spec, f1, 5);
  const RnnGrads g1 = gpu->backward(spec, params, in, f1, grads);
  const RnnGrads g2 = gpu->backward(spec, params, in, f2, grads);
  EXPECT_TRUE(same_bits(g1.input, g2.input));
  EXPECT_TRUE(same_bits(g1.h0, g2.h0));
  for (size_t i = 0; i < g1.params.size(); ++i)
    EXPECT_TRUE(same_bits(g1.params[i], g2.params[i])) << g1.params.name(i);
}

TEST(CudaBackend, Tf32OnlyWhenAsked) {
  EXPECT_EQ(cuda::cublas_math_mode(false), CUBLAS_DEFAULT_MATH);
  EXPECT_EQ(cuda::cublas_math_mode(true), CUBLAS_TF32_TENSOR_OP_MATH);
  RECUR_SKIP_WITHOUT_CUDA();
  cuda::CudaContext exact(false), fast(true);
  for (int lane = 0; lane < kMaxLanes; ++lane) {
    cublasMath_t mode{};
    ASSERT_EQ(cublasGetMathMode(exact.cublas(lane), &mode), CUBLAS_STATUS_SUCCESS);
    EXPECT_EQ(mode, CUBLAS_DEFAULT_MATH) << "lane " << lane;
    ASSERT_EQ(cublasGetMathMode(fast.cublas(lane), &mode), CUBLAS_STATUS_SUCCESS);
    EXPECT_EQ(mode, CUBLAS_TF32_TENSOR_OP_MATH) << "lane " << lane;
  }
  // The TF32 backend still computes the network (to TF32's precision).
  auto tf32 = make_cuda_backend(CudaOptions{true});
  auto ref = make_backend("cpu-ref");
  RnnSpec spec;
  spec.cell = Cell::LSTM;
  spec.input_size = 64;
  spec.hidden_size = 64;
  const RnnParams params = RnnParams::init_uniform(spec, 1, DType::F32);
  const RnnInputs in = random_inputs(spec, 4, 8, DType::F32, 2, true);
  expect_outputs_near(tf32->forward(spec, params, in, {false, 0}),
                      ref->forward(spec, params, in, {false, 0}), spec.cell, kHalf, "tf32");
}

TEST(CudaBackend, OutOfMemoryNamesTheBytes) {
  RECUR_SKIP_WITHOUT_CUDA();
  auto gpu = make_backend("cuda");
  // A small device input whose output, [T, B, H] = [12800, 1000, 4096] floats = 210 GB, fits
  // no GPU.
  RnnSpec spec;
  spec.cell = Cell::RNN_TANH;
  spec.input_size = 1;
  spec.hidden_size = 4096;
  const RnnParams params = params_on(RnnParams::init_uniform(spec, 1, DType::F32), Device::CUDA);
  RnnInputs in;
  in.input = on_device(Tensor::full({12800, 1000, 1}, 0.5));
  try {
    gpu->forward(spec, params, in, {false, 0});
    FAIL() << "a 210 GB output was allocated";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("out of GPU memory: requested"), std::string::npos) << msg;
    EXPECT_NE(msg.find("this call needs about"), std::string::npos) << msg;
  }
  // The backend is still usable afterwards.
  Case c;
  c.dtype = DType::F32;
  auto ref = make_backend("cpu-ref");
  run_case(*gpu, *ref, c);
}

TEST(CudaBackend, RejectsForeignSavedStateAndHostMemoryPosingAsDevice) {
  RECUR_SKIP_WITHOUT_CUDA();
  auto gpu = make_backend("cuda");
  auto ref = make_backend("cpu-ref");
  Case c;
  const RnnSpec spec = c.spec();
  const RnnParams params = RnnParams::init_uniform(spec, 1, DType::F64);
  const RnnInputs in = random_inputs(spec, c.T, c.B, DType::F64, 2, true);
  const RnnOutputs foreign = ref->forward(spec, params, in, {true, 0});
  const RnnGradOutputs grads = random_grad_outputs(spec, foreign, 3);
  EXPECT_THROW(gpu->backward(spec, params, in, foreign, grads), Error);
  EXPECT_THROW(gpu->backward(spec, params, in, gpu->forward(spec, params, in, {false, 0}), grads),
               Error);

  // A tensor tagged Device::CUDA whose storage is host memory.
  RnnInputs fake = in;
  auto host_copy = std::make_shared<Tensor>(in.input.clone());
  fake.input = Tensor::from_storage(in.input.shape(), in.input.dtype(), Device::CUDA,
                                    std::shared_ptr<void>(host_copy, host_copy->raw()));
  try {
    gpu->forward(spec, params, fake, {false, 0});
    FAIL() << "host memory was accepted as a device tensor";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("input: a device tensor"), std::string::npos) << e.what();
  }
}

#endif  // RECUR_WITH_CUDA

}  // namespace
}  // namespace recur::test
