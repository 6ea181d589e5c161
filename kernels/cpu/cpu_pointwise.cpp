// The CPU executor's fused pointwise passes: one loop over the B x H units of a step, calling
// the shared cell math (kernels/common/cell_math.h), split over the lane's threads by batch
// rows (or, for small B, by hidden units).
#include <algorithm>

#include "kernels/common/cell_math.h"
#include "kernels/cpu/cpu_executor.h"

namespace recur::cpu {
namespace {

// Rough multiply-add equivalents of one unit of a pass (the transcendentals dominate).
constexpr double kForwardCost = 40;
constexpr double kBackwardCost = 20;

// Calls fn(b0, b1, j0, j1) over a partition of the [B, H] units among the lane's threads.
template <class T, class F>
void for_units(CpuExecutor<T>& ex, int lane, int64_t B, int64_t H, double unit_cost, F&& fn) {
  ex.split(lane, unit_cost * B * H, [&](int i, int parts) {
    if (B >= parts) {
      const int64_t b0 = B * i / parts, b1 = B * (i + 1) / parts;
      fn(b0, b1, int64_t{0}, H);
    } else {
      const int64_t chunks = (H + 15) / 16;
      const int64_t j0 = std::min(H, chunks * i / parts * 16);
      const int64_t j1 = std::min(H, chunks * (i + 1) / parts * 16);
      fn(int64_t{0}, B, j0, j1);
    }
  });
}

// Bias k*H + j, or zero without bias.
template <class T>
inline T bias(const T* b, int64_t i) {
  return b ? b[i] : T(0);
}

}  // namespace

template <class T>
void CpuExecutor<T>::rnn_forward_pass(int lane, bool relu, int64_t B, int64_t H, const T* xproj,
                                      int64_t ldx, const T* hproj, const T* b_ih, const T* b_hh,
                                      T* h_out, int64_t ldh) {
  for_units(*this, lane, B, H, kForwardCost, [&](int64_t b0, int64_t b1, int64_t j0, int64_t j1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T* x = xproj + b * ldx;
      const T* hp = hproj ? hproj + b * H : nullptr;
      T* h = h_out + b * ldh;
      for (int64_t j = j0; j < j1; ++j) {
        const T xs = x[j] + bias(b_ih, j);
        const T hs = (hp ? hp[j] : T(0)) + bias(b_hh, j);
        h[j] = relu ? cell::rnn_relu_forward(xs, hs) : cell::rnn_tanh_forward(xs, hs);
      }
    }
  });
}

template <class T>
void CpuExecutor<T>::lstm_forward_pass(int lane, bool training, int64_t B, int64_t H,
                                       const T* xproj, int64_t ldx, const T* hproj, const T* b_ih,
                                       const T* b_hh, const T* c_prev, T* c_out, T* h_out,
                                       int64_t ldh, T* acts) {
  for_units(*this, lane, B, H, kForwardCost, [&](int64_t b0, int64_t b1, int64_t j0, int64_t j1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T* x = xproj + b * ldx;
      const T* hp = hproj ? hproj + b * 4 * H : nullptr;
      for (int64_t j = j0; j < j1; ++j) {
        T a[4];
        for (int k = 0; k < 4; ++k) {
          const int64_t u = k * H + j;
          a[k] = (x[u] + bias(b_ih, u)) + ((hp ? hp[u] : T(0)) + bias(b_hh, u));
        }
        T c, h;
        const cell::LstmActs<T> s =
            cell::lstm_forward(a[0], a[1], a[2], a[3], c_prev[b * H + j], &c, &h);
        c_out[b * H + j] = c;
        h_out[b * ldh + j] = h;
        if (training) {
          T* act = acts + b * 4 * H + j;
          act[0] = s.i;
          act[H] = s.f;
          act[2 * H] = s.g;
          act[3 * H] = s.o;
        }
      }
    }
  });
}

template <class T>
void CpuExecutor<T>::gru_forward_pass(int lane, bool training, int64_t B, int64_t H, const T* xproj,
                                      int64_t ldx, const T* hproj, const T* b_ih, const T* b_hh,
                                      const T* h_prev, int64_t ldhp, T* h_out, int64_t ldh,
                                      T* acts) {
  for_units(*this, lane, B, H, kForwardCost, [&](int64_t b0, int64_t b1, int64_t j0, int64_t j1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T* x = xproj + b * ldx;
      const T* hp = hproj ? hproj + b * 3 * H : nullptr;
      for (int64_t j = j0; j < j1; ++j) {
        T xs[3], hs[3];
        for (int k = 0; k < 3; ++k) {
          const int64_t u = k * H + j;
          xs[k] = x[u] + bias(b_ih, u);
          hs[k] = (hp ? hp[u] : T(0)) + bias(b_hh, u);
        }
        T h;
        const cell::GruActs<T> s =
            cell::gru_forward(xs[0], xs[1], xs[2], hs[0], hs[1], hs[2], h_prev[b * ldhp + j], &h);
        h_out[b * ldh + j] = h;
        if (training) {
          T* act = acts + b * 4 * H + j;
          act[0] = s.r;
          act[H] = s.z;
          act[2 * H] = s.n;
          act[3 * H] = s.h_n;
        }
      }
    }
  });
}

