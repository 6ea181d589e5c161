// The layout helpers of the CUDA executor: fill, the k == 0 GEMM edge, the [T, B, F] <->
// [B, T, F] transpose, dropout, the row gathers of ragged batches and the deterministic column
// sums of the bias gradients.
// Contracts: kernels/cuda/kernels.h and kernels/common/executor.h.
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/launch.cuh"
#include "recur/random.h"

namespace recur::cuda {
namespace {

template <class T>
__global__ void fill_kernel(int64_t n, T value, T* dst) {
  for (RECUR_ELEMENTWISE_LOOP(i, n)) dst[i] = value;
}

template <class T>
__global__ void scale_2d_kernel(int64_t rows, int64_t cols, T beta, T* c, int64_t ldc) {
  for (RECUR_ELEMENTWISE_LOOP(i, rows * cols)) {
    const int64_t r = i / cols, j = i - r * cols;
    T& x = c[r * ldc + j];
    x = beta == T(0) ? T(0) : beta * x;  // beta == 0 must not read C (it may hold NaN)
  }
}

// One thread per destination element, walking dst in order (coalesced writes; the reads are
// coalesced along the f columns).
template <class T>
__global__ void transpose_01_kernel(int64_t n0, int64_t n1, int64_t f, const T* src, T* dst) {
  for (RECUR_ELEMENTWISE_LOOP(o, n0 * n1 * f)) {
    const int64_t c = o % f, row = o / f;  // row = j*n0 + i of dst [n1, n0, f]
    const int64_t i = row % n0, j = row / n0;
    dst[o] = src[(i * n1 + j) * f + c];
  }
}

template <class T>
__global__ void dropout_kernel(uint64_t seed, int64_t layer, double p, int64_t n, const T* src,
                               T* dst) {
  const T scale = p < 1.0 ? T(1.0 / (1.0 - p)) : T(0);
  for (RECUR_ELEMENTWISE_LOOP(e, n)) {
    const bool keep = p < 1.0 && dropout_keep(seed, layer, e, p);
    dst[e] = keep ? src[e] * scale : T(0);
  }
}

// One thread per destination element (coalesced along the cols of a row).
template <class T>
__global__ void gather_rows_kernel(int64_t rows, int64_t cols, const int64_t* index, const T* src,
                                   int64_t lds, T* dst, int64_t ldd) {
  for (RECUR_ELEMENTWISE_LOOP(o, rows * cols)) {
    const int64_t r = o / cols, c = o - r * cols;
    const int64_t from = index[r];
    dst[r * ldd + c] = from >= 0 ? src[from * lds + c] : T(0);
  }
}

template <class T>
__global__ void dropout_rows_kernel(uint64_t seed, int64_t layer, double p, int64_t rows,
                                    int64_t cols, const int64_t* index, const T* src, T* dst) {
  const T scale = p < 1.0 ? T(1.0 / (1.0 - p)) : T(0);
  for (RECUR_ELEMENTWISE_LOOP(o, rows * cols)) {
    const int64_t r = o / cols, c = o - r * cols;
    const bool keep = p < 1.0 && dropout_keep(seed, layer, index[r] * cols + c, p);
    dst[o] = keep ? src[o] * scale : T(0);
  }
}

// Block (kReduceCols, kReduceRows): thread (x, y) sums rows y, y + kReduceRows, ... of column
// tile*kReduceCols + x; then row 0 of the block adds the kReduceRows partial sums in order.
template <class T>
__global__ void column_sum_kernel(int64_t rows, int64_t cols, const T* src, int64_t lds, T* dst,
                                  bool accumulate, int64_t tiles) {
  __shared__ double partial[kReduceRows][kReduceCols];
  const int x = threadIdx.x, y = threadIdx.y;
  for (int64_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
    const int64_t col = tile * kReduceCols + x;
    double acc = 0;
    if (col < cols)
      for (int64_t r = y; r < rows; r += kReduceRows)
        acc += static_cast<double>(src[r * lds + col]);
    partial[y][x] = acc;
    __syncthreads();
    if (y == 0 && col < cols) {
      double sum = accumulate ? static_cast<double>(dst[col]) : 0.0;
      for (int k = 0; k < kReduceRows; ++k) sum += partial[k][x];
      dst[col] = static_cast<T>(sum);
    }
    __syncthreads();  // partial is reused by the next tile
  }
}

}  // namespace

template <class T>
cudaError_t launch_fill(cudaStream_t stream, int64_t n, T value, T* dst) {
  return launch_elementwise(stream, n, fill_kernel<T>, n, value, dst);
}

template <class T>
cudaError_t launch_scale_2d(cudaStream_t stream, int64_t rows, int64_t cols, T beta, T* c,
                            int64_t ldc) {
  return launch_elementwise(stream, rows * cols, scale_2d_kernel<T>, rows, cols, beta, c, ldc);
}

template <class T>
cudaError_t launch_transpose_01(cudaStream_t stream, int64_t n0, int64_t n1, int64_t f,
                                const T* src, T* dst) {
  return launch_elementwise(stream, n0 * n1 * f, transpose_01_kernel<T>, n0, n1, f, src, dst);
}

template <class T>
cudaError_t launch_dropout(cudaStream_t stream, uint64_t seed, int64_t layer, double p, int64_t n,
                           const T* src, T* dst) {
  return launch_elementwise(stream, n, dropout_kernel<T>, seed, layer, p, n, src, dst);
}

template <class T>
cudaError_t launch_gather_rows(cudaStream_t stream, int64_t rows, int64_t cols,
                               const int64_t* index, const T* src, int64_t lds, T* dst,
                               int64_t ldd) {
  return launch_elementwise(stream, rows * cols, gather_rows_kernel<T>, rows, cols, index, src, lds,
                            dst, ldd);
}

template <class T>
cudaError_t launch_dropout_rows(cudaStream_t stream, uint64_t seed, int64_t layer, double p,
                                int64_t rows, int64_t cols, const int64_t* index, const T* src,
                                T* dst) {
  return launch_elementwise(stream, rows * cols, dropout_rows_kernel<T>, seed, layer, p, rows, cols,
                            index, src, dst);
}

template <class T>
cudaError_t launch_column_sum(cudaStream_t stream, int64_t rows, int64_t cols, const T* src,
                              int64_t lds, T* dst, bool accumulate) {
  const ReduceLaunch shape = column_sum_shape(cols);
  if (shape.blocks == 0) return cudaSuccess;
  const dim3 block(shape.block_x, shape.block_y);
  RECUR_LAUNCH(column_sum_kernel<T>, static_cast<unsigned>(shape.blocks), block, 0, stream, rows,
               cols, src, lds, dst, accumulate, shape.tiles);
  return cudaGetLastError();
}

#define RECUR_INSTANTIATE_LAYOUT(T)                                                                \
  template cudaError_t launch_fill<T>(cudaStream_t, int64_t, T, T*);                               \
  template cudaError_t launch_scale_2d<T>(cudaStream_t, int64_t, int64_t, T, T*, int64_t);         \
  template cudaError_t launch_transpose_01<T>(cudaStream_t, int64_t, int64_t, int64_t, const T*,   \
                                              T*);                                                 \
  template cudaError_t launch_dropout<T>(cudaStream_t, uint64_t, int64_t, double, int64_t,         \
                                         const T*, T*);                                            \
  template cudaError_t launch_column_sum<T>(cudaStream_t, int64_t, int64_t, const T*, int64_t, T*, \
                                            bool);                                                 \
  template cudaError_t launch_gather_rows<T>(cudaStream_t, int64_t, int64_t, const int64_t*,       \
                                             const T*, int64_t, T*, int64_t);                      \
  template cudaError_t launch_dropout_rows<T>(cudaStream_t, uint64_t, int64_t, double, int64_t,    \
                                              int64_t, const int64_t*, const T*, T*);
RECUR_INSTANTIATE_LAYOUT(float)
RECUR_INSTANTIATE_LAYOUT(double)
#undef RECUR_INSTANTIATE_LAYOUT

}  // namespace recur::cuda
