// The vector type of recur's AVX-512 kernels: 16 floats per register, as the templated kernels
// (packed_kernel.h, gemv_kernel.h, pointwise_kernel.h) use it. Included inside the region's
// anonymous namespace (after avx512_begin.h); deliberately without an include guard.

struct V16 {
  using reg = __m512;
  static constexpr int64_t kLanes = 16;
  static __mmask16 first(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }
  static reg zero() { return _mm512_setzero_ps(); }
  static reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, reg v) { _mm512_storeu_ps(p, v); }
  static reg bcast(const float* p) { return _mm512_set1_ps(*p); }
  static reg set1(float x) { return _mm512_set1_ps(x); }
  static reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static reg load_n(const float* p, int64_t n) {
    return n >= kLanes ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(first(n), p);
  }
  // Through memory: GCC 12's expansions of _mm512_reduce_add_ps, the unmasked shuffles and the
  // 512-to-128-bit extract warn -Wmaybe-uninitialized.
  static float sum(reg a) {
    alignas(64) float t[16];
    _mm512_store_ps(t, a);
    float s[4];
    for (int i = 0; i < 4; ++i) s[i] = (t[i] + t[i + 4]) + (t[i + 8] + t[i + 12]);
    return (s[0] + s[1]) + (s[2] + s[3]);
  }
  static void store_n(float* p, reg v, int64_t n) {
    if (n >= kLanes) {
      _mm512_storeu_ps(p, v);
    } else {
      _mm512_mask_storeu_ps(p, first(n), v);
    }
  }

  // For pointwise_kernel.h, as in vec_avx2.h (min/max return b when either operand is NaN).
  static reg sub(reg a, reg b) { return _mm512_sub_ps(a, b); }
  static reg div(reg a, reg b) { return _mm512_div_ps(a, b); }
  static reg fnma(reg a, reg b, reg c) { return _mm512_fnmadd_ps(a, b, c); }  // c - a * b
  static reg min(reg a, reg b) { return _mm512_min_ps(a, b); }
  static reg max(reg a, reg b) { return _mm512_max_ps(a, b); }
  static reg round(reg a) {
    return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static reg bit_xor(reg a, reg b) { return _mm512_xor_ps(a, b); }
  static reg bit_and(reg a, reg b) { return _mm512_and_ps(a, b); }
  static reg bit_or(reg a, reg b) { return _mm512_or_ps(a, b); }
  static reg bit_andnot(reg a, reg b) { return _mm512_andnot_ps(a, b); }  // ~a & b
  static reg pow2(reg n) {
    const __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
  }
  static reg keep_if_positive(reg y, reg v) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ), v);
  }
  using mask = __mmask16;
  static mask tail(int64_t n) { return first(n); }
  static reg load_mask(const float* p, mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static void store_mask(float* p, mask m, reg v) { _mm512_mask_storeu_ps(p, m, v); }
};
