// The CUDA executor's operations: argument translation and launches only. Every launch and
// every runtime/cuBLAS call is checked (CUDA_CHECK / CUBLAS_CHECK), so a bad configuration is
// reported at the operation that caused it; faults inside kernels surface at the next check.
#include "kernels/cuda/cuda_executor.h"

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/kernels.h"

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
void CudaExecutor<T>::column_sum(int lane, int64_t rows, int64_t cols, const T* src, int64_t lds,
                                 T* dst, bool accumulate) {
  CUDA_CHECK(launch_column_sum(stream(lane), rows, cols, src, lds, dst, accumulate));
}

template <class T>
void CudaExecutor<T>::rnn_forward_pass(int lane, bool relu, int64_t B, int64_t H, const T* xproj,
                                       int64_t ldx, const T* hproj, const T* b_ih, const T* b_hh,
                                       T* h_out, int64_t ldh) {
  RnnForwardArgs<T> a;
  a.B = B, a.H = H;
  a.xproj = xproj, a.ldx = ldx, a.hproj = hproj;
  a.b_ih = b_ih, a.b_hh = b_hh;
  a.h_out = h_out, a.ldh = ldh;
  CUDA_CHECK(launch_rnn_forward(stream(lane), relu, a));
}

template <class T>
void CudaExecutor<T>::lstm_forward_pass(int lane, bool training, int64_t B, int64_t H,
                                        const T* xproj, int64_t ldx, const T* hproj, const T* b_ih,
                                        const T* b_hh, const T* c_prev, T* c_out, T* h_out,
                                        int64_t ldh, T* acts) {
  LstmForwardArgs<T> a;
  a.B = B, a.H = H;
  a.xproj = xproj, a.ldx = ldx, a.hproj = hproj;
  a.b_ih = b_ih, a.b_hh = b_hh;
  a.c_prev = c_prev, a.c_out = c_out;
  a.h_out = h_out, a.ldh = ldh;
  a.acts = acts;
  CUDA_CHECK(launch_lstm_forward(stream(lane), training, a));
}

template <class T>
void CudaExecutor<T>::gru_forward_pass(int lane, bool training, int64_t B, int64_t H,
                                       const T* xproj, int64_t ldx, const T* hproj, const T* b_ih,
                                       const T* b_hh, const T* h_prev, int64_t ldhp, T* h_out,
                                       int64_t ldh, T* acts) {
  GruForwardArgs<T> a;
  a.B = B, a.H = H;
  a.xproj = xproj, a.ldx = ldx, a.hproj = hproj;
  a.b_ih = b_ih, a.b_hh = b_hh;
  a.h_prev = h_prev, a.ldhp = ldhp;
  a.h_out = h_out, a.ldh = ldh;
  a.acts = acts;
  CUDA_CHECK(launch_gru_forward(stream(lane), training, a));
}

template <class T>
void CudaExecutor<T>::rnn_backward_pass(int lane, bool relu, int64_t B, int64_t H, const T* h_out,
                                        int64_t ldh, const T* dy, int64_t lddy, const T* dh_in,
                                        T* dgates, int64_t ldg) {
  RnnBackwardArgs<T> a;
  a.B = B, a.H = H;
  a.h_out = h_out, a.ldh = ldh;
  a.dy = dy, a.lddy = lddy, a.dh_in = dh_in;
  a.dgates = dgates, a.ldg = ldg;
  CUDA_CHECK(launch_rnn_backward(stream(lane), relu, a));
}

template <class T>
void CudaExecutor<T>::lstm_backward_pass(int lane, int64_t B, int64_t H, const T* acts, const T* c,
                                         const T* c_prev, const T* dy, int64_t lddy, const T* dh_in,
                                         const T* dc_in, T* dgates, int64_t ldg, T* dc_out) {
  LstmBackwardArgs<T> a;
  a.B = B, a.H = H;
  a.acts = acts, a.c = c, a.c_prev = c_prev;
  a.dy = dy, a.lddy = lddy, a.dh_in = dh_in, a.dc_in = dc_in;
  a.dgates = dgates, a.ldg = ldg;
  a.dc_out = dc_out;
  CUDA_CHECK(launch_lstm_backward(stream(lane), a));
}

template <class T>
void CudaExecutor<T>::gru_backward_pass(int lane, int64_t B, int64_t H, const T* acts,
                                        const T* h_prev, int64_t ldhp, const T* dy, int64_t lddy,
                                        const T* dh_in, T* dgates_x, int64_t ldgx, T* dgates_h,
                                        int64_t ldgh, T* dh_out) {
  GruBackwardArgs<T> a;
  a.B = B, a.H = H;
  a.acts = acts, a.h_prev = h_prev, a.ldhp = ldhp;
  a.dy = dy, a.lddy = lddy, a.dh_in = dh_in;
  a.dgates_x = dgates_x, a.ldgx = ldgx;
  a.dgates_h = dgates_h, a.ldgh = ldgh;
  a.dh_out = dh_out;
  CUDA_CHECK(launch_gru_backward(stream(lane), a));
}

template class CudaExecutor<float>;
template class CudaExecutor<double>;

}  // namespace recur::cuda
