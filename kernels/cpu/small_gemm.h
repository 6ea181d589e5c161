// The time loop's per-step product for float on AVX2 + FMA: C[m, n] = alpha A[m, k] op(B) +
// beta C with few rows (m = the batch) and op(B) the recurrent weights, the same matrix at
// every step. OpenBLAS repacks B and clears C (beta = 0) at every call, which at these sizes
// costs as much as the arithmetic; here op(B) is packed once per driver call into strips of 16
// columns (k x 16 floats each, contiguous, the last one zero-padded), and each step runs a
// 6 x 16 register-blocked kernel straight from the strips (small_gemm_avx2.cpp). Call only
// when avx2_available() (pointwise_vector.h).
#pragma once

#include <cstdint>

namespace recur::cpu {

constexpr int64_t kStrip = 16;  // columns per packed strip

// Floats needed for the packed op(B) [k, n].
inline int64_t packed_size(int64_t k, int64_t n) {
  return k * ((n + kStrip - 1) / kStrip) * kStrip;
}

// Packs columns [j0, j1) of op(B) (j0 a multiple of 16) into their strips of `packed` (the
// buffer for all n columns). op(B) = B stored [k, n] with row stride ldb, or with trans_b B
// stored [n, k] and transposed.
void pack_strips(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t j0, int64_t j1,
                 float* packed);

// C[:, j0:j1] = alpha A op(B)[:, j0:j1] + beta C[:, j0:j1] from the packed strips (j0 a
// multiple of 16); A [m, k] row-major with row stride lda, C with row stride ldc. beta == 0
// means C is not read.
void gemm_packed_avx2(int64_t m, int64_t k, int64_t j0, int64_t j1, float alpha, const float* a,
                      int64_t lda, const float* packed, float beta, float* c, int64_t ldc);

}  // namespace recur::cpu
