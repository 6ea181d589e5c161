#include "kernels/cuda/call_staging.h"

#include <utility>

namespace recur::cuda {

CallStaging::CallStaging(std::shared_ptr<CudaContext> ctx, bool device_outputs)
    : ctx_(std::move(ctx)), device_outputs_(device_outputs) {
  CUDA_CHECK(cudaGetDevice(&caller_device_));
  ctx_->make_current();
  ctx_->after_legacy_stream();
}

CallStaging::~CallStaging() {
  // The call's buffers go back to the pool on the context's device (stream-ordered frees on
  // its main lane), then the caller's current device is current again.
  host_outputs_.clear();
  copies_.clear();
  (void)cudaSetDevice(caller_device_);
}

const void* CallStaging::input(const Tensor& t, const char* what) {
  if (!t.defined()) return nullptr;
  // An empty tensor's storage is no device memory (pool_tensor gives it a host address); the
  // driver never reads through it.
  if (t.device() == Device::CUDA && t.nbytes() == 0) return t.raw();
  if (t.device() == Device::CUDA) {
    cudaPointerAttributes attr{};
    CUDA_CHECK(cudaPointerGetAttributes(&attr, t.raw()));
    int device = 0;
    CUDA_CHECK(cudaGetDevice(&device));
    RECUR_CHECK((attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged) &&
                    attr.device == device,
                "{}: a device tensor whose storage is not memory of CUDA device {}", what, device);
    return t.raw();
  }
  PoolBuffer copy(ctx_, t.nbytes());
  if (t.nbytes())
    CUDA_CHECK(cudaMemcpyAsync(copy.get(), t.raw(), t.nbytes(), cudaMemcpyHostToDevice,
                               ctx_->stream(kMainLane)));
  const void* p = copy.get();
  copies_.push_back(std::move(copy));
  return p;
}

Tensor CallStaging::output(const Shape& shape, DType dtype, void** device) {
  if (device_outputs_) {
    Tensor t = pool_tensor(ctx_, shape, dtype);
    *device = t.raw();
    return t;
  }
  Tensor host = Tensor::empty(shape, dtype);
  PoolBuffer memory(ctx_, host.nbytes());
  *device = memory.get();
  host_outputs_.push_back({host, memory.get()});
  copies_.push_back(std::move(memory));
  return host;
}

void CallStaging::finish() {
  if (device_outputs_) {
    ctx_->before_legacy_stream();
    return;
  }
  for (HostOutput& out : host_outputs_)
    if (out.host.nbytes())
      CUDA_CHECK(cudaMemcpyAsync(out.host.raw(), out.device, out.host.nbytes(),
                                 cudaMemcpyDeviceToHost, ctx_->stream(kMainLane)));
  ctx_->synchronize();
}

}  // namespace recur::cuda
