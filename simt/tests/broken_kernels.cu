// Deliberately broken kernels: each carries a bug class simt must catch (test_bug_classes.cpp).
#include "kernels.h"

namespace simt_test {
namespace {

__global__ void read_past_end_kernel(const float* in, float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = in[i] + in[i + 1] * 0.0f + 1.0f;  // in[n] for the last thread
}

__global__ void divergent_barrier_kernel() {
  if (threadIdx.x % 2 == 0) __syncthreads();  // the odd threads exit instead
}

}  // namespace

cudaError_t read_past_end(cudaStream_t s, const float* in, float* out, int n) {
  simt::launch(read_past_end_kernel, (n + 63) / 64, 64, 0, s, in, out, n);
  return cudaGetLastError();
}

cudaError_t divergent_barrier(cudaStream_t s, int threads) {
  simt::launch(divergent_barrier_kernel, 1, threads, 0, s);
  return cudaGetLastError();
}

}  // namespace simt_test
