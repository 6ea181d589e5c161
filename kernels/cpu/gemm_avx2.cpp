// recur's float GEMM (packed_gemm.h: 8-float vectors, 6 x 16 register tiles) and the B = 1
// matrix-vector product (gemv.h) on AVX2 + FMA; the kernels are written once in packed_kernel.h and
// gemv_kernel.h over the vector type of vec_avx2.h.
#include <cstdint>

#include "kernels/cpu/avx2_path.h"
#include "kernels/cpu/gemv.h"
#include "kernels/cpu/packed_gemm.h"

#if RECUR_AVX2_PATH

#include "kernels/cpu/avx2_begin.h"

namespace recur::cpu {
namespace {

#include "kernels/cpu/gemv_kernel.h"
#include "kernels/cpu/packed_kernel.h"
#include "kernels/cpu/vec_avx2.h"

}  // namespace

void gemm_packed_avx2(const PackedProduct& g, int64_t j0, int64_t j1) {
  packed_loops<V8, 6>(g, j0, j1);
}

void gemv_rows_avx2(int64_t n, int64_t k, float alpha, const float* w, int64_t ldw, const float* x,
                    float beta, float* y) {
  gemv_rows<V8>(n, k, alpha, w, ldw, x, beta, y);
}

}  // namespace recur::cpu

#include "kernels/cpu/avx2_end.h"

#else  // no vector path on this compiler or architecture

#include "recur/error.h"

namespace recur::cpu {
void gemm_packed_avx2(const PackedProduct&, int64_t, int64_t) {
  RECUR_FAIL("no AVX2 + FMA path");
}
void gemv_rows_avx2(int64_t, int64_t, float, const float*, int64_t, const float*, float, float*) {
  RECUR_FAIL("no AVX2 + FMA path");
}
}  // namespace recur::cpu

#endif
