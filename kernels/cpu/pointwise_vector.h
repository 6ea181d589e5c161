// The vector (AVX2 + FMA, float) bodies of the CPU executor's pointwise steps
// (pointwise_avx2.cpp): cell_step.h's per-unit bodies instantiated on an 8-float vector type.
// Each call runs one block of units: batch rows [b0, b1), hidden units [j0, j1).
#pragma once

#include <cstdint>

namespace recur::cpu {

struct UnitBlock {
  int64_t b0, b1, j0, j1;
};

// Defined for every float step type of RECUR_FOR_EACH_STEP (kernels/common/cell_step.h); call
// only where the CPU has AVX2 + FMA (isa.h).
template <class Step>
void run_step_avx2(const Step& step, UnitBlock u);

}  // namespace recur::cpu
