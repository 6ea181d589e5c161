// The backward time loop (BPTT), the forward's mirror image. Per layer, from the top, and per
// direction (one lane each), walking the steps in reverse processing order: one fused
// pointwise backward step turns dL/dh_t into the pre-activation gradients dG_t, stored for all
// steps in dG [T*B, D*G*H]; one GEMM carries dG_t back through W_hh into dL/dh_{t-1}. After the
// loop the weight gradients are single GEMMs over all T*B rows and the bias gradients column
// reductions of dG. After both directions (the join), dL/dX of the layer is one GEMM per
// direction, and dropout's mask turns it into dL/dY of the layer below.
#pragma once

#include "kernels/common/cell_step.h"
#include "kernels/common/driver_args.h"
#include "kernels/common/driver_fused.h"
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

// What every direction of a backward call shares; built once per call.
template <class T>
struct BackwardCall {
  const BackwardArgs<T>& a;
  const Dims& d;
  const BackwardScratch<T>& sc;
  const SavedLayout<const T>& saved;
};

// One direction of one layer: x the layer input [T, B, In] as the forward saw it, dy dL/dY of
// the layer [T, B, D*H]. Writes this direction's columns of dG (sc.dgates_x, sc.dgates_h), its
// parameter gradients, and dL/dh0, dL/dc0.
template <class E>
void backward_direction(E& ex, const BackwardCall<typename E::value_type>& call, int64_t layer,
                        int64_t dir, const typename E::value_type* x,
                        const typename E::value_type* dy) {
  using T = typename E::value_type;
  const BackwardArgs<T>& a = call.a;
  const Dims& d = call.d;
  const int lane = static_cast<int>(dir);
  const int64_t B = d.B, H = d.H, DH = d.DH, LDG = d.D * d.GH;
  const int64_t i = d.state_index(layer, dir);
  const DirParams<T>& p = a.params[i];
  const DirParamGrads<T>& grad = a.grads[i];
  const BackwardLane<T>& scratch = call.sc.lane[dir];
  const T* y = call.saved.y[layer];    // the layer output [T, B, D*H]
  const T* acts = call.saved.acts[i];  // [T, B, A*H]
  const T* c_saved = call.saved.c[i];  // [T, B, H], LSTM
  const T* h0 = a.h0 ? a.h0 + i * B * H : call.sc.zeros;
  const T* c0 = a.c0 ? a.c0 + i * B * H : call.sc.zeros;
  const T* grad_h_n = a.grad_h_n ? a.grad_h_n + i * B * H : nullptr;
  const T* grad_c_n = a.grad_c_n ? a.grad_c_n + i * B * H : nullptr;
  T* grad_h0 = a.grad_h0 + i * B * H;
  T* grad_c0 = d.cell_state ? a.grad_c0 + i * B * H : nullptr;
  // dG of this direction: [T*B, G*H] at column offset dir*G*H, row stride D*G*H; the h side
  // is the x side except for GRU.
  T* dgates_x = call.sc.dgates_x + dir * d.GH;
  T* dgates_h = (d.apart ? call.sc.dgates_h : call.sc.dgates_x) + dir * d.GH;

  // The executor may run the whole loop itself (driver_fused.h); else the steps below do.
  const bool fused = offer_fused_backward(ex, call, layer, dir, dy);
  for (int64_t s = d.T - 1; s >= 0 && !fused; --s) {
    const int64_t t = d.time(dir, s);
    const int64_t tp = d.prev_time(dir, s);
    const bool last = s == d.T - 1;  // the first step walked back
    const bool first = s == 0;       // its dh_prev is dL/dh0
    const T* dh_in = last ? grad_h_n : scratch.dh;
    T* dh_out = first ? grad_h0 : scratch.dh;
    step::BackwardContext<T> st;
    st.B = B, st.H = H;
    st.acts = d.A > 0 ? acts + t * B * d.A * H : nullptr;
    st.h_out = y + t * B * DH + dir * H, st.ldh = DH;
    st.h_prev = first ? h0 : y + tp * B * DH + dir * H, st.ldhp = first ? H : DH;
    if (d.cell_state) {
      st.c = c_saved + t * B * H;
      st.c_prev = first ? c0 : c_saved + tp * B * H;
      st.dc_in = last ? grad_c_n : scratch.dc;
      st.dc_out = first ? grad_c0 : scratch.dc;
    }
    st.dy = dy + t * B * DH + dir * H, st.lddy = DH, st.dh_in = dh_in;
    st.dgates_x = dgates_x + t * B * LDG;
    st.dgates_h = dgates_h + t * B * LDG, st.ldg = LDG;
    st.dh_out = dh_out;
    step::run_backward(ex, lane, a.spec.cell, st);
    // dh_prev = dG_h · W_hh, added to the step's direct path where the cell has one.
    ex.gemm(lane, dh_prev_desc(d, d.apart ? 1.0 : 0.0), st.dgates_h, p.w_hh, dh_out);
  }

  // dW_ih = dG_x^T · X over all T*B rows.
  const int64_t in = d.in(layer);
  ex.gemm(lane, weight_grad_desc(d, d.T * B, in, in, 0.0), dgates_x, x, grad.w_ih);

  // dW_hh = sum_t dG_h(t)^T · h_prev(t). h_prev is Y at the previous step for all steps but
  // the first processed, whose h_prev is h0: one GEMM over the T-1 contiguous row blocks, one
  // for h0 (skipped when h0 is zero).
  const int64_t t_first = d.time(dir, 0);
  if (d.T > 1) {
    // Forward direction: dG rows of steps 1..T-1 pair with Y rows of steps 0..T-2; reverse:
    // dG rows 0..T-2 with Y rows 1..T-1.
    const T* dg = dgates_h + (dir == 0 ? B * LDG : 0);
    const T* hp = y + (dir == 0 ? 0 : B * DH) + dir * H;
    ex.gemm(lane, weight_grad_desc(d, (d.T - 1) * B, H, DH, 0.0), dg, hp, grad.w_hh);
  }
  if (a.h0) {
    ex.gemm(lane, weight_grad_desc(d, B, H, H, d.T > 1 ? 1.0 : 0.0), dgates_h + t_first * B * LDG,
            h0, grad.w_hh);
  } else if (d.T == 1) {
    ex.fill(lane, d.GH * H, T(0), grad.w_hh);
  }

  // Bias gradients: column sums of dG. Outside GRU the two sides share dG, so db_hh is a copy
  // of db_ih (the reduction reads all T*B rows; the copy G*H values).
  if (grad.b_ih) {
    ex.column_sum(lane, d.T * B, d.GH, dgates_x, LDG, grad.b_ih, false);
    if (d.apart) {
      ex.column_sum(lane, d.T * B, d.GH, dgates_h, LDG, grad.b_hh, false);
    } else {
      ex.copy_2d(lane, 1, d.GH, grad.b_ih, d.GH, grad.b_hh, d.GH);
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
  RECUR_CHECK(a.input && a.saved && a.grad_input && a.grad_h0 && (!d.cell_state || a.grad_c0),
              "driver: backward needs input, saved, grad_input, grad_h0 (and grad_c0 for LSTM)");
  const int64_t B = d.B, H = d.H, DH = d.DH;
  const int64_t rows = d.T * B;
  const bool dropout = spec.dropout > 0;

  auto buffer = ex.alloc(detail::BackwardScratch<T>(spec, d, nullptr).elems);
  const detail::BackwardScratch<T> sc(spec, d, buffer.data());
  const detail::SavedLayout<const T> saved(d, a.saved);
  const detail::BackwardCall<T> call{a, d, sc, saved};

  if (!a.h0 || (d.cell_state && !a.c0)) ex.fill(kMainLane, B * H, T(0), sc.zeros);

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

    ex.parallel_lanes(static_cast<int>(d.D),
                      [&](int lane) { detail::backward_direction(ex, call, l, lane, x, dy); });

    // dL/dX, summed over the directions. Below the top layer it lands in sc.dy, which the
    // lanes no longer read after the join.
    T* dx = l > 0 ? sc.dy : spec.batch_first ? sc.dx0 : a.grad_input;
    for (int64_t dir = 0; dir < d.D; ++dir) {
      ex.gemm(kMainLane, detail::input_grad_desc(d, in, dir == 0 ? 0.0 : 1.0),
              sc.dgates_x + dir * d.GH, a.params[d.state_index(l, dir)].w_ih, dx);
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
