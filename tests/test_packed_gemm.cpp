// recur's packed float GEMM (kernels/cpu/packed_gemm.h) on its own, on every vector path the
// machine has (paths it lacks are skipped with the reason): the packing at edge widths (one
// column, a strip minus one, a strip, a strip plus one, sub-ranges), and the product against
// a plain double loop at sizes around the register tile (rows 1..MR+1), the strip width, the
// k block (kKc +- 1) and the row block (kMc + 1), both operand layouts, beta 0 over a
// NaN-poisoned C and beta != 0, split column ranges.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/gemv.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/packed_gemm.h"
#include "recur/error.h"

namespace recur::test {
namespace {

using cpu::Isa;

class PackedGemm : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    std::string why;
    if (!cpu::isa_supported(GetParam(), &why)) GTEST_SKIP() << "skipped: " << why;
  }
};

std::vector<float> random_floats(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = d(gen);
  return v;
}

TEST_P(PackedGemm, PacksStripsWithZeroPadding) {
  const int64_t nr = cpu::strip_width(GetParam());
  for (bool trans_b : {false, true}) {
    for (int64_t n : {int64_t{1}, nr - 1, nr, nr + 1, 3 * nr + 5}) {
      const int64_t k = 7, ldb = (trans_b ? k : n) + 3;
      const std::vector<float> b = random_floats((trans_b ? n : k) * ldb, 11);
      const auto op_b = [&](int64_t p, int64_t j) {
        return trans_b ? b[static_cast<size_t>(j * ldb + p)] : b[static_cast<size_t>(p * ldb + j)];
      };
      std::vector<float> packed(static_cast<size_t>(cpu::packed_size(k, n, nr)),
                                std::numeric_limits<float>::quiet_NaN());
      // Two ranges, as two threads pack them.
      const int64_t mid = n > nr ? nr : n;
      cpu::pack_strips(b.data(), ldb, trans_b, k, 0, mid, nr, packed.data());
      cpu::pack_strips(b.data(), ldb, trans_b, k, mid, n, nr, packed.data());
      for (int64_t j = 0; j < cpu::packed_size(k, n, nr) / k; ++j) {
        for (int64_t p = 0; p < k; ++p) {
          const float got = packed[static_cast<size_t>(j / nr * k * nr + p * nr + j % nr)];
          EXPECT_EQ(got, j < n ? op_b(p, j) : 0.0f)
              << "n=" << n << " trans_b=" << trans_b << " p=" << p << " j=" << j;
        }
      }
    }
  }
}

// C = alpha op(A) op(B) + beta C against a double loop; tolerance 1e-5 relative to the sum
// of |terms| (float accumulation over k).
void check_product(Isa isa, int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b, float beta,
                   int parts) {
  SCOPED_TRACE(testing::Message() << "m=" << m << " n=" << n << " k=" << k << " trans_a=" << trans_a
                                  << " trans_b=" << trans_b << " beta=" << beta
                                  << " parts=" << parts);
  const int64_t nr = cpu::strip_width(isa);
  const int64_t lda = (trans_a ? m : k) + 2, ldb = (trans_b ? k : n) + 1, ldc = n + 3;
  const std::vector<float> a = random_floats((trans_a ? k : m) * lda, 1);
  const std::vector<float> b = random_floats((trans_b ? n : k) * ldb, 2);
  std::vector<float> c = random_floats(m * ldc, 3);
  if (beta == 0.0f) std::fill(c.begin(), c.end(), std::numeric_limits<float>::quiet_NaN());
  const std::vector<float> c0 = c;
  const float alpha = 0.75f;
  std::vector<float> packed(static_cast<size_t>(cpu::packed_size(k, n, nr)));
  const cpu::PackedProduct g{
      m,    k,        alpha, a.data(), trans_a ? 1 : lda, trans_a ? lda : 1, packed.data(),
      beta, c.data(), ldc};
  // Column ranges in whole strips, as the executor's parts take them.
  const int64_t strips = (n + nr - 1) / nr;
  for (int i = 0; i < parts; ++i) {
    const int64_t j0 = std::min(n, strips * i / parts * nr);
    const int64_t j1 = std::min(n, strips * (i + 1) / parts * nr);
    if (j0 >= j1) continue;
    cpu::pack_strips(b.data(), ldb, trans_b, k, j0, j1, nr, packed.data());
    cpu::gemm_packed(isa, g, j0, j1);
  }
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const size_t at = static_cast<size_t>(i * ldc + j);
      if (j >= n) {  // the padding between rows is never written
        EXPECT_TRUE(std::isnan(c[at]) ? std::isnan(c0[at]) : c[at] == c0[at]);
        continue;
      }
      double sum = 0, mag = 0;
      for (int64_t p = 0; p < k; ++p) {
        const double x =
            trans_a ? a[static_cast<size_t>(p * lda + i)] : a[static_cast<size_t>(i * lda + p)];
        const double y =
            trans_b ? b[static_cast<size_t>(j * ldb + p)] : b[static_cast<size_t>(p * ldb + j)];
        sum += x * y;
        mag += std::abs(x * y);
      }
      double want = alpha * sum;
      if (beta != 0.0f) want += beta * static_cast<double>(c0[at]);
      const double scale = alpha * mag + (beta != 0.0f ? std::abs(beta * c0[at]) : 0.0) + 1e-3;
      ASSERT_NEAR(c[at], want, 1e-5 * scale) << "at C[" << i << ", " << j << "]";
    }
  }
}

