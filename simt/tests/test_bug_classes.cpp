// Each bug class simt exists to catch, shown with a deliberately broken kernel or call: the
// broken version fails (a wrong result at a fixed seed, an error code, a NaN), the correct one
// passes under the same schedule.
#include <cmath>
#include <vector>

#include <cublas_v2.h>
#include <gtest/gtest.h>

#include "device_buffer.h"
#include "kernels.h"
#include "simt/control.h"

namespace simt_test {
namespace {

bool reversed(const std::vector<float>& in, const std::vector<float>& out) {
  for (size_t i = 0; i < in.size(); ++i)
    if (out[i] != in[in.size() - 1 - i]) return false;
  return true;
}

TEST(BugClasses, MissingSyncthreadsGivesAWrongResult) {
  const int n = 256;
  const std::vector<float> in = iota_floats(n);
  Buf<float> din(in), dout(n);
  for (uint64_t seed : {1, 2, 3}) {
    simt::reseed(seed);
    ASSERT_EQ(reverse_block(nullptr, din.get(), dout.get(), n, false), cudaSuccess);
    EXPECT_FALSE(reversed(in, dout.host())) << "seed " << seed;
    simt::reseed(seed);
    ASSERT_EQ(reverse_block(nullptr, din.get(), dout.get(), n, true), cudaSuccess);
    EXPECT_TRUE(reversed(in, dout.host())) << "seed " << seed;
  }
}

// y = 2x on stream b after x is written on stream a: without the event, some seeds run the
// reader first. With it, none does.
TEST(BugClasses, MissingCrossStreamEventWaitGivesAWrongResult) {
  const int n = 1000;
  const std::vector<float> x = iota_floats(n);
  cudaStream_t a, b;
  cudaEvent_t written;
  ASSERT_EQ(cudaStreamCreateWithFlags(&a, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaStreamCreateWithFlags(&b, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaEventCreateWithFlags(&written, cudaEventDisableTiming), cudaSuccess);
  std::vector<float> want(n);
  for (int i = 0; i < n; ++i) want[i] = 2 * x[i];
  Buf<float> src(x);
  int wrong_without = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    for (bool wait : {false, true}) {
      simt::reseed(seed);
      Buf<float> dx(n), dy(n);
      ASSERT_EQ(
          cudaMemcpyAsync(dx.get(), src.get(), n * sizeof(float), cudaMemcpyDeviceToDevice, a),
          cudaSuccess);
      ASSERT_EQ(cudaEventRecord(written, a), cudaSuccess);
      if (wait) ASSERT_EQ(cudaStreamWaitEvent(b, written, 0), cudaSuccess);
      ASSERT_EQ(twice(b, dx.get(), dy.get(), n), cudaSuccess);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      const bool right = dy.host() == want;
      if (wait) EXPECT_TRUE(right) << "seed " << seed;
      wrong_without += !right;
    }
  }
  EXPECT_GT(wrong_without, 0) << "no seed ran the reader before the writer";
  cudaEventDestroy(written);
  cudaStreamDestroy(a);
  cudaStreamDestroy(b);
}

// Non-blocking streams do not wait for the legacy default stream; blocking ones do.
TEST(BugClasses, NonBlockingStreamDoesNotWaitForTheLegacyStream) {
  const int n = 512;
  const std::vector<float> x = iota_floats(n);
  std::vector<float> want(n);
  for (int i = 0; i < n; ++i) want[i] = 2 * x[i];
  cudaStream_t blocking, non_blocking;
  ASSERT_EQ(cudaStreamCreate(&blocking), cudaSuccess);
  ASSERT_EQ(cudaStreamCreateWithFlags(&non_blocking, cudaStreamNonBlocking), cudaSuccess);
  int wrong = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed)
    for (cudaStream_t s : {blocking, non_blocking}) {
      simt::reseed(seed);
      Buf<float> dx(n), dy(n);
      dx.put(x);  // a pageable copy: may land after the call returns, on the legacy stream
      ASSERT_EQ(twice(s, dx.get(), dy.get(), n), cudaSuccess);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      if (s == blocking)
        EXPECT_EQ(dy.host(), want) << "seed " << seed;
      else
        wrong += dy.host() != want;
    }
  EXPECT_GT(wrong, 0);
  cudaStreamDestroy(blocking);
  cudaStreamDestroy(non_blocking);
}

TEST(BugClasses, WrongCopyDirectionIsAnError) {
  std::vector<float> host(16, 1.0f);
  Buf<float> dev(16);
  EXPECT_EQ(cudaMemcpy(dev.get(), host.data(), 64, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(host.data(), dev.get(), 64, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(dev.get(), host.data(), 64, cudaMemcpyDeviceToDevice),
            cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(dev.get(), host.data(), 68, cudaMemcpyHostToDevice), cudaErrorInvalidValue)
      << "one element past the allocation";
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(dev.get(), host.data(), 64, cudaMemcpyHostToDevice), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(dev.get(), host.data(), 64, cudaMemcpyDefault), cudaSuccess);
}

TEST(BugClasses, InvalidLeadingDimensionIsRejectedByCublas) {
  cublasHandle_t h;
  ASSERT_EQ(cublasCreate(&h), CUBLAS_STATUS_SUCCESS);
  Buf<float> a(64), b(64), c(64);
  const float one = 1, zero = 0;
  // C[4x4] = A[4x8] B[8x4]: lda must be >= 4 (m), ldb >= 8 (k), ldc >= 4.
  EXPECT_EQ(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 8, &one, a.get(), 3, b.get(), 8, &zero,
                        c.get(), 4),
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 8, &one, a.get(), 4, b.get(), 7, &zero,
                        c.get(), 4),
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, 4, 4, 8, &one, a.get(), 4, b.get(), 8, &zero,
                        c.get(), 4),
            CUBLAS_STATUS_INVALID_VALUE)
      << "op(A) = A^T: A is k x m, lda >= k";
  EXPECT_EQ(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 8, &one, a.get(), 4, b.get(), 8, &zero,
                        c.get(), 4),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  cublasDestroy(h);
}

