// Shared by the .cu files: the launch of an elementwise kernel over [0, n) with the shape of
// launch_shape.h, returning the launch status. Kernels loop with grid_first / grid_stride.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "kernels/cuda/launch_shape.h"

namespace recur::cuda {

// The grid-stride loop of an elementwise kernel: `for (ELEMENTWISE_LOOP(i, n))`.
#define RECUR_ELEMENTWISE_LOOP(i, n)                                          \
  int64_t i = ::recur::cuda::grid_first(blockIdx.x, blockDim.x, threadIdx.x); \
  i < (n);                                                                    \
  i += ::recur::cuda::grid_stride(gridDim.x, blockDim.x)

template <class... Params, class... Args>
cudaError_t launch_elementwise(cudaStream_t stream, int64_t n, void (*kernel)(Params...),
                               const Args&... args) {
  const Launch1D shape = elementwise_shape(n);
  if (shape.blocks == 0) return cudaSuccess;
  kernel<<<static_cast<unsigned>(shape.blocks), shape.threads, 0, stream>>>(args...);
  return cudaGetLastError();
}

}  // namespace recur::cuda
