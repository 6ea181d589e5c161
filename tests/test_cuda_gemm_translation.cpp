// The row-major GemmDesc -> column-major cuBLAS translation, checked on the host: the translated
// arguments are executed by a naive column-major GEMM with cuBLAS's semantics and compared with
// a naive row-major GEMM read straight from GemmDesc's definition. Padding elements of every
// operand hold NaN, so reading outside the described matrices fails the comparison.
#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/cuda/gemm_translation.h"
#include "recur/random.h"
#include "support/compare.h"

namespace recur {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// cublas<t>gemm's definition: C = alpha op(A) op(B) + beta C, column-major; op(A) is m x k,
// stored A (m x k, lda >= m) or transposed (k x m, lda >= k). beta == 0 does not read C.
void colmajor_gemm(bool transa, bool transb, int m, int n, int k, double alpha, const double* A,
                   int lda, const double* B, int ldb, double beta, double* C, int ldc) {
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < m; ++i) {
      double acc = 0;
      for (int l = 0; l < k; ++l) {
        const double a =
            transa ? A[l + static_cast<int64_t>(i) * lda] : A[i + static_cast<int64_t>(l) * lda];
        const double b =
            transb ? B[j + static_cast<int64_t>(l) * ldb] : B[l + static_cast<int64_t>(j) * ldb];
        acc += a * b;
      }
      double& c = C[i + static_cast<int64_t>(j) * ldc];
      c = beta == 0 ? alpha * acc : alpha * acc + beta * c;
    }
  }
}

// GemmDesc's definition, row-major.
void rowmajor_gemm(const GemmDesc& d, const double* A, const double* B, double* C) {
  for (int64_t i = 0; i < d.m; ++i) {
    for (int64_t j = 0; j < d.n; ++j) {
      double acc = 0;
      for (int64_t l = 0; l < d.k; ++l) {
        const double a = d.trans_a ? A[l * d.lda + i] : A[i * d.lda + l];
        const double b = d.trans_b ? B[j * d.ldb + l] : B[l * d.ldb + j];
        acc += a * b;
      }
      double& c = C[i * d.ldc + j];
      c = d.beta == 0 ? d.alpha * acc : d.alpha * acc + d.beta * c;
    }
  }
}

// A row-major [rows, cols] matrix with leading dimension ld: random values, NaN padding.
std::vector<double> padded_matrix(int64_t rows, int64_t cols, int64_t ld, Rng& rng) {
  std::vector<double> v(static_cast<size_t>(rows * ld), kNaN);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) v[r * ld + c] = rng.uniform(-1.0, 1.0);
  return v;
}

Tensor as_tensor(const std::vector<double>& v) {
  Tensor t = Tensor::empty({static_cast<int64_t>(v.size())}, DType::F64);
  for (size_t i = 0; i < v.size(); ++i) t.data<double>()[i] = v[i];
  return t;
}

