// How the driver carves its memory: the saved region of a training forward (kept by the
// caller until the backward) and the per-call scratch of forward and backward. The same code
// both sizes (with a null base) and carves, so the two can never disagree.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/common/cell_step.h"
#include "recur/error.h"
#include "recur/rnn.h"

namespace recur::driver::detail {

// Regions start at multiples of 64 elements: 256 bytes for float, enough for any vector load
// and for cuBLAS's preferred alignment.
constexpr int64_t kRegionAlign = 64;

// Hands out consecutive aligned regions of one buffer; with a null base it only counts.
template <class T>
class Carver {
 public:
  explicit Carver(T* base) : base_(base) {}
  T* take(int64_t n) {
    const int64_t at = used_;
    used_ += (n + kRegionAlign - 1) / kRegionAlign * kRegionAlign;
    return base_ ? base_ + at : nullptr;
  }
  int64_t used() const { return used_; }

 private:
  T* base_;
  int64_t used_ = 0;
};

// The letters of a call, spelled out once.
struct Dims {
  int64_t T = 0, B = 0, I = 0, H = 0, G = 0, D = 0, L = 0;
  int64_t P = 0;            // width of h: the LSTM's proj_size with a projection, else H
  int64_t GH = 0;           // G*H: width of one direction's gate pre-activations
  int64_t DP = 0;           // D*P: width of a layer output
  bool proj = false;        // h_t = m_t · W_hr^T with m_t the cell step's output (LSTM)
  int64_t A = 0;            // saved activations per unit (step::traits): 0 for RNN
  bool cell_state = false;  // the cell carries c besides h (LSTM)
  bool apart = false;       // step::traits' recurrent_apart (GRU)
  bool ragged = false;      // a variable-length batch (driver_ragged.h): packed sequence buffers

  Dims(const RnnSpec& spec, int64_t steps, int64_t batch, bool ragged_ = false) {
    spec.validate();
    RECUR_CHECK(steps >= 1 && batch >= 1, "driver: need T >= 1 and B >= 1, got T={} B={}", steps,
                batch);
    T = steps;
    B = batch;
    I = spec.input_size;
    H = spec.hidden_size;
    G = spec.gates();
    D = spec.directions();
    L = spec.num_layers;
    P = spec.state_size();
    proj = spec.proj_size > 0;
    GH = G * H;
    DP = D * P;
    cell_state = spec.has_cell_state();
    apart = step::traits(spec.cell).recurrent_apart;
    A = step::traits(spec.cell).saved_acts;
    ragged = ragged_;
  }
  int64_t in(int64_t layer) const { return layer == 0 ? I : DP; }
  // Index of layer l, direction d in the [L*D] arrays (parameters, h0, h_n, c0, c_n).
  int64_t state_index(int64_t layer, int64_t dir) const { return layer * D + dir; }
  // Time index of the s-th step direction d processes (d = 1 runs backwards in time).
  int64_t time(int64_t dir, int64_t s) const { return dir == 0 ? s : T - 1 - s; }
  // Time index of the step before it (in processing order).
  int64_t prev_time(int64_t dir, int64_t s) const { return dir == 0 ? s - 1 : T - s; }
};

// The saved region: per layer its output Y_l [T, B, D*P]; per layer and direction the
// activations [T, B, A*H] (LSTM, GRU), the cell states c_t [T, B, H] (LSTM) and, with a
// projection, the cell step's outputs m_t [T, B, H] that W_hr projects. A ragged batch uses
// the first N of the T*B rows of each (driver_ragged.h: the packed layout).
template <class T>
struct SavedLayout {
  std::vector<T*> y;     // [L]
  std::vector<T*> acts;  // [L*D], null for RNN
  std::vector<T*> c;     // [L*D], null unless LSTM
  std::vector<T*> m;     // [L*D], null without a projection
  int64_t elems = 0;

  SavedLayout(const Dims& d, T* base) {
    Carver<T> carve(base);
    for (int64_t l = 0; l < d.L; ++l) y.push_back(carve.take(d.T * d.B * d.DP));
    for (int64_t i = 0; i < d.L * d.D; ++i) {
      acts.push_back(d.A > 0 ? carve.take(d.T * d.B * d.A * d.H) : nullptr);
      c.push_back(d.cell_state ? carve.take(d.T * d.B * d.H) : nullptr);
      m.push_back(d.proj ? carve.take(d.T * d.B * d.H) : nullptr);
    }
    elems = carve.used();
  }
};

// Lane-private scratch of the forward: the input projection of every step (to which RNN and
// LSTM add the recurrent product in place), GRU's recurrent product of one step, and
// (inference LSTM) the running cell state and (inference, projection) the step's m_t.
template <class T>
struct ForwardLane {
  T* xproj = nullptr;  // [T*B, G*H]
  T* hproj = nullptr;  // [B, G*H], GRU only
  T* c = nullptr;      // [B, H]
  T* m = nullptr;      // [B, H], projection only
};

template <class T>
struct ForwardScratch {
  T* zeros = nullptr;    // [B, H] of zeros: the missing h0 / c0 (P <= H)
  T* input = nullptr;    // [T, B, I]: the batch-first input, transposed (ragged: packed)
  T* h0 = nullptr;       // [L*D, B, P]: ragged only, h0 in the length order
  T* c0 = nullptr;       // [L*D, B, H]: ragged LSTM only, c0 in the length order
  T* y[2] = {};          // [T, B, D*P] each: inference layer outputs, alternating
  T* dropped = nullptr;  // [T, B, D*P]: a layer output after dropout (training)
  ForwardLane<T> lane[2];
  int64_t elems = 0;

