#include "matrix.h"

#include <climits>

#include <cblas.h>

namespace recur::train::detail {

void check_matrix(const Tensor& t, const std::string& what, int64_t* rows, int64_t* cols) {
  RECUR_CHECK(t.defined(), "{}: undefined tensor", what);
  RECUR_CHECK(t.ndim() == 2, "{}: expected a matrix, got shape {}", what, shape_str(t.shape()));
  RECUR_CHECK(t.dtype() == DType::F32 || t.dtype() == DType::F64, "{}: expected F32 or F64, got {}",
              what, dtype_name(t.dtype()));
  RECUR_CHECK(t.device() == Device::CPU, "{}: expected a host tensor", what);
  *rows = t.dim(0);
  *cols = t.dim(1);
}

void matmul(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c, double alpha,
            double beta) {
  int64_t ar, ac, br, bc, cr, cc;
  check_matrix(a, "matmul a", &ar, &ac);
  check_matrix(b, "matmul b", &br, &bc);
  check_matrix(c, "matmul c", &cr, &cc);
  const int64_t m = trans_a ? ac : ar, k = trans_a ? ar : ac;
  const int64_t kb = trans_b ? bc : br, n = trans_b ? br : bc;
  RECUR_CHECK(k == kb && cr == m && cc == n, "matmul: shapes {}{} x {}{} -> {} do not agree",
              shape_str(a.shape()), trans_a ? "^T" : "", shape_str(b.shape()), trans_b ? "^T" : "",
              shape_str(c.shape()));
  RECUR_CHECK(a.dtype() == b.dtype() && b.dtype() == c.dtype(), "matmul: mixed dtypes");
  if (m == 0 || n == 0) return;
  if (k == 0) {
    // BLAS leaves C untouched for k == 0 only when beta == 1; state the result directly.
    if (beta == 0.0) c.fill(0.0);
    return;
  }
  const auto ta = trans_a ? CblasTrans : CblasNoTrans;
  const auto tb = trans_b ? CblasTrans : CblasNoTrans;
  for (int64_t v : {m, n, k, ac, bc})
    RECUR_CHECK(v <= INT_MAX, "matmul: size {} does not fit BLAS's int", v);
  const int M = static_cast<int>(m), N = static_cast<int>(n), K = static_cast<int>(k);
  if (c.dtype() == DType::F32) {
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, static_cast<float>(alpha), a.data<float>(),
                static_cast<int>(ac), b.data<float>(), static_cast<int>(bc),
                static_cast<float>(beta), c.data<float>(), N);
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, alpha, a.data<double>(), static_cast<int>(ac),
                b.data<double>(), static_cast<int>(bc), beta, c.data<double>(), N);
  }
}

}  // namespace recur::train::detail
