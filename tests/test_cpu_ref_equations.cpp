// cpu-ref against the cell equations (PyTorch's nn.RNN / nn.LSTM / nn.GRU documentation),
// evaluated here directly from the parameter tensors at a tiny size, without any cpu-ref code:
// the forward of every cell over two steps and two batch rows, and the backward of one step
// for each cell from its hand-derived derivative.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "test_cpu_ref_common.h"

namespace recur::test {
namespace {

constexpr int64_t kI = 3, kH = 2;

double sig(double a) {
  return 1.0 / (1.0 + std::exp(-a));
}

// Row r of W [rows, cols] times v[0 .. cols).
double row_dot(const Tensor& W, int64_t r, const double* v) {
  double s = 0.0;
  for (int64_t k = 0; k < W.dim(1); ++k) s += W.item(r * W.dim(1) + k) * v[k];
  return s;
}

// The parameters of a one-layer, unidirectional network, with named accessors.
struct Net {
  RnnSpec spec;
  RnnParams p;
  // W_ih[r]·x + b_ih[r] and W_hh[r]·h + b_hh[r].
  double in(int64_t r, const double* x) const {
    return row_dot(p.get(ParamKind::W_ih, 0, 0), r, x) + p.get(ParamKind::b_ih, 0, 0).item(r);
  }
  double rec(int64_t r, const double* h) const {
    return row_dot(p.get(ParamKind::W_hh, 0, 0), r, h) + p.get(ParamKind::b_hh, 0, 0).item(r);
  }
};

Net make_net(Cell cell, uint64_t seed) {
  Net n;
  n.spec = make_spec(cell, 1, false, false, true, kI, kH);
  n.p = RnnParams::init_uniform(n.spec, seed, DType::F64);
  return n;
}

// One step for one row: updates h (and c for LSTM) from x, exactly as the documentation writes it.
void step(const Net& n, const double* x, std::vector<double>& h, std::vector<double>& c) {
  std::vector<double> h2(kH), c2(kH);
  for (int64_t j = 0; j < kH; ++j) {
    switch (n.spec.cell) {
      case Cell::RNN_TANH:
        h2[j] = std::tanh(n.in(j, x) + n.rec(j, h.data()));
        break;
      case Cell::RNN_RELU:
        h2[j] = std::max(0.0, n.in(j, x) + n.rec(j, h.data()));
        break;
      case Cell::LSTM: {
        const double i = sig(n.in(j, x) + n.rec(j, h.data()));
        const double f = sig(n.in(kH + j, x) + n.rec(kH + j, h.data()));
        const double g = std::tanh(n.in(2 * kH + j, x) + n.rec(2 * kH + j, h.data()));
        const double o = sig(n.in(3 * kH + j, x) + n.rec(3 * kH + j, h.data()));
        c2[j] = f * c[j] + i * g;
        h2[j] = o * std::tanh(c2[j]);
        break;
      }
      case Cell::GRU: {
        const double r = sig(n.in(j, x) + n.rec(j, h.data()));
        const double z = sig(n.in(kH + j, x) + n.rec(kH + j, h.data()));
        const double nn = std::tanh(n.in(2 * kH + j, x) + r * n.rec(2 * kH + j, h.data()));
        h2[j] = (1 - z) * nn + z * h[j];
        break;
      }
    }
  }
  h = h2;
  if (n.spec.cell == Cell::LSTM) c = c2;
}

class CpuRefEquations : public ::testing::TestWithParam<Cell> {};

TEST_P(CpuRefEquations, ForwardTwoStepsTwoRows) {
  const Net n = make_net(GetParam(), 5);
  const int64_t T = 2, B = 2;
  const RnnInputs in = random_inputs(n.spec, T, B, DType::F64, 6, /*with_states=*/true);
  const RnnOutputs out = make_backend("cpu-ref")->forward(n.spec, n.p, in, {});

  Tensor want_out = Tensor::empty({T, B, kH}, DType::F64);
  Tensor want_h = Tensor::empty({1, B, kH}, DType::F64);
  Tensor want_c = Tensor::empty({1, B, kH}, DType::F64);
  for (int64_t b = 0; b < B; ++b) {
    std::vector<double> h(kH), c(kH, 0.0), x(kI);
    for (int64_t j = 0; j < kH; ++j) h[j] = in.h0.item(b * kH + j);
    if (in.c0.defined())
      for (int64_t j = 0; j < kH; ++j) c[j] = in.c0.item(b * kH + j);
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t k = 0; k < kI; ++k) x[k] = in.input.item((t * B + b) * kI + k);
      step(n, x.data(), h, c);
      for (int64_t j = 0; j < kH; ++j) want_out.data<double>()[(t * B + b) * kH + j] = h[j];
    }
    for (int64_t j = 0; j < kH; ++j) {
      want_h.data<double>()[b * kH + j] = h[j];
      want_c.data<double>()[b * kH + j] = c[j];
    }
  }
  EXPECT_TRUE(close(out.output, want_out, kF64, "output"));
  EXPECT_TRUE(close(out.h_n, want_h, kF64, "h_n"));
  if (n.spec.has_cell_state()) {
    EXPECT_TRUE(close(out.c_n, want_c, kF64, "c_n"));
  } else {
    EXPECT_FALSE(out.c_n.defined());
  }
}

