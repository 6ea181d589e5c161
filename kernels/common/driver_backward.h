// The backward time loop (BPTT), the forward's mirror image. Per layer, from the top, and per
// direction (one lane each), walking the steps in reverse processing order: one fused
// pointwise backward pass turns dL/dh_t into the pre-activation gradients dG_t, stored for all
// steps in dG [T*B, D*G*H]; one GEMM carries dG_t back through W_hh into dL/dh_{t-1}. After the
// loop the weight gradients are single GEMMs over all T*B rows and the bias gradients column
// reductions of dG. After both directions (the join), dL/dX of the layer is one GEMM per
// direction, and dropout's mask turns it into dL/dY of the layer below.
#pragma once

#include "kernels/common/driver.h"
#include "kernels/common/driver_layout.h"
#include "kernels/common/executor.h"
#include "kernels/common/gemm.h"

namespace recur::driver::detail {

// dh_prev = dG_t · W_hh: [B, G*H] (row stride D*G*H) x [G*H, H] -> [B, H].
inline GemmDesc dh_prev_desc(const Dims& d, double beta) {
  GemmDesc g;
  g.m = d.B;
  g.n = d.H;
  g.k = d.GH;
  g.lda = d.D * d.GH;
  g.ldb = d.H;
  g.ldc = d.H;
  g.beta = beta;
  return g;
}

// dW [G*H, n] = dG^T · R over `rows` rows: dG [rows, G*H] (row stride D*G*H), R [rows, n]
// (row stride ld_r).
inline GemmDesc weight_grad_desc(const Dims& d, int64_t rows, int64_t n, int64_t ld_r,
                                 double beta) {
  GemmDesc g;
  g.trans_a = true;
  g.m = d.GH;
  g.n = n;
  g.k = rows;
  g.lda = d.D * d.GH;
  g.ldb = ld_r;
  g.ldc = n;
  g.beta = beta;
  return g;
}

// dX [T*B, In] (+)= dG_d · W_ih_d: [T*B, G*H] (row stride D*G*H) x [G*H, In].
inline GemmDesc input_grad_desc(const Dims& d, int64_t in, double beta) {
  GemmDesc g;
  g.m = d.T * d.B;
  g.n = in;
  g.k = d.GH;
  g.lda = d.D * d.GH;
  g.ldb = in;
  g.ldc = in;
  g.beta = beta;
  return g;
}

// What one lane needs to run one direction of one layer backward.
template <class T>
struct BackwardDir {
  const Dims* d;
  const RnnSpec* spec;
  int64_t layer, dir;
  DirParams<T> p;
  DirParamGrads<T> g;
  const T* x;   // layer input [T, B, In]
  const T* y;   // layer output [T, B, D*H]
  const T* dy;  // dL/dY [T, B, D*H]
  const T* h0;  // [B, H]: given or zeros
  const T* c0;  // [B, H]: given or zeros (LSTM)
  bool h0_given;
  const T* acts;      // [T, B, A*H]
  const T* c_saved;   // [T, B, H] (LSTM)
  const T* grad_h_n;  // [B, H], nullable
  const T* grad_c_n;  // [B, H], nullable (LSTM)
  T* grad_h0;         // [B, H]
  T* grad_c0;         // [B, H] (LSTM)
  T* dgates_x;        // dG_x of this direction: [T*B, G*H], row stride D*G*H
  T* dgates_h;        // dG_h likewise (== dgates_x except for GRU)
  BackwardLane<T> lane;
};

template <class E>
void backward_direction(E& ex, const BackwardDir<typename E::value_type>& f) {
  using T = typename E::value_type;
  const Dims& d = *f.d;
  const int lane = static_cast<int>(f.dir);
  const int64_t B = d.B, H = d.H, DH = d.DH, LDG = d.D * d.GH;

  for (int64_t s = d.T - 1; s >= 0; --s) {
    const int64_t t = d.time(f.dir, s);
    const int64_t tp = d.prev_time(f.dir, s);
    const bool last = s == d.T - 1;  // the first step walked back
    const bool first = s == 0;       // its dh_prev is dL/dh0
    const T* dh_in = last ? f.grad_h_n : f.lane.dh;
    T* dh_out = first ? f.grad_h0 : f.lane.dh;
    const T* dy = f.dy + t * B * DH + f.dir * H;
    T* dgx = f.dgates_x + t * B * LDG;
    switch (f.spec->cell) {
      case Cell::RNN_TANH:
      case Cell::RNN_RELU:
        ex.rnn_backward_pass(lane, f.spec->cell == Cell::RNN_RELU, B, H,
                             f.y + t * B * DH + f.dir * H, DH, dy, DH, dh_in, dgx, LDG);
        ex.gemm(lane, dh_prev_desc(d, 0.0), dgx, f.p.w_hh, dh_out);
        break;
      case Cell::LSTM: {
        const T* c_prev = first ? f.c0 : f.c_saved + tp * B * H;
        const T* dc_in = last ? f.grad_c_n : f.lane.dc;
        T* dc_out = first ? f.grad_c0 : f.lane.dc;
        ex.lstm_backward_pass(lane, B, H, f.acts + t * B * 4 * H, f.c_saved + t * B * H, c_prev, dy,
                              DH, dh_in, dc_in, dgx, LDG, dc_out);
        ex.gemm(lane, dh_prev_desc(d, 0.0), dgx, f.p.w_hh, dh_out);
        break;
      }
      case Cell::GRU: {
        const T* h_prev = first ? f.h0 : f.y + tp * B * DH + f.dir * H;
        T* dgh = f.dgates_h + t * B * LDG;
        ex.gru_backward_pass(lane, B, H, f.acts + t * B * 4 * H, h_prev, first ? H : DH, dy, DH,
                             dh_in, dgx, LDG, dgh, LDG, dh_out);
        ex.gemm(lane, dh_prev_desc(d, 1.0), dgh, f.p.w_hh, dh_out);
        break;
      }
    }
  }

  // dW_ih = dG_x^T · X over all T*B rows.
  const int64_t in = d.in(f.layer);
  ex.gemm(lane, weight_grad_desc(d, d.T * B, in, in, 0.0), f.dgates_x, f.x, f.g.w_ih);

  // dW_hh = sum_t dG_h(t)^T · h_prev(t). h_prev is Y at the previous step for all steps but
  // the first processed, whose h_prev is h0: one GEMM over the T-1 contiguous row blocks, one
  // for h0 (skipped when h0 is zero).
  const int64_t t_first = d.time(f.dir, 0);
  if (d.T > 1) {
    // Forward direction: dG rows of steps 1..T-1 pair with Y rows of steps 0..T-2; reverse:
    // dG rows 0..T-2 with Y rows 1..T-1.
    const T* dg = f.dgates_h + (f.dir == 0 ? B * LDG : 0);
    const T* hp = f.y + (f.dir == 0 ? 0 : B * DH) + f.dir * H;
    ex.gemm(lane, weight_grad_desc(d, (d.T - 1) * B, H, DH, 0.0), dg, hp, f.g.w_hh);
  }
  if (f.h0_given) {
    ex.gemm(lane, weight_grad_desc(d, B, H, H, d.T > 1 ? 1.0 : 0.0), f.dgates_h + t_first * B * LDG,
            f.h0, f.g.w_hh);
  } else if (d.T == 1) {
    ex.fill(lane, d.GH * H, T(0), f.g.w_hh);
  }

  // Bias gradients: column sums of dG. Outside GRU the two sides share dG, so db_hh is a copy
  // of db_ih (the reduction reads all T*B rows; the copy G*H values).
  if (f.g.b_ih) {
    ex.column_sum(lane, d.T * B, d.GH, f.dgates_x, LDG, f.g.b_ih, false);
    if (d.gru) {
      ex.column_sum(lane, d.T * B, d.GH, f.dgates_h, LDG, f.g.b_hh, false);
    } else {
      ex.copy_2d(lane, 1, d.GH, f.g.b_ih, d.GH, f.g.b_hh, d.GH);
    }
  }
}

}  // namespace recur::driver::detail

