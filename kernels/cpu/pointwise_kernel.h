// The vector bodies of the CPU executor's float pointwise steps (pointwise_vector.h), written
// once over a vector type V (vec_avx2.h, vec_avx512.h) and compiled inside each ISA region
// (pointwise_avx2.cpp, pointwise_avx512.cpp). The step bodies are cell_step.h's, i.e.
// cell_math.h's templates instantiated on Vec<V, N> below; what this file adds is the value
// type, its exp / sigmoid / tanh / ReLU, and full or masked (tail) loads. Besides what
// packed_kernel.h uses, V provides sub, div, fnma, min, max, round, the bit operations, pow2,
// keep_if_positive and the tail mask (see vec_avx2.h).
// Deliberately without an include guard and inside the region's anonymous namespace, after
// the vector type and cell_step.h.

// N independent vectors treated as one value: every operation is issued for all N before the
// next, so the long dependency chains of exp and division from N groups of units interleave
// and the core overlaps them (with N = 1 the LSTM step is latency-bound).
template <class V, int N>
struct Vec {
  typename V::reg v[N];
  Vec() = default;
  Vec(float x) {  // implicit: cell_math.h writes T(1), T(0)
    for (int i = 0; i < N; ++i) v[i] = V::set1(x);
  }
};

#define RECUR_VEC_BINARY(op, fn)                                \
  template <class V, int N>                                     \
  inline Vec<V, N> operator op(Vec<V, N> a, Vec<V, N> b) {      \
    for (int i = 0; i < N; ++i) a.v[i] = V::fn(a.v[i], b.v[i]); \
    return a;                                                   \
  }
RECUR_VEC_BINARY(+, add)
RECUR_VEC_BINARY(-, sub)
RECUR_VEC_BINARY(*, mul)
RECUR_VEC_BINARY(/, div)
#undef RECUR_VEC_BINARY

template <class V, int N>
inline Vec<V, N> operator-(Vec<V, N> a) {
  for (int i = 0; i < N; ++i) a.v[i] = V::bit_xor(a.v[i], V::set1(-0.0f));
  return a;
}

// The clamps below put the constant first: min / max return their second operand when either
// is NaN, so a NaN input stays NaN (a poisoned value must never turn finite).

// x = n*ln2 + r with |r| <= ln2/2, for each of the N vectors; ln2 in two parts so that
// n*ln2_hi is exact.
template <class V, int N, class R = typename V::reg>
inline void reduce(const R (&x)[N], R (&n)[N], R (&r)[N]) {
  for (int i = 0; i < N; ++i) n[i] = V::round(V::mul(x[i], V::set1(1.44269504088896341f)));
  for (int i = 0; i < N; ++i) r[i] = V::fnma(n[i], V::set1(0.693359375f), x[i]);
  for (int i = 0; i < N; ++i) r[i] = V::fnma(n[i], V::set1(-2.12194440054690583e-4f), r[i]);
}

// e^r - 1 for |r| <= ln2/2 by its Taylor series to r^8 (truncation below 3e-10), evaluated
// in Estrin's scheme for a short dependency chain; no cancellation near 0, where tanh needs
// it. q = r * (1 + r/2 + ... + r^7/8!).
template <class V, int N, class R = typename V::reg>
inline void expm1_reduced(const R (&r)[N], R (&q)[N]) {
  for (int i = 0; i < N; ++i) {
    const R r2 = V::mul(r[i], r[i]);
    const R r4 = V::mul(r2, r2);
    const R p01 = V::fma(V::set1(1.0f / 2), r[i], V::set1(1.0f));
    const R p23 = V::fma(V::set1(1.0f / 24), r[i], V::set1(1.0f / 6));
    const R p45 = V::fma(V::set1(1.0f / 720), r[i], V::set1(1.0f / 120));
    const R p67 = V::fma(V::set1(1.0f / 40320), r[i], V::set1(1.0f / 5040));
    const R p03 = V::fma(p23, r2, p01);
    const R p47 = V::fma(p67, r2, p45);
    q[i] = V::mul(V::fma(p47, r4, p03), r[i]);
  }
}

// e^x, clamped to [-87, 88] (the normal float range of 2^n).
template <class V, int N, class R = typename V::reg>
inline void exp_n(R (&x)[N]) {
  for (int i = 0; i < N; ++i) x[i] = V::min(V::set1(88.0f), V::max(V::set1(-87.0f), x[i]));
  R n[N], r[N], q[N];
  reduce<V, N>(x, n, r);
  expm1_reduced<V, N>(r, q);
  for (int i = 0; i < N; ++i) x[i] = V::mul(V::add(q[i], V::set1(1.0f)), V::pow2(n[i]));
}

