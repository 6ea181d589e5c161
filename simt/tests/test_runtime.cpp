// simt's runtime against CUDA's documented behaviour: last and sticky errors, the device
// switch, the memory registry behind cudaPointerGetAttributes, the memory limit, lazy stream
// work and cudaFree's synchronisation, and cuBLAS's column-major GEMM with its modes.
#include <cmath>
#include <cstdlib>
#include <vector>

#include <cublas_v2.h>
#include <gtest/gtest.h>

#include "device_buffer.h"
#include "kernels.h"

namespace simt_test {
namespace {

TEST(Runtime, LastErrorIsReportedOnceAndPeekLeavesIt) {
  EXPECT_EQ(cudaSetDevice(7), cudaErrorInvalidDevice);
  EXPECT_EQ(cudaPeekAtLastError(), cudaErrorInvalidDevice);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidDevice);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  EXPECT_STREQ(cudaGetErrorName(cudaErrorInvalidDevice), "cudaErrorInvalidDevice");
}

TEST(Runtime, TwoDevicesWithTheirOwnMemory) {
  int count = 0;
  ASSERT_EQ(cudaGetDeviceCount(&count), cudaSuccess);
  ASSERT_EQ(count, 2) << "the self-tests run with SIMT_DEVICE_COUNT=2";
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  void* p = nullptr;
  ASSERT_EQ(cudaMalloc(&p, 100), cudaSuccess);
  cudaPointerAttributes attr{};
  ASSERT_EQ(cudaPointerGetAttributes(&attr, static_cast<char*>(p) + 99), cudaSuccess);
  EXPECT_EQ(attr.type, cudaMemoryTypeDevice);
  EXPECT_EQ(attr.device, 1);
  int host = 0;
  ASSERT_EQ(cudaPointerGetAttributes(&attr, &host), cudaSuccess);
  EXPECT_EQ(attr.type, cudaMemoryTypeUnregistered);
  EXPECT_EQ(cudaFree(p), cudaSuccess);
  EXPECT_EQ(cudaFree(&host), cudaErrorInvalidValue);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
}

TEST(Runtime, OutOfMemoryIsAnErrorThatIsNotSticky) {
  size_t free_b = 0, total = 0;
  ASSERT_EQ(cudaMemGetInfo(&free_b, &total), cudaSuccess);
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, total + 1), cudaErrorMemoryAllocation);
  EXPECT_EQ(cudaGetLastError(), cudaErrorMemoryAllocation);
  EXPECT_EQ(cudaMalloc(&p, 16), cudaSuccess);
  EXPECT_EQ(cudaFree(p), cudaSuccess);
}

TEST(Runtime, StreamWorkRunsOnlyWhenSynchronised) {
  cudaStream_t s;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  Buf<float> x(std::vector<float>(64, 1.0f)), y(64);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  ASSERT_EQ(twice(s, x.get(), y.get(), 64), cudaSuccess);
  EXPECT_EQ(cudaStreamQuery(s), cudaSuccess) << "a query makes progress";
  ASSERT_EQ(twice(s, x.get(), y.get(), 64), cudaSuccess);
  void* other = nullptr;
  ASSERT_EQ(cudaMalloc(&other, 4), cudaSuccess);
  ASSERT_EQ(cudaFree(other), cudaSuccess);  // synchronises the device
  std::vector<float> got(64);
  ASSERT_EQ(cudaMemcpyAsync(got.data(), y.get(), 256, cudaMemcpyDeviceToHost, s), cudaSuccess);
  EXPECT_EQ(got, std::vector<float>(64, 2.0f)) << "a copy to pageable memory returns when done";
  cudaStreamDestroy(s);
}

TEST(Runtime, StreamOrderedPoolMemory) {
  cudaStream_t s;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  void* p = nullptr;
  ASSERT_EQ(cudaMallocAsync(&p, 1000, s), cudaSuccess);
  cudaPointerAttributes attr{};
  ASSERT_EQ(cudaPointerGetAttributes(&attr, p), cudaSuccess);
  EXPECT_EQ(attr.type, cudaMemoryTypeDevice);
  EXPECT_EQ(cudaFreeAsync(p, s), cudaSuccess);
  EXPECT_EQ(cudaFreeAsync(p, s), cudaErrorInvalidValue) << "freed twice";
  EXPECT_EQ(cudaStreamSynchronize(s), cudaSuccess);
  cudaStreamDestroy(s);
}

