// The pointwise passes for float on 8-wide AVX2 + FMA vectors. The bodies are those of
// pointwise_body.h, i.e. cell_math.h's templates instantiated on V8f below; what this file
// adds is the vector type, its exp / sigmoid / tanh, and full or masked (tail) loads.
//
// The library is built for baseline x86-64, so this unit alone is compiled for AVX2 + FMA (by
// the pragma below) and only called after a run-time check (avx2_available). Everything the
// pragma covers lives in an anonymous namespace or is one of the entry points, so no inline
// function compiled for AVX2 can be picked by the linker for code that runs elsewhere; the
// standard headers are included before the pragma for the same reason.
#include <cmath>
#include <cstdint>

#include "kernels/cpu/pointwise_args.h"
#include "recur/error.h"  // for the stubs without an AVX2 path; nothing of it is used below

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define RECUR_AVX2_PATH 1
#else
#define RECUR_AVX2_PATH 0
#endif

#if RECUR_AVX2_PATH

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#include <immintrin.h>

#include "kernels/cpu/pointwise_body.h"

namespace recur::cpu {
namespace {

struct V8f {
  __m256 v;
  V8f() = default;
  V8f(float x) : v(_mm256_set1_ps(x)) {}  // implicit: cell_math.h writes T(1), T(0)
  explicit V8f(__m256 x) : v(x) {}
};

inline V8f operator+(V8f a, V8f b) {
  return V8f(_mm256_add_ps(a.v, b.v));
}
inline V8f operator-(V8f a, V8f b) {
  return V8f(_mm256_sub_ps(a.v, b.v));
}
inline V8f operator*(V8f a, V8f b) {
  return V8f(_mm256_mul_ps(a.v, b.v));
}
inline V8f operator/(V8f a, V8f b) {
  return V8f(_mm256_div_ps(a.v, b.v));
}
inline V8f operator-(V8f a) {
  return V8f(_mm256_xor_ps(a.v, _mm256_set1_ps(-0.0f)));
}

// The clamps below put the constant first: _mm256_min_ps / max_ps return their second operand
// when either is NaN, so a NaN input stays NaN (a poisoned value must never turn finite).

// 2^n for integral-valued n in [-126, 127], as a float.
inline __m256 pow2(__m256 n) {
  const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
  return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}

// x = n*ln2 + r with |r| <= ln2/2; ln2 in two parts so that n*ln2_hi is exact.
inline __m256 reduce(__m256 x, __m256* n) {
  *n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                       _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256 r = _mm256_fnmadd_ps(*n, _mm256_set1_ps(0.693359375f), x);
  return _mm256_fnmadd_ps(*n, _mm256_set1_ps(-2.12194440054690583e-4f), r);
}

// e^r - 1 for |r| <= ln2/2 by its Taylor series to r^8 (truncation below 3e-10): no
// cancellation near 0, where tanh needs it.
inline __m256 expm1_reduced(__m256 r) {
  __m256 p = _mm256_set1_ps(1.0f / 40320);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 5040));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  return _mm256_mul_ps(p, r);
}

// e^x, clamped to [-87, 88] (the normal float range of 2^n).
inline __m256 exp_ps(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(88.0f), _mm256_max_ps(_mm256_set1_ps(-87.0f), x));
  __m256 n;
  const __m256 r = reduce(x, &n);
  return _mm256_mul_ps(_mm256_add_ps(expm1_reduced(r), _mm256_set1_ps(1.0f)), pow2(n));
}

// The vector counterparts of cell_math.h's sigmoid and tanh_, found by argument-dependent
// lookup when its templates are instantiated on V8f.
inline V8f sigmoid(V8f x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return V8f(
      _mm256_div_ps(one, _mm256_add_ps(one, exp_ps(_mm256_xor_ps(x.v, _mm256_set1_ps(-0.0f))))));
}

// tanh|x| = m / (m + 2) with m = e^{2|x|} - 1, computed as 2^n (e^r - 1) + (2^n - 1) so that
// small |x| keeps its relative accuracy; |x| is clamped at 9, where tanh is 1 in float.
inline V8f tanh_(V8f x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 ax = _mm256_min_ps(_mm256_set1_ps(9.0f), _mm256_andnot_ps(sign, x.v));
  __m256 n;
  const __m256 r = reduce(_mm256_add_ps(ax, ax), &n);
  const __m256 scale = pow2(n);
  const __m256 m =
      _mm256_fmadd_ps(scale, expm1_reduced(r), _mm256_sub_ps(scale, _mm256_set1_ps(1.0f)));
  const __m256 t = _mm256_div_ps(m, _mm256_add_ps(m, _mm256_set1_ps(2.0f)));
  return V8f(_mm256_or_ps(t, _mm256_and_ps(sign, x.v)));
}

