// Internal: the constructor of each backend, defined in its own folder, and gathered by
// registry.cpp. (The registry is explicit: self-registering statics vanish from static
// libraries when nothing references their object file.)
#pragma once

#include <memory>
#include <string>

#include "recur/backend.h"

namespace recur {

std::unique_ptr<Backend> make_cpu_ref_backend();  // cpu_reference/cpu_ref.cpp
std::unique_ptr<Backend> make_cpu_backend();      // kernels/cpu/

#if RECUR_WITH_ONEDNN
std::unique_ptr<Backend> make_onednn_backend();  // kernels/onednn/
#endif
#if RECUR_WITH_CUDA
std::unique_ptr<Backend> make_cuda_backend();  // kernels/cuda/
// True when a CUDA device can be used; `description` gets the device or the reason.
bool cuda_device_available(std::string* description);
#endif
#if RECUR_WITH_CUDNN
std::unique_ptr<Backend> make_cudnn_backend();  // kernels/cudnn/
#endif

}  // namespace recur
