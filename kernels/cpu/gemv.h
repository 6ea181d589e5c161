// A float matrix-vector product on AVX2 + FMA (gemv_avx2.cpp), used by blas.cpp for single-row
// GEMMs against a transposed B (the forward's recurrent product at B = 1); call only when
// avx2_available() (pointwise_vector.h). y and w never alias; beta == 0 means y is not read.
#pragma once

#include <cstdint>

namespace recur::cpu {

// y[i] = alpha * sum_p w[i*ldw + p] * x[p] + beta * y[i], i < n, p < k.
void gemv_rows_avx2(int64_t n, int64_t k, float alpha, const float* w, int64_t ldw, const float* x,
                    float beta, float* y);

}  // namespace recur::cpu
