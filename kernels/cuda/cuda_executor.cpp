// The CUDA executor's operations: argument translation and launches only. Every launch and
// every runtime/cuBLAS call is checked (CUDA_CHECK / CUBLAS_CHECK), so a bad configuration is
// reported at the operation that caused it; faults inside kernels surface at the next check.
#include "kernels/cuda/cuda_executor.h"

#include "kernels/common/cell_step.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/persistent.h"

namespace recur::cuda {

template <class T>
void CudaExecutor<T>::gemm(int lane, const GemmDesc& g, const T* a, const T* b, T* c) {
  const CublasGemmArgs args = to_cublas(g);
  if (args.m == 0 || args.n == 0) return;
  if (args.k == 0) {  // the product is empty: C = beta * C
    CUDA_CHECK(launch_scale_2d(stream(lane), g.m, g.n, static_cast<T>(g.beta), c, g.ldc));
    return;
  }
  cublas_gemm(ctx_->cublas(lane), args, b, a, c);  // cuBLAS's A is the descriptor's B
}

template <class T>
void CudaExecutor<T>::fill(int lane, int64_t n, T value, T* dst) {
  CUDA_CHECK(launch_fill(stream(lane), n, value, dst));
}

template <class T>
void CudaExecutor<T>::copy_2d(int lane, int64_t rows, int64_t cols, const T* src, int64_t lds,
                              T* dst, int64_t ldd) {
  if (rows <= 0 || cols <= 0) return;
  RECUR_CHECK(lds >= cols && ldd >= cols, "copy_2d: strides {} and {} below width {}", lds, ldd,
              cols);
  if (rows == 1) {  // a plain copy: cudaMemcpy2D would refuse a pitch above its limit
    CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<size_t>(cols) * sizeof(T),
                               cudaMemcpyDeviceToDevice, stream(lane)));
    return;
  }
  CUDA_CHECK(cudaMemcpy2DAsync(dst, static_cast<size_t>(ldd) * sizeof(T), src,
                               static_cast<size_t>(lds) * sizeof(T),
                               static_cast<size_t>(cols) * sizeof(T), static_cast<size_t>(rows),
                               cudaMemcpyDeviceToDevice, stream(lane)));
}

template <class T>
void CudaExecutor<T>::transpose_01(int lane, int64_t n0, int64_t n1, int64_t f, const T* src,
                                   T* dst) {
  CUDA_CHECK(launch_transpose_01(stream(lane), n0, n1, f, src, dst));
}

template <class T>
void CudaExecutor<T>::dropout(int lane, uint64_t seed, int64_t layer, double p, int64_t n,
                              const T* src, T* dst) {
  CUDA_CHECK(launch_dropout(stream(lane), seed, layer, p, n, src, dst));
}

template <class T>
typename CudaExecutor<T>::Index CudaExecutor<T>::upload_index(const std::vector<int64_t>& host) {
  if (host.empty()) return Index();
  Index index(ctx_, static_cast<int64_t>(host.size()));
  CUDA_CHECK(cudaMemcpyAsync(index.data(), host.data(), host.size() * sizeof(int64_t),
                             cudaMemcpyHostToDevice, stream(kMainLane)));
  return index;
}

template <class T>
void CudaExecutor<T>::gather_rows(int lane, int64_t rows, int64_t cols, const int64_t* index,
                                  const T* src, int64_t lds, T* dst, int64_t ldd) {
  CUDA_CHECK(launch_gather_rows(stream(lane), rows, cols, index, src, lds, dst, ldd));
}

template <class T>
void CudaExecutor<T>::dropout_rows(int lane, uint64_t seed, int64_t layer, double p, int64_t rows,
                                   int64_t cols, const int64_t* index, const T* src, T* dst) {
  CUDA_CHECK(launch_dropout_rows(stream(lane), seed, layer, p, rows, cols, index, src, dst));
}

template <class T>
void CudaExecutor<T>::column_sum(int lane, int64_t rows, int64_t cols, const T* src, int64_t lds,
                                 T* dst, bool accumulate) {
  CUDA_CHECK(launch_column_sum(stream(lane), rows, cols, src, lds, dst, accumulate));
}

template <class T>
template <class Step>
void CudaExecutor<T>::run_step(int lane, const Step& step) {
  CUDA_CHECK(launch_step(stream(lane), step));
}

template <class T>
void CudaExecutor<T>::use_persistent(PersistentPass pass, const PersistentShape& shape) {
  persistent_[static_cast<int>(pass)] = shape;
}

template <>
bool CudaExecutor<float>::fused_forward(int lane, const fused::FusedForward<float>& f) {
  const PersistentShape& shape = persistent_[static_cast<int>(PersistentPass::Forward)];
  if (shape.blocks == 0) return false;
  CUDA_CHECK(launch_persistent_forward(stream(lane), f, shape));
  return true;
}

template <>
bool CudaExecutor<float>::fused_backward(int lane, const fused::FusedBackward<float>& f) {
  const PersistentShape& shape = persistent_[static_cast<int>(PersistentPass::Backward)];
  if (shape.blocks == 0) return false;
  CUDA_CHECK(launch_persistent_backward(stream(lane), f, shape));
  return true;
}

template <>
bool CudaExecutor<double>::fused_forward(int, const fused::FusedForward<double>&) {
  return false;
}

template <>
bool CudaExecutor<double>::fused_backward(int, const fused::FusedBackward<double>&) {
  return false;
}

template class CudaExecutor<float>;
template class CudaExecutor<double>;

#define RECUR_INSTANTIATE_RUN_STEP(Step) \
  template void CudaExecutor<Step::value_type>::run_step(int, const Step&);
RECUR_FOR_EACH_STEP(RECUR_INSTANTIATE_RUN_STEP, float)
RECUR_FOR_EACH_STEP(RECUR_INSTANTIATE_RUN_STEP, double)
#undef RECUR_INSTANTIATE_RUN_STEP

}  // namespace recur::cuda
