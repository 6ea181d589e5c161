// The cudnn backend against cpu-ref: every cell x layers {1,2,3} x {uni,bi} x batch_first x bias,
// odd sizes (H = 5, T = 1, B = 1 among them), inference forward, training forward and backward with
// every gradient, float32 (<= 1e-4) and float64 (<= 1e-12), dropout 0 (cuDNN's dropout masks are
// not recur's). Then what only the cudnn backend has: device tensors, persistent algorithms with
// their fallback, parameters changed between calls, dropout reproducibility. GPU tests skip with
// the reason when no GPU is usable; the first test checks the error a GPU-less machine gets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "recur/backend.h"
#include "support/compare.h"
#include "support/random_inputs.h"

#if RECUR_WITH_CUDNN
#include "kernels/cuda/device_memory.h"
#include "kernels/cudnn/cudnn_backend.h"
#include "kernels/cudnn/cudnn_check.h"
#endif

namespace recur {
namespace {

bool built_with_cudnn() {
  const std::vector<std::string> names = backend_names();
  return std::find(names.begin(), names.end(), "cudnn") != names.end();
}

#define SKIP_UNLESS_CUDNN_RUNS()                                              \
  do {                                                                        \
    std::string why;                                                          \
    if (!built_with_cudnn()) GTEST_SKIP() << "recur was built without cuDNN"; \
    if (!gpu_available(&why)) GTEST_SKIP() << "no usable GPU: " << why;       \
  } while (0)

#if RECUR_WITH_CUDNN
// Which failures make the backend retry a persistent algorithm's shape with the standard one
// (host-only: the error class is plain data).
TEST(CudnnBackend, ErrorsThatMeanTheAlgorithmRefusesTheShape) {
  for (cudnnStatus_t s : {CUDNN_STATUS_NOT_SUPPORTED, CUDNN_STATUS_NOT_SUPPORTED_SHAPE,
                          CUDNN_STATUS_NOT_SUPPORTED_LAYOUT, CUDNN_STATUS_BAD_PARAM,
                          CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND})
    EXPECT_TRUE(cudnn::CudnnError(s, "x").refuses_configuration()) << static_cast<int>(s);
  for (cudnnStatus_t s :
       {CUDNN_STATUS_EXECUTION_FAILED, CUDNN_STATUS_INTERNAL_ERROR, CUDNN_STATUS_NOT_INITIALIZED})
    EXPECT_FALSE(cudnn::CudnnError(s, "x").refuses_configuration()) << static_cast<int>(s);
}
#endif

TEST(CudnnBackend, WithoutGpuMakeBackendThrowsNamingCuda) {
  if (!built_with_cudnn()) GTEST_SKIP() << "recur was built without cuDNN";
  std::string why;
  if (gpu_available(&why)) GTEST_SKIP() << "a GPU is present (" << why << ")";
  try {
    make_backend("cudnn");
    ADD_FAILURE() << "make_backend(\"cudnn\") succeeded without a GPU";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("CUDA"), std::string::npos) << message;
    EXPECT_NE(message.find("cudnn backend"), std::string::npos) << message;
  }
}

test::Tolerance tolerance(DType dtype) {
  return dtype == DType::F64 ? test::kF64 : test::kF32Gpu;
}

void expect_params_close(const RnnParams& got, const RnnParams& ref, test::Tolerance tol) {
  ASSERT_EQ(got.size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    EXPECT_EQ(got.name(i), ref.name(i));
    EXPECT_TRUE(test::close(got[i], ref[i], tol, "grad." + ref.name(i)));
  }
}

struct Case {
  RnnSpec spec;
  int64_t T = 4, B = 3;
  DType dtype = DType::F32;
  bool with_states = true;  // h0/c0 given (else zeros)
  bool all_grads = true;    // every output gets a gradient (else only `output`)
  uint64_t seed = 1;
};

std::string describe(const Case& c) {
  const RnnSpec& s = c.spec;
  return fmt::format("{} I={} H={} L={} {}{}{} T={} B={} {}{}{}", cell_name(s.cell), s.input_size,
                     s.hidden_size, s.num_layers, s.bidirectional ? "bi" : "uni",
                     s.bias ? "" : " no-bias", s.batch_first ? " batch-first" : "", c.T, c.B,
                     dtype_name(c.dtype), c.with_states ? "" : " zero-states",
                     c.all_grads ? "" : " grad-output-only");
}

// Inference forward, training forward and backward of `backend` against cpu-ref.
void check_against_cpu_ref(Backend& backend, const Case& c) {
  SCOPED_TRACE(describe(c));
  auto ref = make_backend("cpu-ref");
  const test::Tolerance tol = tolerance(c.dtype);
  const RnnParams params = RnnParams::init_uniform(c.spec, c.seed, c.dtype);
  const RnnInputs in = test::random_inputs(c.spec, c.T, c.B, c.dtype, c.seed + 1, c.with_states);

  ForwardOptions inference;
  const RnnOutputs got = backend.forward(c.spec, params, in, inference);
  const RnnOutputs want = ref->forward(c.spec, params, in, inference);
  EXPECT_TRUE(test::close(got.output, want.output, tol, "inference output"));
  EXPECT_TRUE(test::close(got.h_n, want.h_n, tol, "inference h_n"));
  if (c.spec.has_cell_state()) {
    EXPECT_TRUE(test::close(got.c_n, want.c_n, tol, "inference c_n"));
  }

  ForwardOptions training;
  training.training = true;
  const RnnOutputs got_t = backend.forward(c.spec, params, in, training);
  const RnnOutputs want_t = ref->forward(c.spec, params, in, training);
  EXPECT_TRUE(test::close(got_t.output, want_t.output, tol, "training output"));
  EXPECT_TRUE(test::close(got_t.h_n, want_t.h_n, tol, "training h_n"));
  if (c.spec.has_cell_state()) {
    EXPECT_TRUE(test::close(got_t.c_n, want_t.c_n, tol, "training c_n"));
  }

  RnnGradOutputs dout = test::random_grad_outputs(c.spec, want_t, c.seed + 2);
  if (!c.all_grads) dout.h_n = dout.c_n = Tensor();
  const RnnGrads g = backend.backward(c.spec, params, in, got_t, dout);
  const RnnGrads w = ref->backward(c.spec, params, in, want_t, dout);
  EXPECT_TRUE(test::close(g.input, w.input, tol, "grad input"));
  EXPECT_TRUE(test::close(g.h0, w.h0, tol, "grad h0"));
  if (c.spec.has_cell_state()) {
    EXPECT_TRUE(test::close(g.c0, w.c0, tol, "grad c0"));
  }
  expect_params_close(g.params, w.params, tol);
}

RnnSpec make_spec(Cell cell, int64_t I, int64_t H, int64_t L, bool bi, bool batch_first,
                  bool bias) {
  RnnSpec s;
  s.cell = cell;
  s.input_size = I;
  s.hidden_size = H;
  s.num_layers = L;
  s.bidirectional = bi;
  s.batch_first = batch_first;
  s.bias = bias;
  return s;
}

class CudnnSweep : public ::testing::TestWithParam<Cell> {};

// Layers x directions x batch_first x bias, in both dtypes, at H = 5 (not a multiple of 32).
TEST_P(CudnnSweep, MatchesCpuRef) {
  SKIP_UNLESS_CUDNN_RUNS();
  auto backend = make_backend("cudnn");
  uint64_t seed = 100;
  for (int64_t L : {1, 2, 3})
    for (bool bi : {false, true})
      for (bool batch_first : {false, true})
        for (bool bias : {true, false})
          for (DType dtype : {DType::F32, DType::F64}) {
            Case c;
            c.spec = make_spec(GetParam(), 3, 5, L, bi, batch_first, bias);
            c.dtype = dtype;
            c.with_states = seed % 3 != 0;
            c.all_grads = seed % 4 != 1;
            c.seed = seed += 10;
            check_against_cpu_ref(*backend, c);
          }
}

// Odd sizes: a single step, a single sequence, H and I off any power of two, T > H.
TEST_P(CudnnSweep, OddSizesMatchCpuRef) {
  SKIP_UNLESS_CUDNN_RUNS();
  auto backend = make_backend("cudnn");
  struct Size {
    int64_t I, H, T, B;
  };
  uint64_t seed = 500;
  for (const Size& z : {Size{3, 5, 1, 1}, Size{1, 7, 1, 4}, Size{17, 33, 9, 1}, Size{40, 64, 6, 5},
                        Size{6, 3, 23, 2}})
    for (DType dtype : {DType::F32, DType::F64}) {
      Case c;
      c.spec = make_spec(GetParam(), z.I, z.H, 2, true, seed % 2 == 0, true);
      c.T = z.T;
      c.B = z.B;
      c.dtype = dtype;
      c.seed = seed += 7;
      check_against_cpu_ref(*backend, c);
    }
}

INSTANTIATE_TEST_SUITE_P(AllCells, CudnnSweep, ::testing::ValuesIn(all_cells()),
                         [](const ::testing::TestParamInfo<Cell>& cell_info) {
                           return std::string(cell_name(cell_info.param));
                         });

// Inference never applies dropout, so a network with dropout still matches cpu-ref there.
TEST(CudnnBackend, InferenceIgnoresDropout) {
  SKIP_UNLESS_CUDNN_RUNS();
  auto backend = make_backend("cudnn");
  auto ref = make_backend("cpu-ref");
  RnnSpec spec = make_spec(Cell::LSTM, 4, 6, 3, true, false, true);
  spec.dropout = 0.5;
  const RnnParams params = RnnParams::init_uniform(spec, 3, DType::F32);
  const RnnInputs in = test::random_inputs(spec, 5, 2, DType::F32, 4, true);
  const RnnOutputs got = backend->forward(spec, params, in, {});
  const RnnOutputs want = ref->forward(spec, params, in, {});
  EXPECT_TRUE(test::close(got.output, want.output, test::kF32Gpu, "output"));
}

// Training dropout uses cuDNN's generator: the same seed gives the same result, and dropout
// changes the result (its masks are not recur's, so there is no cross-backend comparison).
TEST(CudnnBackend, TrainingDropoutIsReproduciblePerSeed) {
  SKIP_UNLESS_CUDNN_RUNS();
  auto backend = make_backend("cudnn");
  RnnSpec spec = make_spec(Cell::GRU, 4, 16, 2, false, false, true);
  spec.dropout = 0.5;
  const RnnParams params = RnnParams::init_uniform(spec, 5, DType::F32);
  const RnnInputs in = test::random_inputs(spec, 6, 4, DType::F32, 6, true);
  ForwardOptions training;
  training.training = true;
  training.dropout_seed = 42;
  const RnnOutputs a = backend->forward(spec, params, in, training);
  const RnnOutputs b = backend->forward(spec, params, in, training);
  const test::Difference same = test::difference(b.output, a.output);
  EXPECT_EQ(same.rel, 0.0);
  EXPECT_EQ(same.nonfinite, 0);
  const RnnOutputs without = backend->forward(spec, params, in, {});
  EXPECT_GT(test::difference(a.output, without.output).rel, 1e-3);
}

TEST(CudnnBackend, BackwardRejectsAnotherBackendsSavedState) {
  SKIP_UNLESS_CUDNN_RUNS();
  auto backend = make_backend("cudnn");
  auto ref = make_backend("cpu-ref");
  const RnnSpec spec = make_spec(Cell::RNN_TANH, 2, 3, 1, false, false, true);
  const RnnParams params = RnnParams::init_uniform(spec, 1, DType::F32);
  const RnnInputs in = test::random_inputs(spec, 2, 2, DType::F32, 2, false);
  ForwardOptions training;
  training.training = true;
  const RnnOutputs fwd = ref->forward(spec, params, in, training);
  EXPECT_THROW(backend->backward(spec, params, in, fwd, test::random_grad_outputs(spec, fwd, 3)),
               Error);
}

// Parameters changed in place between calls are seen (the weight space is re-packed each call).
TEST(CudnnBackend, SeesParametersChangedInPlace) {
  SKIP_UNLESS_CUDNN_RUNS();
  auto backend = make_backend("cudnn");
  auto ref = make_backend("cpu-ref");
  const RnnSpec spec = make_spec(Cell::LSTM, 3, 8, 2, false, false, true);
  RnnParams params = RnnParams::init_uniform(spec, 9, DType::F32);
  const RnnInputs in = test::random_inputs(spec, 4, 3, DType::F32, 10, true);
  backend->forward(spec, params, in, {});
  float* w = params.get(ParamKind::W_hh, 1, 0).data<float>();
  for (int64_t i = 0; i < params.get(ParamKind::W_hh, 1, 0).numel(); ++i) w[i] *= -1.5f;
  const RnnOutputs got = backend->forward(spec, params, in, {});
  const RnnOutputs want = ref->forward(spec, params, in, {});
  EXPECT_TRUE(test::close(got.output, want.output, test::kF32Gpu, "output after the change"));
}

#if RECUR_WITH_CUDNN
RnnInputs inputs_to_device(const RnnInputs& in) {
  RnnInputs d;
  d.input = cuda::to_device(in.input);
  if (in.h0.defined()) d.h0 = cuda::to_device(in.h0);
  if (in.c0.defined()) d.c0 = cuda::to_device(in.c0);
  return d;
}
#endif

// Device inputs and parameters give device results, equal to cpu-ref's.
TEST(CudnnBackend, DeviceTensorsInDeviceTensorsOut) {
  SKIP_UNLESS_CUDNN_RUNS();
#if RECUR_WITH_CUDNN
  auto backend = make_cudnn_backend(CudnnOptions{});
  auto ref = make_backend("cpu-ref");
  for (Cell cell : {Cell::LSTM, Cell::GRU}) {
    const RnnSpec spec = make_spec(cell, 5, 12, 2, true, cell == Cell::GRU, true);
    SCOPED_TRACE(cell_name(cell));
    const RnnParams params = RnnParams::init_uniform(spec, 11, DType::F32);
    RnnParams d_params = params;
    for (size_t i = 0; i < params.size(); ++i) d_params.set(i, cuda::to_device(params[i]));
    const RnnInputs in = test::random_inputs(spec, 7, 3, DType::F32, 12, true);
    const RnnInputs d_in = inputs_to_device(in);
    ForwardOptions training;
    training.training = true;

    const RnnOutputs got = backend->forward(spec, d_params, d_in, training);
    ASSERT_EQ(got.output.device(), Device::CUDA);
    const RnnOutputs want = ref->forward(spec, params, in, training);
    EXPECT_TRUE(test::close(cuda::to_host(got.output), want.output, test::kF32Gpu, "output"));
    EXPECT_TRUE(test::close(cuda::to_host(got.h_n), want.h_n, test::kF32Gpu, "h_n"));

    const RnnGradOutputs dout = test::random_grad_outputs(spec, want, 13);
    RnnGradOutputs d_dout;
    d_dout.output = cuda::to_device(dout.output);
    d_dout.h_n = cuda::to_device(dout.h_n);
    if (dout.c_n.defined()) d_dout.c_n = cuda::to_device(dout.c_n);
    const RnnGrads g = backend->backward(spec, d_params, d_in, got, d_dout);
    const RnnGrads w = ref->backward(spec, params, in, want, dout);
    ASSERT_EQ(g.input.device(), Device::CUDA);
    EXPECT_TRUE(test::close(cuda::to_host(g.input), w.input, test::kF32Gpu, "grad input"));
    EXPECT_TRUE(test::close(cuda::to_host(g.h0), w.h0, test::kF32Gpu, "grad h0"));
    for (size_t i = 0; i < w.params.size(); ++i) {
      ASSERT_EQ(g.params[i].device(), Device::CUDA) << w.params.name(i);
      EXPECT_TRUE(test::close(cuda::to_host(g.params[i]), w.params[i], test::kF32Gpu,
                              "grad." + w.params.name(i)));
    }
  }
#endif
}

// A persistent algorithm either runs or falls back to the standard one with a note; the results
// match cpu-ref either way.
TEST(CudnnBackend, PersistentAlgorithmsMatchCpuRefOrFallBack) {
  SKIP_UNLESS_CUDNN_RUNS();
#if RECUR_WITH_CUDNN
  for (CudnnAlgo algo :
       {CudnnAlgo::PersistStatic, CudnnAlgo::PersistStaticSmallH, CudnnAlgo::PersistDynamic}) {
    CudnnOptions options;
    options.algo = algo;
    auto backend = make_cudnn_backend(options);
    SCOPED_TRACE(backend->name());
    uint64_t seed = 900;
    for (Cell cell : {Cell::RNN_TANH, Cell::LSTM, Cell::GRU})
      for (bool bi : {false, true}) {
        Case c;
        c.spec = make_spec(cell, 16, 32, 2, bi, false, true);
        c.T = 10;
        c.B = 8;
        c.seed = seed += 3;
        check_against_cpu_ref(*backend, c);
      }
    for (const std::string& note : backend->notes()) std::printf("[   NOTE   ] %s\n", note.c_str());
  }
#endif
}

}  // namespace
}  // namespace recur
