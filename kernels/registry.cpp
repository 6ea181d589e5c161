#include "kernels/backends.h"

// Weak: null in a program that does not link librecur_cuda.a (see kernels/backends.h).
extern "C" __attribute__((weak)) const recur::GpuBackends* recur_gpu_backends();

namespace recur {
namespace {

const GpuBackends* gpu_backends() {
  return recur_gpu_backends ? recur_gpu_backends() : nullptr;
}

}  // namespace

std::vector<std::string> backend_names() {
  std::vector<std::string> names = {"cpu-ref", "cpu"};
#if RECUR_WITH_ONEDNN
  names.push_back("onednn");
#endif
  if (const GpuBackends* gpu = gpu_backends())
    names.insert(names.end(), gpu->names.begin(), gpu->names.end());
  return names;
}

bool gpu_available(std::string* description) {
  if (const GpuBackends* gpu = gpu_backends()) return gpu->available(description);
  if (description) {
    *description =
        "recur's GPU backends are not in this program (recur was built without CUDA, or the "
        "program does not link recur::cuda)";
  }
  return false;
}

std::string default_backend_name() {
  return gpu_available() ? "cuda" : "cpu";
}

std::unique_ptr<Backend> make_backend(std::string_view name) {
  if (name == "auto") return make_backend(default_backend_name());
  if (name == "cpu-ref") return make_cpu_ref_backend();
  if (name == "cpu") return make_cpu_backend();
#if RECUR_WITH_ONEDNN
  if (name == "onednn") return make_onednn_backend();
#endif
  if (const GpuBackends* gpu = gpu_backends()) {
    for (const std::string& n : gpu->names)
      if (name == n) return gpu->make(name);
  }
  RECUR_FAIL("unknown backend '{}' (available: {}, auto)", name, fmt::join(backend_names(), ", "));
}

}  // namespace recur
