// cuBLAS for simt: handles bound to a stream, math and pointer modes, and the level-3 GEMMs
// recur calls with cuBLAS's column-major semantics and argument checks. The arithmetic is a
// plain loop accumulating in the element type (float for S, double for D); TF32 math mode
// rounds the float inputs to TF32 first. Operands are checked to be device memory when the
// GEMM runs (a host pointer or a too-small buffer is an illegal address, as on the card).
#include <cublas_v2.h>

#include <cstring>
#include <string>
#include <vector>

#include "runtime.h"

using namespace simt::detail;

struct cublasContext {
  int device = 0;
  cudaStream_t stream = nullptr;
  cublasMath_t math = CUBLAS_DEFAULT_MATH;
  cublasPointerMode_t pointer_mode = CUBLAS_POINTER_MODE_HOST;
};

namespace {

float to_tf32(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  if ((bits & 0x7f800000u) != 0x7f800000u) {  // finite: round to 10 mantissa bits, ties even
    bits += 0xfffu + ((bits >> 13) & 1u);
    bits &= ~0x1fffu;
  }
  std::memcpy(&x, &bits, 4);
  return x;
}

// The column-major matrix of `rows` x `cols` with leading dimension ld must lie inside one
// device allocation.
bool device_matrix(const void* p, int rows, int cols, int ld, size_t elem) {
  uintptr_t base = 0;
  bool overflow = false;
  const size_t bytes = (static_cast<size_t>(cols - 1) * ld + rows) * elem;
  const Allocation* a = find_allocation(p, bytes, &base, &overflow);
  return a && !overflow && a->kind != MemKind::PinnedHost;
}

template <class T>
cublasStatus_t gemm(const char* name, cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                    int m, int n, int k, const T* alpha, const T* A, int lda, const T* B, int ldb,
                    const T* beta, T* C, int ldc) {
  Lock lock(runtime().mutex);
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  auto valid_op = [](cublasOperation_t o) {
    return o == CUBLAS_OP_N || o == CUBLAS_OP_T || o == CUBLAS_OP_C;
  };
  const bool tA = ta != CUBLAS_OP_N, tB = tb != CUBLAS_OP_N;
  const int a_rows = tA ? k : m, b_rows = tB ? n : k;
  if (!valid_op(ta) || !valid_op(tb) || m < 0 || n < 0 || k < 0 || lda < std::max(1, a_rows) ||
      ldb < std::max(1, b_rows) || ldc < std::max(1, m) || !alpha || !beta)
    return CUBLAS_STATUS_INVALID_VALUE;
  if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
  if (device_status() != cudaSuccess || current_device() != h->device)
    return CUBLAS_STATUS_EXECUTION_FAILED;
  CUstream_st* s = resolve_stream(h->stream);
  if (!s) return CUBLAS_STATUS_EXECUTION_FAILED;
  const bool host_scalars = h->pointer_mode == CUBLAS_POINTER_MODE_HOST;
  const T alpha_now = host_scalars ? *alpha : T(0), beta_now = host_scalars ? *beta : T(0);
  const bool tf32 = sizeof(T) == 4 && (h->math & 0xf) == CUBLAS_TF32_TENSOR_OP_MATH;
  enqueue(s, [=] {
    // Device pointer mode: the scalars are read when the GEMM runs, from device memory.
    if (!host_scalars &&
        (!device_matrix(alpha, 1, 1, 1, sizeof(T)) || !device_matrix(beta, 1, 1, 1, sizeof(T)))) {
      set_sticky(
          cudaErrorIllegalAddress,
          std::string(name) + ": alpha/beta are not device memory (CUBLAS_POINTER_MODE_DEVICE)");
      return;
    }
    const T al = host_scalars ? alpha_now : *alpha, be = host_scalars ? beta_now : *beta;
    const bool reads_ab = k > 0 && al != T(0);
    if ((reads_ab && (!device_matrix(A, a_rows, tA ? m : k, lda, sizeof(T)) ||
                      !device_matrix(B, b_rows, tB ? k : n, ldb, sizeof(T)))) ||
        !device_matrix(C, m, n, ldc, sizeof(T))) {
      set_sticky(cudaErrorIllegalAddress, std::string(name) +
                                              ": an operand is not device memory of the size its "
                                              "dimensions and leading dimension need");
      return;
    }
    // op(A) as m rows of k and op(B) as n columns of k, contiguous (TF32-rounded when the
    // math mode says so); then one dot product per element of C, summed in order of l.
    auto round = [&](T x) { return tf32 ? static_cast<T>(to_tf32(static_cast<float>(x))) : x; };
    std::vector<T> a(reads_ab ? static_cast<size_t>(m) * k : 0);
    std::vector<T> b(reads_ab ? static_cast<size_t>(n) * k : 0);
    for (size_t i = 0; reads_ab && i < static_cast<size_t>(m); ++i)
      for (size_t l = 0; l < static_cast<size_t>(k); ++l)
        a[i * k + l] = round(tA ? A[l + i * lda] : A[i + l * lda]);
    for (size_t j = 0; reads_ab && j < static_cast<size_t>(n); ++j)
      for (size_t l = 0; l < static_cast<size_t>(k); ++l)
        b[j * k + l] = round(tB ? B[j + l * ldb] : B[l + j * ldb]);
    for (size_t j = 0; j < static_cast<size_t>(n); ++j) {
      T* c = C + j * ldc;
      for (size_t i = 0; i < static_cast<size_t>(m); ++i) {
        T acc = 0;
        if (reads_ab)
          for (size_t l = 0; l < static_cast<size_t>(k); ++l) acc += a[i * k + l] * b[j * k + l];
        c[i] = be == T(0) ? al * acc : al * acc + be * c[i];  // beta == 0: C is never read
      }
    }
  });
  return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

extern "C" {

cublasStatus_t cublasCreate_v2(cublasHandle_t* handle) {
  Lock lock(runtime().mutex);
  if (!handle) return CUBLAS_STATUS_INVALID_VALUE;
  if (device_status() != cudaSuccess) return CUBLAS_STATUS_NOT_INITIALIZED;
  *handle = new cublasContext;
  (*handle)->device = current_device();
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetStream_v2(cublasHandle_t handle, cudaStream_t* stream) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!stream) return CUBLAS_STATUS_INVALID_VALUE;
  *stream = handle->stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  const int base = mode & 0xf, flags = mode & ~0xf;
  if (base > CUBLAS_TF32_TENSOR_OP_MATH ||
      (flags & ~CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION))
    return CUBLAS_STATUS_INVALID_VALUE;
  handle->math = mode;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetMathMode(cublasHandle_t handle, cublasMath_t* mode) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!mode) return CUBLAS_STATUS_INVALID_VALUE;
  *mode = handle->math;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetPointerMode_v2(cublasHandle_t handle, cublasPointerMode_t mode) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (mode != CUBLAS_POINTER_MODE_HOST && mode != CUBLAS_POINTER_MODE_DEVICE)
    return CUBLAS_STATUS_INVALID_VALUE;
  handle->pointer_mode = mode;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetPointerMode_v2(cublasHandle_t handle, cublasPointerMode_t* mode) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!mode) return CUBLAS_STATUS_INVALID_VALUE;
  *mode = handle->pointer_mode;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm_v2(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                              int n, int k, const float* alpha, const float* A, int lda,
                              const float* B, int ldb, const float* beta, float* C, int ldc) {
  return gemm("cublasSgemm", h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

cublasStatus_t cublasDgemm_v2(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                              int n, int k, const double* alpha, const double* A, int lda,
                              const double* B, int ldb, const double* beta, double* C, int ldc) {
  return gemm("cublasDgemm", h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

const char* cublasGetStatusName(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    default:
      return "CUBLAS_STATUS_UNKNOWN";
  }
}

}  // extern "C"
