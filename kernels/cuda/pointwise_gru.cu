// The GRU's fused pointwise passes: one thread per hidden unit (b, j), math from
// kernels/common/cell_math.h. Gate order r, z, n; the x side and h side of each gate stay
// separate because n = tanh(x_n + r * h_n). Shapes: kernels/cuda/kernels.h.
#include "kernels/common/cell_math.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/launch.cuh"

namespace recur::cuda {
namespace {

constexpr int kGates = 3;  // r, z, n

// x_k = xproj_k + b_ih_k, h_k = hproj_k + b_hh_k. Training writes r, z, n, h_n to acts.
template <class T, bool Training>
__global__ void gru_forward_kernel(const GruForwardArgs<T> a) {
  const int64_t H = a.H, GH = kGates * a.H;
  for (RECUR_ELEMENTWISE_LOOP(i, a.B * H)) {
    const int64_t b = i / H, j = i - b * H;
    T x[kGates], h[kGates];
#pragma unroll
    for (int k = 0; k < kGates; ++k) {
      const int64_t col = k * H + j;
      x[k] = a.xproj[b * a.ldx + col] + (a.b_ih ? a.b_ih[col] : T(0));
      h[k] = (a.hproj ? a.hproj[b * GH + col] : T(0)) + (a.b_hh ? a.b_hh[col] : T(0));
    }
    T h_new;
    const cell::GruActs<T> s =
        cell::gru_forward(x[0], x[1], x[2], h[0], h[1], h[2], a.h_prev[b * a.ldhp + j], &h_new);
    a.h_out[b * a.ldh + j] = h_new;
    if (Training) {
      T* acts = a.acts + b * (4 * H) + j;
      acts[0] = s.r;
      acts[H] = s.z;
      acts[2 * H] = s.n;
      acts[3 * H] = s.h_n;
    }
  }
}

// dh = dy + dh_in; the x-side and h-side gate gradients differ only in n. dh_out (the direct
// path z * dh) may alias dh_in: each thread reads its element before writing it.
template <class T>
__global__ void gru_backward_kernel(const GruBackwardArgs<T> a) {
  const int64_t H = a.H;
  for (RECUR_ELEMENTWISE_LOOP(i, a.B * H)) {
    const int64_t b = i / H, j = i - b * H;
    const T* acts = a.acts + b * (4 * H) + j;
    const cell::GruActs<T> s{acts[0], acts[H], acts[2 * H], acts[3 * H]};
    const T dh = a.dy[b * a.lddy + j] + (a.dh_in ? a.dh_in[i] : T(0));
    const cell::GruGrads<T> g = cell::gru_backward(s, a.h_prev[b * a.ldhp + j], dh);
    T* gx = a.dgates_x + b * a.ldgx + j;
    gx[0] = g.d_r;
    gx[H] = g.d_z;
    gx[2 * H] = g.dx_n;
    T* gh = a.dgates_h + b * a.ldgh + j;
    gh[0] = g.d_r;
    gh[H] = g.d_z;
    gh[2 * H] = g.dh_n;
    a.dh_out[i] = g.dh_prev;
  }
}

}  // namespace

template <class T>
cudaError_t launch_gru_forward(cudaStream_t stream, bool training, const GruForwardArgs<T>& args) {
  return training ? launch_elementwise(stream, args.B * args.H, gru_forward_kernel<T, true>, args)
                  : launch_elementwise(stream, args.B * args.H, gru_forward_kernel<T, false>, args);
}

template <class T>
cudaError_t launch_gru_backward(cudaStream_t stream, const GruBackwardArgs<T>& args) {
  return launch_elementwise(stream, args.B * args.H, gru_backward_kernel<T>, args);
}

template cudaError_t launch_gru_forward<float>(cudaStream_t, bool, const GruForwardArgs<float>&);
template cudaError_t launch_gru_forward<double>(cudaStream_t, bool, const GruForwardArgs<double>&);
template cudaError_t launch_gru_backward<float>(cudaStream_t, const GruBackwardArgs<float>&);
template cudaError_t launch_gru_backward<double>(cudaStream_t, const GruBackwardArgs<double>&);

}  // namespace recur::cuda