TEST(BugClasses, OversizedCooperativeGridIsRefused) {
  Buf<float> a(1), b(1);
  // 256 threads: 8 blocks per SM fit, 132 SMs: 1056 blocks at most.
  EXPECT_EQ(persistent_steps(nullptr, 1057, 256, a.get(), b.get(), 1),
            cudaErrorCooperativeLaunchTooLarge);
  EXPECT_EQ(cudaGetLastError(), cudaErrorCooperativeLaunchTooLarge);
}

TEST(BugClasses, UninitialisedDeviceMemoryReadsAsNaN) {
  Buf<float> f(8);
  Buf<double> d(8);
  for (float x : f.host()) EXPECT_TRUE(std::isnan(x));
  for (double x : d.host()) EXPECT_TRUE(std::isnan(x));
  // A kernel reading it spreads the NaN.
  Buf<float> out(8);
  ASSERT_EQ(twice(nullptr, f.get(), out.get(), 8), cudaSuccess);
  for (float x : out.host()) EXPECT_TRUE(std::isnan(x));
}

// The fault is sticky, as on the card: cudaDeviceReset clears it for the next test.
TEST(BugClasses, DivergentBarrierIsADeadlockReportedAsALaunchFailure) {
  ASSERT_EQ(divergent_barrier(nullptr, 64), cudaSuccess);  // queued; runs at the sync
  EXPECT_EQ(cudaDeviceSynchronize(), cudaErrorLaunchFailure);
  EXPECT_EQ(cudaGetLastError(), cudaErrorLaunchFailure) << "sticky";
  EXPECT_EQ(cudaMalloc(nullptr, 4), cudaErrorLaunchFailure);
  EXPECT_EQ(cudaDeviceReset(), cudaSuccess);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

TEST(BugClasses, GridSyncOutsideACooperativeLaunchFaults) {
  Buf<float> a(128), b(128);
  ASSERT_EQ(persistent_steps_plain(nullptr, 2, 64, a.get(), b.get(), 1), cudaSuccess);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaErrorLaunchFailure);
  EXPECT_EQ(cudaDeviceReset(), cudaSuccess);
}

#if defined(__SANITIZE_ADDRESS__)
void read_one_past_the_end() {
  const int n = 100;
  Buf<float> in(iota_floats(n));
  Buf<float> out(n);
  (void)read_past_end(nullptr, in.get(), out.get(), n);
  (void)cudaDeviceSynchronize();
}

TEST(BugClasses, ReadPastTheEndOfABufferFailsUnderAsan) {
  EXPECT_DEATH(read_one_past_the_end(), "heap-buffer-overflow");
}
#else
TEST(BugClasses, ReadPastTheEndOfABufferFailsUnderAsan) {
  GTEST_SKIP() << "needs the asan preset (AddressSanitizer sees the read past each allocation)";
}
#endif

}  // namespace
}  // namespace simt_test