// Runs one descriptor both ways on identical buffers and compares C element by element
// (padding included: both must leave it untouched).
void check_descriptor(const GemmDesc& d, uint64_t seed) {
  Rng rng(seed);
  const int64_t a_rows = d.trans_a ? d.k : d.m, a_cols = d.trans_a ? d.m : d.k;
  const int64_t b_rows = d.trans_b ? d.n : d.k, b_cols = d.trans_b ? d.k : d.n;
  const std::vector<double> A = padded_matrix(a_rows, a_cols, d.lda, rng);
  const std::vector<double> B = padded_matrix(b_rows, b_cols, d.ldb, rng);
  std::vector<double> C0 = padded_matrix(d.m, d.n, d.ldc, rng);
  if (d.beta == 0)  // C must not be read at all: fill the used part with NaN too
    for (int64_t i = 0; i < d.m; ++i)
      for (int64_t j = 0; j < d.n; ++j) C0[i * d.ldc + j] = kNaN;

  std::vector<double> want = C0, got = C0;
  rowmajor_gemm(d, A.data(), B.data(), want.data());
  const recur::cuda::CublasGemmArgs c = recur::cuda::to_cublas(d);
  // The translated call hands cuBLAS's A slot the descriptor's B, and its B slot the A.
  colmajor_gemm(c.trans_first, c.trans_second, c.m, c.n, c.k, c.alpha, B.data(), c.ld_first,
                A.data(), c.ld_second, c.beta, got.data(), c.ldc);

  // Padding of C stays NaN in both; compare the described part.
  std::vector<double> want_used, got_used;
  for (int64_t i = 0; i < d.m; ++i)
    for (int64_t j = 0; j < d.n; ++j) {
      want_used.push_back(want[i * d.ldc + j]);
      got_used.push_back(got[i * d.ldc + j]);
      ASSERT_TRUE(std::isfinite(want[i * d.ldc + j])) << "reference read padding or C";
    }
  for (int64_t i = 0; i < d.m; ++i)
    for (int64_t j = d.n; j < d.ldc; ++j)
      ASSERT_TRUE(std::isnan(got[i * d.ldc + j])) << "translated GEMM wrote C's padding";
  EXPECT_TRUE(test::close(as_tensor(got_used), as_tensor(want_used), test::kF64, "C"))
      << "m=" << d.m << " n=" << d.n << " k=" << d.k << " trans_a=" << d.trans_a
      << " trans_b=" << d.trans_b << " lda=" << d.lda << " ldb=" << d.ldb << " ldc=" << d.ldc
      << " beta=" << d.beta;
}

TEST(CudaGemmTranslation, SwapsOperandsAndSizes) {
  GemmDesc d;
  d.trans_a = true;
  d.trans_b = false;
  d.m = 3, d.n = 7, d.k = 5;
  d.lda = 4, d.ldb = 9, d.ldc = 8;
  d.alpha = 2, d.beta = 0.5;
  const auto c = recur::cuda::to_cublas(d);
  EXPECT_FALSE(c.trans_first);  // descriptor's B untransposed
  EXPECT_TRUE(c.trans_second);  // descriptor's A transposed
  EXPECT_EQ(c.m, 7);
  EXPECT_EQ(c.n, 3);
  EXPECT_EQ(c.k, 5);
  EXPECT_EQ(c.ld_first, 9);
  EXPECT_EQ(c.ld_second, 4);
  EXPECT_EQ(c.ldc, 8);
  EXPECT_EQ(c.alpha, 2);
  EXPECT_EQ(c.beta, 0.5);
}

TEST(CudaGemmTranslation, MatchesRowMajorDefinitionForAllTransposesAndPadding) {
  struct Size {
    int64_t m, n, k;
  };
  const Size sizes[] = {{1, 1, 1}, {3, 5, 7}, {6, 1, 4}, {1, 9, 2}, {13, 11, 17}};
  uint64_t seed = 1;
  for (const Size& s : sizes)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (int64_t pad : {0, 3})
          for (double beta : {0.0, 0.75}) {
            GemmDesc d;
            d.trans_a = ta, d.trans_b = tb;
            d.m = s.m, d.n = s.n, d.k = s.k;
            d.lda = (ta ? s.m : s.k) + pad;
            d.ldb = (tb ? s.k : s.n) + pad;
            d.ldc = s.n + 2 * pad;
            d.alpha = 1.25;
            d.beta = beta;
            check_descriptor(d, ++seed);
          }
}

TEST(CudaGemmTranslation, RejectsInvalidDescriptorsAndOversizedDimensions) {
  GemmDesc d;
  d.m = 2, d.n = 3, d.k = 4;
  d.lda = 3;  // < k
  d.ldb = 3, d.ldc = 3;
  EXPECT_THROW(recur::cuda::to_cublas(d), Error);
  d.lda = 4;
  EXPECT_NO_THROW(recur::cuda::to_cublas(d));
  d.n = int64_t{1} << 31;
  d.ldb = d.n, d.ldc = d.n;
  try {
    recur::cuda::to_cublas(d);
    FAIL() << "expected a recur::Error for n > INT_MAX";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("32-bit"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace recur
