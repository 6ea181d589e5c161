// The backward time loop (BPTT), the forward's mirror image. Per layer, from the top, and per
// direction (one lane each), walking the steps in reverse processing order: one fused
// pointwise backward step turns dL/dh_t into the pre-activation gradients dG_t, stored for all
// steps in dG [T*B, D*G*H]; one GEMM carries dG_t back through W_hh into dL/dh_{t-1}. After the
// loop the weight gradients are single GEMMs over all T*B rows and the bias gradients column
// reductions of dG. After both directions (the join), dL/dX of the layer is one GEMM per
// direction, and dropout's mask turns it into dL/dY of the layer below. With an LSTM
// projection (h_t = m_t · W_hr^T) each step first turns dL/dh_t [B, P] into dL/dm_t =
// dL/dh_t · W_hr [B, H], the step runs in H space, and the recurrent GEMM adds dL/dh_{t-1}
// onto that step's part from the layer output; dW_hr is one GEMM over all steps after the loop.
#pragma once

#include "kernels/common/cell_step.h"
#include "kernels/common/driver_args.h"
#include "kernels/common/driver_fused.h"
#include "kernels/common/driver_layout.h"
#include "kernels/common/driver_ragged.h"
#include "kernels/common/executor.h"
#include "kernels/common/gemm.h"

