// The `cpu` backend diffed against `cpu-ref`: the full sweep (every cell x layers {1,2,3} x
// {uni, bi} x batch_first x bias, odd sizes, T = 1, B = 1, with and without h0/c0, dropout in
// training, absent output gradients), inference and training, forward and every backward
// gradient, in float32 (1e-5) and float64 (1e-12). Then the driver called directly on the CPU
// executor with NaN-poisoned outputs and every operation split over three threads, sizes large
// enough for the default threading to engage, determinism, and the error paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "kernels/cpu/blas.h"
#include "kernels/cpu/cpu_executor.h"
#include "kernels/cpu/isa.h"
#include "test_driver_cases.h"
#include "test_driver_run.h"

namespace recur::test {
namespace {

// The driver called directly on the CPU executor, every output buffer poisoned with NaN
// before the run (the Backend API allocates its own outputs, so only this level proves every
// element is written), against cpu-ref. `min_cost` is the executor's splitting threshold.
template <class T>
void run_driver_case(cpu::ThreadPool& pool, double min_cost, const Case& c, bool vector_pointwise) {
  SCOPED_TRACE(c.name() + (vector_pointwise ? "" : " scalar pointwise"));
  const RnnSpec spec = c.spec();
  const uint64_t seed = std::hash<std::string>{}(c.name());
  const RnnParams params = RnnParams::init_uniform(spec, seed, c.dtype);
  const RnnInputs in = case_inputs(c, seed + 1);
  auto ref = make_backend("cpu-ref");
  cpu::BlasSingleThreaded blas;
  cpu::CpuExecutor<T> ex(pool, cpu::Team{0, pool.size()}, min_cost);
  ex.set_vector_pointwise(vector_pointwise);
  const auto no_reg = [](const T*, int64_t, const char*) {};
  std::vector<T> saved;

  expect_outputs_close(driver_forward(ex, spec, params, in, false, 0, &saved, no_reg),
                       ref->forward(spec, params, in, {false, 0}), c, "inference");
  const ForwardOptions train{true, seed + 2};
  const RnnOutputs want = ref->forward(spec, params, in, train);
  expect_outputs_close(
      driver_forward(ex, spec, params, in, true, train.dropout_seed, &saved, no_reg), want, c,
      "training");
  const RnnGradOutputs grads = case_grads(c, want, seed + 3);
  expect_grads_close(
      driver_backward(ex, spec, params, in, train.dropout_seed, saved, grads, no_reg),
      ref->backward(spec, params, in, want, grads), c);
}

// The sweep on one vector path (kernels/cpu/isa.h), forced for the test's duration; a path the
// machine lacks is skipped with the reason. Besides the backend sweep: sizes that are not
// multiples of a vector, a register tile or a strip (H 5, 17, 33 with I 1 and 17, B 1 and 3,
// T 1 and 4), both layouts, bidirectional, two layers.
class CpuSweep : public ::testing::TestWithParam<std::tuple<DType, cpu::Isa>> {
 protected:
  void SetUp() override {
    std::string why;
    if (!cpu::isa_supported(isa(), &why)) GTEST_SKIP() << "skipped: " << why;
    previous_ = cpu::active_isa();
    cpu::set_active_isa(isa());
    forced_ = true;
  }
  void TearDown() override {
    if (forced_) cpu::set_active_isa(previous_);
  }
  DType dtype() const { return std::get<0>(GetParam()); }
  cpu::Isa isa() const { return std::get<1>(GetParam()); }
  std::vector<Case> cases() const {
    std::vector<Case> all = sweep_cases(dtype());
    int i = 0;
    for (Cell cell : {Cell::LSTM, Cell::GRU, Cell::RNN_TANH}) {
      for (int64_t H : {5, 17, 33}) {
        Case c;
        c.cell = cell;
        c.H = H;
        c.I = i % 2 == 0 ? 1 : 17;
        c.B = i % 3 == 0 ? 1 : 3;
        c.T = i % 4 == 0 ? 1 : 4;
        c.layers = i % 2 == 0 ? 2 : 1;
        c.bidirectional = i % 3 != 1;
        c.batch_first = i % 2 == 1;
        c.states = i % 2 == 0;
        c.dtype = dtype();
        all.push_back(c);
        ++i;
      }
    }
    return all;
  }

