// Translation of the driver's row-major GemmDesc into cuBLAS's column-major arguments. Pure
// host code without CUDA headers, so that it is unit-tested in every build (against a naive
// column-major GEMM, tests/test_cuda_gemm_translation.cpp).
//
// Why it works: a row-major [r, c] matrix with leading dimension ld occupies exactly the bytes
// of a column-major [c, r] matrix with the same ld, i.e. of its transpose. The row-major
// product C = op(A) op(B) is therefore the column-major product C^T = op(B)^T op(A)^T, which
// cuBLAS computes when handed (opB, opA, n, m, k, B, ldb, A, lda, C, ldc): the operands swap
// places and m and n swap, while each operand keeps its own transpose flag and leading
// dimension.
#pragma once

#include <climits>
#include <cstdint>

#include "kernels/common/gemm.h"
#include "recur/error.h"

namespace recur::cuda {

// The arguments of cublas<t>gemm, in its order. "first" is cuBLAS's A operand, which is the
// descriptor's B; "second" is cuBLAS's B operand, the descriptor's A.
struct CublasGemmArgs {
  bool trans_first = false;   // cuBLAS transa (the descriptor's trans_b)
  bool trans_second = false;  // cuBLAS transb (the descriptor's trans_a)
  int m = 0, n = 0, k = 0;    // cuBLAS m = desc.n, n = desc.m, k = desc.k
  int ld_first = 1;           // desc.ldb
  int ld_second = 1;          // desc.lda
  int ldc = 1;                // desc.ldc
  double alpha = 1.0;
  double beta = 0.0;
};

// Validates `d` and translates it. cuBLAS's classic API takes 32-bit sizes; a size beyond
// INT_MAX throws instead of being truncated.
inline CublasGemmArgs to_cublas(const GemmDesc& d) {
  d.validate();
  auto to_int = [](int64_t v, const char* what) {
    RECUR_CHECK(v <= INT_MAX, "gemm: {}={} exceeds cuBLAS's 32-bit limit", what, v);
    return static_cast<int>(v);
  };
  CublasGemmArgs a;
  a.trans_first = d.trans_b;
  a.trans_second = d.trans_a;
  a.m = to_int(d.n, "n");
  a.n = to_int(d.m, "m");
  a.k = to_int(d.k, "k");
  a.ld_first = to_int(d.ldb, "ldb");
  a.ld_second = to_int(d.lda, "lda");
  a.ldc = to_int(d.ldc, "ldc");
  a.alpha = d.alpha;
  a.beta = d.beta;
  return a;
}

}  // namespace recur::cuda