namespace recur::driver::detail {

// dh_prev = dG_t · W_hh: [m, G*H] (row stride D*G*H) x [G*H, P] -> [m, P]; m = B, or a
// step's rows of a ragged batch.
inline GemmDesc dh_prev_desc(const Dims& d, int64_t m, double beta) {
  GemmDesc g;
  g.m = m;
  g.n = d.P;
  g.k = d.GH;
  g.lda = d.D * d.GH;
  g.ldb = d.P;
  g.ldc = d.P;
  g.beta = beta;
  return g;
}

// dW [G*H, n] = dG^T · R over `rows` rows: dG [rows, G*H] (row stride ld_g, D*G*H unless
// given), R [rows, n] (row stride ld_r).
inline GemmDesc weight_grad_desc(const Dims& d, int64_t rows, int64_t n, int64_t ld_r, double beta,
                                 int64_t ld_g = 0) {
  GemmDesc g;
  g.trans_a = true;
  g.m = d.GH;
  g.n = n;
  g.k = rows;
  g.lda = ld_g > 0 ? ld_g : d.D * d.GH;
  g.ldb = ld_r;
  g.ldc = n;
  g.beta = beta;
  return g;
}

// dX [rows, In] (+)= dG_d · W_ih_d: [rows, G*H] (row stride D*G*H) x [G*H, In]; rows = T*B
// (ragged: N).
inline GemmDesc input_grad_desc(const Dims& d, int64_t in, int64_t rows, double beta) {
  GemmDesc g;
  g.m = rows;
  g.n = in;
  g.k = d.GH;
  g.lda = d.D * d.GH;
  g.ldb = in;
  g.ldc = in;
  g.beta = beta;
  return g;
}

// dm = dh · W_hr: [m, P] dense x [P, H] -> [m, H] (projection); m = B, or a step's rows of a
// ragged batch.
inline GemmDesc dm_desc(const Dims& d, int64_t m, double beta) {
  GemmDesc g;
  g.m = m;
  g.n = d.H;
  g.k = d.P;
  g.lda = d.P;
  g.ldb = d.H;
  g.ldc = d.H;
  g.beta = beta;
  return g;
}

// dW_hr [P, H] = dH^T · M over `rows` rows: dH [rows, P], M [rows, H], both dense.
inline GemmDesc projection_grad_desc(const Dims& d, int64_t rows, double beta) {
  GemmDesc g;
  g.trans_a = true;
  g.m = d.P;
  g.n = d.H;
  g.k = rows;
  g.lda = d.P;
  g.ldb = d.H;
  g.ldc = d.H;
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
  const Schedule& sched;
  const int64_t* index;  // ragged only: sched.indices() in the executor's memory
  const Schedule::Indices* ix;
};

// One direction of one layer: x the layer input [T, B, In] as the forward saw it, dy dL/dY of
// the layer [T, B, D*P] (ragged: both packed). Writes this direction's columns of dG
// (sc.dgates_x, sc.dgates_h), its parameter gradients, and dL/dh0, dL/dc0.
template <class E>
void backward_direction(E& ex, const BackwardCall<typename E::value_type>& call, int64_t layer,
                        int64_t dir, const typename E::value_type* x,
                        const typename E::value_type* dy) {
  using T = typename E::value_type;
  const BackwardArgs<T>& a = call.a;
  const Dims& d = call.d;
  const Schedule& sched = call.sched;
  const int lane = static_cast<int>(dir);
  const int64_t B = d.B, H = d.H, P = d.P, DP = d.DP, LDG = d.D * d.GH;
  const int64_t i = d.state_index(layer, dir);
  const DirParams<T>& p = a.params[i];
  const DirParamGrads<T>& grad = a.grads[i];
  const BackwardLane<T>& scratch = call.sc.lane[dir];
  const T* y = call.saved.y[layer];    // the layer output [T, B, D*P]
  const T* acts = call.saved.acts[i];  // [T, B, A*H]
  const T* c_saved = call.saved.c[i];  // [T, B, H], LSTM
  const T* m_saved = call.saved.m[i];  // [T, B, H], projection
  const T* h0 = initial_state(a.h0, call.sc.h0, call.sc.zeros, sched, i, B * P);
  const T* c0 = initial_state(a.c0, call.sc.c0, call.sc.zeros, sched, i, B * H);
  const T* grad_h_n = a.grad_h_n ? a.grad_h_n + i * B * P : nullptr;
  const T* grad_c_n = a.grad_c_n ? a.grad_c_n + i * B * H : nullptr;
  T* grad_h0 = a.grad_h0 + i * B * P;
  T* grad_c0 = d.cell_state ? a.grad_c0 + i * B * H : nullptr;
  // dG of this direction: [T*B, G*H] at column offset dir*G*H, row stride D*G*H; the h side
  // is the x side except for GRU.
  T* dgates_x = call.sc.dgates_x + dir * d.GH;
  T* dgates_h = (d.apart ? call.sc.dgates_h : call.sc.dgates_x) + dir * d.GH;
  // Projection: dL/dh_t of every step starts as this direction's columns of dy; each step's
  // recurrent GEMM adds dL/dh_{t-1} onto the rows of the step before it.
  if (d.proj) ex.copy_2d(lane, sched.rows(), P, dy + dir * P, DP, scratch.dh_all, P);
  // A ragged batch's dL/dh_n enters the projection at each row's own last step: those packed
  // rows of dh_n_rows hold it, the others zero.
  if (d.proj && d.ragged && grad_h_n) {
    ex.gather_rows(lane, sched.rows(), P, call.index + call.ix->last_rows[dir], grad_h_n, P,
                   scratch.dh_n_rows, P);
  }

  if (d.ragged) {
    // dL/dh_n (dL/dc_n) enters each row at its own last step: the rows of scratch.dh (dc) are
    // set to it in the length order, and a step's dh GEMM writes only the rows of that step,
    // so a row keeps its dh_n until its last step reads it. When the walk ends, each row holds
    // dL/dh0 (dL/dc0) from the step where it started.
    const int64_t* perm = call.index + call.ix->perm;
    // With a projection dL/dh_n enters through dm (dh_n_rows), and scratch.dh only collects
    // dL/dh0.
    if (!d.proj && grad_h_n) {
      ex.gather_rows(lane, B, P, perm, grad_h_n, P, scratch.dh, P);
    } else if (!d.proj) {
      ex.fill(lane, B * P, T(0), scratch.dh);
    }
    if (d.cell_state && grad_c_n) {
      ex.gather_rows(lane, B, H, perm, grad_c_n, H, scratch.dc, H);
    } else if (d.cell_state) {
      ex.fill(lane, B * H, T(0), scratch.dc);
    }
  }

  // The executor may run the whole loop itself (driver_fused.h); else the steps below do.
  const bool fused = offer_fused_backward(ex, call, layer, dir, dy);
  for (int64_t s = d.T - 1; s >= 0 && !fused; --s) {
    const int64_t t = d.time(dir, s);
    const int64_t tp = d.prev_time(dir, s);
    const int64_t rows = sched.rows(t), at = sched.offset(t);
    if (rows == 0) continue;
    const int64_t cont = sched.continuing(dir, t);
    const bool last = s == d.T - 1 && !d.ragged;  // the first step walked back (padded)
    const bool first = s == 0 && !d.ragged;       // its dh_prev is dL/dh0 (padded)
    T* dh_out = first ? grad_h0 : scratch.dh;
    if (d.proj) {
      // dL/dm_t = dL/dh_t · W_hr (dL/dh_n joins at the last step); the step then sees dm as its
      // only output gradient and m_t as its output, and dh_prev adds onto the previous step's
      // dL/dh (below).
      ex.gemm(lane, dm_desc(d, rows, 0.0), scratch.dh_all + at * P, p.w_hr, scratch.dm);
      if (d.ragged && grad_h_n) {
        ex.gemm(lane, dm_desc(d, rows, 1.0), scratch.dh_n_rows + at * P, p.w_hr, scratch.dm);
      } else if (last && grad_h_n) {
        ex.gemm(lane, dm_desc(d, B, 1.0), grad_h_n, p.w_hr, scratch.dm);
      }
    }
    // Rows [r0, r1): all continuing from the previous step, or all started from h0 / c0.
    auto part = [&](int64_t r0, int64_t r1) {
      if (r1 <= r0) return;
      const bool from_start = r0 >= cont;
      step::BackwardContext<T> st;
      st.B = r1 - r0, st.H = H;
      st.acts = d.A > 0 ? acts + (at + r0) * d.A * H : nullptr;
      st.h_out = y + (at + r0) * DP + dir * P, st.ldh = DP;
      if (from_start) {
        st.h_prev = h0 + r0 * P, st.ldhp = P;
      } else {
        st.h_prev = y + (sched.offset(tp) + r0) * DP + dir * P, st.ldhp = DP;
      }
      if (d.cell_state) {
        st.c = c_saved + (at + r0) * H;
        st.c_prev = from_start ? c0 + r0 * H : c_saved + (sched.offset(tp) + r0) * H;
        st.dc_in = offset_or_null(last ? grad_c_n : scratch.dc, r0 * H);
        st.dc_out = (first ? grad_c0 : scratch.dc) + r0 * H;
      }
      st.dy = dy + (at + r0) * DP + dir * P, st.lddy = DP;
      st.dh_in = offset_or_null(last ? grad_h_n : scratch.dh, r0 * P);
      if (d.proj) {
        st.h_out = m_saved + (at + r0) * H, st.ldh = H;
        st.dy = scratch.dm + r0 * H, st.lddy = H, st.dh_in = nullptr;
      }
      st.dgates_x = dgates_x + (at + r0) * LDG;
      st.dgates_h = dgates_h + (at + r0) * LDG, st.ldg = LDG;
      st.dh_out = dh_out + r0 * P;
      step::run_backward(ex, lane, a.spec.cell, st);
    };
    part(0, cont);
    part(cont, rows);
    // dh_prev = dG_h · W_hh, added to the step's direct path where the cell has one (and, with
    // a projection, to the previous step's dL/dh from the layer output).
    if (d.proj) {
      // Continuing rows add onto the previous step's dL/dh; starting rows' dh_prev is dL/dh0
      // (padded: the first step walked back is all starting rows, the others all continuing).
      if (cont > 0) {
        ex.gemm(lane, dh_prev_desc(d, cont, 1.0), dgates_h + at * LDG, p.w_hh,
                scratch.dh_all + sched.offset(tp) * P);
      }
      if (rows > cont) {
        ex.gemm(lane, dh_prev_desc(d, rows - cont, 0.0), dgates_h + (at + cont) * LDG, p.w_hh,
                dh_out + cont * P);
      }
    } else {
      ex.gemm(lane, dh_prev_desc(d, rows, d.apart ? 1.0 : 0.0), dgates_h + at * LDG, p.w_hh,
              dh_out);
    }
  }

  // dW_hr = sum_t dL/dh_t^T · m_t over all T*B rows, plus dL/dh_n's share at the last step.
  if (d.proj) {
    ex.gemm(lane, projection_grad_desc(d, sched.rows(), 0.0), scratch.dh_all, m_saved, grad.w_hr);
    if (grad_h_n && d.ragged) {
      ex.gemm(lane, projection_grad_desc(d, sched.rows(), 1.0), scratch.dh_n_rows, m_saved,
              grad.w_hr);
    } else if (grad_h_n) {
      const int64_t t_last = d.time(dir, d.T - 1);
      ex.gemm(lane, projection_grad_desc(d, B, 1.0), grad_h_n, m_saved + t_last * B * H, grad.w_hr);
    }
  }

  // dW_ih = dG_x^T · X over all rows.
  const int64_t in = d.in(layer);
  const int64_t all_rows = sched.rows();
  ex.gemm(lane, weight_grad_desc(d, all_rows, in, in, 0.0), dgates_x, x, grad.w_ih);

  if (!d.ragged) {
    // dW_hh = sum_t dG_h(t)^T · h_prev(t). h_prev is Y at the previous step for all steps but
    // the first processed, whose h_prev is h0: one GEMM over the T-1 contiguous row blocks, one
    // for h0 (skipped when h0 is zero).
    const int64_t t_first = d.time(dir, 0);
    if (d.T > 1) {
      // Forward direction: dG rows of steps 1..T-1 pair with Y rows of steps 0..T-2; reverse:
      // dG rows 0..T-2 with Y rows 1..T-1.
      const T* dg = dgates_h + (dir == 0 ? B * LDG : 0);
      const T* hp = y + (dir == 0 ? 0 : B * DP) + dir * P;
      ex.gemm(lane, weight_grad_desc(d, (d.T - 1) * B, P, DP, 0.0), dg, hp, grad.w_hh);
    }
    if (a.h0) {
      ex.gemm(lane, weight_grad_desc(d, B, P, P, d.T > 1 ? 1.0 : 0.0), dgates_h + t_first * B * LDG,
              h0, grad.w_hh);
    } else if (d.T == 1) {
      ex.fill(lane, d.GH * P, T(0), grad.w_hh);
    }
  } else {
    // Ragged: the packed rows' h_prev gathered beside dG (zero rows where it is h0), then the
    // rows that started from h0: their dG rows gathered against h0 in the length order.
    ex.gather_rows(lane, all_rows, P, call.index + call.ix->prev[dir], y + dir * P, DP,
                   scratch.h_prev, P);
    ex.gemm(lane, weight_grad_desc(d, all_rows, P, P, 0.0), dgates_h, scratch.h_prev, grad.w_hh);
    if (a.h0) {
      ex.gather_rows(lane, B, d.GH, call.index + call.ix->first[dir], dgates_h, LDG,
                     scratch.dgates0, d.GH);
      ex.gemm(lane, weight_grad_desc(d, B, P, P, 1.0, d.GH), scratch.dgates0, h0, grad.w_hh);
    }
    const int64_t* inv = call.index + call.ix->inv;
    ex.gather_rows(lane, B, P, inv, scratch.dh, P, grad_h0, P);
    if (d.cell_state) ex.gather_rows(lane, B, H, inv, scratch.dc, H, grad_c0, H);
  }

  // Bias gradients: column sums of dG. Outside GRU the two sides share dG, so db_hh is a copy
  // of db_ih (the reduction reads all rows; the copy G*H values).
  if (grad.b_ih) {
    ex.column_sum(lane, all_rows, d.GH, dgates_x, LDG, grad.b_ih, false);
    if (d.apart) {
      ex.column_sum(lane, all_rows, d.GH, dgates_h, LDG, grad.b_hh, false);
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
  const detail::Dims d(spec, a.steps, a.batch, !a.lengths.empty());
  RECUR_CHECK(static_cast<int64_t>(a.params.size()) == d.L * d.D &&
                  static_cast<int64_t>(a.grads.size()) == d.L * d.D,
              "driver: {} parameter and {} gradient sets for {} layers x {} directions",
              a.params.size(), a.grads.size(), d.L, d.D);
  RECUR_CHECK(a.input && a.saved && a.grad_input && a.grad_h0 && (!d.cell_state || a.grad_c0),
              "driver: backward needs input, saved, grad_input, grad_h0 (and grad_c0 for LSTM)");
  const int64_t B = d.B, H = d.H, P = d.P, DP = d.DP;
  const detail::Schedule sched(d.T, B, a.lengths);
  const int64_t rows = sched.rows();
  const bool dropout = spec.dropout > 0;

  auto buffer = ex.alloc(detail::BackwardScratch<T>(spec, d, nullptr).elems);
  const detail::BackwardScratch<T> sc(spec, d, buffer.data());
  const detail::SavedLayout<const T> saved(d, a.saved);
  detail::Schedule::Indices ix;
  if (d.ragged) ix = sched.indices(spec.batch_first);
  auto index = ex.upload_index(ix.all);
  const int64_t* padded = index.data() + ix.padded;
  const detail::BackwardCall<T> call{a, d, sc, saved, sched, index.data(), &ix};

  if (!a.h0 || (d.cell_state && !a.c0)) ex.fill(kMainLane, B * H, T(0), sc.zeros);
  if (d.ragged && !sched.sorted()) {  // the states in the length order
    const int64_t* perm = index.data() + ix.perm;
    for (int64_t i = 0; i < d.L * d.D; ++i) {
      if (a.h0) ex.gather_rows(kMainLane, B, P, perm, a.h0 + i * B * P, P, sc.h0 + i * B * P, P);
      if (a.c0) ex.gather_rows(kMainLane, B, H, perm, a.c0 + i * B * H, H, sc.c0 + i * B * H, H);
    }
  }

  // dL/dY of the top layer, seq-major (ragged: packed).
  const T* dy = a.grad_output;
  if (!a.grad_output) {
    ex.fill(kMainLane, rows * DP, T(0), sc.dy);
    dy = sc.dy;
  } else if (d.ragged) {
    ex.gather_rows(kMainLane, rows, DP, index.data() + ix.pack, a.grad_output, DP, sc.dy, DP);
    dy = sc.dy;
  } else if (spec.batch_first) {
    ex.transpose_01(kMainLane, B, d.T, DP, a.grad_output, sc.dy);
    dy = sc.dy;
  }

  for (int64_t l = d.L - 1; l >= 0; --l) {
    const int64_t in = d.in(l);
    // The layer input as the forward saw it: the (transposed or packed) input, or the output
    // of the layer below, after dropout when there was any (recomputed from the stateless
    // mask).
    const T* x = l == 0 ? a.input : saved.y[l - 1];
    if (l == 0 && d.ragged) {
      ex.gather_rows(kMainLane, rows, d.I, index.data() + ix.pack, a.input, d.I, sc.x, d.I);
      x = sc.x;
    } else if (l == 0 && spec.batch_first) {
      ex.transpose_01(kMainLane, B, d.T, d.I, a.input, sc.x);
      x = sc.x;
    } else if (l > 0 && dropout && d.ragged) {
      ex.dropout_rows(kMainLane, a.dropout_seed, l - 1, spec.dropout, rows, DP, padded,
                      saved.y[l - 1], sc.x);
      x = sc.x;
    } else if (l > 0 && dropout) {
      ex.dropout(kMainLane, a.dropout_seed, l - 1, spec.dropout, rows * DP, saved.y[l - 1], sc.x);
      x = sc.x;
    }

    ex.parallel_lanes(static_cast<int>(d.D),
                      [&](int lane) { detail::backward_direction(ex, call, l, lane, x, dy); });

    // dL/dX, summed over the directions. Below the top layer it lands in sc.dy, which the
    // lanes no longer read after the join.
    T* dx = l > 0 ? sc.dy : (spec.batch_first || d.ragged) ? sc.dx0 : a.grad_input;
    for (int64_t dir = 0; dir < d.D; ++dir) {
      ex.gemm(kMainLane, detail::input_grad_desc(d, in, rows, dir == 0 ? 0.0 : 1.0),
              sc.dgates_x + dir * d.GH, a.params[d.state_index(l, dir)].w_ih, dx);
    }
    if (l > 0) {
      if (dropout && d.ragged) {
        ex.dropout_rows(kMainLane, a.dropout_seed, l - 1, spec.dropout, rows, DP, padded, dx, dx);
      } else if (dropout) {
        ex.dropout(kMainLane, a.dropout_seed, l - 1, spec.dropout, rows * DP, dx, dx);
      }
      dy = dx;
    } else if (d.ragged) {  // unpacked, zeros at the padded positions
      ex.gather_rows(kMainLane, d.T * B, d.I, index.data() + ix.unpack, dx, d.I, a.grad_input, d.I);
    } else if (spec.batch_first) {
      ex.transpose_01(kMainLane, d.T, B, d.I, dx, a.grad_input);
    }
  }
}

}  // namespace recur::driver
