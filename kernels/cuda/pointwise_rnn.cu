// The vanilla RNN's fused pointwise passes (tanh or ReLU): one thread per hidden unit (b, j),
// math from kernels/common/cell_math.h. Shapes: kernels/cuda/kernels.h.
#include "kernels/common/cell_math.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/launch.cuh"

namespace recur::cuda {
namespace {

// h = act((xproj + b_ih) + (hproj + b_hh)).
template <class T, bool Relu>
__global__ void rnn_forward_kernel(const RnnForwardArgs<T> a) {
  const int64_t H = a.H;
  for (RECUR_ELEMENTWISE_LOOP(i, a.B * H)) {
    const int64_t b = i / H, j = i - b * H;
    const T x = a.xproj[b * a.ldx + j] + (a.b_ih ? a.b_ih[j] : T(0));
    const T h = (a.hproj ? a.hproj[i] : T(0)) + (a.b_hh ? a.b_hh[j] : T(0));
    a.h_out[b * a.ldh + j] = Relu ? cell::rnn_relu_forward(x, h) : cell::rnn_tanh_forward(x, h);
  }
}

// dgates = act'(h_out) * (dy + dh_in), the derivative taken from the saved output.
template <class T, bool Relu>
__global__ void rnn_backward_kernel(const RnnBackwardArgs<T> a) {
  const int64_t H = a.H;
  for (RECUR_ELEMENTWISE_LOOP(i, a.B * H)) {
    const int64_t b = i / H, j = i - b * H;
    const T dh = a.dy[b * a.lddy + j] + (a.dh_in ? a.dh_in[i] : T(0));
    const T h = a.h_out[b * a.ldh + j];
    a.dgates[b * a.ldg + j] =
        Relu ? cell::rnn_relu_backward(h, dh) : cell::rnn_tanh_backward(h, dh);
  }
}

}  // namespace

template <class T>
cudaError_t launch_rnn_forward(cudaStream_t stream, bool relu, const RnnForwardArgs<T>& args) {
  return relu ? launch_elementwise(stream, args.B * args.H, rnn_forward_kernel<T, true>, args)
              : launch_elementwise(stream, args.B * args.H, rnn_forward_kernel<T, false>, args);
}

template <class T>
cudaError_t launch_rnn_backward(cudaStream_t stream, bool relu, const RnnBackwardArgs<T>& args) {
  return relu ? launch_elementwise(stream, args.B * args.H, rnn_backward_kernel<T, true>, args)
              : launch_elementwise(stream, args.B * args.H, rnn_backward_kernel<T, false>, args);
}

template cudaError_t launch_rnn_forward<float>(cudaStream_t, bool, const RnnForwardArgs<float>&);
template cudaError_t launch_rnn_forward<double>(cudaStream_t, bool, const RnnForwardArgs<double>&);
template cudaError_t launch_rnn_backward<float>(cudaStream_t, bool, const RnnBackwardArgs<float>&);
template cudaError_t launch_rnn_backward<double>(cudaStream_t, bool,
                                                 const RnnBackwardArgs<double>&);

}  // namespace recur::cuda
