// Each operation of the CUDA executor on its own, on a GPU, against a host computation written
// here from the contract of kernels/common/executor.h: GEMMs for every transpose combination
// with padded leading dimensions (and the k == 0 edge), the fused pointwise passes of every cell
// against cell_math.h on the host (padded strides, present and absent optional operands),
// column sums, dropout, transposes, copies, the row gathers of variable-length batches, and lane
// ordering. Skips without a GPU.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/common/cell_math.h"
#include "recur/random.h"
#include "test_cuda_support.h"
#if RECUR_WITH_CUDA
#include "kernels/cuda/cuda_executor.h"
#endif

namespace recur::test {
namespace {

#if RECUR_WITH_CUDA

using cuda::CudaContext;
using cuda::CudaExecutor;

class CudaExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RECUR_SKIP_WITHOUT_CUDA();
    ctx_ = std::make_shared<CudaContext>(false);
  }
  std::shared_ptr<CudaContext> ctx_;
};

template <class T>
void check_gemm(const std::shared_ptr<CudaContext>& ctx) {
  CudaExecutor<T> ex(ctx);
  const T nan = std::numeric_limits<T>::quiet_NaN();
  uint64_t seed = 0;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (int64_t k : {0, 1, 37})
        for (double beta : {0.0, 0.5}) {
          GemmDesc g;
          g.trans_a = ta, g.trans_b = tb;
          g.m = 19, g.n = 45, g.k = k;
          g.lda = (ta ? g.m : k) + 3;
          g.ldb = (tb ? k : g.n) + 2;
          g.ldc = g.n + 5;
          g.alpha = 1.5;
          g.beta = beta;
          const int64_t a_rows = ta ? k : g.m, b_rows = tb ? g.n : k;
          const std::vector<T> A = random_vec<T>(a_rows * g.lda, ++seed);
          const std::vector<T> B = random_vec<T>(b_rows * g.ldb, ++seed);
          std::vector<T> C = random_vec<T>(g.m * g.ldc, ++seed);
          if (beta == 0) std::fill(C.begin(), C.end(), nan);  // must not be read
          std::vector<T> want = C;
          for (int64_t i = 0; i < g.m; ++i)
            for (int64_t j = 0; j < g.n; ++j) {
              double acc = 0;
              for (int64_t l = 0; l < k; ++l)
                acc += static_cast<double>(ta ? A[l * g.lda + i] : A[i * g.lda + l]) *
                       static_cast<double>(tb ? B[j * g.ldb + l] : B[l * g.ldb + j]);
              T& w = want[i * g.ldc + j];
              w = static_cast<T>(g.alpha * acc + (beta == 0 ? 0.0 : beta * static_cast<double>(w)));
            }
          DeviceVec<T> dA(A), dB(B), dC(C);
          ex.gemm(kMainLane, g, dA.get(), dB.get(), dC.get());
          const std::vector<T> got = dC.host();
          std::vector<T> got_used, want_used;
          for (int64_t i = 0; i < g.m; ++i) {
            for (int64_t j = 0; j < g.ldc; ++j) {
              if (j < g.n) {
                got_used.push_back(got[i * g.ldc + j]);
                want_used.push_back(want[i * g.ldc + j]);
              } else if (beta != 0) {
                ASSERT_EQ(got[i * g.ldc + j], C[i * g.ldc + j]) << "padding of C was written";
              }
            }
          }
          EXPECT_TRUE(near(got_used, want_used, "C"))
              << "trans_a=" << ta << " trans_b=" << tb << " k=" << k << " beta=" << beta;
        }
}

TEST_F(CudaExecutorTest, GemmAllTransposesPaddedAndEmptyK) {
  check_gemm<float>(ctx_);
  check_gemm<double>(ctx_);
}