 private:
  cpu::Isa previous_ = cpu::Isa::Scalar;
  bool forced_ = false;
};

TEST_P(CpuSweep, MatchesCpuRef) {
  auto cpu = make_backend("cpu");
  auto ref = make_backend("cpu-ref");
  for (const Case& c : cases()) run_backend_case(*cpu, *ref, c);
}

TEST_P(CpuSweep, DriverWithPoisonedOutputsMatchesCpuRef) {
  cpu::ThreadPool& pool = cpu::ThreadPool::instance();
  const double threshold = cpu::CpuExecutor<float>::kMinCostPerPart;
  for (const Case& c : cases()) {
    if (c.dtype == DType::F32) {
      run_driver_case<float>(pool, threshold, c, true);
    } else {
      run_driver_case<double>(pool, threshold, c, true);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(DtypesAndIsas, CpuSweep,
                         ::testing::Combine(::testing::Values(DType::F32, DType::F64),
                                            ::testing::Values(cpu::Isa::Scalar, cpu::Isa::Avx2,
                                                              cpu::Isa::Avx512)),
                         [](const auto& p) {
                           return std::string(dtype_name(std::get<0>(p.param))) + "_" +
                                  cpu::isa_name(std::get<1>(p.param));
                         });

// Sizes at which the default thresholds split the GEMMs and pointwise passes over threads
// (when the machine has more than one core).
TEST(CpuBackend, ThreadedSizesMatchCpuRef) {
  auto cpu = make_backend("cpu");
  auto ref = make_backend("cpu-ref");
  for (Cell cell : {Cell::LSTM, Cell::GRU, Cell::RNN_TANH}) {
    for (bool bi : {false, true}) {
      Case c;
      c.cell = cell;
      c.layers = 2;
      c.bidirectional = bi;
      c.I = 33;
      c.H = 70;
      c.T = 5;
      c.B = 40;
      c.dropout = 0.25;
      c.dtype = DType::F32;
      run_backend_case(*cpu, *ref, c);
    }
  }
  Case one;  // B = 1: splits by hidden units
  one.cell = Cell::LSTM;
  one.I = 20;
  one.H = 300;
  one.T = 3;
  one.B = 1;
  one.dtype = DType::F32;
  run_backend_case(*cpu, *ref, one);
}

TEST(CpuBackend, DropoutOfOneZeroesTheLayerAbove) {
  auto cpu = make_backend("cpu");
  auto ref = make_backend("cpu-ref");
  Case c;
  c.cell = Cell::GRU;
  c.layers = 2;
  c.dropout = 1.0;
  run_backend_case(*cpu, *ref, c);
}

// On a private pool of three threads with the splitting threshold at zero: every operation is
// split (rows, hidden units, GEMM rows and columns, more parts than threads), and the two lanes
// of a layer lead teams of their own. H = 37 gives the vector bodies whole vectors and a
// masked tail.
TEST(CpuDriver, PoisonedOutputsEveryOperationSplit) {
  cpu::ThreadPool pool(3);
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
        c.T = 4;
        c.B = B;
        c.states = i % 4 < 2;
        c.dropout = 0.3;
        c.missing_grads = i % 5 == 4 ? 1 : 0;
        c.dtype = i % 2 == 0 ? DType::F32 : DType::F64;
        if (c.dtype == DType::F32) {
          // Float runs the AVX2 bodies where the CPU has them; cover the scalar ones too.
          run_driver_case<float>(pool, 0.0, c, true);
          run_driver_case<float>(pool, 0.0, c, false);
        } else {
          run_driver_case<double>(pool, 0.0, c, true);
        }
        ++i;
      }
    }
  }
}

// C = alpha op(A) op(B) + beta C computed plainly, in double, from the descriptor.
template <class T>
std::vector<double> naive_gemm(const GemmDesc& g, const std::vector<T>& a, const std::vector<T>& b,
                               const std::vector<T>& c) {
  std::vector<double> out(c.begin(), c.end());
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < g.k; ++p) {
        s += static_cast<double>(g.trans_a ? a[p * g.lda + i] : a[i * g.lda + p]) *
             (g.trans_b ? b[j * g.ldb + p] : b[p * g.ldb + j]);
      }
      double& o = out[i * g.ldc + j];
      o = g.alpha * s + (g.beta == 0.0 ? 0.0 : g.beta * o);
    }
  }
  return out;
}

