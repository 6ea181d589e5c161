// The persistent kernels (persistent.cu): one direction's whole time loop, forward or backward,
// as one cooperative grid that keeps its slice of W_hh in shared memory for all T steps and
// meets at one grid-wide barrier per step. The description of the loop is the driver's
// (kernels/common/fused_recurrence.h); the grid is persistent_plan.h's. float only. Internal
// header (includes CUDA); like kernels.h, the launchers return the launch status.
#pragma once

#include <cuda_runtime.h>

#include "kernels/common/fused_recurrence.h"
#include "kernels/cuda/persistent_plan.h"

namespace recur::cuda {

// Launches the forward loop of `f` with grid `shape` on `stream` (cudaLaunchCooperativeKernel;
// cudaErrorCooperativeLaunchTooLarge when the grid cannot be co-resident).
[[nodiscard]] cudaError_t launch_persistent_forward(cudaStream_t stream,
                                                    const fused::FusedForward<float>& f,
                                                    const PersistentShape& shape);
// Likewise the backward loop: per step the gate backward of each block's units, one barrier,
// then dh_{t-1} of its units against its columns of W_hh.
[[nodiscard]] cudaError_t launch_persistent_backward(cudaStream_t stream,
                                                     const fused::FusedBackward<float>& f,
                                                     const PersistentShape& shape);

// cudaOccupancyMaxActiveBlocksPerMultiprocessor for the kernel of `cell`, `pass` and on-chip
// type (bfloat16 when `bf16`) with
// `smem_bytes` of dynamic shared memory (after opting the kernel in to that much).
[[nodiscard]] cudaError_t persistent_blocks_per_sm(Cell cell, PersistentPass pass, bool bf16,
                                                   int64_t smem_bytes, int* blocks);

}  // namespace recur::cuda

namespace recur::cuda {

// The current device as the planner sees it (persistent_device.cpp): SMs, the opt-in shared
// memory per block, cooperative launch support, and the occupancy query of the kernels.
PersistentDevice current_persistent_device();

}  // namespace recur::cuda
