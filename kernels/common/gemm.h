// The GEMM descriptor the time-loop driver states its matrix products in. Row-major, as the
// driver's tensors are; each executor translates it (the CPU one to cblas with CblasRowMajor,
// the CUDA one to cuBLAS's column-major arguments).
#pragma once

#include <cstdint>

#include "recur/error.h"

namespace recur {

// C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C, all row-major.
// op(A) = A stored [m, k] (lda >= k), or with trans_a, A stored [k, m] (lda >= m) and transposed.
// op(B) = B stored [k, n] (ldb >= n), or with trans_b, B stored [n, k] (ldb >= k) and transposed.
// C is stored [m, n] with ldc >= n. beta == 0 means C is not read (it may hold NaN).
struct GemmDesc {
  bool trans_a = false;
  bool trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  int64_t lda = 0, ldb = 0, ldc = 0;
  double alpha = 1.0;
  double beta = 0.0;

  // Throws recur::Error naming the inconsistent field.
  void validate() const {
    RECUR_CHECK(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m={} n={} k={}", m, n, k);
    RECUR_CHECK(lda >= (trans_a ? m : k) && lda >= 1,
                "gemm: lda={} too small (m={} k={} trans_a={})", lda, m, k, trans_a);
    RECUR_CHECK(ldb >= (trans_b ? k : n) && ldb >= 1,
                "gemm: ldb={} too small (n={} k={} trans_b={})", ldb, n, k, trans_b);
    RECUR_CHECK(ldc >= n && ldc >= 1, "gemm: ldc={} too small (n={})", ldc, n);
  }
};

}  // namespace recur
