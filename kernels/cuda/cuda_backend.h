// The `cuda` backend: the shared time-loop driver (kernels/common/driver.h) on the CUDA
// executor. Internal header without CUDA: options and a factory beside the registry's
// make_cuda_backend() (kernels/backends.h), which uses the defaults.
//
// Tensors: inputs and parameters may each be host tensors (copied to the device for the call)
// or device tensors (Device::CUDA, used in place). When `input` is a device tensor the
// outputs, gradients and saved state stay on the device and come back as device tensors; the
// call then returns without waiting for the GPU, ordered with the legacy default stream (it
// starts after work queued there; work queued there afterwards, such as a cudaMemcpy, runs
// after it). With a host input everything comes back as host tensors and the call
// synchronizes. Host parameters are copied on every call (they may change between calls,
// e.g. under an optimizer); pass device parameters to avoid that. A backend object serialises
// its calls (one set of streams).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kernels/cuda/persistent_plan.h"
#include "recur/backend.h"

namespace recur {

struct CudaOptions {
  // Let FP32 GEMMs use TF32 tensor cores (faster, about 3 decimal digits; outside recur's
  // 1e-4 bound). Off by default: cuBLAS math mode CUBLAS_DEFAULT_MATH, exact FP32.
  bool allow_tf32 = false;
  // The time loop (persistent_plan.h): auto (the persistent kernels where they fit and the
  // model predicts them faster), persistent (wherever they fit), step (never). Where the
  // persistent kernels decline, the step path runs; cuda_last_path says which ran and why.
  // make_cuda_backend() (the registry's) takes it from RECUR_CUDA_PATH.
  cuda::CudaPath path = cuda::CudaPath::Auto;
  // Exactly this many blocks per direction for the persistent kernels (at most the card's,
  // SMs / directions; 0: planned by persistent_plan.h). For tests: several blocks on small
  // shapes, few on the emulator, where every block of a cooperative grid is a host thread.
  int64_t persistent_blocks = 0;
  // The persistent kernels hold W_hh in bfloat16 and round h_{t-1} / dG_t to it as their dot
  // products read them (float32 sums; persistent_plan.h): larger H fit; results within 1e-2.
  bool persistent_bf16 = false;
};

// Throws recur::Error("cuda backend: no usable CUDA device (...)") when no GPU can be used.
std::unique_ptr<Backend> make_cuda_backend(const CudaOptions& options);

// The time loop `backend` (a cuda backend) ran in its last forward or backward: "persistent",
// or "step: " and the reason the persistent kernels declined. "" before its first call.
std::string cuda_last_path(const Backend& backend);
// What it would run for a call of this shape (`backward`: the backward pass; else forward):
// "persistent" or "step: <reason>".
std::string cuda_path_for(const Backend& backend, const RnnSpec& spec, DType dtype, int64_t T,
                          int64_t B, bool backward);

}  // namespace recur
