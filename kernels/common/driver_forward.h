// The forward time loop. Per layer and direction (one lane each): one GEMM projects the input
// of all T steps for all gates; then per step one recurrent GEMM over the concatenated gates
// (accumulated onto that projection, except for GRU) and one fused pointwise pass, which writes h_t
// straight into the layer output Y_l at column offset d*H (row stride D*H), where the next step's
// GEMM reads it back. No copies per step.
#pragma once

#include "kernels/common/driver.h"
#include "kernels/common/driver_layout.h"
#include "kernels/common/executor.h"
#include "kernels/common/gemm.h"

namespace recur::driver::detail {

// Y = X · W^T for all T*B rows: [T*B, In] x [G*H, In]^T -> [T*B, G*H].
inline GemmDesc input_projection_desc(const Dims& d, int64_t in) {
  GemmDesc g;
  g.trans_b = true;
  g.m = d.T * d.B;
  g.n = d.GH;
  g.k = in;
  g.lda = in;
  g.ldb = in;
  g.ldc = d.GH;
  return g;
}

// h_prev · W_hh^T: [B, H] (row stride ld_h) x [G*H, H]^T -> [B, G*H]; beta = 1 adds it to
// the step's input projection in place.
inline GemmDesc recurrent_desc(const Dims& d, int64_t ld_h, double beta) {
  GemmDesc g;
  g.trans_b = true;
  g.m = d.B;
  g.n = d.GH;
  g.k = d.H;
  g.lda = ld_h;
  g.ldb = d.H;
  g.ldc = d.GH;
  g.beta = beta;
  return g;
}

// What one lane needs to run one direction of one layer forward.
template <class T>
struct ForwardDir {
  const Dims* d;
  const RnnSpec* spec;
  bool training;
  int64_t layer, dir;
  DirParams<T> p;
  const T* x;   // layer input [T, B, In]
  T* y;         // layer output [T, B, D*H]
  const T* h0;  // [B, H]: given or zeros
  const T* c0;  // [B, H]: given or zeros (LSTM)
  bool h0_given;
  T* h_n;      // [B, H]
  T* c_n;      // [B, H] (LSTM)
  T* acts;     // training: [T, B, A*H]
  T* c_saved;  // training LSTM: [T, B, H]
  ForwardLane<T> lane;
};

template <class E>
void forward_direction(E& ex, const ForwardDir<typename E::value_type>& f) {
  using T = typename E::value_type;
  const Dims& d = *f.d;
  const int lane = static_cast<int>(f.dir);
  const int64_t B = d.B, H = d.H, GH = d.GH, DH = d.DH;

  ex.gemm(lane, input_projection_desc(d, d.in(f.layer)), f.x, f.p.w_ih, f.lane.xproj);

  for (int64_t s = 0; s < d.T; ++s) {
    const int64_t t = d.time(f.dir, s);
    const int64_t tp = d.prev_time(f.dir, s);
    const T* h_prev = s == 0 ? f.h0 : f.y + tp * B * DH + f.dir * H;
    const int64_t ld_prev = s == 0 ? H : DH;
    // The recurrent product. RNN and LSTM only need the sum of the two projections, so the
    // GEMM adds it onto the step's rows of xproj (beta = 1) and the pass gets hproj == null:
    // no separate [B, G*H] result to clear and read back. GRU needs W_hn h apart (it is
    // scaled by r), so it gets its own hproj. With no h0 the first product is zero and skipped.
    T* xproj = f.lane.xproj + t * B * GH;
    const T* hproj = nullptr;
    if (s > 0 || f.h0_given) {
      if (d.gru) {
        ex.gemm(lane, recurrent_desc(d, ld_prev, 0.0), h_prev, f.p.w_hh, f.lane.hproj);
        hproj = f.lane.hproj;
      } else {
        ex.gemm(lane, recurrent_desc(d, ld_prev, 1.0), h_prev, f.p.w_hh, xproj);
      }
    }
    T* h_out = f.y + t * B * DH + f.dir * H;
    T* acts = f.training ? f.acts + t * B * d.A * H : nullptr;
    switch (f.spec->cell) {
      case Cell::RNN_TANH:
      case Cell::RNN_RELU:
        ex.rnn_forward_pass(lane, f.spec->cell == Cell::RNN_RELU, B, H, xproj, GH, hproj, f.p.b_ih,
                            f.p.b_hh, h_out, DH);
        break;
      case Cell::LSTM: {
        // Training keeps every c_t; inference runs one buffer in place and writes the last
        // step straight into c_n.
        const T* c_prev = s == 0 ? f.c0 : f.training ? f.c_saved + tp * B * H : f.lane.c;
        T* c_out = f.training ? f.c_saved + t * B * H : s == d.T - 1 ? f.c_n : f.lane.c;
        ex.lstm_forward_pass(lane, f.training, B, H, xproj, GH, hproj, f.p.b_ih, f.p.b_hh, c_prev,
                             c_out, h_out, DH, acts);
        break;
      }
      case Cell::GRU:
        ex.gru_forward_pass(lane, f.training, B, H, xproj, GH, hproj, f.p.b_ih, f.p.b_hh, h_prev,
                            ld_prev, h_out, DH, acts);
        break;
    }
  }

  const int64_t t_last = d.time(f.dir, d.T - 1);
  ex.copy_2d(lane, B, H, f.y + t_last * B * DH + f.dir * H, DH, f.h_n, H);
  if (d.lstm && f.training) ex.copy_2d(lane, B, H, f.c_saved + t_last * B * H, H, f.c_n, H);
}

}  // namespace recur::driver::detail

