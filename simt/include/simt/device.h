// The device side of simt: force-included (g++ -include simt/device.h) when a .cu file is
// compiled as C++ for the emulator. It gives kernel code the names nvcc provides built in:
// the thread coordinates, __shared__, barriers, warp primitives, atomics, fences, __ldg and the
// fast-math intrinsics. The toolkit's own headers supply the types (dim3, __half, ...) and the
// host API declarations. What this cannot emulate: simt/README.md.
#pragma once

#define __SIMT__ 1

#include <cuda_runtime.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "simt/kernel_api.h"

// ---- thread coordinates
#define threadIdx (::simt::detail::current_thread->thread_idx)
#define blockIdx (::simt::detail::current_thread->block_idx)
#define blockDim (::simt::detail::current_thread->block_dim)
#define gridDim (::simt::detail::current_thread->grid_dim)
#define warpSize 32

// ---- memory spaces. A block's static __shared__ variables are `static thread_local`: blocks
// of an ordinary launch run one after the other on one host thread, and the blocks of a
// cooperative launch each on their own host thread, so each running block has its own copy.
#undef __shared__
#define __shared__ static thread_local
#undef __launch_bounds__
#define __launch_bounds__(...)
// Dynamic shared memory: `SIMT_DYNAMIC_SHARED(T, name)` declares `T* name` (nvcc's
// `extern __shared__ T name[]`), the block's buffer of the launch's size, garbage-filled.
#define SIMT_DYNAMIC_SHARED(T, name) \
  T* const name = static_cast<T*>(::simt::detail::current_thread->dynamic_smem)

// ---- barriers and fences
inline void __syncthreads() {
  (void)::simt::detail::block_sync(1, 0);
}
inline int __syncthreads_count(int p) {
  return ::simt::detail::block_sync(p, 1);
}
inline int __syncthreads_and(int p) {
  return ::simt::detail::block_sync(p, 2);
}
inline int __syncthreads_or(int p) {
  return ::simt::detail::block_sync(p, 3);
}
inline void __threadfence() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
}
inline void __threadfence_block() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
}
inline void __threadfence_system() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
}
[[noreturn]] inline void __trap() {
  ::simt::detail::kernel_fault(cudaErrorLaunchFailure, "__trap()");
}

// ---- warp primitives
inline unsigned simt_lane_id() {
  const auto& t = *::simt::detail::current_thread;
  const unsigned linear =
      t.thread_idx.x + t.block_dim.x * (t.thread_idx.y + t.block_dim.y * t.thread_idx.z);
  return linear % 32;
}
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  unsigned ballot = 0;
  (void)::simt::detail::warp_exchange(mask, 0, static_cast<int>(simt_lane_id()), &ballot);
}
inline unsigned __activemask() {
  return ::simt::detail::warp_active_mask();
}
inline unsigned __ballot_sync(unsigned mask, int p) {
  unsigned ballot = 0;
  (void)::simt::detail::warp_exchange(mask, p != 0, static_cast<int>(simt_lane_id()), &ballot);
  return ballot;
}
inline int __any_sync(unsigned mask, int p) {
  return __ballot_sync(mask, p) != 0;
}
inline int __all_sync(unsigned mask, int p) {
  return __ballot_sync(mask, p) == mask;
}

namespace simt::detail {
template <class T>
T shfl_from(unsigned mask, T value, int src) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value,
                "__shfl*_sync: types of at most 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(T));
  unsigned ballot = 0;
  bits = warp_exchange(mask, bits, src, &ballot);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}
}  // namespace simt::detail

// width: a power of two <= 32 splitting the warp into segments; lanes read within their own.
template <class T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = 32) {
  const int lane = static_cast<int>(simt_lane_id()), base = lane & ~(width - 1);
  return ::simt::detail::shfl_from(mask, var, base + (src_lane & (width - 1)));
}
template <class T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32) {
  const int lane = static_cast<int>(simt_lane_id()), base = lane & ~(width - 1);
  const int src = lane - static_cast<int>(delta);
  return ::simt::detail::shfl_from(mask, var, src < base ? lane : src);
}
template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32) {
  const int lane = static_cast<int>(simt_lane_id()), base = lane & ~(width - 1);
  const int src = lane + static_cast<int>(delta);
  return ::simt::detail::shfl_from(mask, var, src >= base + width ? lane : src);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = 32) {
  const int lane = static_cast<int>(simt_lane_id()), base = lane & ~(width - 1);
  const int src = lane ^ lane_mask;
  return ::simt::detail::shfl_from(mask, var, src >= base + width ? lane : src);
}

