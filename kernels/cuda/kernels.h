// The hand-written CUDA kernels behind the CUDA executor (kernels/cuda/cuda_executor.h): the
// fused pointwise step of each cell, forward and backward (steps.cu, running the per-unit
// bodies of kernels/common/cell_step.h, which the CPU executor runs too), and the layout
// helpers (layout.cu). Their contracts are those of the executor operations of
// kernels/common/executor.h. All pointers are device pointers; sizes and strides count
// elements.
//
// Each launcher enqueues on `stream` (nothing when the element count is 0) and returns
// cudaGetLastError() right after the launch, which the caller wraps in CUDA_CHECK. (The .cu
// files stay free of fmt: that halves their compile time.) T is float or double.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

namespace recur::cuda {

// ---- fused pointwise steps (steps.cu) ----

// One thread per unit (b, j) of the step, each running step::unit (kernels/common/cell_step.h,
// which documents every pointer). Defined for every type of RECUR_FOR_EACH_STEP, float and
// double.
template <class Step>
[[nodiscard]] cudaError_t launch_step(cudaStream_t stream, const Step& step);

// ---- layout helpers (layout.cu) ----

// dst[i] = value, i < n.
template <class T>
[[nodiscard]] cudaError_t launch_fill(cudaStream_t stream, int64_t n, T value, T* dst);

// c[r*ldc + j] = beta == 0 ? 0 : beta * c[r*ldc + j], r < rows, j < cols: what a GEMM with
// k == 0 computes (cuBLAS is not asked to handle that edge).
template <class T>
[[nodiscard]] cudaError_t launch_scale_2d(cudaStream_t stream, int64_t rows, int64_t cols, T beta,
                                          T* c, int64_t ldc);

// src [n0, n1, f] -> dst [n1, n0, f]; no aliasing.
template <class T>
[[nodiscard]] cudaError_t launch_transpose_01(cudaStream_t stream, int64_t n0, int64_t n1,
                                              int64_t f, const T* src, T* dst);

// dst[e] = dropout_keep(seed, layer, e, p) ? src[e] * T(1 / (1 - p)) : 0 (all 0 when p >= 1);
// dst may alias src.
template <class T>
[[nodiscard]] cudaError_t launch_dropout(cudaStream_t stream, uint64_t seed, int64_t layer,
                                         double p, int64_t n, const T* src, T* dst);

// dst[r*ldd + c] = index[r] >= 0 ? src[index[r]*lds + c] : 0, r < rows, c < cols (index in
// device memory); no aliasing.
template <class T>
[[nodiscard]] cudaError_t launch_gather_rows(cudaStream_t stream, int64_t rows, int64_t cols,
                                             const int64_t* index, const T* src, int64_t lds,
                                             T* dst, int64_t ldd);

// launch_dropout's mask on a packed [rows, cols]: element (r, c) has the flat index
// e = index[r]*cols + c; dst may alias src.
template <class T>
[[nodiscard]] cudaError_t launch_dropout_rows(cudaStream_t stream, uint64_t seed, int64_t layer,
                                              double p, int64_t rows, int64_t cols,
                                              const int64_t* index, const T* src, T* dst);

// dst[j] = (accumulate ? dst[j] : 0) + sum_r src[r*lds + j]: deterministic (no atomics), the
// sum accumulated in double.
template <class T>
[[nodiscard]] cudaError_t launch_column_sum(cudaStream_t stream, int64_t rows, int64_t cols,
                                            const T* src, int64_t lds, T* dst, bool accumulate);

}  // namespace recur::cuda
