// The float pointwise steps on AVX-512 (F/BW/DQ/VL): pointwise_kernel.h's bodies (cell_step.h's
// per-unit bodies on a vector value type) over the 16-float vectors of vec_avx512.h.
//
// The vector code is an AVX-512 region (avx512_begin.h; avx2_begin.h's rules apply), called only
// after a run-time check (isa.h). cell_step.h is included inside the region on purpose: its
// templates are instantiated here only, on this file's own (anonymous) vector type.
#include <cmath>
#include <cstdint>

#include "kernels/cpu/pointwise_vector.h"
#include "recur/error.h"  // for the stubs without an AVX-512 path; nothing of it is used below

#include "kernels/cpu/avx2_path.h"

// The float step types, each instantiated once below (on either path).
#define RECUR_INSTANTIATE_RUN_STEP_AVX512(Step) \
  template void run_step_avx512(const Step&, UnitBlock);

#if RECUR_AVX2_PATH

#include "kernels/cpu/avx512_begin.h"

#include "kernels/common/cell_step.h"

namespace recur::cpu {
namespace {

#include "kernels/cpu/vec_avx512.h"

#include "kernels/cpu/pointwise_kernel.h"

}  // namespace

template <class Step>
void run_step_avx512(const Step& step, UnitBlock u) {
  run_vector_block<V16>(step, u);
}

RECUR_FOR_EACH_STEP(RECUR_INSTANTIATE_RUN_STEP_AVX512, float)

}  // namespace recur::cpu

#include "kernels/cpu/avx2_end.h"

#else  // no vector path on this compiler or architecture

#include "kernels/common/cell_step.h"

namespace recur::cpu {
template <class Step>
void run_step_avx512(const Step&, UnitBlock) {
  RECUR_FAIL("no AVX-512 path");
}
RECUR_FOR_EACH_STEP(RECUR_INSTANTIATE_RUN_STEP_AVX512, float)
}  // namespace recur::cpu

#endif

#undef RECUR_INSTANTIATE_RUN_STEP_AVX512
