// The forward time loop's per-step GEMM at B = 1, for float on AVX2 + FMA: a matrix-vector
// product over the recurrent weights [G*H, H], which stay in the core's L2 cache from one step
// to the next, so its speed is the rate at which they stream from L2. Four rows at a time with
// eight independent accumulators, it streams about 25-30% faster than OpenBLAS's sgemv here
// (83 vs 64 GB/s for a 512 x 256 block on this machine's EPYC; the transposed product, used by
// the backward, showed no gain and stays with OpenBLAS). Compiled for AVX2 the same way as
// an AVX2 region (avx2_begin.h), and only called after avx2_available().
#include <cstdint>

#include "kernels/cpu/avx2_path.h"
#include "kernels/cpu/gemv.h"

#if RECUR_AVX2_PATH

#include "kernels/cpu/avx2_begin.h"

namespace recur::cpu {
namespace {

// The sums of the 8 lanes of a, b, c, d, as one 4-lane vector.
inline __m128 sum4(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m256 ab = _mm256_hadd_ps(a, b);
  const __m256 cd = _mm256_hadd_ps(c, d);
  const __m256 abcd = _mm256_hadd_ps(ab, cd);
  return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

inline float sum1(__m256 a) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

inline float finish(float dot, float alpha, float beta, const float* y) {
  return beta == 0.0f ? alpha * dot : alpha * dot + beta * *y;
}

}  // namespace

void gemv_rows_avx2(int64_t n, int64_t k, float alpha, const float* w, int64_t ldw, const float* x,
                    float beta, float* y) {
  const int64_t k16 = k / 16 * 16, k8 = k / 8 * 8;
  const __m256i tail = first_lanes(k - k8);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float* w0 = w + i * ldw;
    const float* w1 = w0 + ldw;
    const float* w2 = w1 + ldw;
    const float* w3 = w2 + ldw;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    int64_t p = 0;
    for (; p < k16; p += 16) {
      const __m256 x0 = _mm256_loadu_ps(x + p), x1 = _mm256_loadu_ps(x + p + 8);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + p), x0, a0);
      b0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + p + 8), x1, b0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + p), x0, a1);
      b1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + p + 8), x1, b1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + p), x0, a2);
      b2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + p + 8), x1, b2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + p), x0, a3);
      b3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + p + 8), x1, b3);
    }
    for (; p < k8; p += 8) {
      const __m256 x0 = _mm256_loadu_ps(x + p);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + p), x0, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + p), x0, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + p), x0, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + p), x0, a3);
    }
    if (p < k) {
      const __m256 x0 = _mm256_maskload_ps(x + p, tail);
      a0 = _mm256_fmadd_ps(_mm256_maskload_ps(w0 + p, tail), x0, a0);
      a1 = _mm256_fmadd_ps(_mm256_maskload_ps(w1 + p, tail), x0, a1);
      a2 = _mm256_fmadd_ps(_mm256_maskload_ps(w2 + p, tail), x0, a2);
      a3 = _mm256_fmadd_ps(_mm256_maskload_ps(w3 + p, tail), x0, a3);
    }
    __m128 dots = sum4(_mm256_add_ps(a0, b0), _mm256_add_ps(a1, b1), _mm256_add_ps(a2, b2),
                       _mm256_add_ps(a3, b3));
    dots = _mm_mul_ps(dots, _mm_set1_ps(alpha));
    if (beta != 0.0f) dots = _mm_fmadd_ps(_mm_set1_ps(beta), _mm_loadu_ps(y + i), dots);
    _mm_storeu_ps(y + i, dots);
  }
  for (; i < n; ++i) {
    const float* wi = w + i * ldw;
    __m256 a = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p < k8; p += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(wi + p), _mm256_loadu_ps(x + p), a);
    if (p < k) {
      a = _mm256_fmadd_ps(_mm256_maskload_ps(wi + p, tail), _mm256_maskload_ps(x + p, tail), a);
    }
    y[i] = finish(sum1(a), alpha, beta, y + i);
  }
}

}  // namespace recur::cpu

#include "kernels/cpu/avx2_end.h"

#else  // no AVX2 path on this compiler or architecture

#include "recur/error.h"

namespace recur::cpu {
void gemv_rows_avx2(int64_t, int64_t, float, const float*, int64_t, const float*, float, float*) {
  RECUR_FAIL("no AVX2 path");
}
}  // namespace recur::cpu

#endif