TEST_F(CudaExecutorTest, ColumnSumIsExactOrderIndependentAndRepeatable) {
  CudaExecutor<double> ex(ctx_);
  const int64_t rows = 1003, cols = 70, lds = 75;
  const std::vector<double> src = random_vec<double>(rows * lds, 1);
  const std::vector<double> dst0 = random_vec<double>(cols, 2);
  for (bool accumulate : {false, true}) {
    std::vector<double> want(cols);
    for (int64_t j = 0; j < cols; ++j) {
      double s = accumulate ? dst0[j] : 0.0;
      for (int64_t r = 0; r < rows; ++r) s += src[r * lds + j];
      want[j] = s;
    }
    DeviceVec<double> d_src(src), d1(dst0), d2(dst0);
    ex.column_sum(kMainLane, rows, cols, d_src.get(), lds, d1.get(), accumulate);
    ex.column_sum(kMainLane, rows, cols, d_src.get(), lds, d2.get(), accumulate);
    EXPECT_TRUE(near(d1.host(), want, "column sums"));
    EXPECT_EQ(d1.host(), d2.host()) << "two runs differ";
  }
  // float input is summed in double: the float result is the rounded double sum.
  CudaExecutor<float> exf(ctx_);
  const std::vector<float> fsrc = random_vec<float>(rows * cols, 3);
  std::vector<float> fwant(cols);
  for (int64_t j = 0; j < cols; ++j) {
    double s = 0;
    for (int64_t r = 0; r < rows; ++r) s += fsrc[r * cols + j];
    fwant[j] = static_cast<float>(s);
  }
  DeviceVec<float> fd_src(fsrc), fd(std::vector<float>(cols, 0.f));
  exf.column_sum(kMainLane, rows, cols, fd_src.get(), cols, fd.get(), false);
  EXPECT_TRUE(near(fd.host(), fwant, "float column sums"));
}

TEST_F(CudaExecutorTest, DropoutMatchesTheHostMaskExactly) {
  CudaExecutor<float> ex(ctx_);
  const int64_t n = 10007;
  const std::vector<float> src = random_vec<float>(n, 4);
  for (double p : {0.0, 0.3, 1.0}) {
    std::vector<float> want(n);
    for (int64_t e = 0; e < n; ++e)
      want[e] =
          p < 1 && dropout_keep(77, 2, e, p) ? src[e] * static_cast<float>(1.0 / (1.0 - p)) : 0.0f;
    DeviceVec<float> d_src(src), d_dst(std::vector<float>(n, NAN)), d_inplace(src);
    ex.dropout(kMainLane, 77, 2, p, n, d_src.get(), d_dst.get());
    ex.dropout(kMainLane, 77, 2, p, n, d_inplace.get(), d_inplace.get());  // dst aliases src
    EXPECT_EQ(d_dst.host(), want) << "p=" << p;
    EXPECT_EQ(d_inplace.host(), want) << "in place, p=" << p;
  }
}

// Variable-length batches: a row gather by an uploaded index (-1: a zero row) with strided
// source and destination, and dropout on gathered rows with each row's own mask index.
TEST_F(CudaExecutorTest, GatherRowsAndDropoutRowsFollowTheIndex) {
  CudaExecutor<double> ex(ctx_);
  const int64_t rows = 5, cols = 3, lds = 7, ldd = 4, src_rows = 6;
  const std::vector<int64_t> host_index = {4, -1, 0, 5, 2};
  const std::vector<double> src = random_vec<double>(src_rows * lds, 8);
  std::vector<double> want(rows * ldd, -3.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      want[r * ldd + c] = host_index[r] >= 0 ? src[host_index[r] * lds + c] : 0.0;
  const auto index = ex.upload_index(host_index);
  DeviceVec<double> d_src(src), d_dst(std::vector<double>(rows * ldd, -3.0));
  ex.gather_rows(kMainLane, rows, cols, index.data(), d_src.get(), lds, d_dst.get(), ldd);
  EXPECT_EQ(d_dst.host(), want);
  EXPECT_EQ(ex.upload_index({}).data(), nullptr);

  const std::vector<int64_t> padded_rows = {9, 0, 4, 2, 7};
  const std::vector<double> x = random_vec<double>(rows * cols, 9);
  std::vector<double> want_drop(x.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t e = padded_rows[r] * cols + c;
      want_drop[r * cols + c] = dropout_keep(5, 1, e, 0.4) ? x[r * cols + c] / 0.6 : 0.0;
    }
  const auto rows_index = ex.upload_index(padded_rows);
  DeviceVec<double> d_x(x);
  ex.dropout_rows(kMainLane, 5, 1, 0.4, rows, cols, rows_index.data(), d_x.get(), d_x.get());
  const std::vector<double> got = d_x.host();
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want_drop[i], 1e-15) << i;
}

