// The hand-written CUDA kernels behind the CUDA executor (kernels/cuda/cuda_executor.h): the
// fused pointwise pass of each cell, forward and backward (pointwise_rnn.cu, pointwise_lstm.cu,
// pointwise_gru.cu, all calling kernels/common/cell_math.h), and the layout helpers
// (layout.cu). The argument structs mirror the executor operations of
// kernels/common/executor.h one to one; see there for every pointer's shape, stride and
// aliasing rule. All pointers are device pointers; sizes and strides count elements.
//
// Each launcher enqueues on `stream` (nothing when the element count is 0) and returns
// cudaGetLastError() right after the launch, which the caller wraps in CUDA_CHECK. (The .cu
// files stay free of fmt: that halves their compile time.) T is float or double.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

namespace recur::cuda {

// ---- fused pointwise passes, one thread per hidden unit (b, j) ----

template <class T>
struct RnnForwardArgs {
  int64_t B = 0, H = 0;
  const T* xproj = nullptr;  // [B, H], row stride ldx
  int64_t ldx = 0;
  const T* hproj = nullptr;  // [B, H] dense, nullable
  const T* b_ih = nullptr;   // [H], nullable
  const T* b_hh = nullptr;   // [H], nullable
  T* h_out = nullptr;        // [B, H], row stride ldh
  int64_t ldh = 0;
};

template <class T>
struct LstmForwardArgs {
  int64_t B = 0, H = 0;
  const T* xproj = nullptr;  // [B, 4H], row stride ldx
  int64_t ldx = 0;
  const T* hproj = nullptr;   // [B, 4H] dense, nullable
  const T* b_ih = nullptr;    // [4H], nullable
  const T* b_hh = nullptr;    // [4H], nullable
  const T* c_prev = nullptr;  // [B, H] dense
  T* c_out = nullptr;         // [B, H] dense; may alias c_prev
  T* h_out = nullptr;         // [B, H], row stride ldh
  int64_t ldh = 0;
  T* acts = nullptr;  // [B, 4H] dense (i, f, g, o), written in training only
};

template <class T>
struct GruForwardArgs {
  int64_t B = 0, H = 0;
  const T* xproj = nullptr;  // [B, 3H], row stride ldx
  int64_t ldx = 0;
  const T* hproj = nullptr;   // [B, 3H] dense, nullable
  const T* b_ih = nullptr;    // [3H], nullable
  const T* b_hh = nullptr;    // [3H], nullable
  const T* h_prev = nullptr;  // [B, H], row stride ldhp; never aliases h_out
  int64_t ldhp = 0;
  T* h_out = nullptr;  // [B, H], row stride ldh
  int64_t ldh = 0;
  T* acts = nullptr;  // [B, 4H] dense (r, z, n, h_n), written in training only
};

template <class T>
struct RnnBackwardArgs {
  int64_t B = 0, H = 0;
  const T* h_out = nullptr;  // [B, H], row stride ldh: this step's forward output
  int64_t ldh = 0;
  const T* dy = nullptr;  // [B, H], row stride lddy
  int64_t lddy = 0;
  const T* dh_in = nullptr;  // [B, H] dense, nullable
  T* dgates = nullptr;       // [B, H], row stride ldg
  int64_t ldg = 0;
};

template <class T>
struct LstmBackwardArgs {
  int64_t B = 0, H = 0;
  const T* acts = nullptr;    // [B, 4H] dense
  const T* c = nullptr;       // [B, H] dense
  const T* c_prev = nullptr;  // [B, H] dense
  const T* dy = nullptr;      // [B, H], row stride lddy
  int64_t lddy = 0;
  const T* dh_in = nullptr;  // [B, H] dense, nullable
  const T* dc_in = nullptr;  // [B, H] dense, nullable
  T* dgates = nullptr;       // [B, 4H], row stride ldg
  int64_t ldg = 0;
  T* dc_out = nullptr;  // [B, H] dense; may alias dc_in
};

template <class T>
struct GruBackwardArgs {
  int64_t B = 0, H = 0;
  const T* acts = nullptr;    // [B, 4H] dense
  const T* h_prev = nullptr;  // [B, H], row stride ldhp
  int64_t ldhp = 0;
  const T* dy = nullptr;  // [B, H], row stride lddy
  int64_t lddy = 0;
  const T* dh_in = nullptr;  // [B, H] dense, nullable
  T* dgates_x = nullptr;     // [B, 3H], row stride ldgx: d_r, d_z, dx_n
  int64_t ldgx = 0;
  T* dgates_h = nullptr;  // [B, 3H], row stride ldgh: d_r, d_z, dh_n
  int64_t ldgh = 0;
  T* dh_out = nullptr;  // [B, H] dense; may alias dh_in
};

template <class T>
[[nodiscard]] cudaError_t launch_rnn_forward(cudaStream_t stream, bool relu,
                                             const RnnForwardArgs<T>& args);
template <class T>
[[nodiscard]] cudaError_t launch_lstm_forward(cudaStream_t stream, bool training,
                                              const LstmForwardArgs<T>& args);
template <class T>
[[nodiscard]] cudaError_t launch_gru_forward(cudaStream_t stream, bool training,
                                             const GruForwardArgs<T>& args);
template <class T>
[[nodiscard]] cudaError_t launch_rnn_backward(cudaStream_t stream, bool relu,
                                              const RnnBackwardArgs<T>& args);
template <class T>
[[nodiscard]] cudaError_t launch_lstm_backward(cudaStream_t stream,
                                               const LstmBackwardArgs<T>& args);
template <class T>
[[nodiscard]] cudaError_t launch_gru_backward(cudaStream_t stream, const GruBackwardArgs<T>& args);

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

// dst[j] = (accumulate ? dst[j] : 0) + sum_r src[r*lds + j]: deterministic (no atomics), the
// sum accumulated in double.
template <class T>
[[nodiscard]] cudaError_t launch_column_sum(cudaStream_t stream, int64_t rows, int64_t cols,
                                            const T* src, int64_t lds, T* dst, bool accumulate);

}  // namespace recur::cuda
