// The device side of one cuda backend call: device pointers for the call's tensors (device
// tensors in place, host tensors copied in), the output tensors (device tensors, or host
// tensors filled from device memory at the end), and the ordering with the caller described
// in kernels/cuda/cuda_backend.h. Internal header (includes CUDA).
#pragma once

#include <memory>
#include <vector>

#include "kernels/cuda/cuda_context.h"
#include "recur/tensor.h"

namespace recur::cuda {

class CallStaging {
 public:
  // Makes the context's device current and orders the call after the legacy default stream.
  // `device_outputs`: hand outputs back as device tensors.
  CallStaging(std::shared_ptr<CudaContext> ctx, bool device_outputs);
  ~CallStaging();  // makes the caller's current device current again
  CallStaging(const CallStaging&) = delete;
  CallStaging& operator=(const CallStaging&) = delete;

  // Device memory holding t's elements: t's own storage when it is a device tensor (checked to
  // be device memory of the context's device), else a copy enqueued on the main lane. Null for
  // an undefined tensor. `what` names the tensor in errors.
  const void* input(const Tensor& t, const char* what);
  template <class T>
  const T* input(const Tensor& t, const char* what) {
    return static_cast<const T*>(input(t, what));
  }

  // A new output tensor of `shape` (the one the caller gets); *device receives the device
  // memory the driver writes it through.
  Tensor output(const Shape& shape, DType dtype, void** device);
  template <class T>
  Tensor output(const Shape& shape, T** device) {
    void* p = nullptr;
    Tensor t = output(shape, dtype_of<T>(), &p);
    *device = static_cast<T*>(p);
    return t;
  }

  // After the driver: host outputs are copied back and the host waits for the call; device
  // outputs are left in flight, with the legacy default stream ordered after them.
  void finish();

 private:
  struct HostOutput {
    Tensor host;
    const void* device;
  };
  std::shared_ptr<CudaContext> ctx_;
  int caller_device_ = 0;
  bool device_outputs_;
  std::vector<PoolBuffer> copies_;  // device copies of host inputs, device memory of host outputs
  std::vector<HostOutput> host_outputs_;
};

}  // namespace recur::cuda
