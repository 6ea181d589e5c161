// The pointwise math of every cell, forward and backward, for one hidden unit of one batch row.
// Shared by the CPU executor and the CUDA kernels (RECUR_HOST_DEVICE), so both run the same
// arithmetic; cpu_reference/ has its own independent reading of the same equations.
//
// Naming: `x_*` are the input projection's pre-activations (W_ih x + b_ih), `h_*` the recurrent
// ones (W_hh h + b_hh). Backward functions take the activations saved by the forward and return
// gradients with respect to the pre-activations (`dx_*` for the W_ih side, `dh_*` for the W_hh
// side; they differ only in GRU's n gate). Derivatives are written in terms of the saved
// activations, never by recomputing the non-linearity's input.
#pragma once

#include <cmath>

#include "recur/hostdevice.h"

namespace recur::cell {

RECUR_HOST_DEVICE inline float sigmoid(float x) {
  return 1.0f / (1.0f + expf(-x));
}
RECUR_HOST_DEVICE inline double sigmoid(double x) {
  return 1.0 / (1.0 + exp(-x));
}
RECUR_HOST_DEVICE inline float tanh_(float x) {
  return tanhf(x);
}
RECUR_HOST_DEVICE inline double tanh_(double x) {
  return tanh(x);
}

// ---- vanilla RNN: h = act(x + h_pre) ----

template <class T>
RECUR_HOST_DEVICE inline T rnn_tanh_forward(T x, T h) {
  return tanh_(x + h);
}
template <class T>
RECUR_HOST_DEVICE inline T rnn_relu_forward(T x, T h) {
  const T a = x + h;
  return a > T(0) ? a : T(0);
}
// Gradient w.r.t. the pre-activation, from the output h_out and dL/dh_out.
template <class T>
RECUR_HOST_DEVICE inline T rnn_tanh_backward(T h_out, T dh) {
  return dh * (T(1) - h_out * h_out);
}
template <class T>
RECUR_HOST_DEVICE inline T rnn_relu_backward(T h_out, T dh) {
  return h_out > T(0) ? dh : T(0);
}

// ---- LSTM, gate order i, f, g, o ----

template <class T>
struct LstmActs {
  T i, f, g, o;
};

// a_k = x_k + h_k for k in i, f, g, o. Returns the activations; writes c and h.
template <class T>
RECUR_HOST_DEVICE inline LstmActs<T> lstm_forward(T a_i, T a_f, T a_g, T a_o, T c_prev, T* c,
                                                  T* h) {
  LstmActs<T> s{sigmoid(a_i), sigmoid(a_f), tanh_(a_g), sigmoid(a_o)};
  *c = s.f * c_prev + s.i * s.g;
  *h = s.o * tanh_(*c);
  return s;
}

template <class T>
struct LstmGrads {
  T d_i, d_f, d_g, d_o;  // w.r.t. the pre-activations (same for the x and h sides)
  T dc_prev;
};

// dh: dL/dh_t (from the output and from step t+1); dc: dL/dc_t from step t+1.
template <class T>
RECUR_HOST_DEVICE inline LstmGrads<T> lstm_backward(const LstmActs<T>& s, T c, T c_prev, T dh,
                                                    T dc) {
  const T tc = tanh_(c);
  const T dct = dc + dh * s.o * (T(1) - tc * tc);
  LstmGrads<T> g;
  g.d_o = dh * tc * s.o * (T(1) - s.o);
  g.d_i = dct * s.g * s.i * (T(1) - s.i);
  g.d_f = dct * c_prev * s.f * (T(1) - s.f);
  g.d_g = dct * s.i * (T(1) - s.g * s.g);
  g.dc_prev = dct * s.f;
  return g;
}

// ---- GRU, gate order r, z, n: n = tanh(x_n + r * h_n), h' = (1 - z) * n + z * h ----

template <class T>
struct GruActs {
  T r, z, n;
  T h_n;  // the recurrent pre-activation of n (W_hn h + b_hn), needed by backward
};

template <class T>
RECUR_HOST_DEVICE inline GruActs<T> gru_forward(T x_r, T x_z, T x_n, T h_r, T h_z, T h_n, T h_prev,
                                                T* h) {
  GruActs<T> s;
  s.r = sigmoid(x_r + h_r);
  s.z = sigmoid(x_z + h_z);
  s.n = tanh_(x_n + s.r * h_n);
  s.h_n = h_n;
  *h = (T(1) - s.z) * s.n + s.z * h_prev;
  return s;
}

template <class T>
struct GruGrads {
  T d_r, d_z;  // same for the x and h sides
  T dx_n;      // w.r.t. x_n
  T dh_n;      // w.r.t. h_n (= dx_n * r)
  T dh_prev;   // the direct path h' -> h (the W_hh path is added by the GEMM)
};

template <class T>
RECUR_HOST_DEVICE inline GruGrads<T> gru_backward(const GruActs<T>& s, T h_prev, T dh) {
  GruGrads<T> g;
  const T dn = dh * (T(1) - s.z);
  const T dz = dh * (h_prev - s.n);
  g.dx_n = dn * (T(1) - s.n * s.n);
  g.dh_n = g.dx_n * s.r;
  g.d_r = g.dx_n * s.h_n * s.r * (T(1) - s.r);
  g.d_z = dz * s.z * (T(1) - s.z);
  g.dh_prev = dh * s.z;
  return g;
}

}  // namespace recur::cell
