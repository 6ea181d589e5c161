// The fused pointwise steps on the GPU: one thread per unit (b, j), grid-stride, each running
// the per-unit body of kernels/common/cell_step.h with scalar I/O — the same function the CPU
// executor runs over its blocks of units, launched as a functor over [0, B*H).
#include "kernels/common/cell_step.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/launch.cuh"

namespace recur::cuda {
namespace {

template <class Step>
__global__ void step_kernel(const Step step) {
  const step::ScalarIo<typename Step::value_type> io;
  for (RECUR_ELEMENTWISE_LOOP(i, step.B * step.H)) {
    const int64_t b = i / step.H, j = i - b * step.H;
    step::unit(step, b, j, io);
  }
}

}  // namespace

template <class Step>
cudaError_t launch_step(cudaStream_t stream, const Step& step) {
  return launch_elementwise(stream, step.B * step.H, step_kernel<Step>, step);
}

#define RECUR_INSTANTIATE_LAUNCH_STEP(Step) \
  template cudaError_t launch_step(cudaStream_t, const Step&);
RECUR_FOR_EACH_STEP(RECUR_INSTANTIATE_LAUNCH_STEP, float)
RECUR_FOR_EACH_STEP(RECUR_INSTANTIATE_LAUNCH_STEP, double)
#undef RECUR_INSTANTIATE_LAUNCH_STEP

}  // namespace recur::cuda
