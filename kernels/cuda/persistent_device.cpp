// The device facts the persistent planner needs (persistent.h), from the CUDA runtime.
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/persistent.h"

namespace recur::cuda {

PersistentDevice current_persistent_device() {
  int device = 0, sms = 0, smem = 0, cooperative = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  CUDA_CHECK(cudaDeviceGetAttribute(&smem, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  CUDA_CHECK(cudaDeviceGetAttribute(&cooperative, cudaDevAttrCooperativeLaunch, device));
  PersistentDevice d;
  d.sms = sms;
  d.smem_per_block = smem;
  d.cooperative = cooperative != 0;
  d.blocks_per_sm = [](Cell cell, PersistentPass pass, bool bf16, int64_t smem_bytes) {
    int blocks = 0;
    CUDA_CHECK(persistent_blocks_per_sm(cell, pass, bf16, smem_bytes, &blocks));
    return blocks;
  };
  return d;
}

}  // namespace recur::cuda
