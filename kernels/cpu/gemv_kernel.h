// The float matrix-vector product of gemv.h, written once over a vector type V (vec_avx2.h,
// vec_avx512.h) and compiled inside each ISA region (gemm_avx2.cpp, gemm_avx512.cpp). Four rows
// at a time with two accumulators each (eight independent FMA chains), the tail of k masked.
// Deliberately without an include guard and inside the region's anonymous namespace.

template <class V>
void gemv_rows(int64_t n, int64_t k, float alpha, const float* w, int64_t ldw, const float* x,
               float beta, float* y) {
  using reg = typename V::reg;
  constexpr int64_t L = V::kLanes;
  const int64_t k2 = k / (2 * L) * (2 * L);
  const auto finish = [&](float dot, float* out) {
    *out = beta == 0.0f ? alpha * dot : alpha * dot + beta * *out;
  };
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float* w0 = w + i * ldw;
    const float* w1 = w0 + ldw;
    const float* w2 = w1 + ldw;
    const float* w3 = w2 + ldw;
    reg a0 = V::zero(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    int64_t p = 0;
    for (; p < k2; p += 2 * L) {
      const reg x0 = V::load(x + p), x1 = V::load(x + p + L);
      a0 = V::fma(V::load(w0 + p), x0, a0);
      b0 = V::fma(V::load(w0 + p + L), x1, b0);
      a1 = V::fma(V::load(w1 + p), x0, a1);
      b1 = V::fma(V::load(w1 + p + L), x1, b1);
      a2 = V::fma(V::load(w2 + p), x0, a2);
      b2 = V::fma(V::load(w2 + p + L), x1, b2);
      a3 = V::fma(V::load(w3 + p), x0, a3);
      b3 = V::fma(V::load(w3 + p + L), x1, b3);
    }
    for (; p < k; p += L) {  // whole vectors, then the masked tail
      const int64_t m = k - p;
      const reg x0 = V::load_n(x + p, m);
      a0 = V::fma(V::load_n(w0 + p, m), x0, a0);
      a1 = V::fma(V::load_n(w1 + p, m), x0, a1);
      a2 = V::fma(V::load_n(w2 + p, m), x0, a2);
      a3 = V::fma(V::load_n(w3 + p, m), x0, a3);
    }
    finish(V::sum(V::add(a0, b0)), y + i);
    finish(V::sum(V::add(a1, b1)), y + i + 1);
    finish(V::sum(V::add(a2, b2)), y + i + 2);
    finish(V::sum(V::add(a3, b3)), y + i + 3);
  }
  for (; i < n; ++i) {
    const float* wi = w + i * ldw;
    reg a = V::zero();
    for (int64_t p = 0; p < k; p += L) {
      a = V::fma(V::load_n(wi + p, k - p), V::load_n(x + p, k - p), a);
    }
    finish(V::sum(a), y + i);
  }
}
