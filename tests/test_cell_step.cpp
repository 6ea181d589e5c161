// The pointwise steps of kernels/common/cell_step.h on the CPU executor's two float paths (the
// AVX2 vector bodies and the scalar ones) against the same steps evaluated in double, unit by
// unit: every step type, H with vector tails (5, 17, 33), and NaN inputs, which must stay NaN
// through every non-linearity (a poisoned value never turns finite), except where PyTorch's
// gradient is exactly zero (the ReLU's gate at a non-positive or NaN output).
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/common/cell_step.h"
#include "kernels/cpu/cpu_executor.h"
#include "kernels/cpu/isa.h"
#include "recur/random.h"

namespace recur::test {
namespace {

constexpr int64_t B = 3;

std::vector<float> uniform(int64_t n, uint64_t seed, double lo, double hi) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = static_cast<float>(rng.uniform(lo, hi));
  return v;
}

std::vector<double> widen(const std::vector<float>& v) {
  return std::vector<double>(v.begin(), v.end());
}

// The float result against the double one: within 1e-5 relative (and absolute near zero), or
// NaN exactly where the double one is NaN.
void expect_matches(const std::vector<float>& got, const std::vector<double>& want,
                    const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << what << "[" << i << "]: " << got[i] << ", want NaN";
    } else {
      EXPECT_NEAR(got[i], want[i], 1e-5 * std::max(1.0, std::fabs(want[i])))
          << what << "[" << i << "]";
    }
  }
}

class CellStep : public ::testing::TestWithParam<bool> {  // vector bodies or scalar
 protected:
  void SetUp() override {
    std::string why;
    if (GetParam() && !cpu::isa_supported(cpu::Isa::Avx2, &why)) {
      GTEST_SKIP() << "the AVX2 vector bodies cannot run here: " << why;
    }
  }
  // Runs make(float pointers)'s step on the executor and make(double pointers)'s unit by unit.
  template <class Make>
  void run(int64_t H, Make&& make) {
    cpu::ThreadPool pool(1);
    cpu::CpuExecutor<float> ex(pool, cpu::Team{0, pool.size()});
    ex.set_vector_pointwise(GetParam());
    ex.run_step(kMainLane, make(float{}, H));
    const auto ref = make(double{}, H);
    const step::ScalarIo<double> io;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < H; ++j) step::unit(ref, b, j, io);
  }
};

// Both precisions' buffers of one operand, the float values being the double ones rounded.
struct Operand {
  std::vector<float> f;
  std::vector<double> d;
  explicit Operand(std::vector<float> values) : f(std::move(values)), d(widen(f)) {}
  template <class T>
  T* get() {
    if constexpr (sizeof(T) == sizeof(float)) {
      return f.data();
    } else {
      return d.data();
    }
  }
};

// Values in [-3, 3] with a NaN at every 7th element.
std::vector<float> with_nans(int64_t n, uint64_t seed) {
  std::vector<float> v = uniform(n, seed, -3, 3);
  for (size_t i = 0; i < v.size(); i += 7) v[i] = std::numeric_limits<float>::quiet_NaN();
  return v;
}

TEST_P(CellStep, ForwardStepsMatchDoubleAndKeepNaN) {
  for (int64_t H : {5, 17, 33}) {
    SCOPED_TRACE("H=" + std::to_string(H));
    for (bool relu : {false, true}) {
      Operand x(with_nans(B * H, 1)), out(std::vector<float>(B * H, 0.0f));
      run(H, [&](auto zero, int64_t hs) {
        using T = decltype(zero);
        step::RnnForward<T> s;
        s.B = B, s.H = hs, s.relu = relu;
        s.xproj = x.get<T>(), s.ldx = hs;
        s.h_out = out.get<T>(), s.ldh = hs;
        return s;
      });
      expect_matches(out.f, out.d, relu ? "relu h" : "tanh h");
    }
    Operand x(with_nans(B * 4 * H, 2)), c_prev(uniform(B * H, 3, -1, 1));
    Operand c(std::vector<float>(B * H)), h(std::vector<float>(B * H));
    Operand acts(std::vector<float>(B * 4 * H));
    run(H, [&](auto zero, int64_t hs) {
      using T = decltype(zero);
      step::LstmForward<T> s;
      s.B = B, s.H = hs;
      s.xproj = x.get<T>(), s.ldx = 4 * hs;
      s.c_prev = c_prev.get<T>(), s.c_out = c.get<T>();
      s.h_out = h.get<T>(), s.ldh = hs, s.acts = acts.get<T>();
      return s;
    });
    expect_matches(c.f, c.d, "lstm c");
    expect_matches(h.f, h.d, "lstm h");
    expect_matches(acts.f, acts.d, "lstm acts");

    Operand gx(with_nans(B * 3 * H, 4)), gh(uniform(B * 3 * H, 5, -2, 2));
    Operand h_prev(uniform(B * H, 6, -1, 1)), gru_h(std::vector<float>(B * H));
    Operand gru_acts(std::vector<float>(B * 4 * H));
    run(H, [&](auto zero, int64_t hs) {
      using T = decltype(zero);
      step::GruForward<T> s;
      s.B = B, s.H = hs;
      s.xproj = gx.get<T>(), s.ldx = 3 * hs, s.hproj = gh.get<T>();
      s.h_prev = h_prev.get<T>(), s.ldhp = hs;
      s.h_out = gru_h.get<T>(), s.ldh = hs, s.acts = gru_acts.get<T>();
      return s;
    });
    expect_matches(gru_h.f, gru_h.d, "gru h");
    expect_matches(gru_acts.f, gru_acts.d, "gru acts");
  }
}

TEST_P(CellStep, ReluGradientIsZeroWhereTheOutputIsNotPositive) {
  const int64_t H = 17;
  // Outputs of both signs, exact zeros and NaN; a NaN gradient where the output is positive.
  std::vector<float> h_values = uniform(B * H, 7, -1, 1);
  h_values[0] = 0.0f;
  h_values[1] = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> dy_values = uniform(B * H, 8, -1, 1);
  for (size_t i = 2; i < dy_values.size(); i += 5) dy_values[i] = std::nanf("");
  Operand h(h_values), dy(dy_values), dg(std::vector<float>(B * H));
  run(H, [&](auto zero, int64_t hs) {
    using T = decltype(zero);
    step::RnnBackward<T> s;
    s.B = B, s.H = hs, s.relu = true;
    s.h_out = h.get<T>(), s.ldh = hs;
    s.dy = dy.get<T>(), s.lddy = hs;
    s.dgates = dg.get<T>(), s.ldg = hs;
    return s;
  });
  expect_matches(dg.f, dg.d, "relu dgates");
  for (int64_t i = 0; i < B * H; ++i) {
    if (!(h_values[i] > 0.0f)) {
      EXPECT_EQ(dg.f[i], 0.0f) << "dgates[" << i << "] at output " << h_values[i];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, CellStep, ::testing::Values(true, false),
                         [](const auto& param_info) {
                           return param_info.param ? "avx2" : "scalar";
                         });

}  // namespace
}  // namespace recur::test
