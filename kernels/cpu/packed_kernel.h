// The blocked loops and register tile of recur's float GEMM (packed_gemm.h), written once over
// a vector type V and compiled inside each ISA region (gemm_avx2.cpp with 8-float
// vectors, gemm_avx512.cpp with 16-float ones). V provides: reg, kLanes, zero(),
// load(p), bcast(p), set1(x), mul(a, b), fma(a, b, c) = a * b + c, load_n(p, n) and
// store_n(p, v, n) for the first n lanes (n may exceed kLanes: all of them).
// Deliberately without an include guard and inside the region's anonymous namespace.

// C[r, j] = alpha * acc[r, j] + beta * C[r, j] (beta == 0: C not read) for `rows` rows of
// `cols` (<= 2 * kLanes) columns; acc holds rows of 2 * kLanes floats.
template <class V>
__attribute__((noinline)) void finish_tile(int rows, const float* acc, float alpha, float beta,
                                           float* c, int64_t ldc, int64_t cols) {
  using reg = typename V::reg;
  constexpr int64_t L = V::kLanes;
  const reg va = V::set1(alpha), vb = V::set1(beta);
  for (int r = 0; r < rows; ++r) {
    for (int64_t h = 0; h < 2; ++h) {
      const int64_t n = cols - h * L;
      if (n <= 0) break;
      float* out = c + r * ldc + h * L;
      reg v = V::mul(V::load(acc + (r * 2 + h) * L), va);
      if (beta != 0.0f) v = V::fma(vb, V::load_n(out, n), v);
      V::store_n(out, v, n);
    }
  }
}

// R rows (R <= 8) of C times one strip of 2 * kLanes columns over kc steps of k: 2R
// accumulators, one broadcast of A per row and two loads of the strip per step. The
// accumulators are named variables (an array GCC may write back to memory at every step),
// the unused ones removed by `if constexpr`.
template <class V, int R>
inline void tile(const PackedProduct& g, int64_t kc, const float* a, const float* strip, float beta,
                 float* c, int64_t cols) {
  using reg = typename V::reg;
  constexpr int64_t L = V::kLanes, NR = 2 * V::kLanes;
  reg l0 = V::zero(), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
  reg l4 = l0, h4 = l0, l5 = l0, h5 = l0, l6 = l0, h6 = l0, l7 = l0, h7 = l0;
  const int64_t rs = g.rs, ps = g.ps, ldc = g.ldc;
  // With beta != 0 the tile reads C at the end (in the time loop the step's slice of the input
  // projection, usually not in cache): ask for it now, while the k loop runs.
  if (beta != 0.0f) {
    for (int r = 0; r < R; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + NR - 1), _MM_HINT_T0);
    }
  }
#define RECUR_ROW(r)                              \
  if constexpr (R > r) {                          \
    const reg av = V::bcast(a + (r)*rs + p * ps); \
    l##r = V::fma(av, b0, l##r);                  \
    h##r = V::fma(av, b1, h##r);                  \
  }
  for (int64_t p = 0; p < kc; ++p) {
    const reg b0 = V::load(strip + p * NR);
    const reg b1 = V::load(strip + p * NR + L);
    RECUR_ROW(0)
    RECUR_ROW(1)
    RECUR_ROW(2)
    RECUR_ROW(3)
    RECUR_ROW(4)
    RECUR_ROW(5)
    RECUR_ROW(6)
    RECUR_ROW(7)
  }
#undef RECUR_ROW
  // The accumulators leave through memory, and the scaling by alpha and beta is a separate
  // function: inlined here, its constants (alpha, beta, masks) took registers across the k loop
  // and made GCC spill three accumulators (half the speed).
  alignas(64) float acc[R * NR];
#define RECUR_SAVE(r)                      \
  if constexpr (R > r) {                   \
    V::store_n(acc + (r)*NR, l##r, L);     \
    V::store_n(acc + (r)*NR + L, h##r, L); \
  }
  RECUR_SAVE(0)
  RECUR_SAVE(1)
  RECUR_SAVE(2)
  RECUR_SAVE(3)
  RECUR_SAVE(4)
  RECUR_SAVE(5)
  RECUR_SAVE(6)
  RECUR_SAVE(7)
#undef RECUR_SAVE
  finish_tile<V>(R, acc, g.alpha, beta, c, ldc, cols);
}

// tile<V, rows> for 1 <= rows <= R.
template <class V, int R>
inline void tile_rows(int64_t rows, const PackedProduct& g, int64_t kc, const float* a,
                      const float* strip, float beta, float* c, int64_t cols) {
  if constexpr (R > 1) {
    if (rows < R) {
      tile_rows<V, R - 1>(rows, g, kc, a, strip, beta, c, cols);
      return;
    }
  }
  tile<V, R>(g, kc, a, strip, beta, c, cols);
}

// k in blocks of kKc (C accumulates after the first, which applies beta), rows in blocks of
// kMc, the strips of [j0, j1) inside: a strip's k-block is reused from L1 by every tile of the
// row block, and the row block of A from L2 by every strip. A is first copied, per block, into
// tiles of MR rows with each step's MR values contiguous, which the strips then read in order
// (a transposed A, the weight gradients', would otherwise cost one cache line per step).
template <class V, int MR>
void packed_loops(const PackedProduct& g, int64_t j0, int64_t j1) {
  constexpr int64_t NR = 2 * V::kLanes;
  static_assert(kMc % MR == 0, "the row block must hold whole tiles");
  alignas(64) static thread_local float a_block[kMc * kKc];
  // Copied unless it is a single tile of rows already in order: rows of A in place are kMc
  // lines a power-of-two stride apart (lda = 4H), which share L1 sets and conflict.
  const bool pack_a = g.ps != 1 || g.m > MR;
  PackedProduct packed_a = g;
  packed_a.rs = 1;
  packed_a.ps = MR;
  const PackedProduct& ga = pack_a ? packed_a : g;
  for (int64_t p0 = 0; p0 < g.k; p0 += kKc) {
    const int64_t kc = g.k - p0 < kKc ? g.k - p0 : kKc;
    const float beta = p0 == 0 ? g.beta : 1.0f;
    for (int64_t i0 = 0; i0 < g.m; i0 += kMc) {
      const int64_t i1 = g.m - i0 < kMc ? g.m : i0 + kMc;
      if (pack_a) {
        for (int64_t i = i0; i < i1; i += MR) {
          const int64_t rows = i1 - i < MR ? i1 - i : MR;
          float* dst = a_block + (i - i0) * kc;
          for (int64_t p = 0; p < kc; ++p) {
            const float* src = g.a + i * g.rs + (p0 + p) * g.ps;
            for (int64_t r = 0; r < rows; ++r) dst[p * MR + r] = src[r * g.rs];
          }
        }
      }
      for (int64_t s = j0; s < j1; s += NR) {
        const float* strip = g.packed + s / NR * g.k * NR + p0 * NR;
        const int64_t cols = j1 - s < NR ? j1 - s : NR;
        for (int64_t i = i0; i < i1; i += MR) {
          const float* a = pack_a ? a_block + (i - i0) * kc : g.a + i * g.rs + p0 * g.ps;
          tile_rows<V, MR>(i1 - i, ga, kc, a, strip, beta, g.c + i * g.ldc + s, cols);
        }
      }
    }
  }
}