INSTANTIATE_TEST_SUITE_P(Cells, CpuRefEquations, ::testing::ValuesIn(all_cells()),
                         [](const ::testing::TestParamInfo<Cell>& cell_info) {
                           return std::string(cell_name(cell_info.param));
                         });

// One step, one row, backward: runs the forward and backward and returns what the checks need.
struct OneStep {
  Net n;
  RnnInputs in;
  RnnGradOutputs g;
  RnnGrads grads;
  std::vector<double> x, h0, c0, dh;  // dh = dL/dh' = grad_output + grad_h_n
};

OneStep one_step(Cell cell) {
  OneStep s;
  s.n = make_net(cell, 11);
  s.in = random_inputs(s.n.spec, 1, 1, DType::F64, 12, /*with_states=*/true);
  auto backend = make_backend("cpu-ref");
  const RnnOutputs out = backend->forward(s.n.spec, s.n.p, s.in, {true, 0});
  s.g = random_grad_outputs(s.n.spec, out, 13);
  s.grads = backend->backward(s.n.spec, s.n.p, s.in, out, s.g);
  for (int64_t k = 0; k < kI; ++k) s.x.push_back(s.in.input.item(k));
  for (int64_t j = 0; j < kH; ++j) {
    s.h0.push_back(s.in.h0.item(j));
    s.c0.push_back(s.in.c0.defined() ? s.in.c0.item(j) : 0.0);
    s.dh.push_back(s.g.output.item(j) + s.g.h_n.item(j));
  }
  return s;
}

// The gradients that follow from the pre-activation gradients da_x (W_ih side) and da_h (W_hh
// side), [G*H] each: dx = W_ih^T da_x, dh0 += W_hh^T da_h, dW = da x^T, db = da.
void expect_linear_parts(const OneStep& s, const std::vector<double>& da_x,
                         const std::vector<double>& da_h, std::vector<double> dh0) {
  const int64_t GH = static_cast<int64_t>(da_x.size());
  const Tensor& w_ih = s.n.p.get(ParamKind::W_ih, 0, 0);
  const Tensor& w_hh = s.n.p.get(ParamKind::W_hh, 0, 0);
  Tensor dx = Tensor::zeros({1, 1, kI}, DType::F64), dh = Tensor::empty({1, 1, kH}, DType::F64);
  Tensor dw_ih = Tensor::empty({GH, kI}, DType::F64), dw_hh = Tensor::empty({GH, kH}, DType::F64);
  Tensor db_ih = Tensor::empty({GH}, DType::F64), db_hh = Tensor::empty({GH}, DType::F64);
  for (int64_t r = 0; r < GH; ++r) {
    for (int64_t k = 0; k < kI; ++k) {
      dx.data<double>()[k] += w_ih.item(r * kI + k) * da_x[r];
      dw_ih.data<double>()[r * kI + k] = da_x[r] * s.x[k];
    }
    for (int64_t k = 0; k < kH; ++k) {
      dh0[k] += w_hh.item(r * kH + k) * da_h[r];
      dw_hh.data<double>()[r * kH + k] = da_h[r] * s.h0[k];
    }
    db_ih.data<double>()[r] = da_x[r];
    db_hh.data<double>()[r] = da_h[r];
  }
  for (int64_t k = 0; k < kH; ++k) dh.data<double>()[k] = dh0[k];
  EXPECT_TRUE(close(s.grads.input, dx, kF64, "grad input"));
  EXPECT_TRUE(close(s.grads.h0, dh, kF64, "grad h0"));
  EXPECT_TRUE(close(s.grads.params.get(ParamKind::W_ih, 0, 0), dw_ih, kF64, "grad weight_ih"));
  EXPECT_TRUE(close(s.grads.params.get(ParamKind::W_hh, 0, 0), dw_hh, kF64, "grad weight_hh"));
  EXPECT_TRUE(close(s.grads.params.get(ParamKind::b_ih, 0, 0), db_ih, kF64, "grad bias_ih"));
  EXPECT_TRUE(close(s.grads.params.get(ParamKind::b_hh, 0, 0), db_hh, kF64, "grad bias_hh"));
}

