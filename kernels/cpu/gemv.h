// A float matrix-vector product on AVX2 + FMA or AVX-512 (gemm_avx2.cpp, gemm_avx512.cpp; the
// kernel is gemv_kernel.h), used by blas.cpp for single-row GEMMs against a transposed B (the
// forward's recurrent product at B = 1); call the one of isa.h's active_isa(). Four rows at a
// time with eight independent accumulators, the AVX2 one streams about 25-30% faster than
// OpenBLAS's sgemv (83 vs 64 GB/s for a 512 x 256 block on a Zen 3 EPYC; the transposed
// product, used by the backward, showed no gain and stays with the packed GEMM or OpenBLAS).
// y and w never alias; beta == 0 means y is not read.
#pragma once

#include <cstdint>

namespace recur::cpu {

// y[i] = alpha * sum_p w[i*ldw + p] * x[p] + beta * y[i], i < n, p < k.
void gemv_rows_avx2(int64_t n, int64_t k, float alpha, const float* w, int64_t ldw, const float* x,
                    float beta, float* y);
void gemv_rows_avx512(int64_t n, int64_t k, float alpha, const float* w, int64_t ldw,
                      const float* x, float beta, float* y);

}  // namespace recur::cpu
