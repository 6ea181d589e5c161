// The vector type of recur's AVX2 + FMA kernels: 8 floats per register, as the templated kernels
// (packed_kernel.h, gemv_kernel.h) use it. Included inside the region's anonymous namespace
// (after avx2_begin.h); deliberately without an include guard.

struct V8 {
  using reg = __m256;
  static constexpr int64_t kLanes = 8;
  static reg zero() { return _mm256_setzero_ps(); }
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
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
};