// ---- atomics. One emulated thread runs at a time, so a read-modify-write is atomic by
// construction; the std::atomic_ref-free form keeps any type CUDA allows.
template <class T>
T atomicAdd(T* p, T v) {
  const T old = *p;
  *p = old + v;
  return old;
}
template <class T>
T atomicSub(T* p, T v) {
  const T old = *p;
  *p = old - v;
  return old;
}
template <class T>
T atomicExch(T* p, T v) {
  const T old = *p;
  *p = v;
  return old;
}
template <class T>
T atomicMin(T* p, T v) {
  const T old = *p;
  *p = v < old ? v : old;
  return old;
}
template <class T>
T atomicMax(T* p, T v) {
  const T old = *p;
  *p = v > old ? v : old;
  return old;
}
template <class T>
T atomicAnd(T* p, T v) {
  const T old = *p;
  *p = old & v;
  return old;
}
template <class T>
T atomicOr(T* p, T v) {
  const T old = *p;
  *p = old | v;
  return old;
}
template <class T>
T atomicXor(T* p, T v) {
  const T old = *p;
  *p = old ^ v;
  return old;
}
template <class T>
T atomicCAS(T* p, T compare, T v) {
  const T old = *p;
  if (old == compare) *p = v;
  return old;
}
inline unsigned atomicInc(unsigned* p, unsigned limit) {
  const unsigned old = *p;
  *p = old >= limit ? 0 : old + 1;
  return old;
}
inline unsigned atomicDec(unsigned* p, unsigned limit) {
  const unsigned old = *p;
  *p = (old == 0 || old > limit) ? limit : old - 1;
  return old;
}
#define SIMT_ATOMIC_SCOPES(name) \
  template <class... A>          \
  auto name##_block(A... a) {    \
    return name(a...);           \
  }                              \
  template <class... A>          \
  auto name##_system(A... a) {   \
    return name(a...);           \
  }
SIMT_ATOMIC_SCOPES(atomicAdd)
SIMT_ATOMIC_SCOPES(atomicExch)
SIMT_ATOMIC_SCOPES(atomicCAS)
SIMT_ATOMIC_SCOPES(atomicMax)
SIMT_ATOMIC_SCOPES(atomicMin)
#undef SIMT_ATOMIC_SCOPES

// ---- loads and intrinsics (the exact functions: the emulator checks logic, not ulps)
template <class T>
T __ldg(const T* p) {
  return *p;
}
inline float __expf(float x) {
  return std::exp(x);
}
inline float __exp10f(float x) {
  return std::pow(10.0f, x);
}
inline float __logf(float x) {
  return std::log(x);
}
inline float __log2f(float x) {
  return std::log2(x);
}
inline float __log10f(float x) {
  return std::log10(x);
}
inline float __sinf(float x) {
  return std::sin(x);
}
inline float __cosf(float x) {
  return std::cos(x);
}
inline float __tanf(float x) {
  return std::tan(x);
}
inline void __sincosf(float x, float* s, float* c) {
  *s = std::sin(x);
  *c = std::cos(x);
}
inline float __powf(float x, float y) {
  return std::pow(x, y);
}
inline float __fdividef(float x, float y) {
  return x / y;
}
inline float __frcp_rn(float x) {
  return 1.0f / x;
}
inline float __fsqrt_rn(float x) {
  return std::sqrt(x);
}
inline float __frsqrt_rn(float x) {
  return 1.0f / std::sqrt(x);
}
inline float rsqrtf(float x) {
  return 1.0f / std::sqrt(x);
}
inline double rsqrt(double x) {
  return 1.0 / std::sqrt(x);
}
inline float __saturatef(float x) {
  return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x);
}
inline float __fadd_rn(float x, float y) {
  return x + y;
}
inline float __fmul_rn(float x, float y) {
  return x * y;
}
inline float __fmaf_rn(float x, float y, float z) {
  return std::fma(x, y, z);
}
inline double __dadd_rn(double x, double y) {
  return x + y;
}
inline double __dmul_rn(double x, double y) {
  return x * y;
}
inline double __fma_rn(double x, double y, double z) {
  return std::fma(x, y, z);
}
inline int __popc(unsigned x) {
  return __builtin_popcount(x);
}
inline int __popcll(unsigned long long x) {
  return __builtin_popcountll(x);
}
inline int __clz(int x) {
  return x == 0 ? 32 : __builtin_clz(static_cast<unsigned>(x));
}
inline int __ffs(int x) {
  return __builtin_ffs(x);
}
inline unsigned __brev(unsigned x) {
  unsigned r = 0;
  for (int i = 0; i < 32; ++i) r |= ((x >> i) & 1u) << (31 - i);
  return r;
}