namespace recur::driver {

template <class E>
void forward(E& ex, const ForwardArgs<typename E::value_type>& a) {
  using T = typename E::value_type;
  const RnnSpec& spec = a.spec;
  const detail::Dims d(spec, a.steps, a.batch);
  RECUR_CHECK(static_cast<int64_t>(a.params.size()) == d.L * d.D,
              "driver: {} parameter sets for {} layers x {} directions", a.params.size(), d.L, d.D);
  RECUR_CHECK(a.input && a.output && a.h_n && (!d.lstm || a.c_n),
              "driver: forward needs input, output, h_n (and c_n for LSTM)");
  RECUR_CHECK(!a.training || a.saved, "driver: a training forward needs the saved region");
  const int64_t B = d.B, H = d.H, DH = d.DH;
  const int64_t rows = d.T * B;

  auto buffer = ex.alloc(detail::ForwardScratch<T>(spec, d, a.training, nullptr).elems);
  const detail::ForwardScratch<T> sc(spec, d, a.training, buffer.data());
  const detail::SavedLayout<T> saved(d, a.training ? a.saved : nullptr);

  if (!a.h0 || (d.lstm && !a.c0)) ex.fill(kMainLane, B * H, T(0), sc.zeros);
  const T* x = a.input;
  if (spec.batch_first) {
    ex.transpose_01(kMainLane, B, d.T, d.I, a.input, sc.input);
    x = sc.input;
  }

  T* y = nullptr;
  for (int64_t l = 0; l < d.L; ++l) {
    const bool top = l == d.L - 1;
    // Where Y_l lives: the saved region when training, else the output itself when it is
    // seq-major and this is the top layer, else one of two alternating scratch buffers.
    if (a.training) {
      y = saved.y[l];
    } else if (top && !spec.batch_first) {
      y = a.output;
    } else {
      y = sc.y[l % 2];
    }
    ex.parallel_lanes(static_cast<int>(d.D), [&](int lane) {
      const int64_t dir = lane;
      const int64_t i = d.ld(l, dir);
      detail::ForwardDir<T> f{};
      f.d = &d;
      f.spec = &spec;
      f.training = a.training;
      f.layer = l;
      f.dir = dir;
      f.p = a.params[i];
      f.x = x;
      f.y = y;
      f.h0 = a.h0 ? a.h0 + i * B * H : sc.zeros;
      f.c0 = a.c0 ? a.c0 + i * B * H : sc.zeros;
      f.h0_given = a.h0 != nullptr;
      f.h_n = a.h_n + i * B * H;
      f.c_n = d.lstm ? a.c_n + i * B * H : nullptr;
      f.acts = a.training ? saved.acts[i] : nullptr;
      f.c_saved = a.training ? saved.c[i] : nullptr;
      f.lane = sc.lane[dir];
      detail::forward_direction(ex, f);
    });
    if (!top) {
      if (a.training && spec.dropout > 0) {
        ex.dropout(kMainLane, a.dropout_seed, l, spec.dropout, rows * DH, y, sc.dropped);
        x = sc.dropped;
      } else {
        x = y;
      }
    }
  }

  if (spec.batch_first) {
    ex.transpose_01(kMainLane, d.T, B, DH, y, a.output);
  } else if (y != a.output) {
    ex.copy_2d(kMainLane, rows, DH, y, DH, a.output, DH);
  }
}

}  // namespace recur::driver
