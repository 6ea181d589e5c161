// The vector (float) bodies of the CPU executor's pointwise steps: cell_step.h's per-unit
// bodies instantiated on 8-float AVX2 + FMA vectors (pointwise_avx2.cpp) and 16-float AVX-512
// ones (pointwise_avx512.cpp), both through pointwise_kernel.h.
// Each call runs one block of units: batch rows [b0, b1), hidden units [j0, j1).
#pragma once

#include <cstdint>

namespace recur::cpu {

struct UnitBlock {
  int64_t b0, b1, j0, j1;
};

// Defined for every float step type of RECUR_FOR_EACH_STEP (kernels/common/cell_step.h); call
// only where the CPU has AVX2 + FMA, respectively AVX-512 (isa.h).
template <class Step>
void run_step_avx2(const Step& step, UnitBlock u);
template <class Step>
void run_step_avx512(const Step& step, UnitBlock u);

}  // namespace recur::cpu