// The executor's GEMM (OpenBLAS, the AVX2 single-row and packed few-row paths, splits by rows
// or columns over three threads) on strided operands, against the plain product; C poisoned
// where beta == 0.
TEST(CpuExecutor, GemmMatchesNaiveProduct) {
  cpu::ThreadPool pool(3);
  cpu::BlasSingleThreaded blas;
  Rng rng(7);
  const int64_t shapes[][3] = {{1, 1, 1},  {1, 13, 5},   {1, 148, 37}, {1, 100, 256},
                               {1, 7, 16}, {3, 40, 9},   {70, 33, 12}, {2, 130, 66},
                               {6, 17, 3}, {13, 50, 40}, {129, 20, 8}};
  for (bool split : {false, true}) {
    for (const auto& s : shapes) {
      for (int t = 0; t < 4; ++t) {
        for (double beta : {0.0, 1.0, 0.5}) {
          GemmDesc g;
          g.trans_a = t & 1;
          g.trans_b = t & 2;
          g.m = s[0];
          g.n = s[1];
          g.k = s[2];
          g.lda = (g.trans_a ? g.m : g.k) + 3;  // padded rows: strided operands
          g.ldb = (g.trans_b ? g.k : g.n) + 2;
          g.ldc = g.n + 1;
          g.alpha = 1.0;
          g.beta = beta;
          auto fill = [&](int64_t n) {
            std::vector<float> v(n);
            for (float& x : v) x = static_cast<float>(rng.uniform(-1, 1));
            return v;
          };
          const std::vector<float> a = fill((g.trans_a ? g.k : g.m) * g.lda);
          const std::vector<float> b = fill((g.trans_b ? g.n : g.k) * g.ldb);
          std::vector<float> c = fill(g.m * g.ldc);
          if (beta == 0.0) std::fill(c.begin(), c.end(), std::numeric_limits<float>::quiet_NaN());
          std::vector<double> want = naive_gemm(g, a, b, c);
          // A fresh executor per product: within one executor's life a B operand must stay
          // unchanged (executor.h), and these vectors may reuse one another's memory.
          cpu::CpuExecutor<float> ex(pool, cpu::Team{0, pool.size()}, split ? 0.0 : 1e30);
          ex.gemm(0, g, a.data(), b.data(), c.data());
          double err = 0, norm = 0;
          for (int64_t i = 0; i < g.m; ++i) {
            for (int64_t j = 0; j < g.n; ++j) {
              const double d = c[i * g.ldc + j] - want[i * g.ldc + j];
              err += d * d;
              norm += want[i * g.ldc + j] * want[i * g.ldc + j];
            }
          }
          EXPECT_LE(std::sqrt(err), 1e-6 * std::sqrt(norm) + 1e-30)
              << "m=" << g.m << " n=" << g.n << " k=" << g.k << " trans_a=" << g.trans_a
              << " trans_b=" << g.trans_b << " beta=" << beta << " split=" << split;
        }
      }
    }
  }
}

