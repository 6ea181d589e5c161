// simt's cooperative groups: the part of CUDA's <cooperative_groups.h> recur's kernels may use
// (thread_block, tiled_partition into warp tiles, and the grid group of a cooperative launch),
// on the emulator's barriers and warp exchanges. Shadows the toolkit's header in simt builds.
#pragma once

#include "simt/device.h"

namespace cooperative_groups {

class thread_block {
 public:
  void sync() const { __syncthreads(); }
  static unsigned long long size() { return blockDim.x * blockDim.y * blockDim.z; }
  static unsigned long long num_threads() { return size(); }
  static unsigned long long thread_rank() {
    return threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  }
  static dim3 group_index() { return dim3(blockIdx.x, blockIdx.y, blockIdx.z); }
  static dim3 thread_index() { return dim3(threadIdx.x, threadIdx.y, threadIdx.z); }
  static dim3 dim_threads() { return blockDim; }
};

inline thread_block this_thread_block() {
  return thread_block();
}
inline void sync(const thread_block& g) {
  g.sync();
}

// A tile of Size consecutive threads (Size a power of two <= 32, inside one warp).
template <unsigned Size>
class thread_block_tile {
  static_assert(Size >= 1 && Size <= 32 && (Size & (Size - 1)) == 0,
                "tiled_partition: a power of two up to 32");

 public:
  static constexpr unsigned num_threads() { return Size; }
  static constexpr unsigned size() { return Size; }
  static unsigned thread_rank() { return simt_lane_id() % Size; }
  static unsigned meta_group_rank() {
    return static_cast<unsigned>(thread_block::thread_rank() / Size);
  }
  static unsigned meta_group_size() {
    return static_cast<unsigned>((thread_block::size() + Size - 1) / Size);
  }
  static unsigned mask() {
    const unsigned base = simt_lane_id() & ~(Size - 1);
    return (Size == 32 ? 0xffffffffu : ((1u << Size) - 1)) << base;
  }
  void sync() const { __syncwarp(mask()); }
  template <class T>
  T shfl(T v, int src) const {
    return __shfl_sync(mask(), v, src, Size);
  }
  template <class T>
  T shfl_up(T v, unsigned d) const {
    return __shfl_up_sync(mask(), v, d, Size);
  }
  template <class T>
  T shfl_down(T v, unsigned d) const {
    return __shfl_down_sync(mask(), v, d, Size);
  }
  template <class T>
  T shfl_xor(T v, int m) const {
    return __shfl_xor_sync(mask(), v, m, Size);
  }
  unsigned ballot(int p) const {
    return __ballot_sync(mask(), p) >> (simt_lane_id() & ~(Size - 1));
  }
  bool any(int p) const { return __any_sync(mask(), p) != 0; }
  bool all(int p) const { return __all_sync(mask(), p) != 0; }
};

template <unsigned Size, class Parent>
thread_block_tile<Size> tiled_partition(const Parent&) {
  return thread_block_tile<Size>();
}
template <unsigned Size>
inline void sync(const thread_block_tile<Size>& g) {
  g.sync();
}

// The whole grid; sync() is only valid in a kernel launched with cudaLaunchCooperativeKernel.
class grid_group {
 public:
  bool is_valid() const { return ::simt::detail::current_thread->cooperative; }
  void sync() const { ::simt::detail::grid_sync(); }
  static unsigned long long num_blocks() {
    return static_cast<unsigned long long>(gridDim.x) * gridDim.y * gridDim.z;
  }
  static unsigned long long block_rank() {
    return blockIdx.x + static_cast<unsigned long long>(gridDim.x) *
                            (blockIdx.y + static_cast<unsigned long long>(gridDim.y) * blockIdx.z);
  }
  static unsigned long long size() { return num_blocks() * thread_block::size(); }
  static unsigned long long num_threads() { return size(); }
  static unsigned long long thread_rank() {
    return block_rank() * thread_block::size() + thread_block::thread_rank();
  }
};

inline grid_group this_grid() {
  return grid_group();
}
inline void sync(const grid_group& g) {
  g.sync();
}

}  // namespace cooperative_groups
