// The pointwise steps for float on AVX2 + FMA vectors. The bodies are cell_step.h's, i.e.
// cell_math.h's templates instantiated on Vec<N> below; what this file adds is the vector
// type, its exp / sigmoid / tanh / ReLU, and full or masked (tail) loads.
//
// The vector code is an AVX2 region (avx2_begin.h, whose rules it follows), called only after a
// run-time check (isa.h). cell_step.h is included inside the region on purpose: its
// templates are instantiated here only, on this file's own (anonymous) vector type.
#include <cmath>
#include <cstdint>

#include "kernels/cpu/pointwise_vector.h"
#include "recur/error.h"  // for the stubs without an AVX2 path; nothing of it is used below

#include "kernels/cpu/avx2_path.h"

// The float step types, each instantiated once below (on either path).
#define RECUR_INSTANTIATE_RUN_STEP_AVX2(Step) template void run_step_avx2(const Step&, UnitBlock);

#if RECUR_AVX2_PATH

#include "kernels/cpu/avx2_begin.h"

#include "kernels/common/cell_step.h"

namespace recur::cpu {
namespace {

// N independent 8-wide vectors treated as one value: every operation is issued for all N
// before the next, so the long dependency chains of exp and division from N groups of units
// interleave and the core overlaps them (with N = 1 the LSTM step is latency-bound).
template <int N>
struct Vec {
  __m256 v[N];
  Vec() = default;
  Vec(float x) {  // implicit: cell_math.h writes T(1), T(0)
    for (int i = 0; i < N; ++i) v[i] = _mm256_set1_ps(x);
  }
};

#define RECUR_VEC_BINARY(op, intrinsic)                             \
  template <int N>                                                  \
  inline Vec<N> operator op(Vec<N> a, Vec<N> b) {                   \
    for (int i = 0; i < N; ++i) a.v[i] = intrinsic(a.v[i], b.v[i]); \
    return a;                                                       \
  }
RECUR_VEC_BINARY(+, _mm256_add_ps)
RECUR_VEC_BINARY(-, _mm256_sub_ps)
RECUR_VEC_BINARY(*, _mm256_mul_ps)
RECUR_VEC_BINARY(/, _mm256_div_ps)
#undef RECUR_VEC_BINARY

template <int N>
inline Vec<N> operator-(Vec<N> a) {
  for (int i = 0; i < N; ++i) a.v[i] = _mm256_xor_ps(a.v[i], _mm256_set1_ps(-0.0f));
  return a;
}

// The clamps below put the constant first: _mm256_min_ps / max_ps return their second operand
// when either is NaN, so a NaN input stays NaN (a poisoned value must never turn finite).

// 2^n for integral-valued n in [-126, 127], as a float.
inline __m256 pow2(__m256 n) {
  const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
  return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}

// x = n*ln2 + r with |r| <= ln2/2, for each of the N vectors; ln2 in two parts so that
// n*ln2_hi is exact.
template <int N>
inline void reduce(const __m256 (&x)[N], __m256 (&n)[N], __m256 (&r)[N]) {
  for (int i = 0; i < N; ++i) {
    n[i] = _mm256_round_ps(_mm256_mul_ps(x[i], _mm256_set1_ps(1.44269504088896341f)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  for (int i = 0; i < N; ++i) r[i] = _mm256_fnmadd_ps(n[i], _mm256_set1_ps(0.693359375f), x[i]);
  for (int i = 0; i < N; ++i) {
    r[i] = _mm256_fnmadd_ps(n[i], _mm256_set1_ps(-2.12194440054690583e-4f), r[i]);
  }
}

// e^r - 1 for |r| <= ln2/2 by its Taylor series to r^8 (truncation below 3e-10), evaluated
// in Estrin's scheme for a short dependency chain; no cancellation near 0, where tanh needs
// it. q = r * (1 + r/2 + ... + r^7/8!).
template <int N>
inline void expm1_reduced(const __m256 (&r)[N], __m256 (&q)[N]) {
  for (int i = 0; i < N; ++i) {
    const __m256 r2 = _mm256_mul_ps(r[i], r[i]);
    const __m256 r4 = _mm256_mul_ps(r2, r2);
    const __m256 p01 = _mm256_fmadd_ps(_mm256_set1_ps(1.0f / 2), r[i], _mm256_set1_ps(1.0f));
    const __m256 p23 = _mm256_fmadd_ps(_mm256_set1_ps(1.0f / 24), r[i], _mm256_set1_ps(1.0f / 6));
    const __m256 p45 =
        _mm256_fmadd_ps(_mm256_set1_ps(1.0f / 720), r[i], _mm256_set1_ps(1.0f / 120));
    const __m256 p67 =
        _mm256_fmadd_ps(_mm256_set1_ps(1.0f / 40320), r[i], _mm256_set1_ps(1.0f / 5040));
    const __m256 p03 = _mm256_fmadd_ps(p23, r2, p01);
    const __m256 p47 = _mm256_fmadd_ps(p67, r2, p45);
    q[i] = _mm256_mul_ps(_mm256_fmadd_ps(p47, r4, p03), r[i]);
  }
}

// e^x, clamped to [-87, 88] (the normal float range of 2^n).
template <int N>
inline void exp_n(__m256 (&x)[N]) {
  for (int i = 0; i < N; ++i) {
    x[i] = _mm256_min_ps(_mm256_set1_ps(88.0f), _mm256_max_ps(_mm256_set1_ps(-87.0f), x[i]));
  }
  __m256 n[N], r[N], q[N];
  reduce(x, n, r);
  expm1_reduced(r, q);
  for (int i = 0; i < N; ++i) {
    x[i] = _mm256_mul_ps(_mm256_add_ps(q[i], _mm256_set1_ps(1.0f)), pow2(n[i]));
  }
}

// The vector counterparts of cell_math.h's sigmoid and tanh_, found by argument-dependent
// lookup when its templates are instantiated on Vec<N>.
template <int N>
inline Vec<N> sigmoid(Vec<N> x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  for (int i = 0; i < N; ++i) x.v[i] = _mm256_xor_ps(x.v[i], _mm256_set1_ps(-0.0f));
  exp_n(x.v);
  for (int i = 0; i < N; ++i) x.v[i] = _mm256_div_ps(one, _mm256_add_ps(one, x.v[i]));
  return x;
}

// tanh|x| = m / (m + 2) with m = e^{2|x|} - 1, computed as 2^n (e^r - 1) + (2^n - 1) so that
// small |x| keeps its relative accuracy; |x| is clamped at 9, where tanh is 1 in float.
template <int N>
inline Vec<N> tanh_(Vec<N> x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 y[N], n[N], r[N], q[N];
  for (int i = 0; i < N; ++i) {
    const __m256 ax = _mm256_min_ps(_mm256_set1_ps(9.0f), _mm256_andnot_ps(sign, x.v[i]));
    y[i] = _mm256_add_ps(ax, ax);
  }
  reduce(y, n, r);
  expm1_reduced(r, q);
  for (int i = 0; i < N; ++i) {
    const __m256 scale = pow2(n[i]);
    const __m256 m = _mm256_fmadd_ps(scale, q[i], _mm256_sub_ps(scale, _mm256_set1_ps(1.0f)));
    const __m256 t = _mm256_div_ps(m, _mm256_add_ps(m, _mm256_set1_ps(2.0f)));
    x.v[i] = _mm256_or_ps(t, _mm256_and_ps(sign, x.v[i]));
  }
  return x;
}

// max(x, 0) with the constant first, so that a NaN x stays NaN (as cell_math.h's relu_).
template <int N>
inline Vec<N> relu_(Vec<N> x) {
  for (int i = 0; i < N; ++i) x.v[i] = _mm256_max_ps(_mm256_setzero_ps(), x.v[i]);
  return x;
}

// value where y > 0, else 0 (ordered compare: 0 where y is NaN, as cell_math.h's).
template <int N>
inline Vec<N> pass_if_positive(Vec<N> y, Vec<N> value) {
  for (int i = 0; i < N; ++i) {
    value.v[i] = _mm256_and_ps(_mm256_cmp_ps(y.v[i], _mm256_setzero_ps(), _CMP_GT_OQ), value.v[i]);
  }
  return value;
}

// N whole vectors: 8N consecutive floats.
template <int N>
struct FullIo {
  Vec<N> load(const float* p) const {
    Vec<N> r;
    for (int i = 0; i < N; ++i) r.v[i] = _mm256_loadu_ps(p + 8 * i);
    return r;
  }
  void store(float* p, Vec<N> v) const {
    for (int i = 0; i < N; ++i) _mm256_storeu_ps(p + 8 * i, v.v[i]);
  }
  Vec<N> zero() const { return Vec<N>(0.0f); }
};

// The last n < 8 units of a row: masked loads read zeros and masked stores skip the rest.
struct TailIo {
  __m256i mask;
  explicit TailIo(int64_t n) : mask(first_lanes(n)) {}
  Vec<1> load(const float* p) const {
    Vec<1> r;
    r.v[0] = _mm256_maskload_ps(p, mask);
    return r;
  }
  void store(float* p, Vec<1> v) const { _mm256_maskstore_ps(p, mask, v.v[0]); }
  Vec<1> zero() const { return Vec<1>(0.0f); }
};

// Units 16 at a time (two interleaved vectors), then 8, then a masked tail.
template <class F>
void vector_block(UnitBlock u, F&& unit) {
  for (int64_t b = u.b0; b < u.b1; ++b) {
    int64_t j = u.j0;
    for (; j + 16 <= u.j1; j += 16) unit(b, j, FullIo<2>{});
    if (j + 8 <= u.j1) {
      unit(b, j, FullIo<1>{});
      j += 8;
    }
    if (j < u.j1) unit(b, j, TailIo(u.j1 - j));
  }
}

}  // namespace

template <class Step>
void run_step_avx2(const Step& step, UnitBlock u) {
  vector_block(u, [&](int64_t b, int64_t j, const auto& io) { step::unit(step, b, j, io); });
}

RECUR_FOR_EACH_STEP(RECUR_INSTANTIATE_RUN_STEP_AVX2, float)

}  // namespace recur::cpu

#include "kernels/cpu/avx2_end.h"

#else  // no AVX2 path on this compiler or architecture

#include "kernels/common/cell_step.h"

namespace recur::cpu {
template <class Step>
void run_step_avx2(const Step&, UnitBlock) {
  RECUR_FAIL("no AVX2 path");
}
RECUR_FOR_EACH_STEP(RECUR_INSTANTIATE_RUN_STEP_AVX2, float)
}  // namespace recur::cpu

#endif

#undef RECUR_INSTANTIATE_RUN_STEP_AVX2
