// The `cuda` backend: the shared time-loop driver on the CUDA executor. The backend only
// stages tensors (call_staging.h), keeps the training forward's saved region on the device,
// and serialises calls on its context (streams, cuBLAS handles, memory pool).
#include "kernels/cuda/cuda_backend.h"

#include <mutex>

#include "kernels/backends.h"
#include "kernels/common/driver_call.h"
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
class CudaSaved final : public driver::SavedCall {
 public:
  using SavedCall::SavedCall;
  PoolBuffer region;  // driver::saved_elems elements of dtype
};

template <class T>
RnnOutputs forward_typed(const std::shared_ptr<CudaContext>& ctx, const RnnSpec& spec,
                         const RnnParams& params, const RnnInputs& in,
                         const ForwardOptions& options, SeqDims dims) {
  CallStaging st(ctx, in.input.device() == Device::CUDA);
  RnnOutputs out;
  driver::ForwardArgs<T> a = driver::forward_args<T>(spec, params, in, options.training,
                                                     options.dropout_seed, dims, st, &out);
  std::shared_ptr<CudaSaved> saved;
  if (options.training) {
    saved = std::make_shared<CudaSaved>(spec, dtype_of<T>(), dims, options.dropout_seed);
    // Exported: released after the legacy default stream, so that a backward run by another
    // cuda backend (which orders the legacy stream after itself) has finished reading it.
    saved->region = PoolBuffer(ctx, driver::saved_elems(spec, dims.T, dims.B) * sizeof(T),
                               /*exported=*/true);
    a.saved = static_cast<T*>(saved->region.get());
  }

  CudaExecutor<T> ex(ctx);
  driver::forward(ex, a);
  st.finish();
  out.saved = std::move(saved);
  return out;
}

template <class T>
RnnGrads backward_typed(const std::shared_ptr<CudaContext>& ctx, const RnnSpec& spec,
                        const RnnParams& params, const RnnInputs& in, const CudaSaved& saved,
                        const RnnGradOutputs& grads, SeqDims dims) {
  CallStaging st(ctx, in.input.device() == Device::CUDA);
  RnnGrads out;
  driver::BackwardArgs<T> a =
      driver::backward_args<T>(spec, params, in, saved.dropout_seed, grads, dims, st, &out);
  a.saved = static_cast<const T*>(saved.region.get());

  CudaExecutor<T> ex(ctx);
  driver::backward(ex, a);
  st.finish();
  return out;
}

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
      return params.dtype() == DType::F32
                 ? forward_typed<float>(ctx_, spec, params, in, options, dims)
                 : forward_typed<double>(ctx_, spec, params, in, options, dims);
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
      return params.dtype() == DType::F32
                 ? backward_typed<float>(ctx_, spec, params, in, saved, grads, dims)
                 : backward_typed<double>(ctx_, spec, params, in, saved, grads, dims);
    });
  }

 private:
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
