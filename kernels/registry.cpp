#include "kernels/backends.h"

namespace recur {

std::vector<std::string> backend_names() {
  std::vector<std::string> names = {"cpu-ref", "cpu"};
#if RECUR_WITH_ONEDNN
  names.push_back("onednn");
#endif
#if RECUR_WITH_CUDA
  names.push_back("cuda");
#endif
#if RECUR_WITH_CUDNN
  names.push_back("cudnn");
#endif
  return names;
}

bool gpu_available(std::string* description) {
#if RECUR_WITH_CUDA
  return cuda_device_available(description);
#else
  if (description) *description = "recur was built without CUDA";
  return false;
#endif
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
#if RECUR_WITH_CUDA
  if (name == "cuda") return make_cuda_backend();
#endif
#if RECUR_WITH_CUDNN
  if (name == "cudnn") return make_cudnn_backend();
#endif
  RECUR_FAIL("unknown backend '{}' (available: {}, auto)", name, fmt::join(backend_names(), ", "));
}

}  // namespace recur
