// The vector type of recur's AVX2 + FMA kernels: 8 floats per register, as the templated kernels
// (packed_kernel.h, gemv_kernel.h, pointwise_kernel.h) use it. Included inside the region's
// anonymous namespace (after avx2_begin.h); deliberately without an include guard.

struct V8 {
  using reg = __m256;
  static constexpr int64_t kLanes = 8;
  static reg zero() { return _mm256_setzero_ps(); }
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, reg v) { _mm256_storeu_ps(p, v); }
  static reg bcast(const float* p) { return _mm256_broadcast_ss(p); }
  static reg set1(float x) { return _mm256_set1_ps(x); }
  static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg load_n(const float* p, int64_t n) {
    return n >= kLanes ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, first_lanes(n));
  }
  static float sum(reg a) {
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
  }
  static void store_n(float* p, reg v, int64_t n) {
    if (n >= kLanes) {
      _mm256_storeu_ps(p, v);
    } else {
      _mm256_maskstore_ps(p, first_lanes(n), v);
    }
  }

  // For pointwise_kernel.h. min/max return b when either operand is NaN (put a constant first
  // to keep a NaN); keep_if_positive(y, v) is v where y > 0 (ordered: 0 where y is NaN).
  static reg sub(reg a, reg b) { return _mm256_sub_ps(a, b); }
  static reg div(reg a, reg b) { return _mm256_div_ps(a, b); }
  static reg fnma(reg a, reg b, reg c) { return _mm256_fnmadd_ps(a, b, c); }  // c - a * b
  static reg min(reg a, reg b) { return _mm256_min_ps(a, b); }
  static reg max(reg a, reg b) { return _mm256_max_ps(a, b); }
  static reg round(reg a) {
    return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static reg bit_xor(reg a, reg b) { return _mm256_xor_ps(a, b); }
  static reg bit_and(reg a, reg b) { return _mm256_and_ps(a, b); }
  static reg bit_or(reg a, reg b) { return _mm256_or_ps(a, b); }
  static reg bit_andnot(reg a, reg b) { return _mm256_andnot_ps(a, b); }  // ~a & b
  // 2^n for integral-valued n in [-126, 127].
  static reg pow2(reg n) {
    const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
  }
  static reg keep_if_positive(reg y, reg v) {
    return _mm256_and_ps(_mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_GT_OQ), v);
  }
  // The first n < kLanes lanes: masked loads read zeros and masked stores skip the rest.
  using mask = __m256i;
  static mask tail(int64_t n) { return first_lanes(n); }
  static reg load_mask(const float* p, mask m) { return _mm256_maskload_ps(p, m); }
  static void store_mask(float* p, mask m, reg v) { _mm256_maskstore_ps(p, m, v); }
};