// C = alpha op(A) op(B) + beta C, column-major, against a loop written here.
TEST(Runtime, CublasGemmColumnMajorWithModes) {
  const int m = 3, n = 4, k = 5, lda = 6, ldb = 7, ldc = 5;
  std::vector<float> a(lda * k + lda * m), b(ldb * n + ldb * k), c(ldc * n);
  for (size_t i = 0; i < a.size(); ++i) a[i] = std::sin(0.3f * i);
  for (size_t i = 0; i < b.size(); ++i) b[i] = std::cos(0.7f * i);
  for (size_t i = 0; i < c.size(); ++i) c[i] = 0.1f * i;
  cublasHandle_t h;
  ASSERT_EQ(cublasCreate(&h), CUBLAS_STATUS_SUCCESS);
  for (cublasOperation_t ta : {CUBLAS_OP_N, CUBLAS_OP_T})
    for (cublasOperation_t tb : {CUBLAS_OP_N, CUBLAS_OP_T})
      for (float beta : {0.0f, 0.5f}) {
        Buf<float> da(a), db(b), dc(c);
        if (beta == 0) dc.put(std::vector<float>(c.size(), NAN));  // beta == 0 never reads C
        const float alpha = 1.5f;
        ASSERT_EQ(cublasSgemm(h, ta, tb, m, n, k, &alpha, da.get(), lda, db.get(), ldb, &beta,
                              dc.get(), ldc),
                  CUBLAS_STATUS_SUCCESS);
        const std::vector<float> got = dc.host();
        for (int j = 0; j < n; ++j)
          for (int i = 0; i < m; ++i) {
            double acc = 0;
            for (int l = 0; l < k; ++l)
              acc += double(ta == CUBLAS_OP_N ? a[i + l * lda] : a[l + i * lda]) *
                     (tb == CUBLAS_OP_N ? b[l + j * ldb] : b[j + l * ldb]);
            const double want = alpha * acc + (beta == 0 ? 0 : beta * c[i + j * ldc]);
            EXPECT_NEAR(got[i + j * ldc], want, 1e-5) << ta << tb << beta << " " << i << "," << j;
          }
        for (int j = 0; j < n; ++j)  // rows m..ldc of C are padding: untouched
          for (int i = m; i < ldc; ++i)
            EXPECT_EQ(std::isnan(got[i + j * ldc]), beta == 0) << i << "," << j;
      }
  // TF32: inputs keep 10 mantissa bits, so a product differs from the exact one.
  const float x = 1.0f + 1.0f / 4096, one = 1, zero = 0;
  Buf<float> dx(std::vector<float>{x}), dy(1);
  ASSERT_EQ(cublasSetMathMode(h, CUBLAS_TF32_TENSOR_OP_MATH), CUBLAS_STATUS_SUCCESS);
  ASSERT_EQ(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, &one, dx.get(), 1, dx.get(), 1, &zero,
                        dy.get(), 1),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(dy.host()[0], 1.0f);
  ASSERT_EQ(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH), CUBLAS_STATUS_SUCCESS);
  ASSERT_EQ(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, &one, dx.get(), 1, dx.get(), 1, &zero,
                        dy.get(), 1),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(dy.host()[0], x * x);
  // Device pointer mode reads alpha and beta from device memory; a host pointer there faults.
  Buf<float> dalpha(std::vector<float>{2.0f}), dbeta(std::vector<float>{0.0f});
  ASSERT_EQ(cublasSetPointerMode(h, CUBLAS_POINTER_MODE_DEVICE), CUBLAS_STATUS_SUCCESS);
  ASSERT_EQ(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, dalpha.get(), dx.get(), 1, dx.get(),
                        1, dbeta.get(), dy.get(), 1),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(dy.host()[0], 2 * x * x);
  ASSERT_EQ(cublasSetPointerMode(h, CUBLAS_POINTER_MODE_HOST), CUBLAS_STATUS_SUCCESS);
  // An operand in host memory is an illegal address when the GEMM runs.
  std::vector<float> host_b(1, 1.0f);
  ASSERT_EQ(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, &one, dx.get(), 1, host_b.data(), 1,
                        &zero, dy.get(), 1),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaErrorIllegalAddress);
  EXPECT_EQ(cudaDeviceReset(), cudaSuccess);
  cublasDestroy(h);
}

}  // namespace
}  // namespace simt_test
