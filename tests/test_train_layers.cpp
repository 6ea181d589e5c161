// Layers (Linear, ReLU, Dropout, Embedding, Sequential) and losses (MSE, cross-entropy), each
// against loops written here from the definitions, and the losses' gradients also against
// central finite differences of the loss value.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "recur/train/layers.h"
#include "recur/train/loss.h"
#include "support/compare.h"
#include "support/random_inputs.h"

namespace recur::train {
namespace {

using test::close;
using test::random_tensor;

// Linear's output and gradients by the definition, in double, for any dtype.
struct LinearRef {
  Tensor y, dx, dw, db;
};
LinearRef linear_reference(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& dy) {
  const int64_t n = x.dim(0), in = x.dim(1), out = w.dim(0);
  LinearRef r{Tensor::empty({n, out}, DType::F64), Tensor::empty({n, in}, DType::F64),
              Tensor::empty({out, in}, DType::F64), Tensor::empty({out}, DType::F64)};
  for (int64_t i = 0; i < n; ++i)
    for (int64_t o = 0; o < out; ++o) {
      double s = b.item(o);
      for (int64_t k = 0; k < in; ++k) s += x.item(i * in + k) * w.item(o * in + k);
      r.y.data<double>()[i * out + o] = s;
    }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < in; ++k) {
      double s = 0;
      for (int64_t o = 0; o < out; ++o) s += dy.item(i * out + o) * w.item(o * in + k);
      r.dx.data<double>()[i * in + k] = s;
    }
  for (int64_t o = 0; o < out; ++o) {
    double sb = 0;
    for (int64_t i = 0; i < n; ++i) sb += dy.item(i * out + o);
    r.db.data<double>()[o] = sb;
    for (int64_t k = 0; k < in; ++k) {
      double s = 0;
      for (int64_t i = 0; i < n; ++i) s += dy.item(i * out + o) * x.item(i * in + k);
      r.dw.data<double>()[o * in + k] = s;
    }
  }
  return r;
}

TEST(TrainLinear, ForwardBackwardMatchTheDefinition) {
  for (DType dtype : {DType::F64, DType::F32}) {
    const test::Tolerance tol = dtype == DType::F64 ? test::kF64 : test::kF32Cpu;
    for (auto [n, in, out] : {std::tuple{1, 1, 1}, std::tuple{7, 5, 3}, std::tuple{33, 17, 9}}) {
      Rng rng(100 + n);
      Linear lin(in, out, rng, dtype);
      const Tensor x = random_tensor({n, in}, dtype, rng);
      const Tensor dy = random_tensor({n, out}, dtype, rng);
      const LinearRef ref = linear_reference(x, lin.weight(), lin.bias(), dy);
      const Tensor y = lin.forward(x, true);
      const Tensor dx = lin.backward(dy);
      ParamList p = lin.params();
      ASSERT_EQ(p.size(), 2u);
      EXPECT_EQ(p[0].name, "weight");
      EXPECT_TRUE(close(y.to(DType::F64), ref.y, tol, "y"));
      EXPECT_TRUE(close(dx.to(DType::F64), ref.dx, tol, "dx"));
      EXPECT_TRUE(close(p[0].grad.to(DType::F64), ref.dw, tol, "d weight"));
      EXPECT_TRUE(close(p[1].grad.to(DType::F64), ref.db, tol, "d bias"));
    }
  }
}

TEST(TrainLinear, InitialisationIsPyTorchsUniformBound) {
  Rng rng(7);
  Linear lin(64, 200, rng);
  const double bound = 1.0 / std::sqrt(64.0);
  double lo = 1, hi = -1;
  for (const Tensor* t : {&lin.weight(), &lin.bias()})
    for (int64_t i = 0; i < t->numel(); ++i) {
      lo = std::min(lo, t->item(i));
      hi = std::max(hi, t->item(i));
    }
  EXPECT_GE(lo, -bound);
  EXPECT_LE(hi, bound);
  // 12800 uniform draws come within 1% of both ends.
  EXPECT_LT(lo, -0.99 * bound);
  EXPECT_GT(hi, 0.99 * bound);
}

TEST(TrainLinear, RejectsMismatchedInputAndBackwardWithoutForward) {
  Rng rng(1);
  Linear lin(4, 2, rng);
  EXPECT_THROW(lin.forward(Tensor::zeros({3, 5}), true), Error);
  EXPECT_THROW(lin.backward(Tensor::zeros({3, 2})), Error);
  lin.forward(Tensor::full({3, 4}, 0.5), /*training=*/false);
  EXPECT_THROW(lin.backward(Tensor::zeros({3, 2})), Error);  // inference keeps nothing
}

TEST(TrainReLU, ForwardAndBackward) {
  Rng rng(3);
  const Tensor x = random_tensor({9, 11}, DType::F64, rng);
  const Tensor dy = random_tensor({9, 11}, DType::F64, rng);
  ReLU relu;
  const Tensor y = relu.forward(x, true);
  const Tensor dx = relu.backward(dy);
  Tensor y_ref = Tensor::empty(x.shape(), DType::F64),
         dx_ref = Tensor::empty(x.shape(), DType::F64);
  for (int64_t i = 0; i < x.numel(); ++i) {
    y_ref.data<double>()[i] = x.item(i) > 0 ? x.item(i) : 0.0;
    dx_ref.data<double>()[i] = x.item(i) > 0 ? dy.item(i) : 0.0;
  }
  EXPECT_TRUE(close(y, y_ref, test::kF64, "relu y"));
  EXPECT_TRUE(close(dx, dx_ref, test::kF64, "relu dx"));
}

TEST(TrainDropout, DropsAboutPAndScalesSurvivors) {
  const double p = 0.3;
  Dropout drop(p, 42);
  Rng rng(5);
  const Tensor x = random_tensor({100, 100}, DType::F64, rng, 0.5, 1.5);  // never zero
  const Tensor dy = random_tensor({100, 100}, DType::F64, rng);
  const Tensor y = drop.forward(x, true);
  const Tensor dx = drop.backward(dy);
  int64_t dropped = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (y.item(i) == 0.0) {
      ++dropped;
      EXPECT_EQ(dx.item(i), 0.0);
    } else {
      EXPECT_NEAR(y.item(i), x.item(i) / (1 - p), 1e-12);
      EXPECT_NEAR(dx.item(i), dy.item(i) / (1 - p), 1e-12);
    }
  }
  // Binomial(10000, 0.3): standard deviation 46; 5 sigma.
  EXPECT_NEAR(static_cast<double>(dropped), p * 1e4, 230);
}

