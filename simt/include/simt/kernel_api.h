// The interface between code compiled for simt's device side (the shim, simt/device.h) and
// the emulator's scheduler (simt/src/). Kernel code never calls these directly: it uses the
// CUDA names the shim defines. See simt/README.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include <cuda_runtime.h>

namespace simt::detail {

// What a running CUDA thread can see of itself. One per emulated thread; the scheduler points
// `current_thread` at the one whose fiber runs.
struct ThreadIndex {
  uint3 thread_idx;
  uint3 block_idx;
  dim3 block_dim;
  dim3 grid_dim;
  void* dynamic_smem;
  bool cooperative;
};
extern thread_local ThreadIndex* current_thread;

// __syncthreads and its counting forms. mode: 0 plain, 1 count, 2 and, 3 or.
int block_sync(int predicate, int mode);
// A warp-synchronous exchange among the lanes of `mask` (the calling lane must be in it):
// every lane offers `value` and names `src_lane`; the result is that lane's value (a garbage
// pattern when src_lane does not take part). *ballot receives the mask of lanes whose value
// was non-zero. __syncwarp is an exchange whose result is ignored.
uint64_t warp_exchange(unsigned mask, uint64_t value, int src_lane, unsigned* ballot);
// The live lanes of the calling thread's warp (__activemask).
unsigned warp_active_mask();
// cooperative_groups::this_grid().sync(); only valid in a cooperative launch.
void grid_sync();
// A fault inside a kernel (__trap, a bad warp mask, ...): the launch stops and the device gets
// the sticky error `code`; `what` is printed with the seed.
[[noreturn]] void kernel_fault(cudaError_t code, const char* what);

// A type-erased launch: `run(closure)` executes the kernel body for the current thread.
struct LaunchRequest {
  const void* kernel;
  const char* kernel_name;
  dim3 grid, block;
  size_t dynamic_smem;
  cudaStream_t stream;
  bool cooperative;
  void (*run)(void* closure);
  void (*destroy)(void* closure);
  void* closure;
};
// Validates the launch (CUDA's error codes; the closure is destroyed when it is refused) and
// queues it on its stream. Records the status as the last error.
cudaError_t enqueue_launch(const LaunchRequest& request);

template <class Kernel, class Tuple>
struct Closure {
  Kernel kernel;
  Tuple args;
  static void run(void* self) {
    auto* c = static_cast<Closure*>(self);
    std::apply(c->kernel, c->args);
  }
  static void destroy(void* self) { delete static_cast<Closure*>(self); }
};

template <class... Params, class Tuple>
cudaError_t launch_tuple(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem,
                         cudaStream_t stream, bool cooperative, Tuple&& args) {
  using C = Closure<void (*)(Params...), std::tuple<std::decay_t<Params>...>>;
  auto* closure = new C{kernel, std::forward<Tuple>(args)};
  return enqueue_launch(LaunchRequest{reinterpret_cast<const void*>(kernel), __PRETTY_FUNCTION__,
                                      grid, block, smem, stream, cooperative, &C::run, &C::destroy,
                                      closure});
}

// The arguments of a cudaLaunchKernel-style call (void** args), read as the kernel's types.
template <class... Params, size_t... I>
std::tuple<std::decay_t<Params>...> unpack_args(void** args, std::index_sequence<I...>) {
  return std::tuple<std::decay_t<Params>...>(*static_cast<std::decay_t<Params>*>(args[I])...);
}

}  // namespace simt::detail

namespace simt {

// `kernel<<<grid, block, smem, stream>>>(args...)`: the arguments are converted to the
// kernel's parameter types and copied, as CUDA copies them, when the launch is queued.
template <class... Params, class... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
            Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "wrong number of kernel arguments");
  (void)detail::launch_tuple(kernel, grid, block, smem, stream, false,
                             std::tuple<std::decay_t<Params>...>(std::forward<Args>(args)...));
}

}  // namespace simt

// The typed forms of the runtime's launch functions (more specialised than the toolkit's
// `const T*` templates, so overload resolution picks these for a kernel pointer).
template <class... Params>
cudaError_t cudaLaunchKernel(void (*kernel)(Params...), dim3 grid, dim3 block, void** args,
                             size_t smem = 0, cudaStream_t stream = 0) {
  return simt::detail::launch_tuple(
      kernel, grid, block, smem, stream, false,
      simt::detail::unpack_args<Params...>(args, std::index_sequence_for<Params...>{}));
}
template <class... Params>
cudaError_t cudaLaunchCooperativeKernel(void (*kernel)(Params...), dim3 grid, dim3 block,
                                        void** args, size_t smem = 0, cudaStream_t stream = 0) {
  return simt::detail::launch_tuple(
      kernel, grid, block, smem, stream, true,
      simt::detail::unpack_args<Params...>(args, std::index_sequence_for<Params...>{}));
}
// nvcc's cuda_runtime.h declares these templates for device code only.
template <class... Params>
cudaError_t cudaFuncSetAttribute(void (*kernel)(Params...), cudaFuncAttribute attr, int value) {
  return ::cudaFuncSetAttribute(reinterpret_cast<const void*>(kernel), attr, value);
}
template <class... Params>
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, void (*kernel)(Params...),
                                                          int block_size, size_t smem) {
  return ::cudaOccupancyMaxActiveBlocksPerMultiprocessor(
      blocks, reinterpret_cast<const void*>(kernel), block_size, smem);
}
