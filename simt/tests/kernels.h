// Host-side entry points of the self-test kernels (simt/tests/*.cu): each launches one kernel
// on `stream` and returns the launch status. Pointers are device memory.
#pragma once

#include <cuda_runtime.h>

namespace simt_test {

// out[i] = in[n - 1 - i] through shared memory, one block of n <= 1024 threads; `sync`
// false leaves out the __syncthreads between the write and the read (the bug class).
cudaError_t reverse_block(cudaStream_t stream, const float* in, float* out, int n, bool sync);
// out[0..2] = __syncthreads_count/_and/_or of (threadIdx.x % 3 == 0) over a block of n.
cudaError_t sync_counts(cudaStream_t stream, int* out, int n);
// Per warp of a block of n threads: out[w] = sum of in over the warp via __shfl_down_sync,
// out[nw + w] via __shfl_xor_sync, ups[i] = in[i - 1] via __shfl_up_sync (own value at
// lane 0), bcast[i] = in of lane 3 via __shfl_sync.
cudaError_t warp_shuffles(cudaStream_t stream, const float* in, float* sums, float* ups,
                          float* bcast, int n);
// out[3w..3w+2] = __ballot_sync, __any_sync, __all_sync of (in[i] > 0) per warp.
cudaError_t warp_votes(cudaStream_t stream, const float* in, unsigned* out, int n);
// Global atomicAdd of 1 per thread into *count; a shared-memory histogram of i % 8 per block,
// added to hist[8] with atomicAdd; atomicMax of i into *max.
cudaError_t atomics(cudaStream_t stream, int blocks, int threads, int* count, int* hist, int* max);
// out[i] = in[i] * 2 through `smem_bytes` of dynamic shared memory (n floats must fit).
cudaError_t dynamic_smem(cudaStream_t stream, const float* in, float* out, int n,
                         size_t smem_bytes);
// Sets the kernel of dynamic_smem's opt-in dynamic shared memory limit.
cudaError_t allow_dynamic_smem(int bytes);
// Tile sums with cooperative_groups::tiled_partition<8>: out[t] = sum of in over tile t.
cudaError_t tile_sums(cudaStream_t stream, const float* in, float* out, int n);
// A persistent kernel: `steps` times, every thread of the grid adds its left neighbour's
// value (of the previous step) to its own; a grid-wide sync separates the steps. Launched
// with cudaLaunchCooperativeKernel; `grid_sync` false leaves out the grid sync.
cudaError_t persistent_steps(cudaStream_t stream, int blocks, int threads, float* a, float* b,
                             int steps);
// The same kernel, launched without cudaLaunchCooperativeKernel.
cudaError_t persistent_steps_plain(cudaStream_t stream, int blocks, int threads, float* a, float* b,
                                   int steps);
// out[i] = float(half(in[i]) * half(2) + half(1)) and bf16 likewise in out[n + i].
cudaError_t half_math(cudaStream_t stream, const float* in, float* out, int n);
// out[i] = __expf(in[i]) + __logf(|in[i]| + 1) + __fdividef(in[i], 3) + __ldg(in + i).
cudaError_t fast_math(cudaStream_t stream, const float* in, float* out, int n);
// out[i] = in[i] + 1 with a kernel that reads in[n] as well (one past the end).
cudaError_t read_past_end(cudaStream_t stream, const float* in, float* out, int n);
// A __syncthreads only half the block reaches.
cudaError_t divergent_barrier(cudaStream_t stream, int threads);
// out[i] = value over [0, n) with grid and block as given (for the launch checks).
cudaError_t fill(cudaStream_t stream, dim3 grid, dim3 block, float* out, int n, float value);
// out[i] = in[i] * 2.
cudaError_t twice(cudaStream_t stream, const float* in, float* out, int n);

}  // namespace simt_test
