// The driver's GEMM descriptors on their own, through a naive recording executor
// (test_driver_executor.h) that shares no code with kernels/cpu/:
// - for small configs, every descriptor the driver issues, checked field by field against the
//   shapes that executor.h documents (transposes, m/n/k, leading dimensions, beta, lane), and
//   the operands' placement in time and direction;
// - executing those descriptors with a naive GEMM on the strided buffers (every operand's
//   extent checked to stay inside its buffer) reproduces cpu-ref over the whole sweep.
#include <gtest/gtest.h>

#include "test_driver_cases.h"
#include "test_driver_executor.h"
#include "test_driver_run.h"

namespace recur::test {
namespace {

using Recorded = NaiveExecutor<double>::Recorded;

struct Want {
  bool ta, tb;
  int64_t m, n, k, lda, ldb, ldc;
  double beta;
  int lane;
};

void expect_desc(const Recorded& r, const Want& w, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(r.g.trans_a, w.ta);
  EXPECT_EQ(r.g.trans_b, w.tb);
  EXPECT_EQ(r.g.m, w.m);
  EXPECT_EQ(r.g.n, w.n);
  EXPECT_EQ(r.g.k, w.k);
  EXPECT_EQ(r.g.lda, w.lda);
  EXPECT_EQ(r.g.ldb, w.ldb);
  EXPECT_EQ(r.g.ldc, w.ldc);
  EXPECT_EQ(r.g.alpha, 1.0);
  EXPECT_EQ(r.g.beta, w.beta);
  EXPECT_EQ(r.lane, w.lane);
}

auto registrar(NaiveExecutor<double>& ex) {
  return [&ex](const double* p, int64_t n, const char* what) { ex.add_region(p, n, what); };
}

// A 2-layer bidirectional config, small enough to write every descriptor down by hand.
Case small_case(Cell cell, bool states, int64_t T) {
  Case c;
  c.cell = cell;
  c.layers = 2;
  c.bidirectional = true;
  c.I = 4;
  c.H = 5;
  c.T = T;
  c.B = 2;
  c.states = states;
  return c;
}

void check_forward_descs(const Case& c, const std::vector<Recorded>& gemms) {
  const int64_t G = cell_gates(c.cell), H = c.H, B = c.B, T = c.T, D = 2, GH = G * H;
  const int64_t DH = D * H;
  const int64_t per_dir = 1 + T - (c.states ? 0 : 1);
  ASSERT_EQ(static_cast<int64_t>(gemms.size()), c.layers * D * per_dir);
  size_t i = 0;
  for (int64_t l = 0; l < c.layers; ++l) {
    const int64_t in = l == 0 ? c.I : DH;
    std::vector<const double*> h_prev[2];
    for (int lane = 0; lane < D; ++lane) {
      const std::string at = fmt::format("layer {} dir {}", l, lane);
      expect_desc(gemms[i++], {false, true, T * B, GH, in, in, in, GH, 0.0, lane},
                  at + " input projection");
      for (int64_t s = c.states ? 0 : 1; s < T; ++s) {
        const Recorded& r = gemms[i++];
        // RNN and LSTM add the product onto the step's input projection (beta = 1).
        const double beta = c.cell == Cell::GRU ? 0.0 : 1.0;
        expect_desc(r, {false, true, B, GH, H, s == 0 ? H : DH, H, GH, beta, lane},
                    fmt::format("{} recurrent step {}", at, s));
        if (s > 0) h_prev[lane].push_back(r.a);
      }
    }
    // h_prev of step s is the layer output at the previous time: the forward direction walks
    // up through the [T, B, D*H] rows (B*D*H apart), the reverse one down, at column d*H.
    for (size_t s = 0; s + 1 < h_prev[0].size(); ++s) {
      EXPECT_EQ(h_prev[0][s + 1] - h_prev[0][s], B * DH) << "forward h_prev, step " << s;
      EXPECT_EQ(h_prev[1][s] - h_prev[1][s + 1], B * DH) << "reverse h_prev, step " << s;
    }
    // Forward entry k (step k+1) reads time k; reverse entry k reads time T-1-k: the same
    // rows, H columns further right.
    for (int64_t k = 1; k + 1 < T; ++k) {
      EXPECT_EQ(h_prev[1][k] - h_prev[0][T - 1 - k], H) << "reverse vs forward, entry " << k;
    }
  }
}

void check_backward_descs(const Case& c, const std::vector<Recorded>& gemms) {
  const int64_t G = cell_gates(c.cell), H = c.H, B = c.B, T = c.T, D = 2, GH = G * H;
  const int64_t DH = D * H, LDG = D * GH;
  const bool gru = c.cell == Cell::GRU;
  const int64_t per_dir = T + 1 + (T > 1 ? 1 : 0) + (c.states ? 1 : 0);
  ASSERT_EQ(static_cast<int64_t>(gemms.size()), c.layers * (D * per_dir + D));
  size_t i = 0;
  for (int64_t l = c.layers - 1; l >= 0; --l) {
    const int64_t in = l == 0 ? c.I : DH;
    for (int lane = 0; lane < D; ++lane) {
      const std::string at = fmt::format("layer {} dir {}", l, lane);
      for (int64_t s = 0; s < T; ++s) {
        expect_desc(gemms[i++], {false, false, B, H, GH, LDG, H, H, gru ? 1.0 : 0.0, lane},
                    fmt::format("{} dh_prev {}", at, s));
      }
      expect_desc(gemms[i++], {true, false, GH, in, T * B, LDG, in, in, 0.0, lane}, at + " dW_ih");
      if (T > 1) {
        const Recorded& r = gemms[i++];
        expect_desc(r, {true, false, GH, H, (T - 1) * B, LDG, DH, H, 0.0, lane},
                    at + " dW_hh over Y");
      }
      if (c.states) {
        expect_desc(gemms[i++], {true, false, GH, H, B, LDG, H, H, T > 1 ? 1.0 : 0.0, lane},
                    at + " dW_hh over h0");
      }
    }
    for (int d = 0; d < D; ++d) {
      expect_desc(gemms[i++], {false, false, T * B, in, GH, LDG, in, in, d == 0 ? 0.0 : 1.0, 0},
                  fmt::format("layer {} dX from dir {}", l, d));
    }
  }
}

TEST(GemmDesc, EveryDescriptorOfSmallConfigs) {
  for (Cell cell : {Cell::RNN_TANH, Cell::LSTM, Cell::GRU}) {
    for (bool states : {true, false}) {
      for (int64_t T : {3, 1}) {
        const Case c = small_case(cell, states, T);
        SCOPED_TRACE(c.name());
        const RnnSpec spec = c.spec();
        const RnnParams params = RnnParams::init_uniform(spec, 11, DType::F64);
        const RnnInputs in = random_inputs(spec, c.T, c.B, DType::F64, 12, c.states);
        NaiveExecutor<double> ex;
        std::vector<double> saved;
        const RnnOutputs out = driver_forward(ex, spec, params, in, true, 5, &saved, registrar(ex));
        check_forward_descs(c, ex.gemms);
        EXPECT_EQ(ex.allocs, 1) << "one scratch allocation per call";
        ex.gemms.clear();
        ex.allocs = 0;
        driver_backward(ex, spec, params, in, 5, saved, case_grads(c, out, 13), registrar(ex));
        check_backward_descs(c, ex.gemms);
        EXPECT_EQ(ex.allocs, 1) << "one scratch allocation per call";
      }
    }
  }
}

TEST(GemmDesc, UnidirectionalLeadingDimensions) {
  // With one direction the layer output is [T, B, H]: h_prev rows are H apart and dG rows G*H.
  Case c;
  c.cell = Cell::GRU;
  c.I = 3;
  c.H = 7;
  c.T = 2;
  c.B = 3;
  const RnnSpec spec = c.spec();
  const RnnParams params = RnnParams::init_uniform(spec, 21, DType::F64);
  const RnnInputs in = random_inputs(spec, c.T, c.B, DType::F64, 22, true);
  NaiveExecutor<double> ex;
  std::vector<double> saved;
  const RnnOutputs out = driver_forward(ex, spec, params, in, true, 5, &saved, registrar(ex));
  ASSERT_EQ(ex.gemms.size(), 3u);
  expect_desc(ex.gemms[0], {false, true, 6, 21, 3, 3, 3, 21, 0.0, 0}, "projection");
  expect_desc(ex.gemms[1], {false, true, 3, 21, 7, 7, 7, 21, 0.0, 0}, "step 0 (h0)");
  expect_desc(ex.gemms[2], {false, true, 3, 21, 7, 7, 7, 21, 0.0, 0}, "step 1 (Y)");
  ex.gemms.clear();
  driver_backward(ex, spec, params, in, 5, saved, case_grads(c, out, 23), registrar(ex));
  ASSERT_EQ(ex.gemms.size(), 6u);
  expect_desc(ex.gemms[0], {false, false, 3, 7, 21, 21, 7, 7, 1.0, 0}, "dh_prev t=1");
  expect_desc(ex.gemms[1], {false, false, 3, 7, 21, 21, 7, 7, 1.0, 0}, "dh_prev t=0");
  expect_desc(ex.gemms[2], {true, false, 21, 3, 6, 21, 3, 3, 0.0, 0}, "dW_ih");
  expect_desc(ex.gemms[3], {true, false, 21, 7, 3, 21, 7, 7, 0.0, 0}, "dW_hh over Y");
  expect_desc(ex.gemms[4], {true, false, 21, 7, 3, 21, 7, 7, 1.0, 0}, "dW_hh over h0");
  expect_desc(ex.gemms[5], {false, false, 6, 3, 21, 21, 3, 3, 0.0, 0}, "dX");
}

// The descriptors, executed naively on the strided buffers, give cpu-ref's results.
void naive_sweep(DType dtype) {
  ASSERT_EQ(dtype, DType::F64);
  auto ref = make_backend("cpu-ref");
  for (const Case& c : sweep_cases(dtype)) {
    SCOPED_TRACE(c.name());
    const RnnSpec spec = c.spec();
    const uint64_t seed = std::hash<std::string>{}(c.name());
    const RnnParams params = RnnParams::init_uniform(spec, seed, dtype);
    const RnnInputs in = case_inputs(c, seed + 1);

    NaiveExecutor<double> ex;
    std::vector<double> saved;
    const RnnOutputs inf = driver_forward(ex, spec, params, in, false, 0, &saved, registrar(ex));
    expect_outputs_close(inf, ref->forward(spec, params, in, {false, 0}), c, "inference");

    const ForwardOptions train{true, seed + 2};
    const RnnOutputs want = ref->forward(spec, params, in, train);
    const RnnOutputs got =
        driver_forward(ex, spec, params, in, true, train.dropout_seed, &saved, registrar(ex));
    expect_outputs_close(got, want, c, "training");
    const RnnGradOutputs grads = case_grads(c, want, seed + 3);
    const RnnGrads g =
        driver_backward(ex, spec, params, in, train.dropout_seed, saved, grads, registrar(ex));
    expect_grads_close(g, ref->backward(spec, params, in, want, grads), c);
  }
}

TEST(GemmDesc, NaiveExecutionMatchesCpuRef) {
  naive_sweep(DType::F64);
}

}  // namespace
}  // namespace recur::test
