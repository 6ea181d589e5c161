// Optimizers against their update rules written out here element by element (and a few
// values worked by hand), clipping against the norm computed here, and optimizer state that
// survives a save/load round trip.
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "recur/safetensors.h"
#include "recur/train/optim.h"
#include "support/compare.h"
#include "support/random_inputs.h"

namespace recur::train {
namespace {

using test::close;
using test::random_tensor;

// Two parameters with fresh gradients for each of `steps` steps.
struct Problem {
  ParamList params;
  std::vector<std::vector<Tensor>> grads;  // [step][param]
};
Problem make_problem(DType dtype, int steps, uint64_t seed) {
  Rng rng(seed);
  Problem p;
  p.params.push_back({"a", random_tensor({3, 4}, dtype, rng), Tensor::zeros({3, 4}, dtype)});
  p.params.push_back({"b", random_tensor({5}, dtype, rng), Tensor::zeros({5}, dtype)});
  for (int s = 0; s < steps; ++s)
    p.grads.push_back({random_tensor({3, 4}, dtype, rng), random_tensor({5}, dtype, rng)});
  return p;
}

void set_grads(Problem& p, int step) {
  for (size_t i = 0; i < p.params.size(); ++i)
    std::memcpy(p.params[i].grad.raw(), p.grads[step][i].raw(), p.params[i].grad.nbytes());
}

TEST(TrainSgd, MomentumNesterovDampeningAndWeightDecayFollowTheRule) {
  struct Case {
    double momentum, dampening, wd;
    bool nesterov;
  };
  for (const Case c : {Case{0, 0, 0, false}, Case{0.9, 0, 0.01, false}, Case{0.8, 0.3, 0, false},
                       Case{0.9, 0, 0.05, true}}) {
    Problem p = make_problem(DType::F64, 4, 21);
    std::vector<Tensor> w_ref, buf_ref;
    for (const Param& q : p.params) {
      w_ref.push_back(q.value.clone());
      buf_ref.push_back(Tensor::zeros(q.value.shape(), DType::F64));
    }
    SgdOptions o;
    o.lr = 0.1, o.momentum = c.momentum, o.dampening = c.dampening, o.weight_decay = c.wd;
    o.nesterov = c.nesterov;
    Sgd sgd(o);
    for (int s = 0; s < 4; ++s) {
      set_grads(p, s);
      sgd.step(p.params);
      for (size_t i = 0; i < p.params.size(); ++i) {
        double* w = w_ref[i].data<double>();
        double* b = buf_ref[i].data<double>();
        for (int64_t k = 0; k < w_ref[i].numel(); ++k) {
          double d = p.grads[s][i].item(k) + c.wd * w[k];
          if (c.momentum != 0) {
            b[k] = s == 0 ? d : c.momentum * b[k] + (1 - c.dampening) * d;
            d = c.nesterov ? d + c.momentum * b[k] : b[k];
          }
          w[k] -= 0.1 * d;
        }
        EXPECT_TRUE(close(p.params[i].value, w_ref[i], test::kF64, "sgd " + p.params[i].name))
            << "momentum " << c.momentum << " step " << s;
      }
    }
    EXPECT_EQ(sgd.steps(), 4);
  }
}

TEST(TrainSgd, TwoStepsWorkedByHand) {
  // w = 1, g = 0.5 then 0.25, lr 0.1, momentum 0.9: b1 = 0.5, w = 0.95; b2 = 0.45 + 0.25 = 0.7,
  // w = 0.95 - 0.07 = 0.88.
  ParamList p = {{"w", Tensor::full({1}, 1.0, DType::F64), Tensor::full({1}, 0.5, DType::F64)}};
  SgdOptions o;
  o.lr = 0.1, o.momentum = 0.9;
  Sgd sgd(o);
  sgd.step(p);
  EXPECT_NEAR(p[0].value.item(0), 0.95, 1e-15);
  p[0].grad.fill(0.25);
  sgd.step(p);
  EXPECT_NEAR(p[0].value.item(0), 0.88, 1e-15);
}

TEST(TrainAdam, FollowsTheRuleWithBiasCorrection) {
  for (double wd : {0.0, 0.02}) {
    Problem p = make_problem(DType::F64, 5, 22);
    std::vector<Tensor> w_ref, m_ref, v_ref;
    for (const Param& q : p.params) {
      w_ref.push_back(q.value.clone());
      m_ref.push_back(Tensor::zeros(q.value.shape(), DType::F64));
      v_ref.push_back(Tensor::zeros(q.value.shape(), DType::F64));
    }
    AdamOptions o;
    o.lr = 0.01, o.weight_decay = wd;
    Adam adam(o);
    for (int s = 0; s < 5; ++s) {
      set_grads(p, s);
      adam.step(p.params);
      const double t = s + 1;
      for (size_t i = 0; i < p.params.size(); ++i) {
        for (int64_t k = 0; k < w_ref[i].numel(); ++k) {
          double& w = w_ref[i].data<double>()[k];
          double& m = m_ref[i].data<double>()[k];
          double& v = v_ref[i].data<double>()[k];
          const double g = p.grads[s][i].item(k) + wd * w;
          m = 0.9 * m + 0.1 * g;
          v = 0.999 * v + 0.001 * g * g;
          const double m_hat = m / (1 - std::pow(0.9, t)), v_hat = v / (1 - std::pow(0.999, t));
          w -= 0.01 * m_hat / (std::sqrt(v_hat) + 1e-8);
        }
        EXPECT_TRUE(close(p.params[i].value, w_ref[i], {1e-13, 1e-13}, "adam " + p.params[i].name))
            << "step " << s;
      }
    }
  }
}

TEST(TrainAdam, FirstStepMovesEachWeightByLrAgainstItsGradientSign) {
  // After one step m_hat = g and v_hat = g^2, so the update is lr * g / (|g| + eps).
  Rng rng(23);
  ParamList p = {{"w", random_tensor({50}, DType::F32, rng), random_tensor({50}, DType::F32, rng)}};
  const Tensor before = p[0].value.clone();
  AdamOptions o;
  o.lr = 0.05;
  Adam adam(o);
  adam.step(p);
  for (int64_t k = 0; k < 50; ++k) {
    const double sign = p[0].grad.item(k) > 0 ? 1.0 : -1.0;
    EXPECT_NEAR(p[0].value.item(k), before.item(k) - 0.05 * sign, 1e-6) << k;
  }
}

TEST(TrainOptim, StateRoundTripContinuesTheSameSteps) {
  for (const bool use_adam : {true, false}) {
    auto make = [&]() -> std::unique_ptr<Optimizer> {
      if (use_adam) return std::make_unique<Adam>(AdamOptions{});
      SgdOptions o;
      o.momentum = 0.9;
      return std::make_unique<Sgd>(o);
    };
    Problem a = make_problem(DType::F32, 6, 24);
    Problem b = make_problem(DType::F32, 6, 24);
    auto opt_a = make();
    auto opt_b = make();
    for (int s = 0; s < 3; ++s) {
      set_grads(a, s);
      opt_a->step(a.params);
      set_grads(b, s);
      opt_b->step(b.params);
    }
    TensorFile file;
    opt_b->save_state(file);
    auto resumed = make();
    resumed->load_state(file, b.params);
    EXPECT_EQ(resumed->steps(), 3);
    for (int s = 3; s < 6; ++s) {
      set_grads(a, s);
      opt_a->step(a.params);
      set_grads(b, s);
      resumed->step(b.params);
    }
    for (size_t i = 0; i < a.params.size(); ++i)
      EXPECT_TRUE(close(b.params[i].value, a.params[i].value, {0, 0}, a.params[i].name));
    // Another optimizer's state is refused.
    if (use_adam) {
      EXPECT_THROW(Sgd(SgdOptions{}).load_state(file, b.params), Error);
    } else {
      EXPECT_THROW(Adam(AdamOptions{}).load_state(file, b.params), Error);
    }
  }
}

TEST(TrainClip, ScalesToMaxNormAndReturnsThePreClipNorm) {
  Problem p = make_problem(DType::F64, 1, 25);
  set_grads(p, 0);
  double sq = 0;
  for (const Param& q : p.params)
    for (int64_t k = 0; k < q.grad.numel(); ++k) sq += q.grad.item(k) * q.grad.item(k);
  const double norm = std::sqrt(sq);
  ASSERT_GT(norm, 0.5);
  std::vector<Tensor> before;
  for (const Param& q : p.params) before.push_back(q.grad.clone());

  EXPECT_NEAR(clip_grad_norm(p.params, 2 * norm), norm, 1e-12);  // under the bound: unchanged
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_TRUE(close(p.params[i].grad, before[i], {0, 0}, "unclipped"));

  EXPECT_NEAR(clip_grad_norm(p.params, 0.5), norm, 1e-12);
  EXPECT_NEAR(grad_norm(p.params), 0.5, 1e-6);  // max_norm / (norm + 1e-6) * norm
  for (size_t i = 0; i < before.size(); ++i)
    for (int64_t k = 0; k < before[i].numel(); ++k)  // the direction is kept
      EXPECT_NEAR(p.params[i].grad.item(k), before[i].item(k) * 0.5 / (norm + 1e-6), 1e-14);
  EXPECT_THROW(clip_grad_norm(p.params, 0.0), Error);
}

}  // namespace
}  // namespace recur::train
