// The vector type of recur's AVX-512 kernels: 16 floats per register, as the templated kernels
// (packed_kernel.h, gemv_kernel.h) use it. Included inside the region's anonymous namespace
// (after avx512_begin.h); deliberately without an include guard.

struct V16 {
  using reg = __m512;
  static constexpr int64_t kLanes = 16;
  static __mmask16 first(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }
  static reg zero() { return _mm512_setzero_ps(); }
  static reg load(const float* p) { return _mm512_loadu_ps(p); }
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
};
