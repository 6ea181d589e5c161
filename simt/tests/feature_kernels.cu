// Self-test kernels of simt, written as CUDA code is written (compiled through the shim).
#include <cooperative_groups.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels.h"

namespace cg = cooperative_groups;

namespace simt_test {
namespace {

__global__ void reverse_kernel(const float* in, float* out, int n, bool sync) {
  __shared__ float tile[1024];
  const int i = threadIdx.x;
  tile[i] = in[i];
  if (sync) __syncthreads();
  out[i] = tile[n - 1 - i];
}

__global__ void sync_counts_kernel(int* out) {
  const int p = threadIdx.x % 3 == 0;
  const int c = __syncthreads_count(p), a = __syncthreads_and(p), o = __syncthreads_or(p);
  const int all = __syncthreads_and(1), none = __syncthreads_or(0);
  if (threadIdx.x == 0) {
    out[0] = c;
    out[1] = a;
    out[2] = o;
    out[3] = all;
    out[4] = none;
  }
}

__global__ void shuffle_kernel(const float* in, float* sums, float* ups, float* bcast, int nw) {
  const int i = threadIdx.x, w = i / 32;
  const float v = in[i];
  float down = v, xr = v;
  for (int d = 16; d > 0; d /= 2) down += __shfl_down_sync(0xffffffffu, down, d);
  for (int m = 16; m > 0; m /= 2) xr += __shfl_xor_sync(0xffffffffu, xr, m);
  __syncwarp();
  ups[i] = __shfl_up_sync(0xffffffffu, v, 1);
  bcast[i] = __shfl_sync(0xffffffffu, v, 3);
  if (i % 32 == 0) sums[w] = down;
  if (i % 32 == 5) sums[nw + w] = xr;  // every lane holds the full sum after the xor tree
}

__global__ void vote_kernel(const float* in, unsigned* out) {
  const int i = threadIdx.x, w = i / 32;
  const int p = in[i] > 0;
  const unsigned b = __ballot_sync(0xffffffffu, p);
  const int any = __any_sync(0xffffffffu, p), all = __all_sync(0xffffffffu, p);
  if (i % 32 == 0) {
    out[3 * w] = b;
    out[3 * w + 1] = static_cast<unsigned>(any);
    out[3 * w + 2] = static_cast<unsigned>(all);
  }
}

__global__ void atomics_kernel(int* count, int* hist, int* max) {
  __shared__ int local[8];
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (threadIdx.x < 8) local[threadIdx.x] = 0;
  __syncthreads();
  atomicAdd(count, 1);
  atomicAdd(&local[i % 8], 1);
  atomicMax(max, i);
  __syncthreads();
  if (threadIdx.x < 8) atomicAdd(&hist[threadIdx.x], local[threadIdx.x]);
}

__global__ void dynamic_smem_kernel(const float* in, float* out, int n) {
  SIMT_DYNAMIC_SHARED(float, buf);
  for (int i = threadIdx.x; i < n; i += blockDim.x) buf[i] = in[i] * 2;
  __syncthreads();
  for (int i = threadIdx.x; i < n; i += blockDim.x) out[n - 1 - i] = buf[n - 1 - i];
}

__global__ void tile_kernel(const float* in, float* out) {
  const cg::thread_block block = cg::this_thread_block();
  const cg::thread_block_tile<8> tile = cg::tiled_partition<8>(block);
  float v = in[block.thread_rank()];
  for (int d = 4; d > 0; d /= 2) v += tile.shfl_down(v, d);
  tile.sync();
  if (tile.thread_rank() == 0) out[block.thread_rank() / 8] = v;
}

__global__ void __launch_bounds__(256) persistent_kernel(float* a, float* b, int steps) {
  cg::grid_group grid = cg::this_grid();
  const unsigned long long i = grid.thread_rank();
  for (int s = 0; s < steps; ++s) {
    b[i] = a[i] + (i > 0 ? a[i - 1] : 0.0f);
    grid.sync();
    a[i] = b[i];
    grid.sync();
  }
}

__global__ void half_kernel(const float* in, float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const __half h = __float2half(in[i]);
  out[i] = __half2float(h * __float2half(2.0f) + __float2half(1.0f));
  const __nv_bfloat16 b = __float2bfloat16(in[i]);
  out[n + i] = __bfloat162float(b * __float2bfloat16(2.0f) + __float2bfloat16(1.0f));
}

__global__ void fast_math_kernel(const float* in, float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    out[i] = __expf(in[i]) + __logf(fabsf(in[i]) + 1) + __fdividef(in[i], 3) + __ldg(in + i);
}

__global__ void fill_kernel(float* out, int n, float value) {
  const int i = (blockIdx.x * blockDim.y * blockDim.x) + threadIdx.y * blockDim.x + threadIdx.x;
  if (i < n) out[i] = value;
}

__global__ void twice_kernel(const float* in, float* out, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    out[i] = in[i] * 2;
}

}  // namespace

cudaError_t reverse_block(cudaStream_t s, const float* in, float* out, int n, bool sync) {
  simt::launch(reverse_kernel, 1, n, 0, s, in, out, n, sync);
  return cudaGetLastError();
}
cudaError_t sync_counts(cudaStream_t s, int* out, int n) {
  simt::launch(sync_counts_kernel, 1, n, 0, s, out);
  return cudaGetLastError();
}
cudaError_t warp_shuffles(cudaStream_t s, const float* in, float* sums, float* ups, float* bcast,
                          int n) {
  simt::launch(shuffle_kernel, 1, n, 0, s, in, sums, ups, bcast, n / 32);
  return cudaGetLastError();
}
cudaError_t warp_votes(cudaStream_t s, const float* in, unsigned* out, int n) {
  simt::launch(vote_kernel, 1, n, 0, s, in, out);
  return cudaGetLastError();
}
cudaError_t atomics(cudaStream_t s, int blocks, int threads, int* count, int* hist, int* max) {
  simt::launch(atomics_kernel, blocks, threads, 0, s, count, hist, max);
  return cudaGetLastError();
}
cudaError_t dynamic_smem(cudaStream_t s, const float* in, float* out, int n, size_t smem) {
  simt::launch(dynamic_smem_kernel, 1, 128, smem, s, in, out, n);
  return cudaGetLastError();
}
cudaError_t allow_dynamic_smem(int bytes) {
  return cudaFuncSetAttribute(dynamic_smem_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                              bytes);
}
cudaError_t tile_sums(cudaStream_t s, const float* in, float* out, int n) {
  simt::launch(tile_kernel, 1, n, 0, s, in, out);
  return cudaGetLastError();
}
cudaError_t persistent_steps(cudaStream_t s, int blocks, int threads, float* a, float* b,
                             int steps) {
  void* args[] = {&a, &b, &steps};
  return cudaLaunchCooperativeKernel(persistent_kernel, blocks, threads, args, 0, s);
}
cudaError_t persistent_steps_plain(cudaStream_t s, int blocks, int threads, float* a, float* b,
                                   int steps) {
  simt::launch(persistent_kernel, blocks, threads, 0, s, a, b, steps);
  return cudaGetLastError();
}
cudaError_t half_math(cudaStream_t s, const float* in, float* out, int n) {
  simt::launch(half_kernel, (n + 127) / 128, 128, 0, s, in, out, n);
  return cudaGetLastError();
}
cudaError_t fast_math(cudaStream_t s, const float* in, float* out, int n) {
  simt::launch(fast_math_kernel, (n + 127) / 128, 128, 0, s, in, out, n);
  return cudaGetLastError();
}
cudaError_t fill(cudaStream_t s, dim3 grid, dim3 block, float* out, int n, float value) {
  simt::launch(fill_kernel, grid, block, 0, s, out, n, value);
  return cudaGetLastError();
}
cudaError_t twice(cudaStream_t s, const float* in, float* out, int n) {
  simt::launch(twice_kernel, 4, 64, 0, s, in, out, n);
  return cudaGetLastError();
}

}  // namespace simt_test