TEST(TrainDropout, MasksAreSeededAndIdentityAtInference) {
  Rng rng(6);
  const Tensor x = random_tensor({20, 30}, DType::F32, rng, 0.5, 1.5);
  Dropout a(0.5, 1), b(0.5, 1);
  const Tensor ya1 = a.forward(x, true), yb1 = b.forward(x, true);
  EXPECT_TRUE(close(ya1, yb1, {0, 0}, "same seed, same mask"));
  const Tensor ya2 = a.forward(x, true);  // the next call draws a new mask
  EXPECT_FALSE(test::difference(ya1, ya2).max_abs == 0);
  a.reseed(1);
  EXPECT_TRUE(close(a.forward(x, true), ya1, {0, 0}, "reseed restarts the sequence"));
  EXPECT_TRUE(close(a.forward(x, false), x, {0, 0}, "inference is the identity"));
}

TEST(TrainEmbedding, LooksUpRowsAndAddsGradientsOfRepeatedIds) {
  Rng rng(8);
  Embedding emb(6, 4, rng, DType::F64);
  const std::vector<int32_t> ids = {2, 0, 2, 5, 2};
  const Tensor y = emb.forward(ids);
  for (size_t r = 0; r < ids.size(); ++r)
    for (int64_t j = 0; j < 4; ++j)
      EXPECT_EQ(y.item(static_cast<int64_t>(r) * 4 + j), emb.weight().item(ids[r] * 4 + j));
  const Tensor dy = random_tensor({5, 4}, DType::F64, rng);
  emb.backward(dy);
  Tensor ref = Tensor::zeros({6, 4}, DType::F64);
  for (size_t r = 0; r < ids.size(); ++r)
    for (int64_t j = 0; j < 4; ++j)
      ref.data<double>()[ids[r] * 4 + j] += dy.item(static_cast<int64_t>(r) * 4 + j);
  EXPECT_TRUE(close(emb.params("embedding")[0].grad, ref, test::kF64, "embedding grad"));
  EXPECT_EQ(emb.params("embedding")[0].name, "embedding.weight");
  EXPECT_THROW(emb.forward({6}), Error);
  EXPECT_THROW(emb.forward({-1}), Error);
}

TEST(TrainSequential, ParsesDescribesAndNamesLikePyTorch) {
  Rng rng(9);
  Sequential seq = Sequential::parse("linear:8:4,relu,dropout:0.25,linear:4:1", rng);
  EXPECT_EQ(seq.describe(), "linear:8:4,relu,dropout:0.25,linear:4:1");
  const ParamList p = seq.params("head");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].name, "head.0.weight");
  EXPECT_EQ(p[1].name, "head.0.bias");
  EXPECT_EQ(p[2].name, "head.3.weight");
  EXPECT_EQ(p[3].name, "head.3.bias");
  EXPECT_EQ(seq.forward(Tensor::full({5, 8}, 0.1), false).shape(), Shape({5, 1}));
  for (const char* bad : {"linear:8", "linear:0:3", "conv:3", "dropout:1.5", "relu:2"})
    EXPECT_THROW(Sequential::parse(bad, rng), Error) << bad;
}

