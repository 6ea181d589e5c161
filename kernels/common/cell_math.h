// The pointwise math of every cell, forward and backward, for one hidden unit of one batch row.
// Shared by the CPU executor and the CUDA kernels (RECUR_HOST_DEVICE) through the step bodies
// of cell_step.h, so both run the same arithmetic; cpu_reference/ has its own independent
// reading of the same equations.
//
// Naming: `x_*` are the input projection's pre-activations (W_ih x + b_ih), `hh_*` the
// recurrent ones (W_hh h + b_hh), `a_*` their sum where a gate sees only the sum. Backward
// functions take the activations saved by the forward and return gradients with respect to the
// pre-activations: `da_*` where both sides share one, `dx_n` / `dhh_n` for GRU's n gate, whose
// two sides differ. Derivatives are written in terms of the saved activations (the named
// helpers below), never by recomputing the non-linearity's input.
//
// The functions are templates over the value type, so the CPU executor also instantiates them
// on its vector types: every non-linearity and every branch goes through the overloadable
// helpers sigmoid, tanh_, relu_ and pass_if_positive (found by argument-dependent lookup for a
// vector type), never through `?:` on a value.
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
// max(x, 0), NaN staying NaN.
template <class T>
RECUR_HOST_DEVICE inline T relu_(T x) {
  return x > T(0) ? x : x == x ? T(0) : x;
}
// `value` where `y > 0`, else 0: the ReLU's gradient gate (PyTorch's: 0 at exactly 0, and 0
// where y is NaN).
template <class T>
RECUR_HOST_DEVICE inline T pass_if_positive(T y, T value) {
  return y > T(0) ? value : T(0);
}

// Derivatives from the activation's output y.
template <class T>
RECUR_HOST_DEVICE inline T d_sigmoid_from_output(T y) {
  return y * (T(1) - y);
}
template <class T>
RECUR_HOST_DEVICE inline T d_tanh_from_output(T y) {
  return T(1) - y * y;
}

// ---- vanilla RNN: h = act(x + hh) ----

template <class T>
RECUR_HOST_DEVICE inline T rnn_tanh_forward(T x, T hh) {
  return tanh_(x + hh);
}
template <class T>
RECUR_HOST_DEVICE inline T rnn_relu_forward(T x, T hh) {
  return relu_(x + hh);
}
// Gradient w.r.t. the pre-activation, from the output h_out and dL/dh_out.
template <class T>
RECUR_HOST_DEVICE inline T rnn_tanh_backward(T h_out, T dh) {
  return dh * d_tanh_from_output(h_out);
}
template <class T>
RECUR_HOST_DEVICE inline T rnn_relu_backward(T h_out, T dh) {
  return pass_if_positive(h_out, dh);
}

// ---- LSTM, gate order i, f, g, o ----

template <class T>
struct LstmActs {
  T i, f, g, o;
};

// a_k = x_k + hh_k for k in i, f, g, o. Returns the activations; writes c and h.
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
  T da_i, da_f, da_g, da_o;  // w.r.t. the pre-activations (the same for the x and hh sides)
  T dc_prev;
};

// dh: dL/dh_t (from the output and from step t+1); dc: dL/dc_t from step t+1.
template <class T>
RECUR_HOST_DEVICE inline LstmGrads<T> lstm_backward(const LstmActs<T>& s, T c, T c_prev, T dh,
                                                    T dc) {
  const T tc = tanh_(c);
  const T dc_total = dc + dh * s.o * d_tanh_from_output(tc);
  LstmGrads<T> g;
  g.da_o = dh * tc * d_sigmoid_from_output(s.o);
  g.da_i = dc_total * s.g * d_sigmoid_from_output(s.i);
  g.da_f = dc_total * c_prev * d_sigmoid_from_output(s.f);
  g.da_g = dc_total * s.i * d_tanh_from_output(s.g);
  g.dc_prev = dc_total * s.f;
  return g;
}

// ---- GRU, gate order r, z, n: n = tanh(x_n + r * hh_n), h' = (1 - z) * n + z * h ----

template <class T>
struct GruActs {
  T r, z, n;
  T hh_n;  // the recurrent pre-activation of n (W_hn h + b_hn), needed by backward
};

template <class T>
RECUR_HOST_DEVICE inline GruActs<T> gru_forward(T x_r, T x_z, T x_n, T hh_r, T hh_z, T hh_n,
                                                T h_prev, T* h) {
  GruActs<T> s;
  s.r = sigmoid(x_r + hh_r);
  s.z = sigmoid(x_z + hh_z);
  s.n = tanh_(x_n + s.r * hh_n);
  s.hh_n = hh_n;
  *h = (T(1) - s.z) * s.n + s.z * h_prev;
  return s;
}

template <class T>
struct GruGrads {
  T da_r, da_z;  // the same for the x and hh sides
  T dx_n;        // w.r.t. x_n
  T dhh_n;       // w.r.t. hh_n (= dx_n * r)
  T dh_prev;     // the direct path h' -> h (the W_hh path is added by the GEMM)
};

template <class T>
RECUR_HOST_DEVICE inline GruGrads<T> gru_backward(const GruActs<T>& s, T h_prev, T dh) {
  GruGrads<T> g;
  const T dn = dh * (T(1) - s.z);
  const T dz = dh * (h_prev - s.n);
  g.dx_n = dn * d_tanh_from_output(s.n);
  g.dhh_n = g.dx_n * s.r;
  g.da_r = g.dx_n * s.hh_n * d_sigmoid_from_output(s.r);
  g.da_z = dz * d_sigmoid_from_output(s.z);
  g.dh_prev = dh * s.z;
  return g;
}

}  // namespace recur::cell
