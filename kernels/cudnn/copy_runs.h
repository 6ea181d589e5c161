// Device execution of CopyRuns: the packing of device-resident parameters into the weight space
// (and of weight gradients out of it) in one kernel launch instead of one cudaMemcpy per block, so
// that a forward on device tensors pays microseconds, not a launch per gate block, to re-pack.
// Internal header (includes CUDA).
#pragma once

#include <vector>

#include <cuda_runtime.h>

#include "kernels/cudnn/copy_run.h"

namespace recur::cudnn {

// Runs every copy on `stream` (asynchronously). Source and destination are device pointers, and
// every pointer and size must be a multiple of 4 bytes (float and double blocks are). Runs must not
// overlap each other.
void copy_runs_device(const std::vector<CopyRun>& runs, cudaStream_t stream);

}  // namespace recur::cudnn
