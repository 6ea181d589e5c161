// simt's device features, each against values computed here on the host: barriers and their
// counting forms, warp shuffles and votes, atomics, dynamic shared memory, cooperative groups
// (tiles, and a persistent kernel with a grid-wide sync per step), half and bfloat16 types,
// fast-math intrinsics, and the launch checks of an H100.
#include <cmath>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "device_buffer.h"
#include "kernels.h"

namespace simt_test {
namespace {

TEST(Features, SyncthreadsOrdersSharedMemory) {
  for (int n : {1, 33, 256, 1024}) {
    const std::vector<float> in = iota_floats(n);
    Buf<float> din(in), dout(static_cast<size_t>(n));
    ASSERT_EQ(reverse_block(nullptr, din.get(), dout.get(), n, true), cudaSuccess);
    const std::vector<float> out = dout.host();
    for (int i = 0; i < n; ++i) ASSERT_EQ(out[i], in[n - 1 - i]) << "n " << n << " i " << i;
  }
}

TEST(Features, SyncthreadsCountAndOr) {
  const int n = 100;  // threads 0, 3, ..., 99: 34 of them
  Buf<int> out(5);
  ASSERT_EQ(sync_counts(nullptr, out.get(), n), cudaSuccess);
  EXPECT_EQ(out.host(), (std::vector<int>{34, 0, 1, 1, 0}));
}

TEST(Features, WarpShuffles) {
  const int n = 96, nw = 3;
  const std::vector<float> in = iota_floats(n);
  Buf<float> din(in), sums(2 * nw), ups(n), bcast(n);
  ASSERT_EQ(warp_shuffles(nullptr, din.get(), sums.get(), ups.get(), bcast.get(), n), cudaSuccess);
  const std::vector<float> s = sums.host(), u = ups.host(), b = bcast.host();
  for (int w = 0; w < nw; ++w) {
    const float want = std::accumulate(in.begin() + 32 * w, in.begin() + 32 * (w + 1), 0.0f);
    EXPECT_EQ(s[w], want) << "shfl_down, warp " << w;
    EXPECT_EQ(s[nw + w], want) << "shfl_xor, warp " << w;
  }
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(u[i], i % 32 == 0 ? in[i] : in[i - 1]) << i;
    EXPECT_EQ(b[i], in[(i / 32) * 32 + 3]) << i;
  }
}

TEST(Features, WarpVotes) {
  const int n = 64;
  std::vector<float> in(n, -1.0f);
  in[3] = in[31] = 1.0f;                       // warp 0: two lanes
  for (int i = 32; i < 64; ++i) in[i] = 1.0f;  // warp 1: all lanes
  Buf<float> din(in);
  Buf<unsigned> out(6);
  ASSERT_EQ(warp_votes(nullptr, din.get(), out.get(), n), cudaSuccess);
  EXPECT_EQ(out.host(), (std::vector<unsigned>{(1u << 3) | (1u << 31), 1, 0, 0xffffffffu, 1, 1}));
}

TEST(Features, AtomicsOnGlobalAndSharedMemory) {
  const int blocks = 5, threads = 96;
  Buf<int> count(std::vector<int>{0}), hist(std::vector<int>(8, 0)), max(std::vector<int>{-1});
  ASSERT_EQ(atomics(nullptr, blocks, threads, count.get(), hist.get(), max.get()), cudaSuccess);
  EXPECT_EQ(count.host()[0], blocks * threads);
  EXPECT_EQ(max.host()[0], blocks * threads - 1);
  EXPECT_EQ(hist.host(), std::vector<int>(8, blocks * threads / 8));
}

TEST(Features, DynamicSharedMemoryAndItsOptInLimit) {
  const int n = 16 * 1024;  // 64 KB of floats: above the 48 KB default
  const std::vector<float> in = iota_floats(n);
  Buf<float> din(in), dout(n);
  EXPECT_EQ(dynamic_smem(nullptr, din.get(), dout.get(), n, n * sizeof(float)),
            cudaErrorInvalidValue);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "the launch error is reported once";
  EXPECT_EQ(allow_dynamic_smem(228 * 1024), cudaErrorInvalidValue) << "above the 227 KB opt-in";
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidValue);
  ASSERT_EQ(allow_dynamic_smem(n * sizeof(float)), cudaSuccess);
  ASSERT_EQ(dynamic_smem(nullptr, din.get(), dout.get(), n, n * sizeof(float)), cudaSuccess);
  const std::vector<float> out = dout.host();
  for (int i = 0; i < n; ++i) ASSERT_EQ(out[i], 2 * in[i]) << i;
}

