// librecur_cuda.a's entry in the backend registry (kernels/backends.h): the cuda backend and,
// when built, cudnn.
#include "kernels/backends.h"

extern "C" const recur::GpuBackends* recur_gpu_backends() {
  static const recur::GpuBackends table {
#if RECUR_WITH_CUDNN
    {"cuda", "cudnn"},
#else
    {"cuda"},
#endif
        recur::cuda_device_available, [](std::string_view name) -> std::unique_ptr<recur::Backend> {
#if RECUR_WITH_CUDNN
          if (name == "cudnn") return recur::make_cudnn_backend();
#endif
          RECUR_ASSERT(name == "cuda");
          return recur::make_cuda_backend();
        }
  };
  return &table;
}
