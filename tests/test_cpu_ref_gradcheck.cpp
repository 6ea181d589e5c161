// cpu-ref's backward against central finite differences of its own forward, in float64, for
// every gradient it returns (input, h0, c0 and every parameter, every element), over the sweep
// cell x layers {1,2,3} x {uni, bi} x batch_first x bias, plus dropout in training,
// variable-length batches, and LSTM projections (proj_size) over layers {1,2} x {uni, bi} x
// batch_first x bias.
//
// Bound: relative L2 error <= 1e-6 and max-abs error <= 1e-6 (scaled by max(1, max|ref|)) per
// gradient tensor. With eps = 1e-6 the central difference's truncation error is O(eps^2) and
// its rounding error about 1e-16 * |terms of the loss| / eps, both far below the bound.
//
// RNN_RELU has a kink at 0: a pre-activation within ~eps of 0 would make the difference
// one-sided. The seeds are fixed, so a case either always passes or always fails; a kink would
// show up as a failure, never as a silent pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "test_cpu_ref_common.h"

namespace recur::test {
namespace {

constexpr double kEps = 1e-6;
constexpr Tolerance kFd{1e-6, 1e-6};

struct Case {
  RnnSpec spec;
  int64_t T = 3, B = 2;
  uint64_t seed = 1;
  std::vector<int64_t> lengths;  // a variable-length batch when not empty
};

// Checks every gradient of one case; the loss uses random grad_output, grad_h_n, grad_c_n.
void check_gradients(const Case& c) {
  const RnnSpec& spec = c.spec;
  auto backend = make_backend("cpu-ref");
  RnnParams params = RnnParams::init_uniform(spec, c.seed, DType::F64);
  RnnInputs in = random_inputs(spec, c.T, c.B, DType::F64, c.seed + 1, /*with_states=*/true);
  if (!c.lengths.empty()) {
    in.lengths = Tensor::empty({c.B}, DType::I64);
    std::copy(c.lengths.begin(), c.lengths.end(), in.lengths.data<int64_t>());
  }
  // Training, so that dropout (if any) is on; the same seed in every evaluation fixes the mask.
  const ForwardOptions opt{/*training=*/true, /*dropout_seed=*/c.seed + 2};

  const RnnOutputs out = backend->forward(spec, params, in, opt);
  const RnnGradOutputs gout = random_grad_outputs(spec, out, c.seed + 3);
  const RnnGrads grads = backend->backward(spec, params, in, out, gout);

  // dL/dt by central differences, perturbing t in place (t shares storage with params / in).
  auto numeric = [&](Tensor t) {
    Tensor g = Tensor::empty(t.shape(), DType::F64);
    double* v = t.data<double>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      const double keep = v[i];
      v[i] = keep + kEps;
      const double plus = loss(backend->forward(spec, params, in, opt), gout);
      v[i] = keep - kEps;
      const double minus = loss(backend->forward(spec, params, in, opt), gout);
      v[i] = keep;
      g.data<double>()[i] = (plus - minus) / (2 * kEps);
    }
    return g;
  };