// h' = tanh(a): da = dh * (1 - h'^2).
TEST(CpuRefEquationsBackward, RnnTanhOneStep) {
  const OneStep s = one_step(Cell::RNN_TANH);
  std::vector<double> da(kH);
  for (int64_t j = 0; j < kH; ++j) {
    const double h = std::tanh(s.n.in(j, s.x.data()) + s.n.rec(j, s.h0.data()));
    da[j] = s.dh[j] * (1 - h * h);
  }
  expect_linear_parts(s, da, da, std::vector<double>(kH, 0.0));
}

// h' = relu(a): da = dh where a > 0, else 0.
TEST(CpuRefEquationsBackward, RnnReluOneStep) {
  const OneStep s = one_step(Cell::RNN_RELU);
  std::vector<double> da(kH);
  for (int64_t j = 0; j < kH; ++j)
    da[j] = s.n.in(j, s.x.data()) + s.n.rec(j, s.h0.data()) > 0 ? s.dh[j] : 0.0;
  expect_linear_parts(s, da, da, std::vector<double>(kH, 0.0));
}

// c' = f c + i g, h' = o tanh(c'); L also has sum(c' * grad_c_n).
TEST(CpuRefEquationsBackward, LstmOneStep) {
  const OneStep s = one_step(Cell::LSTM);
  std::vector<double> da(4 * kH);
  Tensor dc0 = Tensor::empty({1, 1, kH}, DType::F64);
  for (int64_t j = 0; j < kH; ++j) {
    auto a = [&](int64_t gate) {
      return s.n.in(gate * kH + j, s.x.data()) + s.n.rec(gate * kH + j, s.h0.data());
    };
    const double i = sig(a(0)), f = sig(a(1)), g = std::tanh(a(2)), o = sig(a(3));
    const double c = f * s.c0[j] + i * g;
    const double dc = s.g.c_n.item(j) + s.dh[j] * o * (1 - std::tanh(c) * std::tanh(c));
    da[j] = dc * g * i * (1 - i);
    da[kH + j] = dc * s.c0[j] * f * (1 - f);
    da[2 * kH + j] = dc * i * (1 - g * g);
    da[3 * kH + j] = s.dh[j] * std::tanh(c) * o * (1 - o);
    dc0.data<double>()[j] = dc * f;
  }
  expect_linear_parts(s, da, da, std::vector<double>(kH, 0.0));
  EXPECT_TRUE(close(s.grads.c0, dc0, kF64, "grad c0"));
}

// h' = (1-z) n + z h with n = tanh(a_xn + r * a_hn): the W_hh side of n is scaled by r.
TEST(CpuRefEquationsBackward, GruOneStep) {
  const OneStep s = one_step(Cell::GRU);
  std::vector<double> da_x(3 * kH), da_h(3 * kH), dh0(kH);
  for (int64_t j = 0; j < kH; ++j) {
    const double* x = s.x.data();
    const double* h = s.h0.data();
    const double r = sig(s.n.in(j, x) + s.n.rec(j, h));
    const double z = sig(s.n.in(kH + j, x) + s.n.rec(kH + j, h));
    const double a_hn = s.n.rec(2 * kH + j, h);
    const double n = std::tanh(s.n.in(2 * kH + j, x) + r * a_hn);
    const double dn_pre = s.dh[j] * (1 - z) * (1 - n * n);
    da_x[j] = da_h[j] = dn_pre * a_hn * r * (1 - r);
    da_x[kH + j] = da_h[kH + j] = s.dh[j] * (h[j] - n) * z * (1 - z);
    da_x[2 * kH + j] = dn_pre;
    da_h[2 * kH + j] = dn_pre * r;
    dh0[j] = s.dh[j] * z;
  }
  expect_linear_parts(s, da_x, da_h, dh0);
}

}  // namespace
}  // namespace recur::test
