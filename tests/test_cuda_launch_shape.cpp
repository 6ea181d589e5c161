// Launch shapes of the CUDA kernels, walked on the host with the kernels' own index functions
// (kernels/cuda/launch_shape.h): every element is visited exactly once, for any size, with
// 64-bit indices where 32 bits would overflow.
#include <algorithm>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/cuda/launch_shape.h"

namespace recur::cuda {
namespace {

// Visits [0, n) the way an elementwise kernel launched with `shape` does; counts the visits.
std::vector<int> visit_elementwise(int64_t n, const Launch1D& shape) {
  std::vector<int> seen(static_cast<size_t>(n), 0);
  for (int64_t block = 0; block < shape.blocks; ++block)
    for (int64_t thread = 0; thread < shape.threads; ++thread)
      for (int64_t i = grid_first(block, shape.threads, thread); i < n;
           i += grid_stride(shape.blocks, shape.threads))
        ++seen[static_cast<size_t>(i)];
  return seen;
}

TEST(CudaLaunchShape, ElementwiseCoversEveryElementOnce) {
  for (int64_t n : {1, 2, 31, 255, 256, 257, 1000, 4099}) {
    const Launch1D shape = elementwise_shape(n);
    EXPECT_EQ(shape.threads, kElementwiseThreads);
    EXPECT_EQ(shape.blocks, (n + kElementwiseThreads - 1) / kElementwiseThreads) << n;
    const std::vector<int> seen = visit_elementwise(n, shape);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], 1) << "n=" << n << " element " << i;
  }
}

TEST(CudaLaunchShape, CappedGridStridesOverTheRest) {
  // A cap far below ceil(n / threads) forces the grid-stride loop to run several rounds.
  for (int64_t n : {1000, 1025, 5000}) {
    const Launch1D shape = elementwise_shape(n, 32, 3);
    EXPECT_EQ(shape.blocks, 3);
    const std::vector<int> seen = visit_elementwise(n, shape);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], 1) << "n=" << n << " element " << i;
  }
}

TEST(CudaLaunchShape, NothingToLaunchForZeroElements) {
  EXPECT_EQ(elementwise_shape(0).blocks, 0);
  EXPECT_EQ(column_sum_shape(0).blocks, 0);
  EXPECT_EQ(column_sum_shape(0).tiles, 0);
}

TEST(CudaLaunchShape, LargeSizesStayWithinTheGridLimitAndDoNotOverflow) {
  // B*H = 2^40 hidden units: more blocks than grid.x allows.
  const int64_t n = int64_t{1} << 40;
  const Launch1D shape = elementwise_shape(n);
  EXPECT_EQ(shape.blocks, kMaxGridX);
  // The last element a thread reaches is computed in 64 bits: the first index of the last
  // thread plus whole strides stays below n and the stride is positive.
  const int64_t stride = grid_stride(shape.blocks, shape.threads);
  EXPECT_GT(stride, int64_t{1} << 31);
  const int64_t last_first = grid_first(shape.blocks - 1, shape.threads, shape.threads - 1);
  EXPECT_EQ(last_first, stride - 1);
  // Every element is covered: rounds * stride >= n.
  const int64_t rounds = (n + stride - 1) / stride;
  EXPECT_GE(rounds * stride, n);
  // Index decomposition of a pointwise pass, i = b*H + j, at a size beyond 2^31.
  const int64_t H = 3000, B = 1000000;  // B*H = 3e9
  const int64_t i = B * H - 1;
  EXPECT_EQ(i / H, B - 1);
  EXPECT_EQ(i - (i / H) * H, H - 1);
}

TEST(CudaLaunchShape, ColumnSumTilesCoverEveryColumnOnce) {
  for (int64_t cols : {1, 31, 32, 33, 100, 4 * 129}) {
    for (int64_t cap : {kMaxGridX, int64_t{2}}) {
      const ReduceLaunch shape = column_sum_shape(cols, cap);
      EXPECT_EQ(shape.tiles, (cols + kReduceCols - 1) / kReduceCols);
      EXPECT_EQ(shape.blocks, std::min(shape.tiles, cap));
      EXPECT_EQ(shape.block_x * shape.block_y, kReduceCols * kReduceRows);
      EXPECT_LE(shape.block_x * shape.block_y, 1024);  // the hardware's threads per block
      std::vector<int> seen(static_cast<size_t>(cols), 0);
      for (int64_t block = 0; block < shape.blocks; ++block)
        for (int64_t tile = block; tile < shape.tiles; tile += shape.blocks)
          for (int x = 0; x < shape.block_x; ++x) {
            const int64_t col = tile * kReduceCols + x;
            if (col < cols) ++seen[static_cast<size_t>(col)];
          }
      for (int64_t c = 0; c < cols; ++c) ASSERT_EQ(seen[c], 1) << "cols=" << cols << " col " << c;
    }
  }
}

}  // namespace
}  // namespace recur::cuda
