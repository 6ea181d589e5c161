// recur's own float GEMM for every product the time-loop driver issues (the input projection
// over all steps, the per-step recurrent product, the backward's data- and weight-gradient
// products): C[m, n] = alpha op(A)[m, k] op(B)[k, n] + beta C.
//
// op(B) is packed into strips of nr columns (k x nr floats each, contiguous, the last one
// zero-padded): nr = 16 on AVX2 (two 8-float registers), 32 on AVX-512 (two 16-float ones).
// The CPU executor packs the weights once per driver call and keeps them; each thread packs
// and then multiplies its own strips, so its share of W_hh stays in its own core's cache
// across steps. A is read in place, element (r, p) at a[r * rs + p * ps] (rs = lda, ps = 1;
// or rs = 1, ps = lda for a transposed A). The loops block k by kKc and m by kMc so that a
// strip's k-block stays in L1 and A's block in L2, around a register tile of MR rows x nr
// columns (MR = 6 on AVX2, 8 on AVX-512).
#pragma once

#include <cstdint>

#include "kernels/cpu/isa.h"

namespace recur::cpu {

constexpr int64_t kKc = 256;  // k per block
constexpr int64_t kMc = 96;   // rows of A per block (a multiple of both MRs)

// Columns per strip for `isa` (Avx2 or Avx512).
int64_t strip_width(Isa isa);

// Floats needed for the packed op(B) [k, n] in strips of nr.
inline int64_t packed_size(int64_t k, int64_t n, int64_t nr) {
  return k * ((n + nr - 1) / nr) * nr;
}

// Packs columns [j0, j1) of op(B) (j0 a multiple of nr) into their strips of `packed` (the
// buffer for all n columns). op(B) = B stored [k, n] with row stride ldb, or with trans_b B
// stored [n, k] and transposed.
void pack_strips(const float* b, int64_t ldb, bool trans_b, int64_t k, int64_t j0, int64_t j1,
                 int64_t nr, float* packed);

// C[:, j0:j1] = alpha op(A) op(B)[:, j0:j1] + beta C[:, j0:j1] from the packed strips (j0 a
// multiple of strip_width(isa), k >= 1); C with row stride ldc; beta == 0 means C is not read.
struct PackedProduct {
  int64_t m, k;
  float alpha;
  const float* a;
  int64_t rs, ps;  // A's element (r, p) at a[r * rs + p * ps]
  const float* packed;
  float beta;
  float* c;
  int64_t ldc;
};
void gemm_packed(Isa isa, const PackedProduct& g, int64_t j0, int64_t j1);

// The per-ISA bodies (gemm_avx2.cpp, gemm_avx512.cpp); call through gemm_packed.
void gemm_packed_avx2(const PackedProduct& g, int64_t j0, int64_t j1);
void gemm_packed_avx512(const PackedProduct& g, int64_t j0, int64_t j1);

}  // namespace recur::cpu
