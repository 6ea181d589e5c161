// The forward time loop. Per layer and direction (one lane each): one GEMM projects the input
// of all T steps for all gates (of a ragged batch: its N tokens, driver_ragged.h); then per step
// one recurrent GEMM over the concatenated gates (accumulated onto that projection, except for GRU)
// and one fused pointwise step, which writes h_t straight into the layer output Y_l at column
// offset d*P (row stride D*P), where the next step's GEMM reads it back. No copies per step.
// With an LSTM projection the step writes m_t = o*tanh(c_t) [B, H] instead (kept per step when
// training) and one more GEMM, h_t = m_t · W_hr^T, writes h_t [B, P] into Y_l.
#pragma once

#include "kernels/common/cell_step.h"
#include "kernels/common/driver_args.h"
#include "kernels/common/driver_fused.h"
#include "kernels/common/driver_layout.h"
#include "kernels/common/driver_ragged.h"
#include "kernels/common/executor.h"
#include "kernels/common/gemm.h"

namespace recur::driver::detail {

// Y = X · W^T for all `rows` rows (T*B; N for a ragged batch): [rows, In] x [G*H, In]^T ->
// [rows, G*H].
inline GemmDesc input_projection_desc(const Dims& d, int64_t in, int64_t rows) {
  GemmDesc g;
  g.trans_b = true;
  g.m = rows;
  g.n = d.GH;
  g.k = in;
  g.lda = in;
  g.ldb = in;
  g.ldc = d.GH;
  return g;
}

// h_prev · W_hh^T: [m, P] (row stride ld_h) x [G*H, P]^T -> [m, G*H]; beta = 1 adds it to
// the step's input projection in place. m = B, or a step's rows of a ragged batch.
inline GemmDesc recurrent_desc(const Dims& d, int64_t m, int64_t ld_h, double beta) {
  GemmDesc g;
  g.trans_b = true;
  g.m = m;
  g.n = d.GH;
  g.k = d.P;
  g.lda = ld_h;
  g.ldb = d.P;
  g.ldc = d.GH;
  g.beta = beta;
  return g;
}

// h_t = m_t · W_hr^T: [m, H] dense x [P, H]^T -> [m, P] (row stride D*P, the layer output);
// m = B, or a step's rows of a ragged batch.
inline GemmDesc projection_desc(const Dims& d, int64_t m) {
  GemmDesc g;
  g.trans_b = true;
  g.m = m;
  g.n = d.P;
  g.k = d.H;
  g.lda = d.H;
  g.ldb = d.H;
  g.ldc = d.DP;
  return g;
}

// What every direction of a forward call shares; built once per call.
template <class T>
struct ForwardCall {
  const ForwardArgs<T>& a;
  const Dims& d;
  const ForwardScratch<T>& sc;
  const SavedLayout<T>& saved;  // training only
  const Schedule& sched;
  const int64_t* index;  // ragged only: sched.indices() in the executor's memory
  const Schedule::Indices* ix;
};

// One direction of one layer: x the layer input [T, B, In] (ragged: packed [N, In]), y the
// layer output [T, B, D*P] (packed [N, D*P]; this direction's columns [dir*P, (dir+1)*P)).
template <class E>
void forward_direction(E& ex, const ForwardCall<typename E::value_type>& call, int64_t layer,
                       int64_t dir, const typename E::value_type* x, typename E::value_type* y) {
  using T = typename E::value_type;
  const ForwardArgs<T>& a = call.a;
  const Dims& d = call.d;
  const Schedule& sched = call.sched;
  const int lane = static_cast<int>(dir);
  const int64_t B = d.B, H = d.H, P = d.P, GH = d.GH, DP = d.DP;
  const int64_t i = d.state_index(layer, dir);
  const DirParams<T>& p = a.params[i];
  const ForwardLane<T>& scratch = call.sc.lane[dir];
  const T* h0 = initial_state(a.h0, call.sc.h0, call.sc.zeros, sched, i, B * P);
  const T* c0 = initial_state(a.c0, call.sc.c0, call.sc.zeros, sched, i, B * H);
  T* h_n = a.h_n + i * B * P;
  T* c_n = d.cell_state ? a.c_n + i * B * H : nullptr;
  T* acts = a.training ? call.saved.acts[i] : nullptr;  // [T, B, A*H]
  T* c_saved = a.training ? call.saved.c[i] : nullptr;  // [T, B, H], LSTM
  T* m_saved = a.training ? call.saved.m[i] : nullptr;  // [T, B, H], projection

  ex.gemm(lane, input_projection_desc(d, d.in(layer), sched.rows()), x, p.w_ih, scratch.xproj);

  // The executor may run the whole loop itself (driver_fused.h); else the steps below do.
  const bool fused = offer_fused_forward(ex, call, layer, dir, y);
  for (int64_t s = 0; s < d.T && !fused; ++s) {
    const int64_t t = d.time(dir, s);
    const int64_t tp = d.prev_time(dir, s);
    const int64_t rows = sched.rows(t), at = sched.offset(t);
    if (rows == 0) continue;  // every sequence is shorter than t + 1
    const int64_t cont = sched.continuing(dir, t);
    // Rows [r0, r1) of the step, all continuing from the previous step or all starting from
    // h0 / c0 (only a reverse direction's step where sequences start has both parts).
    auto part = [&](int64_t r0, int64_t r1) {
      if (r1 <= r0) return;
      const bool from_start = r0 >= cont;
      const T* h_prev = from_start ? h0 + r0 * P : y + (sched.offset(tp) + r0) * DP + dir * P;
      const int64_t ld_prev = from_start ? P : DP;
      // The recurrent product. Most cells only need the sum of the two projections, so the
      // GEMM adds it onto the step's rows of xproj (beta = 1) and the step gets hproj == null:
      // no separate [B, G*H] result to clear and read back. A cell that keeps it apart (GRU,
      // whose W_hn h is scaled by r) gets its own hproj. With no h0 the first product is zero
      // and skipped.
      T* xproj = scratch.xproj + (at + r0) * GH;
      const T* hproj = nullptr;
      if (!from_start || a.h0) {
        if (d.apart) {
          T* hp = scratch.hproj + r0 * GH;
          ex.gemm(lane, recurrent_desc(d, r1 - r0, ld_prev, 0.0), h_prev, p.w_hh, hp);
          hproj = hp;
        } else {
          ex.gemm(lane, recurrent_desc(d, r1 - r0, ld_prev, 1.0), h_prev, p.w_hh, xproj);
        }
      }
      step::ForwardContext<T> st;
      st.B = r1 - r0, st.H = H;
      st.xproj = xproj, st.ldx = GH, st.hproj = hproj;
      st.b_ih = p.b_ih, st.b_hh = p.b_hh;
      st.h_prev = h_prev, st.ldhp = ld_prev;
      if (d.cell_state) {
        // Training keeps every c_t; inference runs one buffer in place (a ragged batch's
        // retired rows keep their last c there) and, padded, writes the last step straight
        // into c_n.
        if (from_start) {
          st.c_prev = c0 + r0 * H;
        } else {
          st.c_prev = a.training ? c_saved + (sched.offset(tp) + r0) * H : scratch.c + r0 * H;
        }
        if (a.training) {
          st.c_out = c_saved + (at + r0) * H;
        } else {
          st.c_out = (s == d.T - 1 && !d.ragged ? c_n : scratch.c) + r0 * H;
        }
      }
      T* h_t = y + (at + r0) * DP + dir * P;
      st.h_out = h_t, st.ldh = DP;
      // With a projection the step's output is m_t, which W_hr projects into h_t.
      if (d.proj) {
        st.h_out = (a.training ? m_saved + at * H : scratch.m) + r0 * H;
        st.ldh = H;
      }
      st.acts = a.training && d.A > 0 ? acts + (at + r0) * d.A * H : nullptr;
      step::run_forward(ex, lane, a.spec.cell, st);
      if (d.proj) ex.gemm(lane, projection_desc(d, r1 - r0), st.h_out, p.w_hr, h_t);
    };
    part(0, cont);
    part(cont, rows);
  }

  if (!d.ragged) {
    const int64_t t_last = d.time(dir, d.T - 1);
    ex.copy_2d(lane, B, P, y + t_last * B * DP + dir * P, DP, h_n, P);
    if (d.cell_state && a.training) ex.copy_2d(lane, B, H, c_saved + t_last * B * H, H, c_n, H);
    return;
  }
  // Each sequence's own last step (the forward direction's differ; the reverse direction's is
  // t = 0 for all). Inference's running c holds every row's last c (retired rows untouched).
  const int64_t* last = call.index + call.ix->last[dir];
  ex.gather_rows(lane, B, P, last, y + dir * P, DP, h_n, P);
  if (d.cell_state) {
    if (a.training) {
      ex.gather_rows(lane, B, H, last, c_saved, H, c_n, H);
    } else {
      ex.gather_rows(lane, B, H, call.index + call.ix->inv, scratch.c, H, c_n, H);
    }
  }
}

}  // namespace recur::driver::detail