// ---- losses ----

// Central differences of a scalar function of t's elements.
template <class F>
Tensor numeric_gradient(Tensor t, F loss) {
  Tensor g = Tensor::empty(t.shape(), DType::F64);
  const double eps = 1e-6;
  for (int64_t i = 0; i < t.numel(); ++i) {
    double& v = t.data<double>()[i];
    const double keep = v;
    v = keep + eps;
    const double up = loss();
    v = keep - eps;
    const double down = loss();
    v = keep;
    g.data<double>()[i] = (up - down) / (2 * eps);
  }
  return g;
}

constexpr test::Tolerance kNumeric{1e-7, 1e-8};

TEST(TrainLoss, MseMatchesTheDefinitionAndItsDerivative) {
  Rng rng(10);
  const Tensor pred = random_tensor({6, 3}, DType::F64, rng);
  const Tensor target = random_tensor({6, 3}, DType::F64, rng);
  const LossResult r = mse_loss(pred, target);
  double sum = 0;
  for (int64_t i = 0; i < 18; ++i) sum += std::pow(pred.item(i) - target.item(i), 2);
  EXPECT_NEAR(r.loss, sum / 18, 1e-15);
  EXPECT_TRUE(close(r.grad, numeric_gradient(pred, [&] { return mse_loss(pred, target).loss; }),
                    kNumeric, "mse grad"));
  // A value worked by hand: pred (1, 2), target (0, 4): ((1)^2 + (-2)^2) / 2 = 2.5.
  Tensor a = Tensor::empty({2}, DType::F32), b = Tensor::empty({2}, DType::F32);
  a.data<float>()[0] = 1, a.data<float>()[1] = 2, b.data<float>()[0] = 0, b.data<float>()[1] = 4;
  const LossResult h = mse_loss(a, b);
  EXPECT_DOUBLE_EQ(h.loss, 2.5);
  EXPECT_FLOAT_EQ(h.grad.data<float>()[0], 1.0f);   // 2 * 1 / 2
  EXPECT_FLOAT_EQ(h.grad.data<float>()[1], -2.0f);  // 2 * -2 / 2
  EXPECT_THROW(mse_loss(a, Tensor::zeros({3}, DType::F32)), Error);
}

TEST(TrainLoss, CrossEntropyMatchesTheDefinitionAndItsDerivative) {
  Rng rng(11);
  const Tensor logits = random_tensor({5, 7}, DType::F64, rng, -3, 3);
  const std::vector<int32_t> targets = {0, 6, 3, 3, 1};
  const LossResult r = cross_entropy(logits, targets);
  double sum = 0;  // -log(exp(z_y) / sum exp(z)), without any shift (the logits are small)
  for (int64_t i = 0; i < 5; ++i) {
    double z = 0;
    for (int64_t j = 0; j < 7; ++j) z += std::exp(logits.item(i * 7 + j));
    sum += -std::log(std::exp(logits.item(i * 7 + targets[i])) / z);
  }
  EXPECT_NEAR(r.loss, sum / 5, 1e-14);
  EXPECT_TRUE(close(r.grad,
                    numeric_gradient(logits, [&] { return cross_entropy(logits, targets).loss; }),
                    kNumeric, "cross-entropy grad"));
  // Uniform logits over C classes: the loss is log C.
  EXPECT_NEAR(cross_entropy(Tensor::full({3, 5}, 0.7, DType::F32), {0, 1, 4}).loss, std::log(5.0),
              1e-6);
  EXPECT_THROW(cross_entropy(logits, {0, 1}), Error);
  EXPECT_THROW(cross_entropy(logits, {0, 7, 0, 0, 0}), Error);
}

TEST(TrainLoss, CrossEntropyIsStableForHugeLogits) {
  Rng rng(12);
  Tensor logits = random_tensor({4, 6}, DType::F32, rng, -2, 2);
  const std::vector<int32_t> targets = {1, 2, 3, 4};
  const LossResult base = cross_entropy(logits, targets);
  // Adding a constant to a row does not change its softmax; exp(1000) would overflow.
  Tensor shifted = logits.clone();
  for (int64_t i = 0; i < shifted.numel(); ++i) shifted.data<float>()[i] += 1000.0f;
  const LossResult big = cross_entropy(shifted, targets);
  EXPECT_TRUE(std::isfinite(big.loss));
  EXPECT_NEAR(big.loss, base.loss, 1e-3);  // float32 rounding of the shifted logits
  EXPECT_TRUE(close(big.grad, base.grad, {1e-3, 1e-3}, "grad under shift"));
}

}  // namespace
}  // namespace recur::train