namespace recur::driver {

template <class E>
void backward(E& ex, const BackwardArgs<typename E::value_type>& a) {
  using T = typename E::value_type;
  const RnnSpec& spec = a.spec;
  const detail::Dims d(spec, a.steps, a.batch);
  RECUR_CHECK(static_cast<int64_t>(a.params.size()) == d.L * d.D &&
                  static_cast<int64_t>(a.grads.size()) == d.L * d.D,
              "driver: {} parameter and {} gradient sets for {} layers x {} directions",
              a.params.size(), a.grads.size(), d.L, d.D);
  RECUR_CHECK(a.input && a.saved && a.grad_input && a.grad_h0 && (!d.lstm || a.grad_c0),
              "driver: backward needs input, saved, grad_input, grad_h0 (and grad_c0 for LSTM)");
  const int64_t B = d.B, H = d.H, DH = d.DH;
  const int64_t rows = d.T * B;
  const bool dropout = spec.dropout > 0;

  auto buffer = ex.alloc(detail::BackwardScratch<T>(spec, d, nullptr).elems);
  const detail::BackwardScratch<T> sc(spec, d, buffer.data());
  const detail::SavedLayout<const T> saved(d, a.saved);

  if (!a.h0 || (d.lstm && !a.c0)) ex.fill(kMainLane, B * H, T(0), sc.zeros);

  // dL/dY of the top layer, seq-major.
  const T* dy = a.grad_output;
  if (!a.grad_output) {
    ex.fill(kMainLane, rows * DH, T(0), sc.dy);
    dy = sc.dy;
  } else if (spec.batch_first) {
    ex.transpose_01(kMainLane, B, d.T, DH, a.grad_output, sc.dy);
    dy = sc.dy;
  }

  for (int64_t l = d.L - 1; l >= 0; --l) {
    const int64_t in = d.in(l);
    // The layer input as the forward saw it: the (transposed) input, or the output of the
    // layer below, after dropout when there was any (recomputed from the stateless mask).
    const T* x = l == 0 ? a.input : saved.y[l - 1];
    if (l == 0 && spec.batch_first) {
      ex.transpose_01(kMainLane, B, d.T, d.I, a.input, sc.x);
      x = sc.x;
    } else if (l > 0 && dropout) {
      ex.dropout(kMainLane, a.dropout_seed, l - 1, spec.dropout, rows * DH, saved.y[l - 1], sc.x);
      x = sc.x;
    }

    ex.parallel_lanes(static_cast<int>(d.D), [&](int lane) {
      const int64_t dir = lane;
      const int64_t i = d.ld(l, dir);
      detail::BackwardDir<T> f{};
      f.d = &d;
      f.spec = &spec;
      f.layer = l;
      f.dir = dir;
      f.p = a.params[i];
      f.g = a.grads[i];
      f.x = x;
      f.y = saved.y[l];
      f.dy = dy;
      f.h0 = a.h0 ? a.h0 + i * B * H : sc.zeros;
      f.c0 = a.c0 ? a.c0 + i * B * H : sc.zeros;
      f.h0_given = a.h0 != nullptr;
      f.acts = saved.acts[i];
      f.c_saved = saved.c[i];
      f.grad_h_n = a.grad_h_n ? a.grad_h_n + i * B * H : nullptr;
      f.grad_c_n = a.grad_c_n ? a.grad_c_n + i * B * H : nullptr;
      f.grad_h0 = a.grad_h0 + i * B * H;
      f.grad_c0 = d.lstm ? a.grad_c0 + i * B * H : nullptr;
      f.dgates_x = sc.dgates_x + dir * d.GH;
      f.dgates_h = (d.gru ? sc.dgates_h : sc.dgates_x) + dir * d.GH;
      f.lane = sc.lane[dir];
      detail::backward_direction(ex, f);
    });

    // dL/dX, summed over the directions. Below the top layer it lands in sc.dy, which the
    // lanes no longer read after the join.
    T* dx = l > 0 ? sc.dy : spec.batch_first ? sc.dx0 : a.grad_input;
    for (int64_t dir = 0; dir < d.D; ++dir) {
      ex.gemm(kMainLane, detail::input_grad_desc(d, in, dir == 0 ? 0.0 : 1.0),
              sc.dgates_x + dir * d.GH, a.params[d.ld(l, dir)].w_ih, dx);
    }
    if (l > 0) {
      if (dropout) ex.dropout(kMainLane, a.dropout_seed, l - 1, spec.dropout, rows * DH, dx, dx);
      dy = dx;
    } else if (spec.batch_first) {
      ex.transpose_01(kMainLane, d.T, B, d.I, dx, a.grad_input);
    }
  }
}

}  // namespace recur::driver
