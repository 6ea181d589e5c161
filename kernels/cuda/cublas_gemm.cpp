#include "kernels/cuda/cublas_gemm.h"

#include "kernels/cuda/cuda_check.h"

namespace recur::cuda {

cublasMath_t cublas_math_mode(bool allow_tf32) {
  return allow_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH;
}

CublasHandle::CublasHandle(cudaStream_t stream, bool allow_tf32) {
  CUBLAS_CHECK(cublasCreate(&handle_));
  try {
    CUBLAS_CHECK(cublasSetStream(handle_, stream));
    CUBLAS_CHECK(cublasSetMathMode(handle_, cublas_math_mode(allow_tf32)));
    CUBLAS_CHECK(cublasSetPointerMode(handle_, CUBLAS_POINTER_MODE_HOST));
  } catch (...) {
    (void)cublasDestroy(handle_);
    throw;
  }
}

CublasHandle::~CublasHandle() {
  if (handle_) (void)cublasDestroy(handle_);  // destructors do not throw
}

namespace {

cublasOperation_t op(bool trans) {
  return trans ? CUBLAS_OP_T : CUBLAS_OP_N;
}

}  // namespace

void cublas_gemm(cublasHandle_t handle, const CublasGemmArgs& g, const float* first,
                 const float* second, float* c) {
  const float alpha = static_cast<float>(g.alpha), beta = static_cast<float>(g.beta);
  CUBLAS_CHECK(cublasSgemm(handle, op(g.trans_first), op(g.trans_second), g.m, g.n, g.k, &alpha,
                           first, g.ld_first, second, g.ld_second, &beta, c, g.ldc));
}

void cublas_gemm(cublasHandle_t handle, const CublasGemmArgs& g, const double* first,
                 const double* second, double* c) {
  const double alpha = g.alpha, beta = g.beta;
  CUBLAS_CHECK(cublasDgemm(handle, op(g.trans_first), op(g.trans_second), g.m, g.n, g.k, &alpha,
                           first, g.ld_first, second, g.ld_second, &beta, c, g.ldc));
}

}  // namespace recur::cuda
