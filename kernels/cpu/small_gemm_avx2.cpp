// The per-step product from packed weight strips (small_gemm.h). The kernel is an AVX2 region
// (avx2_begin.h); the packing is plain code.
#include <cstdint>

#include "kernels/cpu/avx2_path.h"
#include "kernels/cpu/small_gemm.h"

namespace recur::cpu {

void pack_strips(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t j0, int64_t j1,
                 float* packed) {
  for (int64_t s = j0; s < j1; s += kStrip) {
    float* strip = packed + s / kStrip * k * kStrip;
    const int64_t w = j1 - s < kStrip ? j1 - s : kStrip;  // columns of op(B) in this strip
    if (trans_b) {
      // Column j of the strip is row s + j of B: read each row once, in order.
      for (int64_t j = 0; j < w; ++j) {
        const float* row = b + (s + j) * ldb;
        for (int64_t p = 0; p < k; ++p) strip[p * kStrip + j] = row[p];
      }
    } else {
      for (int64_t p = 0; p < k; ++p) {
        const float* row = b + p * ldb + s;
        for (int64_t j = 0; j < w; ++j) strip[p * kStrip + j] = row[j];
      }
    }
    for (int64_t p = 0; p < k && w < kStrip; ++p) {
      for (int64_t j = w; j < kStrip; ++j) strip[p * kStrip + j] = 0.0f;
    }
  }
}

}  // namespace recur::cpu

#if RECUR_AVX2_PATH

#include "kernels/cpu/avx2_begin.h"

namespace recur::cpu {
namespace {

// out = alpha * acc + beta * out for `cols` (<= 8) columns.
inline void store8(float* out, __m256 acc, __m256 alpha, float beta, int64_t cols) {
  __m256 r = _mm256_mul_ps(acc, alpha);
  if (cols >= 8) {
    if (beta != 0.0f) r = _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(out), r);
    _mm256_storeu_ps(out, r);
  } else if (cols > 0) {
    const __m256i mask = first_lanes(cols);
    if (beta != 0.0f) {
      r = _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_maskload_ps(out, mask), r);
    }
    _mm256_maskstore_ps(out, mask, r);
  }
}

// R rows of C (R <= 6) times one 16-column strip: 2R accumulators, one broadcast of A per row
// and two loads of the strip per k. The accumulators are named variables (not an array, which
// GCC would write back to memory at every k), the unused ones removed by `if constexpr`.
template <int R>
inline void micro(int64_t k, const float* a, int64_t lda, const float* strip, float alpha,
                  float beta, float* c, int64_t ldc, int64_t cols) {
  __m256 l0 = _mm256_setzero_ps(), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0;
  __m256 l3 = l0, h3 = l0, l4 = l0, h4 = l0, l5 = l0, h5 = l0;
  const float* a0 = a;
  const float* a1 = a0 + lda;
  const float* a2 = a1 + lda;
  const float* a3 = a2 + lda;
  const float* a4 = a3 + lda;
  const float* a5 = a4 + lda;
  // With beta != 0 the kernel reads C at the end, and in the time loop C is the step's slice
  // of the input projection, usually not in cache: ask for it now, while the k loop runs.
  if (beta != 0.0f) {
    for (int r = 0; r < R; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + kStrip - 1), _MM_HINT_T0);
    }
  }
#define RECUR_ROW(r)                                 \
  if constexpr (R > r) {                             \
    const __m256 av = _mm256_broadcast_ss(a##r + p); \
    l##r = _mm256_fmadd_ps(av, b0, l##r);            \
    h##r = _mm256_fmadd_ps(av, b1, h##r);            \
  }
  for (int64_t p = 0; p < k; ++p) {
    const __m256 b0 = _mm256_loadu_ps(strip + p * kStrip);
    const __m256 b1 = _mm256_loadu_ps(strip + p * kStrip + 8);
    RECUR_ROW(0)
    RECUR_ROW(1)
    RECUR_ROW(2)
    RECUR_ROW(3)
    RECUR_ROW(4)
    RECUR_ROW(5)
  }
#undef RECUR_ROW
  const __m256 va = _mm256_set1_ps(alpha);
#define RECUR_STORE(r)                                 \
  if constexpr (R > r) {                               \
    store8(c + r * ldc, l##r, va, beta, cols);         \
    store8(c + r * ldc + 8, h##r, va, beta, cols - 8); \
  }
  RECUR_STORE(0)
  RECUR_STORE(1)
  RECUR_STORE(2)
  RECUR_STORE(3)
  RECUR_STORE(4)
  RECUR_STORE(5)
#undef RECUR_STORE
}

}  // namespace

void gemm_packed_avx2(int64_t m, int64_t k, int64_t j0, int64_t j1, float alpha, const float* a,
                      int64_t lda, const float* packed, float beta, float* c, int64_t ldc) {
  // Strips outer, rows inner: a strip (k x 16) stays in L1 while every row block uses it.
  for (int64_t s = j0; s < j1; s += kStrip) {
    const float* strip = packed + s / kStrip * k * kStrip;
    const int64_t cols = j1 - s < kStrip ? j1 - s : kStrip;
    for (int64_t i = 0; i < m; i += 6) {
      const float* ai = a + i * lda;
      float* ci = c + i * ldc + s;
      switch (m - i < 6 ? m - i : 6) {
        case 1:
          micro<1>(k, ai, lda, strip, alpha, beta, ci, ldc, cols);
          break;
        case 2:
          micro<2>(k, ai, lda, strip, alpha, beta, ci, ldc, cols);
          break;
        case 3:
          micro<3>(k, ai, lda, strip, alpha, beta, ci, ldc, cols);
          break;
        case 4:
          micro<4>(k, ai, lda, strip, alpha, beta, ci, ldc, cols);
          break;
        case 5:
          micro<5>(k, ai, lda, strip, alpha, beta, ci, ldc, cols);
          break;
        default:
          micro<6>(k, ai, lda, strip, alpha, beta, ci, ldc, cols);
          break;
      }
    }
  }
}

}  // namespace recur::cpu

#include "kernels/cpu/avx2_end.h"

#else  // no AVX2 path on this compiler or architecture

#include "recur/error.h"

namespace recur::cpu {
void gemm_packed_avx2(int64_t, int64_t, int64_t, int64_t, float, const float*, int64_t,
                      const float*, float, float*, int64_t) {
  RECUR_FAIL("no AVX2 path");
}
}  // namespace recur::cpu

#endif