// The packed few-row path keeps each lane's weights packed across calls: repeated products
// with the same B (new A each time) stay right, and another B is packed afresh.
TEST(CpuExecutor, PackedWeightsAreReusedAndReplaced) {
  cpu::ThreadPool pool(2);
  cpu::BlasSingleThreaded blas;
  cpu::CpuExecutor<float> ex(pool, cpu::Team{0, pool.size()}, 0.0);
  Rng rng(11);
  auto fill = [&](int64_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = static_cast<float>(rng.uniform(-1, 1));
    return v;
  };
  GemmDesc g;
  g.trans_b = true;
  g.m = 5;
  g.n = 40;
  g.k = 23;
  g.lda = g.k;
  g.ldb = g.k;
  g.ldc = g.n;
  const std::vector<float> b1 = fill(g.n * g.k), b2 = fill(g.n * g.k);
  for (const std::vector<float>* b : {&b1, &b1, &b1, &b2, &b2, &b1}) {
    const std::vector<float> a = fill(g.m * g.k);
    std::vector<float> c(g.m * g.n, std::numeric_limits<float>::quiet_NaN());
    const std::vector<double> want = naive_gemm(g, a, *b, c);
    ex.gemm(0, g, a.data(), b->data(), c.data());
    for (int64_t i = 0; i < g.m * g.n; ++i) {
      ASSERT_NEAR(c[i], want[i], 1e-5) << "element " << i << (b == &b1 ? " (b1)" : " (b2)");
    }
  }
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.nbytes() == b.nbytes() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

TEST(CpuBackend, TrainingIsDeterministic) {
  // Bias gradients are column reductions in a fixed order, GEMM splits do not depend on
  // timing: two runs give identical bits.
  auto cpu = make_backend("cpu");
  Case c;
  c.cell = Cell::LSTM;
  c.bidirectional = true;
  c.I = 16;
  c.H = 64;
  c.T = 6;
  c.B = 48;
  c.dtype = DType::F32;
  const RnnSpec spec = c.spec();
  const RnnParams params = RnnParams::init_uniform(spec, 3, c.dtype);
  const RnnInputs in = random_inputs(spec, c.T, c.B, c.dtype, 4, true);
  const RnnOutputs f1 = cpu->forward(spec, params, in, {true, 9});
  const RnnOutputs f2 = cpu->forward(spec, params, in, {true, 9});
  EXPECT_TRUE(same_bits(f1.output, f2.output));
  const RnnGradOutputs grads = random_grad_outputs(spec, f1, 5);
  const RnnGrads g1 = cpu->backward(spec, params, in, f1, grads);
  const RnnGrads g2 = cpu->backward(spec, params, in, f2, grads);
  EXPECT_TRUE(same_bits(g1.input, g2.input));
  for (size_t i = 0; i < g1.params.size(); ++i) {
    EXPECT_TRUE(same_bits(g1.params[i], g2.params[i])) << g1.params.name(i);
  }
}

// Two application threads using the backend at once: one holds the pool, the other runs on
// its own thread alone; both get the results of a call made alone.
TEST(CpuBackend, ConcurrentCallsFromTwoThreads) {
  auto cpu = make_backend("cpu");
  Case c;
  c.cell = Cell::LSTM;
  c.layers = 2;
  c.bidirectional = true;
  c.I = 24;
  c.H = 48;
  c.T = 8;
  c.B = 16;
  c.dtype = DType::F32;
  const RnnSpec spec = c.spec();
  const RnnParams params = RnnParams::init_uniform(spec, 5, c.dtype);
  const RnnInputs in = random_inputs(spec, c.T, c.B, c.dtype, 6, true);
  const RnnOutputs alone = cpu->forward(spec, params, in, {true, 3});
  const RnnGradOutputs grads = random_grad_outputs(spec, alone, 7);
  const RnnGrads alone_grads = cpu->backward(spec, params, in, alone, grads);
  std::vector<RnnGrads> got(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      for (int r = 0; r < 5; ++r) {
        const RnnOutputs out = cpu->forward(spec, params, in, {true, 3});
        got[i] = cpu->backward(spec, params, in, out, grads);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const RnnGrads& g : got) {
    EXPECT_TRUE(close(g.input, alone_grads.input, kF32Cpu, "grad input"));
    for (size_t i = 0; i < g.params.size(); ++i) {
      EXPECT_TRUE(close(g.params[i], alone_grads.params[i], kF32Cpu, g.params.name(i)));
    }
  }
}

TEST(CpuBackend, BackwardRejectsForeignOrMismatchedSavedState) {
  auto cpu = make_backend("cpu");
  auto ref = make_backend("cpu-ref");
  Case c;
  const RnnSpec spec = c.spec();
  const RnnParams params = RnnParams::init_uniform(spec, 1, DType::F64);
  const RnnInputs in = random_inputs(spec, c.T, c.B, DType::F64, 2, true);
  const RnnOutputs foreign = ref->forward(spec, params, in, {true, 0});
  const RnnGradOutputs grads = random_grad_outputs(spec, foreign, 3);
  EXPECT_THROW(cpu->backward(spec, params, in, foreign, grads), Error);

  const RnnOutputs own = cpu->forward(spec, params, in, {true, 0});
  const RnnInputs longer = random_inputs(spec, c.T + 1, c.B, DType::F64, 2, true);
  RnnGradOutputs state_grads;  // valid for both lengths: only the saved state disagrees
  state_grads.h_n = grads.h_n;
  EXPECT_THROW(cpu->backward(spec, params, longer, own, state_grads), Error);
  EXPECT_THROW(cpu->backward(spec, params, in, cpu->forward(spec, params, in, {false, 0}), grads),
               Error);
}

}  // namespace
}  // namespace recur::test
