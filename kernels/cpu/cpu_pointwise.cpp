// The CPU executor's fused pointwise steps: the [B, H] units of a step split over the lane's
// threads by batch rows (or, for small B, by hidden units), each block run for float by the
// vector bodies of the active ISA (AVX-512 or AVX2 + FMA, isa.h), else by the scalar ones; all
// are cell_step.h's per-unit bodies.
#include <algorithm>
#include <type_traits>

#include "kernels/common/cell_step.h"
#include "kernels/cpu/cpu_executor.h"
#include "kernels/cpu/pointwise_vector.h"

namespace recur::cpu {
namespace {

// Calls fn(block) over a partition of the [B, H] units among the lane's threads. Hidden-unit
// blocks start at multiples of 16 so that vector loops see whole vectors.
template <class T, class F>
void for_units(CpuExecutor<T>& ex, int lane, int64_t B, int64_t H, double unit_cost, F&& fn) {
  ex.split(lane, unit_cost * B * H, [&](int i, int parts) {
    if (B >= parts) {
      fn(UnitBlock{B * i / parts, B * (i + 1) / parts, 0, H});
    } else {
      const int64_t chunks = (H + 15) / 16;
      fn(UnitBlock{0, B, std::min(H, chunks * i / parts * 16),
                   std::min(H, chunks * (i + 1) / parts * 16)});
    }
  });
}

}  // namespace

template <class T>
template <class Step>
void CpuExecutor<T>::run_step(int lane, const Step& step) {
  for_units(*this, lane, step.B, step.H, Step::kUnitCost, [&](UnitBlock u) {
    if constexpr (std::is_same_v<T, float>) {
      if (vector_) return isa_ == Isa::Avx512 ? run_step_avx512(step, u) : run_step_avx2(step, u);
    }
    const step::ScalarIo<T> io;
    for (int64_t b = u.b0; b < u.b1; ++b) {
      for (int64_t j = u.j0; j < u.j1; ++j) step::unit(step, b, j, io);
    }
  });
}

#define RECUR_INSTANTIATE_RUN_STEP(Step) \
  template void CpuExecutor<Step::value_type>::run_step(int, const Step&);
RECUR_FOR_EACH_STEP(RECUR_INSTANTIATE_RUN_STEP, float)
RECUR_FOR_EACH_STEP(RECUR_INSTANTIATE_RUN_STEP, double)
#undef RECUR_INSTANTIATE_RUN_STEP

}  // namespace recur::cpu
