// The bodies of the CPU pointwise passes, written once over a value type V and an I/O policy:
// V = float or double with scalar I/O (cpu_pointwise.cpp), or an AVX2 vector of 8 or 16 floats
// with full or masked I/O (pointwise_avx2.cpp). Either way the math is cell_math.h's, instantiated
// on V: its templates call sigmoid() and tanh_() unqualified, which for the vector type
// resolve to the vector versions beside it.
//
// An I/O policy provides `V load(const S*)` and `void store(S*, V)` for as many consecutive
// elements as V holds, starting at the pointer (S the scalar type), and `V zero()`.
//
// Include this header in a translation unit only after any `#pragma GCC target` that the
// unit's vector type needs (see pointwise_avx2.cpp).
#pragma once

#include <cstdint>

#include "kernels/common/cell_math.h"
#include "kernels/cpu/pointwise_args.h"

namespace recur::cpu::pointwise {

// p[i] when p is given, else zero (the optional biases, hproj and incoming gradients).
template <class V, class S, class Io>
inline V load_or_zero(const Io& io, const S* p, int64_t i) {
  return p ? io.load(p + i) : io.zero();
}

// The vanilla RNN's activation is a template argument: the ReLU functions of cell_math.h
// branch per element, so only scalar types instantiate them.
template <bool Relu, class V, class S, class Io>
inline void rnn_forward(const RnnForwardArgs<S>& a, int64_t b, int64_t j, const Io& io) {
  const V x = io.load(a.xproj + b * a.ldx + j) + load_or_zero<V>(io, a.b_ih, j);
  const V h = load_or_zero<V>(io, a.hproj ? a.hproj + b * a.H : nullptr, j) +
              load_or_zero<V>(io, a.b_hh, j);
  if constexpr (Relu) {
    io.store(a.h_out + b * a.ldh + j, cell::rnn_relu_forward(x, h));
  } else {
    io.store(a.h_out + b * a.ldh + j, cell::rnn_tanh_forward(x, h));
  }
}

template <class V, class S, class Io>
inline void lstm_forward(const LstmForwardArgs<S>& a, int64_t b, int64_t j, const Io& io) {
  const int64_t H = a.H;
  const S* x = a.xproj + b * a.ldx;
  const S* hp = a.hproj ? a.hproj + b * 4 * H : nullptr;
  V pre[4];
  for (int k = 0; k < 4; ++k) {
    const int64_t u = k * H + j;
    pre[k] = (io.load(x + u) + load_or_zero<V>(io, a.b_ih, u)) +
             (load_or_zero<V>(io, hp, u) + load_or_zero<V>(io, a.b_hh, u));
  }
  V c, h;
  const cell::LstmActs<V> s =
      cell::lstm_forward(pre[0], pre[1], pre[2], pre[3], io.load(a.c_prev + b * H + j), &c, &h);
  io.store(a.c_out + b * H + j, c);
  io.store(a.h_out + b * a.ldh + j, h);
  if (a.training) {
    S* act = a.acts + b * 4 * H + j;
    io.store(act, s.i);
    io.store(act + H, s.f);
    io.store(act + 2 * H, s.g);
    io.store(act + 3 * H, s.o);
  }
}

template <class V, class S, class Io>
inline void gru_forward(const GruForwardArgs<S>& a, int64_t b, int64_t j, const Io& io) {
  const int64_t H = a.H;
  const S* x = a.xproj + b * a.ldx;
  const S* hp = a.hproj ? a.hproj + b * 3 * H : nullptr;
  V xs[3], hs[3];
  for (int k = 0; k < 3; ++k) {
    const int64_t u = k * H + j;
    xs[k] = io.load(x + u) + load_or_zero<V>(io, a.b_ih, u);
    hs[k] = load_or_zero<V>(io, hp, u) + load_or_zero<V>(io, a.b_hh, u);
  }
  V h;
  const cell::GruActs<V> s = cell::gru_forward(xs[0], xs[1], xs[2], hs[0], hs[1], hs[2],
                                               io.load(a.h_prev + b * a.ldhp + j), &h);
  io.store(a.h_out + b * a.ldh + j, h);
  if (a.training) {
    S* act = a.acts + b * 4 * H + j;
    io.store(act, s.r);
    io.store(act + H, s.z);
    io.store(act + 2 * H, s.n);
    io.store(act + 3 * H, s.h_n);
  }
}

template <bool Relu, class V, class S, class Io>
inline void rnn_backward(const RnnBackwardArgs<S>& a, int64_t b, int64_t j, const Io& io) {
  const V dh = io.load(a.dy + b * a.lddy + j) +
               load_or_zero<V>(io, a.dh_in ? a.dh_in + b * a.H : nullptr, j);
  const V h = io.load(a.h_out + b * a.ldh + j);
  if constexpr (Relu) {
    io.store(a.dgates + b * a.ldg + j, cell::rnn_relu_backward(h, dh));
  } else {
    io.store(a.dgates + b * a.ldg + j, cell::rnn_tanh_backward(h, dh));
  }
}

template <class V, class S, class Io>
inline void lstm_backward(const LstmBackwardArgs<S>& a, int64_t b, int64_t j, const Io& io) {
  const int64_t H = a.H, u = b * H + j;
  const S* act = a.acts + b * 4 * H + j;
  const cell::LstmActs<V> s{io.load(act), io.load(act + H), io.load(act + 2 * H),
                            io.load(act + 3 * H)};
  const V dh = io.load(a.dy + b * a.lddy + j) + load_or_zero<V>(io, a.dh_in, u);
  const cell::LstmGrads<V> g = cell::lstm_backward(s, io.load(a.c + u), io.load(a.c_prev + u), dh,
                                                   load_or_zero<V>(io, a.dc_in, u));
  S* dg = a.dgates + b * a.ldg + j;
  io.store(dg, g.d_i);
  io.store(dg + H, g.d_f);
  io.store(dg + 2 * H, g.d_g);
  io.store(dg + 3 * H, g.d_o);
  io.store(a.dc_out + u, g.dc_prev);
}

template <class V, class S, class Io>
inline void gru_backward(const GruBackwardArgs<S>& a, int64_t b, int64_t j, const Io& io) {
  const int64_t H = a.H, u = b * H + j;
  const S* act = a.acts + b * 4 * H + j;
  const cell::GruActs<V> s{io.load(act), io.load(act + H), io.load(act + 2 * H),
                           io.load(act + 3 * H)};
  const V dh = io.load(a.dy + b * a.lddy + j) + load_or_zero<V>(io, a.dh_in, u);
  const cell::GruGrads<V> g = cell::gru_backward(s, io.load(a.h_prev + b * a.ldhp + j), dh);
  S* gx = a.dgates_x + b * a.ldgx + j;
  S* gh = a.dgates_h + b * a.ldgh + j;
  io.store(gx, g.d_r);
  io.store(gh, g.d_r);
  io.store(gx + H, g.d_z);
  io.store(gh + H, g.d_z);
  io.store(gx + 2 * H, g.dx_n);
  io.store(gh + 2 * H, g.dh_n);
  io.store(a.dh_out + u, g.dh_prev);
}

}  // namespace recur::cpu::pointwise
