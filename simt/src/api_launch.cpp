// Kernel launches: the checks an H100 applies (block and grid limits, shared memory,
// co-residency of a cooperative grid), with CUDA's error codes, then the launch queued on its
// stream; it runs (scheduler.cpp) when the stream's work is run.
#include <algorithm>
#include <memory>

#include "runtime.h"
#include "scheduler.h"

using namespace simt::detail;

namespace {

constexpr int kMaxDynamicSmemDefault = 48 * 1024;
constexpr int kMaxDynamicSmemOptin = 227 * 1024;
constexpr int kSmemPerSm = 228 * 1024, kReservedSmemPerBlock = 1024;
constexpr int kRegistersPerThread = 32;  // assumed: simt cannot know what ptxas would allocate

int max_dynamic_smem(const void* kernel) {
  const auto& m = runtime().max_dynamic_smem;
  const auto it = m.find(kernel);
  return it == m.end() ? kMaxDynamicSmemDefault : it->second;
}

// Resident blocks per SM for a block of `threads` threads and `smem` bytes of shared memory.
int blocks_per_sm(int threads, size_t smem) {
  const int warps = (threads + 31) / 32;
  int n = std::min(32, 64 / std::max(1, warps));
  n = std::min(n, 65536 / std::max(1, warps * 32 * kRegistersPerThread));
  n = std::min(n, kSmemPerSm / static_cast<int>(smem + kReservedSmemPerBlock));
  return n;
}

}  // namespace

namespace simt::detail {

cudaError_t enqueue_launch(const LaunchRequest& r) {
  std::unique_ptr<void, void (*)(void*)> closure(r.closure, r.destroy);
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  const dim3 b = r.block, g = r.grid;
  const uint64_t threads = uint64_t(b.x) * b.y * b.z;
  if (threads == 0 || threads > 1024 || b.x > 1024 || b.y > 1024 || b.z > 64 || g.x == 0 ||
      g.y == 0 || g.z == 0 || g.x > 2147483647u || g.y > 65535 || g.z > 65535)
    return fail(cudaErrorInvalidConfiguration);
  if (r.dynamic_smem > static_cast<size_t>(max_dynamic_smem(r.kernel)))
    return fail(cudaErrorInvalidValue);
  CUstream_st* s = resolve_stream(r.stream);
  if (!s || s->device != current_device()) return fail(cudaErrorInvalidResourceHandle);
  if (r.cooperative) {
    const uint64_t blocks = uint64_t(g.x) * g.y * g.z;
    if (blocks > uint64_t(132) * blocks_per_sm(static_cast<int>(threads), r.dynamic_smem))
      return fail(cudaErrorCooperativeLaunchTooLarge);
  }
  // The arguments live until the launch has run (or been dropped after a fault).
  std::shared_ptr<LaunchRequest> owned(new LaunchRequest(r), [](LaunchRequest* p) {
    p->destroy(p->closure);
    delete p;
  });
  closure.release();
  const uint64_t seed = next_launch_seed();
  enqueue(s, [owned, seed] {
    std::string what;
    const cudaError_t st = run_launch(*owned, seed, &what);
    if (st != cudaSuccess) set_sticky(st, what);
  });
  return cudaSuccess;
}

}  // namespace simt::detail

extern "C" {

cudaError_t cudaFuncSetAttribute(const void* func, cudaFuncAttribute attr, int value) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  if (!func) return fail(cudaErrorInvalidDeviceFunction);
  if (attr == cudaFuncAttributeMaxDynamicSharedMemorySize) {
    if (value < 0 || value > kMaxDynamicSmemOptin) return fail(cudaErrorInvalidValue);
    runtime().max_dynamic_smem[func] = value;
  }
  return cudaSuccess;
}

cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, const void* func,
                                                          int block_size, size_t smem) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  if (!blocks || !func || block_size <= 0 || block_size > 1024) return fail(cudaErrorInvalidValue);
  *blocks = blocks_per_sm(block_size, smem);
  return cudaSuccess;
}

cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(int* blocks, const void* func,
                                                                   int block_size, size_t smem,
                                                                   unsigned int) {
  return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, func, block_size, smem);
}

// The untyped forms cannot know the kernel's parameter types: simt's device shim makes the
// typed overloads (simt/kernel_api.h) win for any kernel pointer, so only a kernel named by
// a plain void* lands here.
cudaError_t cudaLaunchKernel(const void*, dim3, dim3, void**, size_t, cudaStream_t) {
  return fail(cudaErrorInvalidDeviceFunction);
}

cudaError_t cudaLaunchCooperativeKernel(const void*, dim3, dim3, void**, size_t, cudaStream_t) {
  return fail(cudaErrorInvalidDeviceFunction);
}

}  // extern "C"