template <class T>
void CpuExecutor<T>::rnn_backward_pass(int lane, bool relu, int64_t B, int64_t H, const T* h_out,
                                       int64_t ldh, const T* dy, int64_t lddy, const T* dh_in,
                                       T* dgates, int64_t ldg) {
  for_units(*this, lane, B, H, kBackwardCost, [&](int64_t b0, int64_t b1, int64_t j0, int64_t j1) {
    for (int64_t b = b0; b < b1; ++b) {
      for (int64_t j = j0; j < j1; ++j) {
        const T dh = dy[b * lddy + j] + (dh_in ? dh_in[b * H + j] : T(0));
        const T h = h_out[b * ldh + j];
        dgates[b * ldg + j] =
            relu ? cell::rnn_relu_backward(h, dh) : cell::rnn_tanh_backward(h, dh);
      }
    }
  });
}

template <class T>
void CpuExecutor<T>::lstm_backward_pass(int lane, int64_t B, int64_t H, const T* acts, const T* c,
                                        const T* c_prev, const T* dy, int64_t lddy, const T* dh_in,
                                        const T* dc_in, T* dgates, int64_t ldg, T* dc_out) {
  for_units(*this, lane, B, H, kBackwardCost, [&](int64_t b0, int64_t b1, int64_t j0, int64_t j1) {
    for (int64_t b = b0; b < b1; ++b) {
      for (int64_t j = j0; j < j1; ++j) {
        const int64_t u = b * H + j;
        const T* act = acts + b * 4 * H + j;
        const cell::LstmActs<T> s{act[0], act[H], act[2 * H], act[3 * H]};
        const T dh = dy[b * lddy + j] + (dh_in ? dh_in[u] : T(0));
        const T dc = dc_in ? dc_in[u] : T(0);
        const cell::LstmGrads<T> g = cell::lstm_backward(s, c[u], c_prev[u], dh, dc);
        T* dg = dgates + b * ldg + j;
        dg[0] = g.d_i;
        dg[H] = g.d_f;
        dg[2 * H] = g.d_g;
        dg[3 * H] = g.d_o;
        dc_out[u] = g.dc_prev;
      }
    }
  });
}

template <class T>
void CpuExecutor<T>::gru_backward_pass(int lane, int64_t B, int64_t H, const T* acts,
                                       const T* h_prev, int64_t ldhp, const T* dy, int64_t lddy,
                                       const T* dh_in, T* dgates_x, int64_t ldgx, T* dgates_h,
                                       int64_t ldgh, T* dh_out) {
  for_units(*this, lane, B, H, kBackwardCost, [&](int64_t b0, int64_t b1, int64_t j0, int64_t j1) {
    for (int64_t b = b0; b < b1; ++b) {
      for (int64_t j = j0; j < j1; ++j) {
        const int64_t u = b * H + j;
        const T* act = acts + b * 4 * H + j;
        const cell::GruActs<T> s{act[0], act[H], act[2 * H], act[3 * H]};
        const T dh = dy[b * lddy + j] + (dh_in ? dh_in[u] : T(0));
        const cell::GruGrads<T> g = cell::gru_backward(s, h_prev[b * ldhp + j], dh);
        T* gx = dgates_x + b * ldgx + j;
        T* gh = dgates_h + b * ldgh + j;
        gx[0] = gh[0] = g.d_r;
        gx[H] = gh[H] = g.d_z;
        gx[2 * H] = g.dx_n;
        gh[2 * H] = g.dh_n;
        dh_out[u] = g.dh_prev;
      }
    }
  });
}

#define RECUR_INSTANTIATE_POINTWISE(T)                                                            \
  template void CpuExecutor<T>::rnn_forward_pass(int, bool, int64_t, int64_t, const T*, int64_t,  \
                                                 const T*, const T*, const T*, T*, int64_t);      \
  template void CpuExecutor<T>::lstm_forward_pass(int, bool, int64_t, int64_t, const T*, int64_t, \
                                                  const T*, const T*, const T*, const T*, T*, T*, \
                                                  int64_t, T*);                                   \
  template void CpuExecutor<T>::gru_forward_pass(int, bool, int64_t, int64_t, const T*, int64_t,  \
                                                 const T*, const T*, const T*, const T*, int64_t, \
                                                 T*, int64_t, T*);                                \
  template void CpuExecutor<T>::rnn_backward_pass(int, bool, int64_t, int64_t, const T*, int64_t, \
                                                  const T*, int64_t, const T*, T*, int64_t);      \
  template void CpuExecutor<T>::lstm_backward_pass(int, int64_t, int64_t, const T*, const T*,     \
                                                   const T*, const T*, int64_t, const T*,         \
                                                   const T*, T*, int64_t, T*);                    \
  template void CpuExecutor<T>::gru_backward_pass(int, int64_t, int64_t, const T*, const T*,      \
                                                  int64_t, const T*, int64_t, const T*, T*,       \
                                                  int64_t, T*, int64_t, T*);

RECUR_INSTANTIATE_POINTWISE(float)
RECUR_INSTANTIATE_POINTWISE(double)

#undef RECUR_INSTANTIATE_POINTWISE

}  // namespace recur::cpu
