// Launch shapes of the CUDA kernels, as plain host functions without CUDA headers so that they
// are unit-tested in every build (tests/test_cuda_launch_shape.cpp). The kernels enumerate
// their elements with the same RECUR_HOST_DEVICE index functions the tests walk on the host.
//
// Elementwise kernels (pointwise cell passes, fill, dropout, transpose) use one thread per
// element of a flat range [0, n) (for the cell passes, element i = b*H + j, so consecutive
// threads touch consecutive hidden units j of one batch row: coalesced reads of each gate's
// column block and of h, c). Indices are 64-bit: B*G*H and T*B*D*H exceed 2^31 for large
// models. The grid is capped at the hardware's grid.x limit and the kernel strides over the
// rest, so any n is covered exactly once.
#pragma once

#include <algorithm>
#include <cstdint>

#include "recur/hostdevice.h"

namespace recur::cuda {

constexpr int kElementwiseThreads = 256;
constexpr int64_t kMaxGridX = 2147483647;  // 2^31 - 1, grid.x limit of every sm_30+ device

struct Launch1D {
  int64_t blocks = 0;  // 0 when n == 0: the launcher must not launch
  int threads = kElementwiseThreads;
};

// The grid for n elements: ceil(n / threads) blocks, at most max_blocks.
inline Launch1D elementwise_shape(int64_t n, int threads = kElementwiseThreads,
                                  int64_t max_blocks = kMaxGridX) {
  Launch1D l;
  l.threads = threads;
  l.blocks = n <= 0 ? 0 : std::min((n - 1) / threads + 1, max_blocks);
  return l;
}

// The element a thread starts at and the distance to its next one (grid-stride loop):
//   for (int64_t i = first; i < n; i += stride)
RECUR_HOST_DEVICE inline int64_t grid_first(int64_t block, int64_t threads, int64_t thread) {
  return block * threads + thread;
}
RECUR_HOST_DEVICE inline int64_t grid_stride(int64_t blocks, int64_t threads) {
  return blocks * threads;
}

// Column sums (bias gradients) of a [rows, cols] matrix: a block of kReduceCols x kReduceRows
// threads owns kReduceCols adjacent columns; thread (x, y) sums rows y, y + kReduceRows, ...
// of column x (a warp reads 32 adjacent columns of one row: coalesced), then the kReduceRows
// partial sums are added in shared memory in a fixed order. No atomics, so the result is the
// same bits on every run.
constexpr int kReduceCols = 32;
constexpr int kReduceRows = 16;

// Column tile t covers columns [t*kReduceCols, (t+1)*kReduceCols); block b handles tiles
// b, b + blocks, ... (a loop that runs once unless cols exceeds 2^36).
struct ReduceLaunch {
  int64_t tiles = 0;   // ceil(cols / kReduceCols)
  int64_t blocks = 0;  // grid.x = min(tiles, max_blocks); 0 when cols == 0 (no launch)
  int block_x = kReduceCols;
  int block_y = kReduceRows;
};

inline ReduceLaunch column_sum_shape(int64_t cols, int64_t max_blocks = kMaxGridX) {
  ReduceLaunch l;
  l.tiles = cols <= 0 ? 0 : (cols - 1) / kReduceCols + 1;
  l.blocks = std::min(l.tiles, max_blocks);
  return l;
}

}  // namespace recur::cuda
