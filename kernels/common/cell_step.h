// One description of each cell's fused pointwise step, and the per-unit body that runs it, for
// both executors. The driver (driver_forward.h, driver_backward.h) fills one of the structs
// below per step and direction and hands it to the executor's `run_step`; the CPU executor
// calls `step::unit` over blocks of units on its threads (with scalar or vector I/O), the CUDA
// executor launches it as one thread per unit (kernels/cuda/steps.cu). So the index
// arithmetic, the bias terms, the gate math and the layout of the saved activations exist
// here only; cell_math.h holds the math of one unit.
//
// Conventions (shared with kernels/common/executor.h):
// * T is the scalar type (float or double); every pointer is in the executor's memory, row
//   major; sizes and strides count elements. A step covers the units (b, j), b < B, j < H.
// * Gate k's column of unit j in a [B, G*H] matrix is k*H + j (LSTM i, f, g, o; GRU r, z, n).
// * "nullable" means "all zeros"; every other pointer is non-null.
// * Outputs never alias inputs unless a comment says "may alias" (then exactly the same
//   pointer and stride: each unit reads its own element before writing it).
// * Pre-activations: the x side of gate k is xproj[b*ldx + k*H + j] + b_ih[k*H + j], the
//   recurrent side hproj[b*G*H + k*H + j] + b_hh[k*H + j]; biases [G*H] and hproj [B, G*H]
//   dense are nullable (no bias; no recurrent product because h_prev is zero, or, for RNN and
//   LSTM, because the driver already added it onto xproj).
//
// The driver does not name the step types: it describes each step by what it has at that point
// (ForwardContext, BackwardContext below, the same for every cell) and `run_forward` /
// `run_backward` choose the cell's step, and `traits` says how a cell uses the driver's
// buffers. So a new elementwise cell is: its row in recur/cell.h, its math in cell_math.h, its
// steps here (struct, `unit`, an entry in RECUR_FOR_EACH_STEP, `traits`, a case in each
// `run_*`), and its oracle in cpu_reference/ref_cells.cpp (docs/DESIGN.md, "Adding a cell").
#pragma once

#include <cstdint>

#include "kernels/common/cell_math.h"
#include "recur/cell.h"
#include "recur/hostdevice.h"

