// The `cuda` backend: the shared time-loop driver on the CUDA executor, through the forward
// and backward written once in driver_backend.h. The backend only stages tensors
// (call_staging.h), keeps the training forward's saved region on the device, and serialises
// calls on its context (streams, cuBLAS handles, memory pool).
#include "kernels/cuda/cuda_backend.h"

#include <mutex>

#include "kernels/backends.h"
#include "kernels/common/driver_backend.h"
#include "kernels/cuda/call_staging.h"
#include "kernels/cuda/cuda_executor.h"
#include "kernels/cuda/footprint.h"

namespace recur {
namespace {

using cuda::CallStaging;
using cuda::CudaContext;
using cuda::CudaExecutor;
using cuda::PoolBuffer;

// What a training forward keeps for its backward: the driver's saved region, in device memory.
using CudaSaved = driver::SavedRegion<PoolBuffer>;

// Everything a driver call on the GPU needs for its duration (driver_backend.h's Call): the
// staging of its tensors, and the context the executor runs on.
class CudaCall {
 public:
  using Saved = CudaSaved;

  CudaCall(const std::shared_ptr<CudaContext>& ctx, bool device_outputs)
      : ctx_(ctx), staging_(ctx, device_outputs) {}
  CallStaging& staging() { return staging_; }
  // Exported: released after the legacy default stream, so that a backward run by another
  // cuda backend (which orders the legacy stream after itself) has finished reading it.
  template <class T>
  T* allocate_saved(CudaSaved& saved, int64_t elems) {
    saved.region = PoolBuffer(ctx_, elems * sizeof(T), /*exported=*/true);
    return static_cast<T*>(saved.region.get());
  }
  template <class T>
  const T* saved_data(const CudaSaved& saved) {
    return static_cast<const T*>(saved.region.get());
  }
  template <class T>
  CudaExecutor<T> executor() {
    return CudaExecutor<T>(ctx_);
  }
  void finish() { staging_.finish(); }

 private:
  std::shared_ptr<CudaContext> ctx_;
  CallStaging staging_;
};

// Runs `call`; an out-of-memory error is completed with what the whole call needs.
template <class Call>
auto with_footprint(const RnnSpec& spec, SeqDims dims, DType dtype, cuda::CallKind kind,
                    Call&& call) -> decltype(call()) {
  try {
    return call();
  } catch (const cuda::OutOfDeviceMemory& e) {
    const cuda::CallFootprint f =
        cuda::call_footprint(spec, dims.T, dims.B, dtype_size(dtype), kind);
    RECUR_FAIL(
        "cuda backend: {} (this call needs about {} bytes: {} scratch, {} saved, {} for its "
        "tensors)",
        e.what(), f.total(), f.scratch, f.saved, f.tensors);
  }
}

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const CudaOptions& options)
      : ctx_(std::make_shared<CudaContext>(options.allow_tf32)) {}

  std::string name() const override { return "cuda"; }

  RnnOutputs forward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                     const ForwardOptions& options) override {
    const SeqDims dims = check_forward_args(spec, params, in);
    const auto kind =
        options.training ? cuda::CallKind::TrainingForward : cuda::CallKind::Inference;
    std::lock_guard<std::mutex> lock(mutex_);
    return with_footprint(spec, dims, params.dtype(), kind, [&] {
      return driver::run_forward(spec, params, in, options, dims, [&] { return call(in); });
    });
  }

  RnnGrads backward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                    const RnnOutputs& fwd, const RnnGradOutputs& grads) override {
    check_backward_args(spec, params, in, fwd, grads);
    const SeqDims dims = check_forward_args(spec, params, in);
    const auto& saved =
        driver::saved_for_backward<CudaSaved>(fwd, spec, params.dtype(), dims, "cuda");
    std::lock_guard<std::mutex> lock(mutex_);
    return with_footprint(spec, dims, params.dtype(), cuda::CallKind::Backward, [&] {
      return driver::run_backward(spec, params, in, saved, grads, dims, [&] { return call(in); });
    });
  }

 private:
  // Device inputs get device outputs.
  CudaCall call(const RnnInputs& in) const {
    return CudaCall(ctx_, in.input.device() == Device::CUDA);
  }

  std::shared_ptr<CudaContext> ctx_;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(const CudaOptions& options) {
  std::string why;
  RECUR_CHECK(cuda_device_available(&why), "cuda backend: {}", why);
  try {
    return std::make_unique<CudaBackend>(options);
  } catch (const Error& e) {
    RECUR_FAIL("cuda backend: cannot initialise on {}: {}", why, e.what());
  }
}

std::unique_ptr<Backend> make_cuda_backend() {
  return make_cuda_backend(CudaOptions{});
}

}  // namespace recur