TEST_P(PackedGemm, MatchesLoopAroundTileStripAndBlockEdges) {
  const Isa isa = GetParam();
  const int64_t nr = cpu::strip_width(isa);
  const int64_t mr = isa == Isa::Avx512 ? 8 : 6;
  for (int64_t m : {int64_t{1}, int64_t{2}, mr - 1, mr, mr + 1, int64_t{13}}) {
    for (int64_t n : {int64_t{1}, nr - 1, nr, nr + 1, 2 * nr + 3}) {
      for (int64_t k : {int64_t{1}, int64_t{5}}) {
        for (bool ta : {false, true})
          for (bool tb : {false, true}) check_product(isa, m, n, k, ta, tb, 0.0f, 1);
      }
    }
  }
  for (int64_t k : {cpu::kKc - 1, cpu::kKc, cpu::kKc + 1, 2 * cpu::kKc + 7}) {
    for (float beta : {0.0f, 0.5f}) {
      check_product(isa, 7, nr + 5, k, false, true, beta, 1);
      check_product(isa, 5, 2 * nr, k, true, false, beta, 2);
    }
  }
  for (bool ta : {false, true}) {
    check_product(isa, cpu::kMc + 1, 3 * nr + 1, 37, ta, true, 0.0f, 3);
    check_product(isa, 2 * cpu::kMc + mr - 1, nr + 1, cpu::kKc + 3, ta, false, 1.0f, 2);
  }
}

// The B = 1 product (gemv.h): rows around its 4-row step, k around one and two vectors, beta 0
// over NaN and beta != 0.
TEST_P(PackedGemm, GemvMatchesLoopAtEdges) {
  const Isa isa = GetParam();
  const int64_t L = cpu::strip_width(isa) / 2;  // floats per vector
  for (int64_t n : {1, 3, 4, 5, 9}) {
    for (int64_t k : {int64_t{1}, L - 1, L, L + 1, 2 * L, 2 * L + 3, int64_t{77}}) {
      for (float beta : {0.0f, -0.5f}) {
        const int64_t ldw = k + 2;
        const std::vector<float> w = random_floats(n * ldw, 5), x = random_floats(k, 6);
        std::vector<float> y = random_floats(n, 7);
        if (beta == 0.0f) std::fill(y.begin(), y.end(), std::numeric_limits<float>::quiet_NaN());
        const std::vector<float> y0 = y;
        if (isa == Isa::Avx512) {
          cpu::gemv_rows_avx512(n, k, 1.5f, w.data(), ldw, x.data(), beta, y.data());
        } else {
          cpu::gemv_rows_avx2(n, k, 1.5f, w.data(), ldw, x.data(), beta, y.data());
        }
        for (int64_t i = 0; i < n; ++i) {
          double sum = 0, mag = 0;
          for (int64_t p = 0; p < k; ++p) {
            sum += double{w[static_cast<size_t>(i * ldw + p)]} * x[static_cast<size_t>(p)];
            mag +=
                std::abs(double{w[static_cast<size_t>(i * ldw + p)]} * x[static_cast<size_t>(p)]);
          }
          double want = 1.5 * sum;
          if (beta != 0.0f) want += beta * double{y0[static_cast<size_t>(i)]};
          EXPECT_NEAR(y[static_cast<size_t>(i)], want, 1e-5 * (1.5 * mag + 1.0))
              << "n=" << n << " k=" << k << " beta=" << beta << " row " << i;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isas, PackedGemm, ::testing::Values(Isa::Avx2, Isa::Avx512),
                         [](const auto& p) { return std::string(cpu::isa_name(p.param)); });

TEST(CpuIsa, DetectionIsConsistent) {
  const cpu::CpuFeatures& f = cpu::cpu_features();
  EXPECT_TRUE(!f.avx512 || f.avx2_fma) << "AVX-512 without AVX2 + FMA";
  EXPECT_TRUE(!f.avx512_vnni || f.avx512);
  EXPECT_TRUE(cpu::isa_supported(Isa::Scalar));
  EXPECT_EQ(cpu::isa_supported(Isa::Avx2), f.avx2_fma);
  EXPECT_EQ(cpu::isa_supported(Isa::Avx512), f.avx512);
  EXPECT_LE(cpu::active_isa(), cpu::best_isa());
  std::string why;
  if (!f.avx512) {
    EXPECT_FALSE(cpu::isa_supported(Isa::Avx512, &why));
    EXPECT_NE(why.find("AVX-512"), std::string::npos) << why;
    EXPECT_THROW(cpu::set_active_isa(Isa::Avx512), Error);
  }
  EXPECT_NE(cpu::isa_description().find(cpu::isa_name(cpu::active_isa())), std::string::npos);
}

}  // namespace
}  // namespace recur::test
