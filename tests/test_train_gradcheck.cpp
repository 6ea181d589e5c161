// The whole model's gradients (head + RNN, and embedding) against central finite differences
// of the loss, in float64 on the cpu-ref backend: every parameter element and every input
// element. Dropout (in the RNN and in the head) is on: its masks are a pure function of the
// seed, so the perturbed forwards see the same masks.
#include <cmath>
#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "recur/train/loss.h"
#include "recur/train/model.h"
#include "support/compare.h"
#include "support/random_inputs.h"

namespace recur::train {
namespace {

using test::close;

// Central differences have truncation error O(eps^2 f''') and rounding error O(1e-16 |loss| /
// eps): about 1e-10 absolute here. Tensors whose gradients are small (1e-4) then see relative
// errors near 1e-6; a wrong gradient is off by O(1).
constexpr double kEps = 1e-5;
constexpr test::Tolerance kFiniteDiff{1e-5, 1e-8};

template <class LossFn>
Tensor numeric_gradient(Tensor t, LossFn loss) {
  Tensor g = Tensor::empty(t.shape(), DType::F64);
  for (int64_t i = 0; i < t.numel(); ++i) {
    double& v = t.data<double>()[i];
    const double keep = v;
    v = keep + kEps;
    const double up = loss();
    v = keep - kEps;
    const double down = loss();
    v = keep;
    g.data<double>()[i] = (up - down) / (2 * kEps);
  }
  return g;
}

void check_all_parameters(Model& model, const std::function<double()>& loss) {
  ParamList params = model.params();
  ASSERT_FALSE(params.empty());
  for (Param& p : params) {
    const Tensor analytic = p.grad.clone();  // later forwards do not touch it, but be explicit
    double size = 0;
    for (int64_t i = 0; i < analytic.numel(); ++i) size += std::abs(analytic.item(i));
    EXPECT_GT(size, 0.0) << p.name << " has an all-zero gradient";
    EXPECT_TRUE(close(analytic, numeric_gradient(p.value, loss), kFiniteDiff, p.name));
  }
}

struct Case {
  Cell cell;
  int64_t layers;
  double dropout;
};

class GradcheckRegression : public ::testing::TestWithParam<Case> {};

// Sine-style: [T, B, I] -> RNN -> head on the last step -> MSE.
TEST_P(GradcheckRegression, HeadAndRnnOnTheLastStep) {
  const Case c = GetParam();
  RnnSpec spec;
  spec.cell = c.cell;
  spec.input_size = 3;
  spec.hidden_size = 5;
  spec.num_layers = c.layers;
  spec.dropout = c.dropout;
  Rng rng(31);
  Model model(spec, RnnParams::init_uniform(spec, 32, DType::F64),
              Sequential::parse("linear:5:4,relu,dropout:0.25,linear:4:2", rng, DType::F64),
              make_backend("cpu-ref"));
  Tensor x = test::random_tensor({4, 3, 3}, DType::F64, rng);
  const Tensor target = test::random_tensor({3, 2}, DType::F64, rng);
  const uint64_t seed = 77;
  const auto loss = [&] {
    return mse_loss(model.forward(x, Readout::Last, true, nullptr, seed), target).loss;
  };
  const LossResult r = mse_loss(model.forward(x, Readout::Last, true, nullptr, seed), target);
  const Tensor dx = model.backward(r.grad).clone();
  check_all_parameters(model, loss);
  EXPECT_TRUE(close(dx, numeric_gradient(x, loss), kFiniteDiff, "d loss / d x"));
}

INSTANTIATE_TEST_SUITE_P(Cells, GradcheckRegression,
                         ::testing::Values(Case{Cell::LSTM, 2, 0.3}, Case{Cell::GRU, 2, 0.3},
                                           Case{Cell::RNN_TANH, 1, 0.0}),
                         [](const ::testing::TestParamInfo<Case>& p) {
                           return std::string(cell_name(p.param.cell)) + "_L" +
                                  std::to_string(p.param.layers);
                         });

// Character-model style: token ids -> embedding -> RNN with a given initial state -> Linear on
// every step -> cross-entropy.
TEST(GradcheckTokens, EmbeddingRnnAndHeadOnEveryStepWithCarriedState) {
  for (Cell cell : {Cell::LSTM, Cell::GRU}) {
    SCOPED_TRACE(cell_name(cell));
    RnnSpec spec;
    spec.cell = cell;
    spec.input_size = 3;
    spec.hidden_size = 4;
    spec.num_layers = 2;
    Rng rng(41);
    Embedding embedding(6, 3, rng, DType::F64);
    Model model(spec, RnnParams::init_uniform(spec, 42, DType::F64),
                Sequential::parse("linear:4:6", rng, DType::F64), make_backend("cpu-ref"),
                std::move(embedding));
    const int64_t T = 5, B = 2;
    const std::vector<int32_t> ids = {0, 5, 3, 3, 1, 0, 2, 4, 5, 1};
    const std::vector<int32_t> targets = {5, 3, 3, 1, 0, 2, 4, 5, 1, 0};
    RnnState initial;
    initial.h = test::random_tensor({2, B, 4}, DType::F64, rng, -0.5, 0.5);
    if (cell == Cell::LSTM) initial.c = test::random_tensor({2, B, 4}, DType::F64, rng, -0.5, 0.5);
    const auto loss = [&] {
      RnnState s = initial;
      return cross_entropy(model.forward_tokens(ids, T, B, Readout::All, true, &s), targets).loss;
    };
    RnnState s = initial;
    const LossResult r =
        cross_entropy(model.forward_tokens(ids, T, B, Readout::All, true, &s), targets);
    EXPECT_FALSE(model.backward(r.grad).defined());
    EXPECT_EQ(s.h.shape(), Shape({2, B, 4}));  // the final state comes back for the next chunk
    check_all_parameters(model, loss);
  }
}

}  // namespace
}  // namespace recur::train
