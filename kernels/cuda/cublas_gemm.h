// cuBLAS for the CUDA executor: an RAII handle bound to one stream, with the math mode pinned
// to exact FP32 unless TF32 is asked for, and the row-major GemmDesc executed through the
// column-major translation of gemm_translation.h. Internal header (includes CUDA).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "kernels/cuda/gemm_translation.h"

namespace recur::cuda {

// CUBLAS_DEFAULT_MATH keeps FP32 GEMMs in FP32 (no TF32 down-conversion, no BF16x9
// emulation); CUBLAS_TF32_TENSOR_OP_MATH lets FP32 GEMMs use TF32 tensor cores (about 10
// mantissa bits: outside recur's 1e-4 bound for cuda). FP64 GEMMs are unaffected by either.
cublasMath_t cublas_math_mode(bool allow_tf32);

class CublasHandle {
 public:
  // Creates the handle, binds it to `stream` and sets cublas_math_mode(allow_tf32).
  CublasHandle(cudaStream_t stream, bool allow_tf32);
  ~CublasHandle();
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

// One cublas<t>gemm call with translated arguments: `first` is cuBLAS's A (the descriptor's
// B), `second` cuBLAS's B (the descriptor's A). Requires m, n, k > 0. Scalars are passed by
// host pointer (CUBLAS_POINTER_MODE_HOST, the default), read before the call returns.
void cublas_gemm(cublasHandle_t handle, const CublasGemmArgs& g, const float* first,
                 const float* second, float* c);
void cublas_gemm(cublasHandle_t handle, const CublasGemmArgs& g, const double* first,
                 const double* second, double* c);

}  // namespace recur::cuda