// The vector counterparts of cell_math.h's sigmoid and tanh_, found by argument-dependent
// lookup when its templates are instantiated on Vec<V, N>.
template <class V, int N>
inline Vec<V, N> sigmoid(Vec<V, N> x) {
  for (int i = 0; i < N; ++i) x.v[i] = V::bit_xor(x.v[i], V::set1(-0.0f));
  exp_n<V, N>(x.v);
  for (int i = 0; i < N; ++i) x.v[i] = V::div(V::set1(1.0f), V::add(V::set1(1.0f), x.v[i]));
  return x;
}

// tanh|x| = m / (m + 2) with m = e^{2|x|} - 1, computed as 2^n (e^r - 1) + (2^n - 1) so that
// small |x| keeps its relative accuracy; |x| is clamped at 9, where tanh is 1 in float.
template <class V, int N>
inline Vec<V, N> tanh_(Vec<V, N> x) {
  using R = typename V::reg;
  const R sign = V::set1(-0.0f);
  R y[N], n[N], r[N], q[N];
  for (int i = 0; i < N; ++i) {
    const R ax = V::min(V::set1(9.0f), V::bit_andnot(sign, x.v[i]));
    y[i] = V::add(ax, ax);
  }
  reduce<V, N>(y, n, r);
  expm1_reduced<V, N>(r, q);
  for (int i = 0; i < N; ++i) {
    const R scale = V::pow2(n[i]);
    const R m = V::fma(scale, q[i], V::sub(scale, V::set1(1.0f)));
    const R t = V::div(m, V::add(m, V::set1(2.0f)));
    x.v[i] = V::bit_or(t, V::bit_and(sign, x.v[i]));
  }
  return x;
}

// max(x, 0) with the constant first, so that a NaN x stays NaN (as cell_math.h's relu_).
template <class V, int N>
inline Vec<V, N> relu_(Vec<V, N> x) {
  for (int i = 0; i < N; ++i) x.v[i] = V::max(V::zero(), x.v[i]);
  return x;
}

// value where y > 0, else 0 (ordered compare: 0 where y is NaN, as cell_math.h's).
template <class V, int N>
inline Vec<V, N> pass_if_positive(Vec<V, N> y, Vec<V, N> value) {
  for (int i = 0; i < N; ++i) value.v[i] = V::keep_if_positive(y.v[i], value.v[i]);
  return value;
}

// N whole vectors: N * kLanes consecutive floats.
template <class V, int N>
struct FullIo {
  Vec<V, N> load(const float* p) const {
    Vec<V, N> r;
    for (int i = 0; i < N; ++i) r.v[i] = V::load(p + V::kLanes * i);
    return r;
  }
  void store(float* p, Vec<V, N> v) const {
    for (int i = 0; i < N; ++i) V::store(p + V::kLanes * i, v.v[i]);
  }
  Vec<V, N> zero() const { return Vec<V, N>(0.0f); }
};

// The last n < kLanes units of a row: masked loads read zeros and masked stores skip the rest.
template <class V>
struct TailIo {
  typename V::mask mask;
  explicit TailIo(int64_t n) : mask(V::tail(n)) {}
  Vec<V, 1> load(const float* p) const {
    Vec<V, 1> r;
    r.v[0] = V::load_mask(p, mask);
    return r;
  }
  void store(float* p, Vec<V, 1> v) const { V::store_mask(p, mask, v.v[0]); }
  Vec<V, 1> zero() const { return Vec<V, 1>(0.0f); }
};

// One block of units (pointwise_vector.h): per row, 2 * kLanes units at a time (two
// interleaved vectors), then kLanes, then a masked tail.
template <class V, class Step>
void run_vector_block(const Step& step, UnitBlock u) {
  constexpr int64_t L = V::kLanes;
  for (int64_t b = u.b0; b < u.b1; ++b) {
    int64_t j = u.j0;
    for (; j + 2 * L <= u.j1; j += 2 * L) step::unit(step, b, j, FullIo<V, 2>{});
    if (j + L <= u.j1) {
      step::unit(step, b, j, FullIo<V, 1>{});
      j += L;
    }
    if (j < u.j1) step::unit(step, b, j, TailIo<V>(u.j1 - j));
  }
}
