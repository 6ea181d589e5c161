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
#include "kernels/cuda/persistent.h"

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

  // `pass` and `shape`: the persistent kernels' grid when the backend chose them (blocks > 0).
  CudaCall(const std::shared_ptr<CudaContext>& ctx, bool device_outputs, cuda::PersistentPass pass,
           const cuda::PersistentShape& shape)
      : ctx_(ctx), staging_(ctx, device_outputs), pass_(pass), shape_(shape) {}
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
    CudaExecutor<T> ex(ctx_);
    if (shape_.blocks > 0) ex.use_persistent(pass_, shape_);
    return ex;
  }
  void finish() { staging_.finish(); }

 private:
  std::shared_ptr<CudaContext> ctx_;
  CallStaging staging_;
  cuda::PersistentPass pass_;
  cuda::PersistentShape shape_;
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
      : ctx_(std::make_shared<CudaContext>(options.allow_tf32)),
        options_(options),
        device_(cuda::current_persistent_device()) {}

  std::string name() const override { return "cuda"; }

  // The persistent kernels' grid for this call, or blocks == 0 and *reason why not.
  cuda::PersistentShape choose(const RnnSpec& spec, DType dtype, SeqDims dims,
                               cuda::PersistentPass pass, std::string* reason,
                               bool ragged = false) const {
    cuda::PersistentRequest r;
    r.spec = spec, r.dtype = dtype, r.T = dims.T, r.B = dims.B, r.pass = pass;
    r.ragged = ragged;
    r.path = options_.path, r.blocks = options_.persistent_blocks;
    r.bf16 = options_.persistent_bf16;
    cuda::PersistentShape shape;
    *reason = cuda::persistent_decline_reason(r, device_, &shape);
    if (!reason->empty()) shape = cuda::PersistentShape{};
    return shape;
  }

  std::string path_for(const RnnSpec& spec, DType dtype, SeqDims dims,
                       cuda::PersistentPass pass) const {
    std::string reason;
    choose(spec, dtype, dims, pass, &reason);
    return reason.empty() ? "persistent" : "step: " + reason;
  }

  // The path policy and, per cell, the largest H whose float32 persistent kernels (forward
  // and backward) fit this device, uni and bi.
  std::string describe() const override {
    std::string out = fmt::format(
        "cuda time loop: {} (RECUR_CUDA_PATH=auto|persistent|step; auto: the persistent "
        "kernels where they fit and the model predicts them faster)\n"
        "cuda persistent kernels (float32), largest H on chip (uni / bi):",
        cuda::cuda_path_name(options_.path));
    for (Cell cell : {Cell::RNN_TANH, Cell::GRU, Cell::LSTM}) {
      int64_t largest[2] = {0, 0};
      for (int bi = 0; bi < 2; ++bi) largest[bi] = largest_fitting_h(cell, bi == 1);
      out += fmt::format(" {} {} / {};", cell_info(cell)->name, largest[0], largest[1]);
    }
    out.pop_back();
    return out;
  }

  std::string last_path() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_path_;
  }

  RnnOutputs forward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                     const ForwardOptions& options) override {
    const SeqDims dims = check_forward_args(spec, params, in);
    const auto kind =
        options.training ? cuda::CallKind::TrainingForward : cuda::CallKind::Inference;
    std::lock_guard<std::mutex> lock(mutex_);
    const auto pass = cuda::PersistentPass::Forward;
    std::string reason;
    const cuda::PersistentShape shape =
        choose(spec, params.dtype(), dims, pass, &reason, in.lengths.defined());
    last_path_ = reason.empty() ? "persistent" : "step: " + reason;
    return with_footprint(spec, dims, params.dtype(), kind, [&] {
      return driver::run_forward(spec, params, in, options, dims,
                                 [&] { return call(in, pass, shape); });
    });
  }

  RnnGrads backward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                    const RnnOutputs& fwd, const RnnGradOutputs& grads) override {
    check_backward_args(spec, params, in, fwd, grads);
    const SeqDims dims = check_forward_args(spec, params, in);
    const auto& saved =
        driver::saved_for_backward<CudaSaved>(fwd, spec, params.dtype(), dims, "cuda");
    std::lock_guard<std::mutex> lock(mutex_);
    const auto pass = cuda::PersistentPass::Backward;
    std::string reason;
    const cuda::PersistentShape shape =
        choose(spec, params.dtype(), dims, pass, &reason, in.lengths.defined());
    last_path_ = reason.empty() ? "persistent" : "step: " + reason;
    return with_footprint(spec, dims, params.dtype(), cuda::CallKind::Backward, [&] {
      return driver::run_backward(spec, params, in, saved, grads, dims,
                                  [&] { return call(in, pass, shape); });
    });
  }

 private:
  // Device inputs get device outputs.
  // The largest H (B = 1) that both persistent kernels accept on this device, by bisection
  // over the one eligibility function.
  int64_t largest_fitting_h(Cell cell, bool bidirectional) const {
    const auto fits = [&](int64_t H) {
      cuda::PersistentRequest r;
      r.spec.cell = cell;
      r.spec.input_size = 1;
      r.spec.hidden_size = H;
      r.spec.bidirectional = bidirectional;
      r.T = 1, r.B = 1, r.path = cuda::CudaPath::Persistent;
      cuda::PersistentShape shape;
      for (auto pass : {cuda::PersistentPass::Forward, cuda::PersistentPass::Backward}) {
        r.pass = pass;
        if (!cuda::persistent_decline_reason(r, device_, &shape).empty()) return false;
      }
      return true;
    };
    int64_t lo = 0, hi = 1 << 16;  // fits(lo) (or lo == 0), !fits(hi)
    while (hi - lo > 1) {
      const int64_t mid = (lo + hi) / 2;
      (fits(mid) ? lo : hi) = mid;
    }
    return lo;
  }

  CudaCall call(const RnnInputs& in, cuda::PersistentPass pass,
                const cuda::PersistentShape& shape) const {
    return CudaCall(ctx_, in.input.device() == Device::CUDA, pass, shape);
  }

  std::shared_ptr<CudaContext> ctx_;
  CudaOptions options_;
  cuda::PersistentDevice device_;
  mutable std::mutex mutex_;
  std::string last_path_;
};

const CudaBackend& as_cuda(const Backend& backend) {
  const auto* cuda = dynamic_cast<const CudaBackend*>(&backend);
  RECUR_CHECK(cuda, "backend '{}' is not the cuda backend", backend.name());
  return *cuda;
}

}  // namespace

std::string cuda_last_path(const Backend& backend) {
  return as_cuda(backend).last_path();
}

std::string cuda_path_for(const Backend& backend, const RnnSpec& spec, DType dtype, int64_t T,
                          int64_t B, bool backward) {
  return as_cuda(backend).path_for(
      spec, dtype, SeqDims{T, B},
      backward ? cuda::PersistentPass::Backward : cuda::PersistentPass::Forward);
}

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
  CudaOptions options;
  options.path = cuda::cuda_path_from_env();
  return make_cuda_backend(options);
}

}  // namespace recur
