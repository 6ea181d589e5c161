// The cuda backend's persistent kernels (kernels/cuda/persistent.cu) against cpu-ref: every
// cell x layers {1, 2} x {uni, bi}, float32 within the GPU bound (1e-4, TF32 off), inference,
// training forward and every gradient, at shapes that use several blocks with H not a multiple
// of the block's slice, B = 1 and T = 1; the persistent forward followed by the step path's
// backward and the reverse (one saved layout); determinism; the cooperative launch refusing an
// oversized grid; and the backend declining (and falling back to the step path, with the
// reason) where the kernel does not fit. Each test checks that the path it means ran
// (cuda_last_path). Skips with the reason when no usable GPU is present (on simt: never).
#include <cstring>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "test_cuda_support.h"
#include "test_driver_cases.h"
#if RECUR_WITH_CUDA
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/persistent.h"
#endif

namespace recur::test {
namespace {

#if RECUR_WITH_CUDA

using cuda::CudaPath;

// A cuda backend forced onto one path; the persistent one with `blocks` blocks per direction
// (0: planned; the emulator runs every block of a cooperative grid as a host thread).
std::unique_ptr<Backend> cuda_backend(CudaPath path, int64_t blocks = 4, bool bf16 = false) {
  CudaOptions o;
  o.path = path;
  o.persistent_blocks = blocks;
  o.persistent_bf16 = bf16;
  return make_cuda_backend(o);
}

void expect_path(const Backend& gpu, const std::string& want, const std::string& what) {
  const std::string got = cuda_last_path(gpu);
  EXPECT_EQ(got.rfind(want, 0), 0u) << what << ": ran " << got;
}

// Inference, training and backward of `c` on `gpu` against `ref`, each on the persistent path.
void run_persistent_case(Backend& gpu, Backend& ref, const Case& c,
                         const Tolerance tol = gpu_tol(DType::F32), bool backward = true) {
  SCOPED_TRACE(c.name());
  const RnnSpec spec = c.spec();
  const uint64_t seed = std::hash<std::string>{}(c.name());
  const RnnParams params = RnnParams::init_uniform(spec, seed, c.dtype);
  const RnnInputs in = random_inputs(spec, c.T, c.B, c.dtype, seed + 1, c.states);

  expect_outputs_near(gpu.forward(spec, params, in, {false, 0}),
                      ref.forward(spec, params, in, {false, 0}), c.cell, tol, "inference");
  expect_path(gpu, "persistent", "inference");
  const ForwardOptions train{true, seed + 2};
  const RnnOutputs want = ref.forward(spec, params, in, train);
  const RnnOutputs got = gpu.forward(spec, params, in, train);
  expect_outputs_near(got, want, c.cell, tol, "training");
  expect_path(gpu, "persistent", "training");
  if (!backward) return;
  const RnnGradOutputs grads = case_grads(c, want, seed + 3);
  expect_grads_near(gpu.backward(spec, params, in, got, grads),
                    ref.backward(spec, params, in, want, grads), c.cell, tol, "backward");
  expect_path(gpu, "persistent", "backward");
}

Case small_case(Cell cell, int64_t layers, bool bi, int i) {
  Case c;
  c.cell = cell;
  c.layers = layers;
  c.bidirectional = bi;
  c.dtype = DType::F32;
  c.I = 6;
  c.H = 17;  // 4 blocks of 5 units, the last with 2
  c.T = 4;
  c.B = 3;
  c.states = i % 2 == 0;
  c.bias = i % 3 != 1;
  c.batch_first = i % 4 == 3;
  c.dropout = layers > 1 && i % 3 == 0 ? 0.25 : 0.0;
  c.missing_grads = i % 5 == 4 ? 1 : 0;
  return c;
}

// Every cell x layers {1, 2} x {uni, bi}, several blocks, odd H; then B = 1 and T = 1.
TEST(CudaPersistent, EveryCellLayersDirectionsMatchCpuRef) {
  RECUR_SKIP_WITHOUT_CUDA();
  auto gpu = cuda_backend(CudaPath::Persistent);
  auto ref = make_backend("cpu-ref");
  int i = 0;
  for (Cell cell : all_cells()) {
    for (int64_t layers : {1, 2}) {
      for (bool bi : {false, true}) {
        Case c = small_case(cell, layers, bi, i++);
        run_persistent_case(*gpu, *ref, c);
        c.B = 1;
        c.T = 1;
        run_persistent_case(*gpu, *ref, c);
      }
    }
  }
}

// Wider: H = 70 over 6 blocks of 12 (the last with 10), more batch rows than a block's
// threads have units, and one block per direction (all units in one block).
TEST(CudaPersistent, WiderAndSingleBlockMatchCpuRef) {
  RECUR_SKIP_WITHOUT_CUDA();
  auto six = cuda_backend(CudaPath::Persistent, 6);
  auto one = cuda_backend(CudaPath::Persistent, 1);
  auto ref = make_backend("cpu-ref");
  int i = 0;
  for (Cell cell : {Cell::LSTM, Cell::GRU, Cell::RNN_TANH}) {
    Case c = small_case(cell, 1, i == 1, i);
    c.H = 70;
    c.I = 9;
    c.T = 3;
    c.B = 5;
    run_persistent_case(*six, *ref, c);
    c.H = 23;
    c.B = 2;
    run_persistent_case(*one, *ref, c);
    ++i;
  }
}

// One saved layout: the persistent forward's saved state serves the step path's backward, and
// the step path's forward the persistent backward.
TEST(CudaPersistent, EitherBackwardFollowsEitherForward) {
  RECUR_SKIP_WITHOUT_CUDA();
  auto persistent = cuda_backend(CudaPath::Persistent);
  auto step = cuda_backend(CudaPath::Step);
  auto ref = make_backend("cpu-ref");
  for (Cell cell : {Cell::LSTM, Cell::GRU}) {
    Case c = small_case(cell, 2, true, 0);
    c.dropout = 0.0;
    SCOPED_TRACE(c.name());
    const RnnSpec spec = c.spec();
    const RnnParams params = RnnParams::init_uniform(spec, 31, c.dtype);
    const RnnInputs in = random_inputs(spec, c.T, c.B, c.dtype, 32, true);
    const RnnOutputs want = ref->forward(spec, params, in, {true, 0});
    const RnnGradOutputs grads = random_grad_outputs(spec, want, 33);
    const RnnGrads want_grads = ref->backward(spec, params, in, want, grads);
    for (bool persistent_first : {true, false}) {
      Backend& fwd = persistent_first ? *persistent : *step;
      Backend& bwd = persistent_first ? *step : *persistent;
      const RnnOutputs got = fwd.forward(spec, params, in, {true, 0});
      expect_path(fwd, persistent_first ? "persistent" : "step", "forward");
      expect_grads_near(bwd.backward(spec, params, in, got, grads), want_grads, c.cell,
                        gpu_tol(c.dtype),
                        persistent_first ? "step backward" : "persistent backward");
      expect_path(bwd, persistent_first ? "step" : "persistent", "backward");
    }
  }
}

// W_hh held in bfloat16 on chip, the dot products' vectors rounded to it, float32 sums: every
// cell, two bidirectional layers and one plain layer at B = 1, T = 1, within the half-precision
// bound (1e-2) of cpu-ref's float32; and an LSTM whose float32 slice does not fit but whose
// bfloat16 one does. RNN_RELU's gradients are not compared: ReLU's derivative jumps at 0, so a
// pre-activation near 0 that bfloat16 rounding moves across it switches a unit's whole gradient
// path (seen here: 0.03-0.1 relative error through two layers), which no rounding bound covers;
// its forward is compared.
TEST(CudaPersistent, Bfloat16WeightsWithinHalfPrecisionBound) {
  RECUR_SKIP_WITHOUT_CUDA();
  auto gpu = cuda_backend(CudaPath::Persistent, 4, /*bf16=*/true);
  auto ref = make_backend("cpu-ref");
  int i = 0;
  for (Cell cell : all_cells()) {
    const bool smooth = cell != Cell::RNN_RELU;
    Case c = small_case(cell, 2, true, i++);
    run_persistent_case(*gpu, *ref, c, kHalf, smooth);
    c = small_case(cell, 1, false, i++);
    c.B = 1;
    c.T = 1;
    run_persistent_case(*gpu, *ref, c, kHalf, smooth);
  }
  // bfloat16 is really used: the outputs differ from the float32 kernels' by about its
  // rounding (2^-9 relative per value), far more than float32's summation-order noise.
  Case c = small_case(Cell::GRU, 1, false, 0);
  const RnnParams params = RnnParams::init_uniform(c.spec(), 61, c.dtype);
  const RnnInputs in = random_inputs(c.spec(), c.T, c.B, c.dtype, 62, true);
  auto f32 = cuda_backend(CudaPath::Persistent, 4, false);
  const double rel = difference(gpu->forward(c.spec(), params, in, {false, 0}).output,
                                f32->forward(c.spec(), params, in, {false, 0}).output)
                         .rel;
  EXPECT_GT(rel, 1e-4);
  EXPECT_LT(rel, 1e-2);
  Case big;
  big.cell = Cell::LSTM;
  big.dtype = DType::F32;
  big.H = 1400;
  auto planned = cuda_backend(CudaPath::Persistent, 0, true);
  EXPECT_EQ(cuda_path_for(*planned, big.spec(), DType::F32, 2, 1, false), "persistent");
  EXPECT_EQ(cuda_path_for(*planned, big.spec(), DType::F32, 2, 1, true), "persistent");
}

// auto plans the grid itself (here 9 units per block: at least 16 multiply-adds per thread)
// and takes the persistent kernels where the model predicts them faster; at a large batch the
// model predicts the step path's GEMM faster and auto declines with that reason.
TEST(CudaPersistent, AutoChoosesByTheModel) {
  RECUR_SKIP_WITHOUT_CUDA();
  auto gpu = cuda_backend(CudaPath::Auto, 0);
  auto ref = make_backend("cpu-ref");
  Case c = small_case(Cell::GRU, 1, false, 0);
  c.H = 40;
  c.B = 4;
  c.T = 3;
  run_persistent_case(*gpu, *ref, c);
  Case big = c;
  big.cell = Cell::LSTM;
  big.H = 512;
  const std::string why = cuda_path_for(*gpu, big.spec(), DType::F32, 10, 512, false);
  EXPECT_EQ(why.rfind("step: the model predicts the step path faster at B = 512", 0), 0u) << why;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.nbytes() == b.nbytes() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

// Two runs give the same bits: the dot products are summed in a fixed order, no atomics.
TEST(CudaPersistent, RepeatedRunsAreBitIdentical) {
  RECUR_SKIP_WITHOUT_CUDA();
  auto gpu = cuda_backend(CudaPath::Persistent);
  Case c = small_case(Cell::LSTM, 2, true, 0);
  c.dropout = 0.0;
  const RnnSpec spec = c.spec();
  const RnnParams params = RnnParams::init_uniform(spec, 41, c.dtype);
  const RnnInputs in = random_inputs(spec, c.T, c.B, c.dtype, 42, true);
  const RnnOutputs a = gpu->forward(spec, params, in, {true, 0});
  const RnnOutputs b = gpu->forward(spec, params, in, {true, 0});
  EXPECT_TRUE(same_bits(a.output, b.output));
  EXPECT_TRUE(same_bits(a.h_n, b.h_n));
  EXPECT_TRUE(same_bits(a.c_n, b.c_n));
  const RnnGradOutputs grads = random_grad_outputs(spec, a, 43);
  const RnnGrads ga = gpu->backward(spec, params, in, a, grads);
  const RnnGrads gb = gpu->backward(spec, params, in, b, grads);
  expect_path(*gpu, "persistent", "backward");
  EXPECT_TRUE(same_bits(ga.input, gb.input));
  EXPECT_TRUE(same_bits(ga.h0, gb.h0));
  EXPECT_TRUE(same_bits(ga.c0, gb.c0));
  for (size_t i = 0; i < ga.params.size(); ++i)
    EXPECT_TRUE(same_bits(ga.params[i], gb.params[i])) << ga.params.name(i);
}

// A grid larger than the blocks that can be co-resident is refused at the launch with
// cudaErrorCooperativeLaunchTooLarge (and leaves no error behind); the planner never asks
// for one.
TEST(CudaPersistent, OversizedCooperativeGridIsRefused) {
  RECUR_SKIP_WITHOUT_CUDA();
  const cuda::PersistentDevice device = cuda::current_persistent_device();
  RnnSpec spec;
  spec.cell = Cell::GRU;
  spec.input_size = 3;
  spec.hidden_size = 40;
  const cuda::PersistentShape fits = cuda::persistent_shape(spec, cuda::PersistentPass::Forward, 1);
  const int per_sm =
      device.blocks_per_sm(spec.cell, cuda::PersistentPass::Forward, false, fits.smem_bytes);
  ASSERT_GE(per_sm, 1);
  cuda::PersistentShape too_big = fits;
  too_big.blocks = static_cast<int64_t>(per_sm) * device.sms + 1;
  fused::FusedForward<float> f;  // never runs: the launch is refused before
  f.cell = spec.cell;
  f.T = 1, f.B = 1, f.H = spec.hidden_size, f.G = 3;
  EXPECT_EQ(cuda::launch_persistent_forward(nullptr, f, too_big),
            cudaErrorCooperativeLaunchTooLarge);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

// Where the kernel does not fit (an LSTM's W_hh slice above the shared memory of a block),
// the backend declines with the reason and the step path gives cpu-ref's results.
TEST(CudaPersistent, TooLargeFallsBackToStepPathWithReason) {
  RECUR_SKIP_WITHOUT_CUDA();
  auto gpu = cuda_backend(CudaPath::Persistent, 0);
  auto ref = make_backend("cpu-ref");
  Case c;
  c.cell = Cell::LSTM;
  c.dtype = DType::F32;
  c.I = 3;
  c.H = 1400;  // 11 units per block on 132 SMs: 44 rows x 1408 floats > 227 KB
  c.T = 2;
  c.B = 1;
  const RnnSpec spec = c.spec();
  const std::string why = cuda_path_for(*gpu, spec, DType::F32, c.T, c.B, false);
  EXPECT_EQ(why.rfind("step: W_hh does not fit on chip", 0), 0u) << why;
  EXPECT_NE(why.find("shared memory"), std::string::npos) << why;
  const RnnParams params = RnnParams::init_uniform(spec, 51, c.dtype);
  const RnnInputs in = random_inputs(spec, c.T, c.B, c.dtype, 52, true);
  expect_outputs_near(gpu->forward(spec, params, in, {false, 0}),
                      ref->forward(spec, params, in, {false, 0}), c.cell, gpu_tol(c.dtype),
                      "fallback");
  expect_path(*gpu, "step: W_hh does not fit on chip", "fallback");
  // float64 and an explicit step path decline too, each with its reason.
  EXPECT_EQ(cuda_path_for(*gpu, spec, DType::F64, 2, 1, false).rfind("step: ", 0), 0u);
  EXPECT_NE(cuda_path_for(*gpu, spec, DType::F64, 2, 1, false).find("float32 only"),
            std::string::npos);
  auto step = cuda_backend(CudaPath::Step);
  EXPECT_NE(cuda_path_for(*step, c.spec(), DType::F32, 2, 1, true).find("step path was asked"),
            std::string::npos);
}

// What `recur info` prints: the policy and, per cell, the largest H on chip (on an H100: the
// figures of docs/PERFORMANCE.md's table, which the emulated H100 reproduces).
TEST(CudaPersistent, DescribeNamesThePolicyAndTheLimits) {
  RECUR_SKIP_WITHOUT_CUDA();
  const std::string about = cuda_backend(CudaPath::Auto, 0)->describe();
  EXPECT_NE(about.find("cuda time loop: auto"), std::string::npos) << about;
  EXPECT_NE(about.find("largest H on chip"), std::string::npos) << about;
  int sms = 0;
  ASSERT_EQ(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0), cudaSuccess);
  if (sms == 132) {
    EXPECT_NE(about.find("RNN_TANH 2752 / 1920; GRU 1584 / 1120; LSTM 1320 / 960"),
              std::string::npos)
        << about;
  }
}

#else

TEST(CudaPersistent, NeedsTheCudaBackend) {
  GTEST_SKIP() << "recur was built without the cuda backend (RECUR_CUDA=OFF)";
}

#endif

}  // namespace
}  // namespace recur::test
