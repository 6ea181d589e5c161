// The float pointwise steps on AVX2 + FMA: pointwise_kernel.h's bodies (cell_step.h's per-unit
// bodies on a vector value type) over the 8-float vectors of vec_avx2.h.
//
// The vector code is an AVX2 region (avx2_begin.h, whose rules it follows), called only after a
// run-time check (isa.h). cell_step.h is included inside the region on purpose: its
// templates are instantiated here only, on this file's own (anonymous) vector type.
#include <cmath>
#include <cstdint>

#include "kernels/cpu/pointwise_vector.h"
#include "recur/error.h"  // for the stubs without an AVX2 path; nothing of it is used below

#include "kernels/cpu/avx2_path.h"

// The float step types, each instantiated once below (on either path).
#define RECUR_INSTANTIATE_RUN_STEP_AVX2(Step) template void run_step_avx2(const Step&, UnitBlock);

#if RECUR_AVX2_PATH

#include "kernels/cpu/avx2_begin.h"

#include "kernels/common/cell_step.h"

namespace recur::cpu {
namespace {

#include "kernels/cpu/vec_avx2.h"

#include "kernels/cpu/pointwise_kernel.h"

}  // namespace

template <class Step>
void run_step_avx2(const Step& step, UnitBlock u) {
  run_vector_block<V8>(step, u);
}

RECUR_FOR_EACH_STEP(RECUR_INSTANTIATE_RUN_STEP_AVX2, float)

}  // namespace recur::cpu

#include "kernels/cpu/avx2_end.h"

#else  // no AVX2 path on this compiler or architecture

#include "kernels/common/cell_step.h"

namespace recur::cpu {
template <class Step>
void run_step_avx2(const Step&, UnitBlock) {
  RECUR_FAIL("no AVX2 path");
}
RECUR_FOR_EACH_STEP(RECUR_INSTANTIATE_RUN_STEP_AVX2, float)
}  // namespace recur::cpu

#endif

#undef RECUR_INSTANTIATE_RUN_STEP_AVX2
