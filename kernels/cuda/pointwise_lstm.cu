// The LSTM's fused pointwise passes: one thread per hidden unit (b, j), gate math from
// kernels/common/cell_math.h (the CPU executor runs the same functions). Shapes and aliasing:
// kernels/cuda/kernels.h and kernels/common/executor.h.
#include "kernels/common/cell_math.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/launch.cuh"

namespace recur::cuda {
namespace {

constexpr int kGates = 4;  // i, f, g, o

// Forward: a_k = (xproj_k + b_ih_k) + (hproj_k + b_hh_k); Training writes the activations.
// c_out may alias c_prev: each thread reads its c_prev element before writing it.
template <class T, bool Training>
__global__ void lstm_forward_kernel(const LstmForwardArgs<T> a) {
  const int64_t H = a.H, GH = kGates * a.H;
  for (RECUR_ELEMENTWISE_LOOP(i, a.B * H)) {
    const int64_t b = i / H, j = i - b * H;
    T pre[kGates];
#pragma unroll
    for (int k = 0; k < kGates; ++k) {
      const int64_t col = k * H + j;
      const T x = a.xproj[b * a.ldx + col] + (a.b_ih ? a.b_ih[col] : T(0));
      const T h = (a.hproj ? a.hproj[b * GH + col] : T(0)) + (a.b_hh ? a.b_hh[col] : T(0));
      pre[k] = x + h;
    }
    T c, h;
    const cell::LstmActs<T> s =
        cell::lstm_forward(pre[0], pre[1], pre[2], pre[3], a.c_prev[i], &c, &h);
    a.c_out[i] = c;
    a.h_out[b * a.ldh + j] = h;
    if (Training) {
      T* acts = a.acts + b * GH + j;
      acts[0] = s.i;
      acts[H] = s.f;
      acts[2 * H] = s.g;
      acts[3 * H] = s.o;
    }
  }
}

// Backward of one step: dh = dy + dh_in, dc = dc_in; dc_out may alias dc_in.
template <class T>
__global__ void lstm_backward_kernel(const LstmBackwardArgs<T> a) {
  const int64_t H = a.H, GH = kGates * a.H;
  for (RECUR_ELEMENTWISE_LOOP(i, a.B * H)) {
    const int64_t b = i / H, j = i - b * H;
    const T* acts = a.acts + b * GH + j;
    const cell::LstmActs<T> s{acts[0], acts[H], acts[2 * H], acts[3 * H]};
    const T dh = a.dy[b * a.lddy + j] + (a.dh_in ? a.dh_in[i] : T(0));
    const T dc = a.dc_in ? a.dc_in[i] : T(0);
    const cell::LstmGrads<T> g = cell::lstm_backward(s, a.c[i], a.c_prev[i], dh, dc);
    T* dg = a.dgates + b * a.ldg + j;
    dg[0] = g.d_i;
    dg[H] = g.d_f;
    dg[2 * H] = g.d_g;
    dg[3 * H] = g.d_o;
    a.dc_out[i] = g.dc_prev;
  }
}

}  // namespace

template <class T>
cudaError_t launch_lstm_forward(cudaStream_t stream, bool training,
                                const LstmForwardArgs<T>& args) {
  return training
             ? launch_elementwise(stream, args.B * args.H, lstm_forward_kernel<T, true>, args)
             : launch_elementwise(stream, args.B * args.H, lstm_forward_kernel<T, false>, args);
}

template <class T>
cudaError_t launch_lstm_backward(cudaStream_t stream, const LstmBackwardArgs<T>& args) {
  return launch_elementwise(stream, args.B * args.H, lstm_backward_kernel<T>, args);
}

template cudaError_t launch_lstm_forward<float>(cudaStream_t, bool, const LstmForwardArgs<float>&);
template cudaError_t launch_lstm_forward<double>(cudaStream_t, bool,
                                                 const LstmForwardArgs<double>&);
template cudaError_t launch_lstm_backward<float>(cudaStream_t, const LstmBackwardArgs<float>&);
template cudaError_t launch_lstm_backward<double>(cudaStream_t, const LstmBackwardArgs<double>&);

}  // namespace recur::cuda