  ForwardScratch(const RnnSpec& spec, const Dims& d, bool training, T* base) {
    Carver<T> carve(base);
    zeros = carve.take(d.B * d.H);
    if (spec.batch_first || d.ragged) input = carve.take(d.T * d.B * d.I);
    if (d.ragged) {
      h0 = carve.take(d.L * d.D * d.B * d.P);
      if (d.cell_state) c0 = carve.take(d.L * d.D * d.B * d.H);
    }
    if (!training && (d.L > 1 || spec.batch_first || d.ragged)) {
      y[0] = carve.take(d.T * d.B * d.DP);
      y[1] = carve.take(d.T * d.B * d.DP);
    }
    if (training && spec.dropout > 0 && d.L > 1) dropped = carve.take(d.T * d.B * d.DP);
    for (int64_t dir = 0; dir < d.D; ++dir) {
      lane[dir].xproj = carve.take(d.T * d.B * d.GH);
      if (d.apart) lane[dir].hproj = carve.take(d.B * d.GH);
      if (d.cell_state && !training) lane[dir].c = carve.take(d.B * d.H);
      if (d.proj && !training) lane[dir].m = carve.take(d.B * d.H);
    }
    elems = carve.used();
  }
};

// Lane-private scratch of the backward: dL/dh and dL/dc flowing from one step to the one
// before it; with a projection instead dL/dh_t of every step (the layer output's part, to
// which each step adds the recurrent part of the step before it) and dL/dm_t of one step;
// ragged batches also gather the h_prev of every step and the h-side gradients of the steps
// that started from h0 (for dW_hh).
template <class T>
struct BackwardLane {
  T* dh = nullptr;         // [B, P], without a projection or ragged
  T* dc = nullptr;         // [B, H], LSTM only
  T* dh_all = nullptr;     // [T*B, P], projection only
  T* dm = nullptr;         // [B, H], projection only
  T* dh_n_rows = nullptr;  // [N, P], ragged projection only: dL/dh_n at each row's last step
  T* h_prev = nullptr;     // [N, P], ragged only
  T* dgates0 = nullptr;    // [B, G*H], ragged only
};

template <class T>
struct BackwardScratch {
  T* zeros = nullptr;     // [B, H] of zeros: the missing h0 / c0 (P <= H)
  T* x = nullptr;         // [T, B, max(I, D*P)]: a layer input that must be rebuilt
  T* dy = nullptr;        // [T, B, D*P]: dL/dY of the current layer
  T* dx0 = nullptr;       // [T, B, I]: dL/dinput, seq-major (batch_first only; ragged: packed)
  T* h0 = nullptr;        // [L*D, B, P]: ragged only, h0 in the length order
  T* c0 = nullptr;        // [L*D, B, H]: ragged LSTM only
  T* dgates_x = nullptr;  // [T*B, D*G*H]: pre-activation gradients, x side (dir d at d*G*H)
  T* dgates_h = nullptr;  // [T*B, D*G*H]: h side; GRU only (the others share dgates_x)
  BackwardLane<T> lane[2];
  int64_t elems = 0;

  BackwardScratch(const RnnSpec& spec, const Dims& d, T* base) {
    Carver<T> carve(base);
    zeros = carve.take(d.B * d.H);
    x = carve.take(d.T * d.B * (d.I > d.DP ? d.I : d.DP));
    dy = carve.take(d.T * d.B * d.DP);
    if (spec.batch_first || d.ragged) dx0 = carve.take(d.T * d.B * d.I);
    if (d.ragged) {
      h0 = carve.take(d.L * d.D * d.B * d.P);
      if (d.cell_state) c0 = carve.take(d.L * d.D * d.B * d.H);
    }
    dgates_x = carve.take(d.T * d.B * d.D * d.GH);
    if (d.apart) dgates_h = carve.take(d.T * d.B * d.D * d.GH);
    for (int64_t dir = 0; dir < d.D; ++dir) {
      if (d.proj) {
        lane[dir].dh_all = carve.take(d.T * d.B * d.P);
        lane[dir].dm = carve.take(d.B * d.H);
        if (d.ragged) lane[dir].dh_n_rows = carve.take(d.T * d.B * d.P);
      }
      // The recurrent dL/dh of one step; with a projection only a ragged batch needs it (each
      // row's dL/dh0, in the length order).
      if (!d.proj || d.ragged) lane[dir].dh = carve.take(d.B * d.P);
      if (d.cell_state) lane[dir].dc = carve.take(d.B * d.H);
      if (d.ragged) {
        lane[dir].h_prev = carve.take(d.T * d.B * d.P);
        lane[dir].dgates0 = carve.take(d.B * d.GH);
      }
    }
    elems = carve.used();
  }
};

}  // namespace recur::driver::detail

namespace recur::driver {

inline int64_t saved_elems(const RnnSpec& spec, int64_t steps, int64_t batch) {
  return detail::SavedLayout<char>(detail::Dims(spec, steps, batch), nullptr).elems;
}
// `ragged`: a variable-length batch (RnnInputs::lengths given), which needs a little more.
inline int64_t forward_scratch_elems(const RnnSpec& spec, int64_t steps, int64_t batch,
                                     bool training, bool ragged = false) {
  const detail::Dims d(spec, steps, batch, ragged);
  return detail::ForwardScratch<char>(spec, d, training, nullptr).elems;
}
inline int64_t backward_scratch_elems(const RnnSpec& spec, int64_t steps, int64_t batch,
                                      bool ragged = false) {
  const detail::Dims d(spec, steps, batch, ragged);
  return detail::BackwardScratch<char>(spec, d, nullptr).elems;
}

}  // namespace recur::driver