struct FullIo {
  V8f load(const float* p) const { return V8f(_mm256_loadu_ps(p)); }
  void store(float* p, V8f v) const { _mm256_storeu_ps(p, v.v); }
  V8f zero() const { return V8f(_mm256_setzero_ps()); }
};

// The last n < 8 units of a row: masked loads read zeros and masked stores skip the rest.
struct TailIo {
  __m256i mask;
  explicit TailIo(int64_t n)
      : mask(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))) {}
  V8f load(const float* p) const { return V8f(_mm256_maskload_ps(p, mask)); }
  void store(float* p, V8f v) const { _mm256_maskstore_ps(p, mask, v.v); }
  V8f zero() const { return V8f(_mm256_setzero_ps()); }
};

template <class F>
void vector_block(UnitBlock u, F&& unit) {
  for (int64_t b = u.b0; b < u.b1; ++b) {
    int64_t j = u.j0;
    for (; j + 8 <= u.j1; j += 8) unit(b, j, FullIo{});
    if (j < u.j1) unit(b, j, TailIo(u.j1 - j));
  }
}

}  // namespace

// a.relu must be false (ReLU takes the scalar path).
void rnn_forward_avx2(const RnnForwardArgs<float>& a, UnitBlock u) {
  vector_block(u, [&](int64_t b, int64_t j, const auto& io) {
    pointwise::rnn_forward<false, V8f>(a, b, j, io);
  });
}
void lstm_forward_avx2(const LstmForwardArgs<float>& a, UnitBlock u) {
  vector_block(
      u, [&](int64_t b, int64_t j, const auto& io) { pointwise::lstm_forward<V8f>(a, b, j, io); });
}
void gru_forward_avx2(const GruForwardArgs<float>& a, UnitBlock u) {
  vector_block(
      u, [&](int64_t b, int64_t j, const auto& io) { pointwise::gru_forward<V8f>(a, b, j, io); });
}
// a.relu must be false (ReLU takes the scalar path).
void rnn_backward_avx2(const RnnBackwardArgs<float>& a, UnitBlock u) {
  vector_block(u, [&](int64_t b, int64_t j, const auto& io) {
    pointwise::rnn_backward<false, V8f>(a, b, j, io);
  });
}
void lstm_backward_avx2(const LstmBackwardArgs<float>& a, UnitBlock u) {
  vector_block(
      u, [&](int64_t b, int64_t j, const auto& io) { pointwise::lstm_backward<V8f>(a, b, j, io); });
}
void gru_backward_avx2(const GruBackwardArgs<float>& a, UnitBlock u) {
  vector_block(
      u, [&](int64_t b, int64_t j, const auto& io) { pointwise::gru_backward<V8f>(a, b, j, io); });
}

}  // namespace recur::cpu

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace recur::cpu {
bool avx2_available() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
}  // namespace recur::cpu

#else  // no AVX2 path on this compiler or architecture

namespace recur::cpu {
bool avx2_available() {
  return false;
}
void rnn_forward_avx2(const RnnForwardArgs<float>&, UnitBlock) {
  RECUR_FAIL("no AVX2 path");
}
void lstm_forward_avx2(const LstmForwardArgs<float>&, UnitBlock) {
  RECUR_FAIL("no AVX2 path");
}
void gru_forward_avx2(const GruForwardArgs<float>&, UnitBlock) {
  RECUR_FAIL("no AVX2 path");
}
void rnn_backward_avx2(const RnnBackwardArgs<float>&, UnitBlock) {
  RECUR_FAIL("no AVX2 path");
}
void lstm_backward_avx2(const LstmBackwardArgs<float>&, UnitBlock) {
  RECUR_FAIL("no AVX2 path");
}
void gru_backward_avx2(const GruBackwardArgs<float>&, UnitBlock) {
  RECUR_FAIL("no AVX2 path");
}
}  // namespace recur::cpu

#endif
