// Shared by the .cu files: the launch of an elementwise kernel over [0, n) with the shape of
// launch_shape.h, returning the launch status. Kernels loop with grid_first / grid_stride.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "kernels/cuda/launch_shape.h"

// Every launch goes through RECUR_LAUNCH instead of `<<<>>>`, so that simt (simt/README.md),
// the CPU emulation that runs this backend in CI, compiles the same source as C++; for nvcc
// it is exactly the `<<<>>>` launch. RECUR_DYNAMIC_SHARED(T, name) declares a kernel's
// dynamic shared memory the same way, and RECUR_LAUNCH_COOPERATIVE is cudaLaunchCooperativeKernel
// (simt needs the kernel's typed pointer to know its parameters; nvcc's takes it untyped).
#ifdef __SIMT__
#define RECUR_LAUNCH(kernel, grid, block, smem, stream, ...) \
  ::simt::launch(kernel, grid, block, smem, stream, __VA_ARGS__)
#define RECUR_DYNAMIC_SHARED(T, name) SIMT_DYNAMIC_SHARED(T, name)
#define RECUR_LAUNCH_COOPERATIVE(kernel, grid, block, args, smem, stream) \
  cudaLaunchCooperativeKernel(kernel, grid, block, args, smem, stream)
#else
#define RECUR_LAUNCH(kernel, grid, block, smem, stream, ...) \
  kernel<<<grid, block, smem, stream>>>(__VA_ARGS__)
#define RECUR_DYNAMIC_SHARED(T, name) extern __shared__ T name[]
#define RECUR_LAUNCH_COOPERATIVE(kernel, grid, block, args, smem, stream)                     \
  cudaLaunchCooperativeKernel(reinterpret_cast<const void*>(kernel), grid, block, args, smem, \
                              stream)
#endif

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
  RECUR_LAUNCH(kernel, static_cast<unsigned>(shape.blocks), shape.threads, 0, stream, args...);
  return cudaGetLastError();
}

}  // namespace recur::cuda
