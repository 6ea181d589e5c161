// The defects the emulator found in the cuda backend's host code, each pinned by a test that
// failed before its fix (two emulated devices: SIMT_DEVICE_COUNT=2).
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/backends.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_context.h"
#include "kernels/cuda/cuda_executor.h"
#include "kernels/cuda/kernels.h"
#include "recur/random.h"
#include "simt/control.h"
#include "support/random_inputs.h"

namespace recur::test {
namespace {

int current_device() {
  int d = -1;
  EXPECT_EQ(cudaGetDevice(&d), cudaSuccess);
  return d;
}

TEST(CudaFixes, AFailedCallDoesNotLeaveItsErrorForTheNextLaunchCheck) {
  std::vector<float> host(4);
  cuda::DeviceBuffer dev(16);
  EXPECT_THROW(CUDA_CHECK(cudaMemcpy(dev.get(), host.data(), 16, cudaMemcpyDeviceToHost)), Error);
  // The next launch's check sees its own status, not the failed copy's.
  EXPECT_NO_THROW(CUDA_CHECK(cuda::launch_fill(nullptr, 4, 1.0f, dev.as<float>())));
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
}

TEST(CudaFixes, ContextDestructorRestoresTheCurrentDevice) {
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  {
    cuda::CudaContext ctx(false);
    ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  }
  EXPECT_EQ(current_device(), 0);
}

// A call made while another device is current: the backend's buffers are released on its own
// device (all of an inference call's memory comes back), and the caller's device is current
// again afterwards.
TEST(CudaFixes, CallStagingReleasesItsBuffersOnTheContextsDevice) {
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  auto gpu = make_cuda_backend();
  RnnSpec spec;
  spec.cell = Cell::GRU;
  spec.input_size = 5;
  spec.hidden_size = 7;
  const RnnParams params = RnnParams::init_uniform(spec, 1, DType::F32);
  const RnnInputs in = random_inputs(spec, 3, 2, DType::F32, 2, true);
  (void)gpu->forward(spec, params, in, {false, 0});  // the first call creates the pool's memory
  const size_t before = simt::allocated_bytes(0);
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  (void)gpu->forward(spec, params, in, {false, 0});
  EXPECT_EQ(current_device(), 1);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  EXPECT_EQ(simt::allocated_bytes(0), before) << "device memory of the call was not released";
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
}

TEST(CudaFixes, DeviceDescriptionNamesTheCurrentDevice) {
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  std::string why;
  ASSERT_TRUE(cuda_device_available(&why));
  EXPECT_NE(why.find("device 1"), std::string::npos) << why;
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
}

// One row whose source stride is beyond cudaMemcpy2D's pitch limit (2^31 - 1 bytes): a plain
// copy of the row.
TEST(CudaFixes, OneRowCopyIgnoresThePitchLimit) {
  auto ctx = std::make_shared<cuda::CudaContext>(false);
  cuda::CudaExecutor<float> ex(ctx);
  const std::vector<float> row = {1, 2, 3, 4, 5};
  cuda::DeviceBuffer src(row.size() * sizeof(float)), dst(row.size() * sizeof(float));
  ASSERT_EQ(cudaMemcpy(src.get(), row.data(), src.bytes(), cudaMemcpyHostToDevice), cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  const int64_t huge = int64_t(1) << 30;  // 4 GiB between rows of floats
  ex.copy_2d(kMainLane, 1, 5, src.as<float>(), huge, dst.as<float>(), huge);
  ctx->synchronize();
  std::vector<float> got(row.size());
  ASSERT_EQ(cudaMemcpy(got.data(), dst.get(), dst.bytes(), cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(got, row);
}

}  // namespace
}  // namespace recur::test
