// Error checking and RAII for the CUDA runtime and cuBLAS, shared by the cuda and cudnn
// backends. Every call is checked; a failure throws recur::Error carrying the call's text, the
// file, the line and the library's own message. Internal header (includes CUDA).
#pragma once

#include <cstddef>
#include <utility>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "recur/error.h"

namespace recur::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* call, const char* file,
                                   int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file,
                                     int line);
const char* cublas_status_name(cublasStatus_t status);

}  // namespace recur::cuda

#define CUDA_CHECK(call)                                                         \
  do {                                                                           \
    const cudaError_t recur_status_ = (call);                                    \
    if (recur_status_ != cudaSuccess)                                            \
      ::recur::cuda::throw_cuda_error(recur_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define CUBLAS_CHECK(call)                                                         \
  do {                                                                             \
    const cublasStatus_t recur_status_ = (call);                                   \
    if (recur_status_ != CUBLAS_STATUS_SUCCESS)                                    \
      ::recur::cuda::throw_cublas_error(recur_status_, #call, __FILE__, __LINE__); \
  } while (0)

// After every kernel launch: catches bad launch configurations at the launch site.
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())