namespace recur::step {

// Saved activations per unit of a training forward, [T, B, kActs*H] per layer and direction.
constexpr int64_t kLstmActs = 4;  // i, f, g, o at columns 0, H, 2H, 3H
constexpr int64_t kGruActs = 4;   // r, z, n, hh_n at columns 0, H, 2H, 3H

// Rough multiply-add equivalents of one unit of a pass (measured with the CPU executor's AVX2
// bodies: about 3.5 ns per unit forward, 1.6 backward, at ~30 multiply-adds per ns for a GEMM):
// how the CPU executor decides how many threads a pass pays for.
constexpr double kForwardUnitCost = 100;
constexpr double kBackwardUnitCost = 50;

// ---- the steps ----

// What every forward step reads: the x and recurrent sides of its G gates' pre-activations.
template <class T>
struct GateInputs {
  int64_t B = 0, H = 0;
  const T* xproj = nullptr;  // [B, G*H], row stride ldx
  int64_t ldx = 0;
  const T* hproj = nullptr;  // [B, G*H] dense, nullable
  const T* b_ih = nullptr;   // [G*H], nullable
  const T* b_hh = nullptr;   // [G*H], nullable
};

// What every backward step reads, in the order the driver walks back: dy is dL/dh_t from the
// layer output, dh_in dL/dh_t from the step after (through W_hh), so dh = dy + dh_in. Each step
// writes the gradients w.r.t. its pre-activations ("dgates").
template <class T>
struct OutputGrads {
  int64_t B = 0, H = 0;
  const T* dy = nullptr;  // [B, H], row stride lddy
  int64_t lddy = 0;
  const T* dh_in = nullptr;  // [B, H] dense, nullable
};

// h_out = act(x + hh), act tanh or (relu) ReLU.
template <class T>
struct RnnForward : GateInputs<T> {
  using value_type = T;
  static constexpr double kUnitCost = kForwardUnitCost;
  bool relu = false;
  T* h_out = nullptr;  // [B, H], row stride ldh
  int64_t ldh = 0;
};

// cell::lstm_forward on a_k = x_k + hh_k; acts written when given (training).
template <class T>
struct LstmForward : GateInputs<T> {
  using value_type = T;
  static constexpr double kUnitCost = kForwardUnitCost;
  const T* c_prev = nullptr;  // [B, H] dense
  T* c_out = nullptr;         // [B, H] dense; may alias c_prev
  T* h_out = nullptr;         // [B, H], row stride ldh
  int64_t ldh = 0;
  T* acts = nullptr;  // [B, kLstmActs*H] dense, nullable (inference: not written)
};

// cell::gru_forward on the biased x and hh pre-activations; acts written when given.
template <class T>
struct GruForward : GateInputs<T> {
  using value_type = T;
  static constexpr double kUnitCost = kForwardUnitCost;
  const T* h_prev = nullptr;  // [B, H], row stride ldhp; never aliases h_out
  int64_t ldhp = 0;
  T* h_out = nullptr;  // [B, H], row stride ldh
  int64_t ldh = 0;
  T* acts = nullptr;  // [B, kGruActs*H] dense, nullable (inference: not written)
};

// dgates = the RNN's backward from this step's forward output h_out.
template <class T>
struct RnnBackward : OutputGrads<T> {
  using value_type = T;
  static constexpr double kUnitCost = kBackwardUnitCost;
  bool relu = false;
  const T* h_out = nullptr;  // [B, H], row stride ldh
  int64_t ldh = 0;
  T* dgates = nullptr;  // [B, H], row stride ldg
  int64_t ldg = 0;
};

// cell::lstm_backward; dgates gets da_i, da_f, da_g, da_o, dc_out dL/dc_{t-1}.
template <class T>
struct LstmBackward : OutputGrads<T> {
  using value_type = T;
  static constexpr double kUnitCost = kBackwardUnitCost;
  const T* acts = nullptr;    // [B, kLstmActs*H] dense, as the forward saved them
  const T* c = nullptr;       // [B, H] dense: c_t
  const T* c_prev = nullptr;  // [B, H] dense: c_{t-1}
  const T* dc_in = nullptr;   // [B, H] dense, nullable: dL/dc_t from the step after
  T* dgates = nullptr;        // [B, 4H], row stride ldg
  int64_t ldg = 0;
  T* dc_out = nullptr;  // [B, H] dense; may alias dc_in
};

// cell::gru_backward; dgates_x gets da_r, da_z, dx_n (the W_ih side), dgates_h da_r, da_z,
// dhh_n (the W_hh side), dh_out the direct path dh_prev = z * dh (the driver then adds
// dgates_h · W_hh with a beta = 1 GEMM).
template <class T>
struct GruBackward : OutputGrads<T> {
  using value_type = T;
  static constexpr double kUnitCost = kBackwardUnitCost;
  const T* acts = nullptr;    // [B, kGruActs*H] dense, as the forward saved them
  const T* h_prev = nullptr;  // [B, H], row stride ldhp
  int64_t ldhp = 0;
  T* dgates_x = nullptr;  // [B, 3H], row stride ldgx
  int64_t ldgx = 0;
  T* dgates_h = nullptr;  // [B, 3H], row stride ldgh
  int64_t ldgh = 0;
  T* dh_out = nullptr;  // [B, H] dense; may alias dh_in
};

// Every step type for one scalar type: X(step type) for each.
#define RECUR_FOR_EACH_STEP(X, T)  \
  X(::recur::step::RnnForward<T>)  \
  X(::recur::step::LstmForward<T>) \
  X(::recur::step::GruForward<T>)  \
  X(::recur::step::RnnBackward<T>) \
  X(::recur::step::LstmBackward<T>) X(::recur::step::GruBackward<T>)

// ---- how the driver runs them ----

// How a cell's steps use the driver's buffers.
struct StepTraits {
  int64_t saved_acts;    // activations a training forward saves per unit (the acts width / H)
  bool recurrent_apart;  // forward: reads W_hh h apart (hproj), not summed onto xproj;
                         // backward: writes separate h-side gradients (dgates_h) and the
                         // direct path dh_out, to which the driver's dh GEMM adds (beta = 1)
};

constexpr StepTraits traits(Cell cell) {
  switch (cell) {
    case Cell::RNN_TANH:
    case Cell::RNN_RELU:
      return {0, false};
    case Cell::LSTM:
      return {kLstmActs, false};
    case Cell::GRU:
      return {kGruActs, true};
  }
  return {0, false};
}

// What the driver has at one forward step of one direction, whatever the cell (each pointer
// is documented at the step that reads it; a cell's step takes the ones it needs). h_prev is
// the previous step's output (or h0), c_prev / c_out the cell state (cells with one).
template <class T>
struct ForwardContext : GateInputs<T> {
  const T* h_prev = nullptr;
  int64_t ldhp = 0;
  const T* c_prev = nullptr;
  T* c_out = nullptr;
  T* h_out = nullptr;
  int64_t ldh = 0;
  T* acts = nullptr;
};

// Likewise for one backward step. dgates_h is dgates_x unless the cell's recurrent_apart;
// c, c_prev, dc_in, dc_out are the cell state's (cells with one).
template <class T>
struct BackwardContext : OutputGrads<T> {
  const T* acts = nullptr;
  const T* h_out = nullptr;
  int64_t ldh = 0;
  const T* h_prev = nullptr;
  int64_t ldhp = 0;
  const T* c = nullptr;
  const T* c_prev = nullptr;
  const T* dc_in = nullptr;
  T* dgates_x = nullptr;
  T* dgates_h = nullptr;
  int64_t ldg = 0;
  T* dh_out = nullptr;
  T* dc_out = nullptr;
};

// Each cell's step built from a context: what run_forward / run_backward hand the executor,
// and what the persistent kernels (kernels/cuda/persistent.cu), which run one cell's steps
// inside one kernel, build on the device.
template <class T>
RECUR_HOST_DEVICE inline RnnForward<T> make_rnn_forward(const ForwardContext<T>& c, bool relu) {
  RnnForward<T> s;
  static_cast<GateInputs<T>&>(s) = c;
  s.relu = relu;
  s.h_out = c.h_out, s.ldh = c.ldh;
  return s;
}
template <class T>
RECUR_HOST_DEVICE inline LstmForward<T> make_lstm_forward(const ForwardContext<T>& c) {
  LstmForward<T> s;
  static_cast<GateInputs<T>&>(s) = c;
  s.c_prev = c.c_prev, s.c_out = c.c_out;
  s.h_out = c.h_out, s.ldh = c.ldh, s.acts = c.acts;
  return s;
}
template <class T>
RECUR_HOST_DEVICE inline GruForward<T> make_gru_forward(const ForwardContext<T>& c) {
  GruForward<T> s;
  static_cast<GateInputs<T>&>(s) = c;
  s.h_prev = c.h_prev, s.ldhp = c.ldhp;
  s.h_out = c.h_out, s.ldh = c.ldh, s.acts = c.acts;
  return s;
}
template <class T>
RECUR_HOST_DEVICE inline RnnBackward<T> make_rnn_backward(const BackwardContext<T>& c, bool relu) {
  RnnBackward<T> s;
  static_cast<OutputGrads<T>&>(s) = c;
  s.relu = relu;
  s.h_out = c.h_out, s.ldh = c.ldh;
  s.dgates = c.dgates_x, s.ldg = c.ldg;
  return s;
}
template <class T>
RECUR_HOST_DEVICE inline LstmBackward<T> make_lstm_backward(const BackwardContext<T>& c) {
  LstmBackward<T> s;
  static_cast<OutputGrads<T>&>(s) = c;
  s.acts = c.acts, s.c = c.c, s.c_prev = c.c_prev, s.dc_in = c.dc_in;
  s.dgates = c.dgates_x, s.ldg = c.ldg, s.dc_out = c.dc_out;
  return s;
}
template <class T>
RECUR_HOST_DEVICE inline GruBackward<T> make_gru_backward(const BackwardContext<T>& c) {
  GruBackward<T> s;
  static_cast<OutputGrads<T>&>(s) = c;
  s.acts = c.acts, s.h_prev = c.h_prev, s.ldhp = c.ldhp;
  s.dgates_x = c.dgates_x, s.ldgx = c.ldg;
  s.dgates_h = c.dgates_h, s.ldgh = c.ldg, s.dh_out = c.dh_out;
  return s;
}

// Runs the forward step of `cell` on executor E's lane.
template <class E, class T>
void run_forward(E& ex, int lane, Cell cell, const ForwardContext<T>& c) {
  switch (cell) {
    case Cell::RNN_TANH:
    case Cell::RNN_RELU:
      return ex.run_step(lane, make_rnn_forward(c, cell == Cell::RNN_RELU));
    case Cell::LSTM:
      return ex.run_step(lane, make_lstm_forward(c));
    case Cell::GRU:
      return ex.run_step(lane, make_gru_forward(c));
  }
}

// Runs the backward step of `cell` on executor E's lane.
template <class E, class T>
void run_backward(E& ex, int lane, Cell cell, const BackwardContext<T>& c) {
  switch (cell) {
    case Cell::RNN_TANH:
    case Cell::RNN_RELU:
      return ex.run_step(lane, make_rnn_backward(c, cell == Cell::RNN_RELU));
    case Cell::LSTM:
      return ex.run_step(lane, make_lstm_backward(c));
    case Cell::GRU:
      return ex.run_step(lane, make_gru_backward(c));
  }
}

// ---- element I/O ----

// An I/O policy moves one value of type V (a scalar, or a vector of consecutive units) between
// memory and registers: `V load(const S*)`, `void store(S*, V)`, `V zero()`. This one is the
// scalar policy of the CUDA kernels and the CPU's scalar path.
template <class T>
struct ScalarIo {
  RECUR_HOST_DEVICE T load(const T* p) const { return *p; }
  RECUR_HOST_DEVICE void store(T* p, T v) const { *p = v; }
  RECUR_HOST_DEVICE T zero() const { return T(0); }
};

// p[i] when p is given, else zero (the nullable operands).
template <class S, class Io>
RECUR_HOST_DEVICE inline auto load_or_zero(const Io& io, const S* p, int64_t i) {
  return p ? io.load(p + i) : io.zero();
}

// Stores v_0, v_1, ... at p, p + H, p + 2H, ...: one value per gate column of a unit.
template <class S, class Io, class... V>
RECUR_HOST_DEVICE inline void store_gates(const Io& io, S* p, int64_t H, const V&... v) {
  int64_t k = 0;
  (io.store(p + (k++) * H, v), ...);
}

// ---- the per-unit bodies: unit (b, j) of a step, or the vector of units starting there ----

template <class S, class Io>
RECUR_HOST_DEVICE inline void unit(const RnnForward<S>& a, int64_t b, int64_t j, const Io& io) {
  const auto x = io.load(a.xproj + b * a.ldx + j) + load_or_zero(io, a.b_ih, j);
  const auto hh =
      load_or_zero(io, a.hproj ? a.hproj + b * a.H : nullptr, j) + load_or_zero(io, a.b_hh, j);
  S* h_out = a.h_out + b * a.ldh + j;
  if (a.relu) {
    io.store(h_out, cell::rnn_relu_forward(x, hh));
  } else {
    io.store(h_out, cell::rnn_tanh_forward(x, hh));
  }
}

template <class S, class Io>
RECUR_HOST_DEVICE inline void unit(const LstmForward<S>& a, int64_t b, int64_t j, const Io& io) {
  using V = decltype(io.zero());
  const int64_t H = a.H;
  const S* x = a.xproj + b * a.ldx;
  const S* hh = a.hproj ? a.hproj + b * 4 * H : nullptr;
  V pre[4];
  for (int k = 0; k < 4; ++k) {
    const int64_t col = k * H + j;
    pre[k] = (io.load(x + col) + load_or_zero(io, a.b_ih, col)) +
             (load_or_zero(io, hh, col) + load_or_zero(io, a.b_hh, col));
  }
  V c, h;
  const cell::LstmActs<V> s =
      cell::lstm_forward(pre[0], pre[1], pre[2], pre[3], io.load(a.c_prev + b * H + j), &c, &h);
  io.store(a.c_out + b * H + j, c);
  io.store(a.h_out + b * a.ldh + j, h);
  if (a.acts) {
    store_gates(io, a.acts + b * kLstmActs * H + j, H, s.i, s.f, s.g, s.o);
  }
}

template <class S, class Io>
RECUR_HOST_DEVICE inline void unit(const GruForward<S>& a, int64_t b, int64_t j, const Io& io) {
  using V = decltype(io.zero());
  const int64_t H = a.H;
  const S* x = a.xproj + b * a.ldx;
  const S* hh = a.hproj ? a.hproj + b * 3 * H : nullptr;
  V xs[3], hs[3];
  for (int k = 0; k < 3; ++k) {
    const int64_t col = k * H + j;
    xs[k] = io.load(x + col) + load_or_zero(io, a.b_ih, col);
    hs[k] = load_or_zero(io, hh, col) + load_or_zero(io, a.b_hh, col);
  }
  V h;
  const cell::GruActs<V> s = cell::gru_forward(xs[0], xs[1], xs[2], hs[0], hs[1], hs[2],
                                               io.load(a.h_prev + b * a.ldhp + j), &h);
  io.store(a.h_out + b * a.ldh + j, h);
  if (a.acts) {
    store_gates(io, a.acts + b * kGruActs * H + j, H, s.r, s.z, s.n, s.hh_n);
  }
}

template <class S, class Io>
RECUR_HOST_DEVICE inline void unit(const RnnBackward<S>& a, int64_t b, int64_t j, const Io& io) {
  const auto dh =
      io.load(a.dy + b * a.lddy + j) + load_or_zero(io, a.dh_in ? a.dh_in + b * a.H : nullptr, j);
  const auto h = io.load(a.h_out + b * a.ldh + j);
  S* dg = a.dgates + b * a.ldg + j;
  if (a.relu) {
    io.store(dg, cell::rnn_relu_backward(h, dh));
  } else {
    io.store(dg, cell::rnn_tanh_backward(h, dh));
  }
}

template <class S, class Io>
RECUR_HOST_DEVICE inline void unit(const LstmBackward<S>& a, int64_t b, int64_t j, const Io& io) {
  using V = decltype(io.zero());
  const int64_t H = a.H, u = b * H + j;
  const S* act = a.acts + b * kLstmActs * H + j;
  const cell::LstmActs<V> s{io.load(act), io.load(act + H), io.load(act + 2 * H),
                            io.load(act + 3 * H)};
  const V dh = io.load(a.dy + b * a.lddy + j) + load_or_zero(io, a.dh_in, u);
  const cell::LstmGrads<V> g = cell::lstm_backward(s, io.load(a.c + u), io.load(a.c_prev + u), dh,
                                                   load_or_zero(io, a.dc_in, u));
  store_gates(io, a.dgates + b * a.ldg + j, H, g.da_i, g.da_f, g.da_g, g.da_o);
  io.store(a.dc_out + u, g.dc_prev);
}

template <class S, class Io>
RECUR_HOST_DEVICE inline void unit(const GruBackward<S>& a, int64_t b, int64_t j, const Io& io) {
  using V = decltype(io.zero());
  const int64_t H = a.H, u = b * H + j;
  const S* act = a.acts + b * kGruActs * H + j;
  const cell::GruActs<V> s{io.load(act), io.load(act + H), io.load(act + 2 * H),
                           io.load(act + 3 * H)};
  const V dh = io.load(a.dy + b * a.lddy + j) + load_or_zero(io, a.dh_in, u);
  const cell::GruGrads<V> g = cell::gru_backward(s, io.load(a.h_prev + b * a.ldhp + j), dh);
  store_gates(io, a.dgates_x + b * a.ldgx + j, H, g.da_r, g.da_z, g.dx_n);
  store_gates(io, a.dgates_h + b * a.ldgh + j, H, g.da_r, g.da_z, g.dhh_n);
  io.store(a.dh_out + u, g.dh_prev);
}

}  // namespace recur::step