namespace recur::driver {

template <class E>
void forward(E& ex, const ForwardArgs<typename E::value_type>& a) {
  using T = typename E::value_type;
  const RnnSpec& spec = a.spec;
  const detail::Dims d(spec, a.steps, a.batch, !a.lengths.empty());
  RECUR_CHECK(static_cast<int64_t>(a.params.size()) == d.L * d.D,
              "driver: {} parameter sets for {} layers x {} directions", a.params.size(), d.L, d.D);
  RECUR_CHECK(a.input && a.output && a.h_n && (!d.cell_state || a.c_n),
              "driver: forward needs input, output, h_n (and c_n for LSTM)");
  RECUR_CHECK(!a.training || a.saved, "driver: a training forward needs the saved region");
  const int64_t B = d.B, H = d.H, P = d.P, DP = d.DP;
  const detail::Schedule sched(d.T, B, a.lengths);
  const int64_t rows = sched.rows();

  auto buffer = ex.alloc(detail::ForwardScratch<T>(spec, d, a.training, nullptr).elems);
  const detail::ForwardScratch<T> sc(spec, d, a.training, buffer.data());
  const detail::SavedLayout<T> saved(d, a.training ? a.saved : nullptr);
  detail::Schedule::Indices ix;
  if (d.ragged) ix = sched.indices(spec.batch_first);
  auto index = ex.upload_index(ix.all);
  const detail::ForwardCall<T> call{a, d, sc, saved, sched, index.data(), &ix};

  if (!a.h0 || (d.cell_state && !a.c0)) ex.fill(kMainLane, B * H, T(0), sc.zeros);
  const T* x = a.input;
  if (d.ragged) {
    // The input packed, and the states in the length order (unless it is the batch's own).
    ex.gather_rows(kMainLane, rows, d.I, index.data() + ix.pack, a.input, d.I, sc.input, d.I);
    x = sc.input;
    const int64_t* perm = index.data() + ix.perm;
    for (int64_t i = 0; i < d.L * d.D && !sched.sorted(); ++i) {
      if (a.h0) ex.gather_rows(kMainLane, B, P, perm, a.h0 + i * B * P, P, sc.h0 + i * B * P, P);
      if (a.c0) ex.gather_rows(kMainLane, B, H, perm, a.c0 + i * B * H, H, sc.c0 + i * B * H, H);
    }
  } else if (spec.batch_first) {
    ex.transpose_01(kMainLane, B, d.T, d.I, a.input, sc.input);
    x = sc.input;
  }

  T* y = nullptr;
  for (int64_t l = 0; l < d.L; ++l) {
    const bool top = l == d.L - 1;
    // Where Y_l lives: the saved region when training, else the output itself when it is
    // seq-major and padded and this is the top layer, else one of two alternating scratch
    // buffers.
    if (a.training) {
      y = saved.y[l];
    } else if (top && !spec.batch_first && !d.ragged) {
      y = a.output;
    } else {
      y = sc.y[l % 2];
    }
    ex.parallel_lanes(static_cast<int>(d.D),
                      [&](int lane) { detail::forward_direction(ex, call, l, lane, x, y); });
    if (!top) {
      if (a.training && spec.dropout > 0) {
        if (d.ragged) {
          ex.dropout_rows(kMainLane, a.dropout_seed, l, spec.dropout, rows, DP,
                          index.data() + ix.padded, y, sc.dropped);
        } else {
          ex.dropout(kMainLane, a.dropout_seed, l, spec.dropout, rows * DP, y, sc.dropped);
        }
        x = sc.dropped;
      } else {
        x = y;
      }
    }
  }

  if (d.ragged) {  // unpacked into the caller's layout, zeros past each sequence's end
    ex.gather_rows(kMainLane, d.T * B, DP, index.data() + ix.unpack, y, DP, a.output, DP);
  } else if (spec.batch_first) {
    ex.transpose_01(kMainLane, d.T, B, DP, y, a.output);
  } else if (y != a.output) {
    ex.copy_2d(kMainLane, rows, DP, y, DP, a.output, DP);
  }
}

}  // namespace recur::driver
