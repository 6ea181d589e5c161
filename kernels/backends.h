// Internal: the constructor of each backend, defined in its own folder, and gathered by
// registry.cpp. (The registry is explicit: self-registering statics vanish from static
// libraries when nothing references their object file.)
//
// The GPU backends are a library of their own, librecur_cuda.a (recur::cuda), so that
// librecur.a (recur::recur) and the programs that use only it need neither the CUDA toolkit
// nor cuDNN. The registry reaches them through one table, recur_gpu_backends(), which
// librecur_cuda.a defines (kernels/gpu_backends.cpp) and registry.cpp declares weak: a program
// linked with recur::cuda has it (that target's link options make the linker take the table's
// object file from the archive), a CPU-only program links without it and has no GPU backends.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "recur/backend.h"

namespace recur {

std::unique_ptr<Backend> make_cpu_ref_backend();  // cpu_reference/cpu_ref.cpp
std::unique_ptr<Backend> make_cpu_backend();      // kernels/cpu/

// The backends of librecur_cuda.a.
struct GpuBackends {
  std::vector<std::string> names;                           // "cuda", then "cudnn" if built
  bool (*available)(std::string* description);              // as recur::gpu_available
  std::unique_ptr<Backend> (*make)(std::string_view name);  // name: one of `names`
};

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

// The table of librecur_cuda.a. The name is unmangled so that recur::cuda's link options can
// name it (--undefined=recur_gpu_backends).
extern "C" const recur::GpuBackends* recur_gpu_backends();
