#include "kernels/cpu/blas.h"

#include <cblas.h>

#include <climits>
#include <cstdint>

#include "kernels/cpu/gemv.h"
#include "kernels/cpu/isa.h"
#include "recur/error.h"

namespace recur::cpu {
namespace {

blasint to_blas(int64_t v, const char* what) {
  RECUR_CHECK(v >= 0 && v <= INT_MAX, "gemm: {}={} exceeds the BLAS integer range", what, v);
  return static_cast<blasint>(v);
}

void cblas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k,
                float alpha, const float* a, blasint lda, const float* b, blasint ldb, float beta,
                float* c, blasint ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void cblas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k,
                double alpha, const double* a, blasint lda, const double* b, blasint ldb,
                double beta, double* c, blasint ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void cblas_gemv(CBLAS_TRANSPOSE t, blasint rows, blasint cols, float alpha, const float* a,
                blasint lda, const float* x, blasint incx, float beta, float* y) {
  cblas_sgemv(CblasRowMajor, t, rows, cols, alpha, a, lda, x, incx, beta, y, 1);
}
void cblas_gemv(CBLAS_TRANSPOSE t, blasint rows, blasint cols, double alpha, const double* a,
                blasint lda, const double* x, blasint incx, double beta, double* y) {
  cblas_dgemv(CblasRowMajor, t, rows, cols, alpha, a, lda, x, incx, beta, y, 1);
}

// Single-row float products against a transposed B (stored [n, k]) on AVX2 or AVX-512, where
// the row of A is contiguous; false when not taken.
bool gemv_vector(const GemmDesc& g, const float* a, const float* b, float* c) {
  const Isa isa = active_isa();
  if (isa < Isa::Avx2 || g.trans_a || !g.trans_b) return false;
  const float alpha = static_cast<float>(g.alpha), beta = static_cast<float>(g.beta);
  if (isa == Isa::Avx512) {
    gemv_rows_avx512(g.n, g.k, alpha, b, g.ldb, a, beta, c);
  } else {
    gemv_rows_avx2(g.n, g.k, alpha, b, g.ldb, a, beta, c);
  }
  return true;
}
bool gemv_vector(const GemmDesc&, const double*, const double*, double*) {
  return false;
}

template <class T>
void gemm_impl(const GemmDesc& g, const T* a, const T* b, T* c) {
  g.validate();
  if (g.m == 0 || g.n == 0) return;
  // beta == 0 must not read C (it may hold NaN); BLAS scaling by zero does not promise that,
  // so C is cleared first where BLAS would scale it.
  if (g.k == 0 || g.alpha == 0.0) {
    for (int64_t i = 0; i < g.m; ++i) {
      T* row = c + i * g.ldc;
      for (int64_t j = 0; j < g.n; ++j) row[j] = g.beta == 0.0 ? T(0) : T(g.beta) * row[j];
    }
    return;
  }
  const blasint m = to_blas(g.m, "m"), n = to_blas(g.n, "n"), k = to_blas(g.k, "k");
  const blasint lda = to_blas(g.lda, "lda"), ldb = to_blas(g.ldb, "ldb");
  const blasint ldc = to_blas(g.ldc, "ldc");
  if (g.m == 1 && gemv_vector(g, a, b, c)) return;
  if (g.m == 1) {
    // C[0, :] = alpha * a · op(B) + beta * C: a GEMV with op(B)^T. a is A's one row (stride 1),
    // or with trans_a A's one column (stride lda).
    if (g.beta == 0.0) {
      for (int64_t j = 0; j < g.n; ++j) c[j] = T(0);
    }
    const blasint inc_a = g.trans_a ? lda : 1;
    if (g.trans_b) {  // B stored [n, k]
      cblas_gemv(CblasNoTrans, n, k, T(g.alpha), b, ldb, a, inc_a, T(g.beta), c);
    } else {  // B stored [k, n]
      cblas_gemv(CblasTrans, k, n, T(g.alpha), b, ldb, a, inc_a, T(g.beta), c);
    }
    return;
  }
  cblas_gemm(g.trans_a ? CblasTrans : CblasNoTrans, g.trans_b ? CblasTrans : CblasNoTrans, m, n, k,
             T(g.alpha), a, lda, b, ldb, T(g.beta), c, ldc);
}

}  // namespace

void blas_gemm(const GemmDesc& g, const float* a, const float* b, float* c) {
  gemm_impl(g, a, b, c);
}
void blas_gemm(const GemmDesc& g, const double* a, const double* b, double* c) {
  gemm_impl(g, a, b, c);
}

BlasSingleThreaded::BlasSingleThreaded() : previous_(openblas_get_num_threads()) {
  if (previous_ != 1) openblas_set_num_threads(1);
}
BlasSingleThreaded::~BlasSingleThreaded() {
  if (previous_ != 1) openblas_set_num_threads(previous_);
}

}  // namespace recur::cpu