  EXPECT_TRUE(close(grads.input, numeric(in.input), kFd, "grad input"));
  // A padded step reaches nothing: its input gradient is exactly zero.
  for (int64_t b = 0; b < static_cast<int64_t>(c.lengths.size()); ++b)
    for (int64_t t = c.lengths[b]; t < c.T; ++t)
      for (int64_t k = 0; k < spec.input_size; ++k) {
        const int64_t at = (spec.batch_first ? b * c.T + t : t * c.B + b) * spec.input_size + k;
        ASSERT_EQ(grads.input.data<double>()[at], 0.0) << "padded step t=" << t << " b=" << b;
      }
  EXPECT_TRUE(close(grads.h0, numeric(in.h0), kFd, "grad h0"));
  if (spec.has_cell_state()) {
    EXPECT_TRUE(close(grads.c0, numeric(in.c0), kFd, "grad c0"));
  } else {
    EXPECT_FALSE(grads.c0.defined());
  }
  ASSERT_EQ(grads.params.size(), params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    ASSERT_EQ(grads.params.name(i), params.name(i));
    ASSERT_EQ(grads.params[i].dtype(), DType::F64);
    EXPECT_TRUE(close(grads.params[i], numeric(params[i]), kFd, "grad " + params.name(i)));
  }
}

using SweepParam = std::tuple<Cell, int64_t, bool, bool, bool>;  // cell, L, bi, batch_first, bias

class CpuRefGradcheck : public ::testing::TestWithParam<SweepParam> {};

Case sweep_case(const SweepParam& p, int64_t T, int64_t B) {
  const auto [cell, layers, bi, batch_first, bias] = p;
  Case c;
  c.spec = make_spec(cell, layers, bi, batch_first, bias);
  c.T = T;
  c.B = B;
  c.seed = 1000 + 100 * static_cast<uint64_t>(cell) + 10 * static_cast<uint64_t>(layers) + 4 * bi +
           2 * batch_first + bias;
  return c;
}

TEST_P(CpuRefGradcheck, SeveralStepsAndRows) {
  check_gradients(sweep_case(GetParam(), 3, 2));
}

// T = 1 and B = 1: the edge where no state is carried between steps or rows.
TEST_P(CpuRefGradcheck, OneStepOneRow) {
  check_gradients(sweep_case(GetParam(), 1, 1));
}

std::string sweep_name(const ::testing::TestParamInfo<SweepParam>& info) {
  const auto [cell, layers, bi, batch_first, bias] = info.param;
  return std::string(cell_name(cell)) + "_L" + std::to_string(layers) + (bi ? "_bi" : "_uni") +
         (batch_first ? "_bf" : "_seq") + (bias ? "_bias" : "_nobias");
}

INSTANTIATE_TEST_SUITE_P(Sweep, CpuRefGradcheck,
                         ::testing::Combine(::testing::Values(Cell::RNN_TANH, Cell::RNN_RELU,
                                                              Cell::LSTM, Cell::GRU),
                                            ::testing::Values(1, 2, 3), ::testing::Bool(),
                                            ::testing::Bool(), ::testing::Bool()),
                         sweep_name);

// Dropout between layers in training: the mask is a pure function of the seed, so the
// finite differences see the same mask as the backward.
class CpuRefGradcheckDropout : public ::testing::TestWithParam<Cell> {};

TEST_P(CpuRefGradcheckDropout, ThreeLayersBidirectional) {
  Case c;
  c.spec = make_spec(GetParam(), 3, /*bi=*/true, /*batch_first=*/false, /*bias=*/true);
  c.spec.dropout = 0.4;
  c.seed = 77 + static_cast<uint64_t>(GetParam());
  check_gradients(c);
}

TEST_P(CpuRefGradcheckDropout, TwoLayersBatchFirst) {
  Case c;
  c.spec = make_spec(GetParam(), 2, /*bi=*/false, /*batch_first=*/true, /*bias=*/false);
  c.spec.dropout = 0.5;
  c.seed = 91 + static_cast<uint64_t>(GetParam());
  check_gradients(c);
}

// Variable-length batches: unsorted lengths with a length-1 sequence, bidirectional (the
// reverse direction starts at each sequence's own last step), stacked, batch-first, dropout.
class CpuRefGradcheckRagged : public ::testing::TestWithParam<Cell> {};

TEST_P(CpuRefGradcheckRagged, TwoLayersBidirectionalUnsorted) {
  Case c;
  c.spec = make_spec(GetParam(), 2, /*bi=*/true, /*batch_first=*/false, /*bias=*/true);
  c.T = 4;
  c.B = 3;
  c.lengths = {2, 4, 1};
  c.seed = 131 + static_cast<uint64_t>(GetParam());
  check_gradients(c);
}

TEST_P(CpuRefGradcheckRagged, BatchFirstWithDropoutAllBelowT) {
  Case c;
  c.spec = make_spec(GetParam(), 2, /*bi=*/true, /*batch_first=*/true, /*bias=*/false);
  c.spec.dropout = 0.4;
  c.T = 5;
  c.B = 3;
  c.lengths = {3, 1, 4};
  c.seed = 151 + static_cast<uint64_t>(GetParam());
  check_gradients(c);
}

INSTANTIATE_TEST_SUITE_P(Cells, CpuRefGradcheckRagged, ::testing::ValuesIn(all_cells()),
                         [](const ::testing::TestParamInfo<Cell>& cell_info) {
                           return std::string(cell_name(cell_info.param));
                         });

INSTANTIATE_TEST_SUITE_P(Cells, CpuRefGradcheckDropout, ::testing::ValuesIn(all_cells()),
                         [](const ::testing::TestParamInfo<Cell>& cell_info) {
                           return std::string(cell_name(cell_info.param));
                         });

// LSTM projections (proj_size P < H, h = W_hr (o * tanh(c))): weight_hr and the P-wide h0,
// h_n, output and weight_hh, over layers, directions, batch_first and bias.
using ProjParam = std::tuple<int64_t, bool, bool, bool>;  // L, bi, batch_first, bias

class CpuRefGradcheckProjection : public ::testing::TestWithParam<ProjParam> {};

Case projection_case(const ProjParam& p, int64_t T, int64_t B) {
  const auto [layers, bi, batch_first, bias] = p;
  Case c;
  c.spec = make_spec(Cell::LSTM, layers, bi, batch_first, bias, /*I=*/3, /*H=*/5);
  c.spec.proj_size = 2;
  c.T = T;
  c.B = B;
  c.seed = 5000 + 10 * static_cast<uint64_t>(layers) + 4 * bi + 2 * batch_first + bias;
  return c;
}

std::string projection_name(const ::testing::TestParamInfo<ProjParam>& info) {
  const auto [layers, bi, batch_first, bias] = info.param;
  return "P2_L" + std::to_string(layers) + (bi ? "_bi" : "_uni") + (batch_first ? "_bf" : "_seq") +
         (bias ? "_bias" : "_nobias");
}

TEST_P(CpuRefGradcheckProjection, SeveralStepsAndRows) {
  check_gradients(projection_case(GetParam(), 3, 2));
}

TEST_P(CpuRefGradcheckProjection, OneStepOneRow) {
  check_gradients(projection_case(GetParam(), 1, 1));
}

TEST(CpuRefGradcheckProjectionDropout, TwoLayersBidirectional) {
  Case c;
  c.spec = make_spec(Cell::LSTM, 2, /*bi=*/true, /*batch_first=*/false, /*bias=*/true, 4, 6);
  c.spec.proj_size = 3;
  c.spec.dropout = 0.3;
  c.seed = 6001;
  check_gradients(c);
}

// A projection on a variable-length batch: unsorted lengths with a length-1 sequence, both
// directions, two layers, batch-first.
TEST(CpuRefGradcheckProjectionRagged, TwoLayersBidirectionalUnsorted) {
  Case c;
  c.spec = make_spec(Cell::LSTM, 2, /*bi=*/true, /*batch_first=*/true, /*bias=*/true, 3, 5);
  c.spec.proj_size = 2;
  c.T = 4;
  c.B = 3;
  c.lengths = {2, 4, 1};
  c.seed = 6101;
  check_gradients(c);
}

INSTANTIATE_TEST_SUITE_P(Lstm, CpuRefGradcheckProjection,
                         ::testing::Combine(::testing::Values(1, 2), ::testing::Bool(),
                                            ::testing::Bool(), ::testing::Bool()),
                         projection_name);

}  // namespace
}  // namespace recur::test
