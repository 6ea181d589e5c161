// Packing and dispatch of recur's float GEMM (packed_gemm.h); the kernels are in
// gemm_avx2.cpp and gemm_avx512.cpp.
#include "kernels/cpu/packed_gemm.h"

#include "recur/error.h"

namespace recur::cpu {

int64_t strip_width(Isa isa) {
  RECUR_CHECK(isa != Isa::Scalar, "packed gemm: no strips on the scalar path");
  return isa == Isa::Avx512 ? 32 : 16;
}

void pack_strips(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t j0, int64_t j1,
                 int64_t nr, float* packed) {
  for (int64_t s = j0; s < j1; s += nr) {
    float* strip = packed + s / nr * k * nr;
    const int64_t w = j1 - s < nr ? j1 - s : nr;  // columns of op(B) in this strip
    if (trans_b) {
      // Column j of the strip is row s + j of B: read each row once, in order.
      for (int64_t j = 0; j < w; ++j) {
        const float* row = b + (s + j) * ldb;
        for (int64_t p = 0; p < k; ++p) strip[p * nr + j] = row[p];
      }
    } else {
      for (int64_t p = 0; p < k; ++p) {
        const float* row = b + p * ldb + s;
        for (int64_t j = 0; j < w; ++j) strip[p * nr + j] = row[j];
      }
    }
    for (int64_t p = 0; p < k && w < nr; ++p) {
      for (int64_t j = w; j < nr; ++j) strip[p * nr + j] = 0.0f;
    }
  }
}

void gemm_packed(Isa isa, const PackedProduct& g, int64_t j0, int64_t j1) {
  RECUR_ASSERT(g.k >= 1 && j0 % strip_width(isa) == 0);
  if (isa == Isa::Avx512) {
    gemm_packed_avx512(g, j0, j1);
  } else {
    gemm_packed_avx2(g, j0, j1);
  }
}

}  // namespace recur::cpu