TEST_F(CudaExecutorTest, TransposeCopyAndFill) {
  CudaExecutor<double> ex(ctx_);
  const int64_t n0 = 5, n1 = 7, f = 3;
  const std::vector<double> src = random_vec<double>(n0 * n1 * f, 5);
  std::vector<double> want(src.size());
  for (int64_t i = 0; i < n0; ++i)
    for (int64_t j = 0; j < n1; ++j)
      for (int64_t c = 0; c < f; ++c) want[(j * n0 + i) * f + c] = src[(i * n1 + j) * f + c];
  DeviceVec<double> d_src(src), d_t(std::vector<double>(src.size(), NAN));
  ex.transpose_01(kMainLane, n0, n1, f, d_src.get(), d_t.get());
  EXPECT_EQ(d_t.host(), want);

  const int64_t rows = 4, cols = 6, lds = 9, ldd = 8;
  const std::vector<double> s2 = random_vec<double>(rows * lds, 6);
  std::vector<double> d0(rows * ldd, -7.0), want2 = d0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) want2[r * ldd + c] = s2[r * lds + c];
  DeviceVec<double> d_s2(s2), d_d2(d0);
  ex.copy_2d(kMainLane, rows, cols, d_s2.get(), lds, d_d2.get(), ldd);
  EXPECT_EQ(d_d2.host(), want2);

  DeviceVec<double> d_fill(std::vector<double>(1000, NAN));
  ex.fill(kMainLane, 999, 2.5, d_fill.get());
  const std::vector<double> filled = d_fill.host();
  for (int64_t i = 0; i < 999; ++i) ASSERT_EQ(filled[i], 2.5) << i;
  EXPECT_TRUE(std::isnan(filled[999])) << "fill wrote past n";
}

TEST_F(CudaExecutorTest, LanesForkAndJoin) {
  // Lane 1 must see what lane 0 wrote before the fork; the main lane must see what lane 1
  // wrote before the join. Large enough that a missing dependency shows.
  CudaExecutor<float> ex(ctx_);
  const int64_t n = 1 << 24;
  auto a = ex.alloc(n), b = ex.alloc(n), c = ex.alloc(n);
  ex.fill(kMainLane, n, 1.0f, a.data());
  ex.parallel_lanes(2, [&](int lane) {
    if (lane == 1) ex.copy_2d(lane, 1, n, a.data(), n, b.data(), n);
  });
  ex.copy_2d(kMainLane, 1, n, b.data(), n, c.data(), n);
  ctx_->synchronize();
  std::vector<float> h(n);
  CUDA_CHECK(cudaMemcpy(h.data(), c.data(), n * sizeof(float), cudaMemcpyDeviceToHost));
  for (int64_t i = 0; i < n; i += 4099) ASSERT_EQ(h[i], 1.0f) << i;
  ASSERT_EQ(h[n - 1], 1.0f);
}

#else

TEST(CudaExecutorTest, NeedsCuda) {
  GTEST_SKIP() << "recur was built without CUDA";
}

#endif  // RECUR_WITH_CUDA

}  // namespace
}  // namespace recur::test