TEST(Features, TiledPartitionShuffles) {
  const int n = 64;
  const std::vector<float> in = iota_floats(n);
  Buf<float> din(in), dout(n / 8);
  ASSERT_EQ(tile_sums(nullptr, din.get(), dout.get(), n), cudaSuccess);
  const std::vector<float> out = dout.host();
  for (int t = 0; t < n / 8; ++t)
    EXPECT_EQ(out[t], std::accumulate(in.begin() + 8 * t, in.begin() + 8 * (t + 1), 0.0f)) << t;
}

// A persistent kernel: one grid-wide barrier per step, the blocks resident together.
TEST(Features, CooperativeGridSyncPerStep) {
  const int blocks = 6, threads = 64, n = blocks * threads, steps = 5;
  std::vector<float> a(n, 0.0f);
  a[0] = 1.0f;
  Buf<float> da(a), db(n);
  ASSERT_EQ(persistent_steps(nullptr, blocks, threads, da.get(), db.get(), steps), cudaSuccess);
  for (int s = 0; s < steps; ++s)
    for (int i = n - 1; i > 0; --i) a[i] += a[i - 1];  // Pascal's triangle, row by row
  EXPECT_EQ(da.host(), a);
}

TEST(Features, HalfAndBfloat16) {
  const std::vector<float> in = {0.5f, -1.25f, 3.0f, 1000.0f, 1.0f / 3.0f};
  const int n = static_cast<int>(in.size());
  Buf<float> din(in), dout(2 * n);
  ASSERT_EQ(half_math(nullptr, din.get(), dout.get(), n), cudaSuccess);
  const std::vector<float> out = dout.host();
  for (int i = 0; i < n; ++i) {
    const float want = 2 * in[i] + 1;
    EXPECT_NEAR(out[i], want, std::abs(want) * 2e-3) << "half " << i;
    EXPECT_NEAR(out[n + i], want, std::abs(want) * 1.6e-2) << "bf16 " << i;
  }
  EXPECT_NE(out[4], 2 * in[4] + 1) << "one third is not exact in half precision";
}

TEST(Features, FastMathIntrinsicsAndLdg) {
  const std::vector<float> in = {-2.0f, -0.5f, 0.0f, 0.75f, 3.0f};
  const int n = static_cast<int>(in.size());
  Buf<float> din(in), dout(n);
  ASSERT_EQ(fast_math(nullptr, din.get(), dout.get(), n), cudaSuccess);
  const std::vector<float> out = dout.host();
  for (int i = 0; i < n; ++i) {
    const double x = in[i];
    EXPECT_NEAR(out[i], std::exp(x) + std::log(std::abs(x) + 1) + x / 3 + x, 1e-5) << i;
  }
}

TEST(Features, LaunchChecksOfAnH100) {
  Buf<float> out(4096);
  EXPECT_EQ(fill(nullptr, dim3(1), dim3(1025), out.get(), 1, 0), cudaErrorInvalidConfiguration);
  EXPECT_EQ(fill(nullptr, dim3(1), dim3(32, 32, 2), out.get(), 1, 0),
            cudaErrorInvalidConfiguration);
  EXPECT_EQ(fill(nullptr, dim3(1), dim3(1, 1, 65), out.get(), 1, 0), cudaErrorInvalidConfiguration);
  EXPECT_EQ(fill(nullptr, dim3(1, 65536), dim3(32), out.get(), 1, 0),
            cudaErrorInvalidConfiguration);
  EXPECT_EQ(fill(nullptr, dim3(0), dim3(32), out.get(), 1, 0), cudaErrorInvalidConfiguration);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "each launch error is reported once";
  // The largest legal block, 2D.
  ASSERT_EQ(fill(nullptr, dim3(4), dim3(32, 32), out.get(), 4096, 7.0f), cudaSuccess);
  EXPECT_EQ(out.host(), std::vector<float>(4096, 7.0f));
  cudaDeviceProp p{};
  ASSERT_EQ(cudaGetDeviceProperties(&p, 0), cudaSuccess);
  EXPECT_EQ(p.major * 10 + p.minor, 90);
  EXPECT_EQ(p.multiProcessorCount, 132);
  EXPECT_EQ(p.maxThreadsPerBlock, 1024);
  EXPECT_EQ(p.sharedMemPerBlock, 48u * 1024);
  EXPECT_EQ(p.sharedMemPerBlockOptin, 227u * 1024);
  EXPECT_EQ(p.sharedMemPerMultiprocessor, 228u * 1024);
  EXPECT_EQ(p.regsPerMultiprocessor, 65536);
  EXPECT_EQ(p.warpSize, 32);
}

}  // namespace
}  // namespace simt_test
