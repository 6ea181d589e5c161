// The forward time loop. Per layer and direction (one lane each): one GEMM projects the input
// of all T steps for all gates; then per step one recurrent GEMM over the concatenated gates
// (accumulated onto that projection, except for GRU) and one fused pointwise step, which writes h_t
// straight into the layer output Y_l at column offset d*H (row stride D*H), where the next step's
// GEMM reads it back. No copies per step.
#pragma once

#include "kernels/common/cell_step.h"
#include "kernels/common/driver_args.h"
#include "kernels/common/driver_fused.h"
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

// What every direction of a forward call shares; built once per call.
template <class T>
struct ForwardCall {
  const ForwardArgs<T>& a;
  const Dims& d;
  const ForwardScratch<T>& sc;
  const SavedLayout<T>& saved;  // training only
};

// One direction of one layer: x the layer input [T, B, In], y the layer output [T, B, D*H]
// (this direction's columns [dir*H, (dir+1)*H)).
template <class E>
void forward_direction(E& ex, const ForwardCall<typename E::value_type>& call, int64_t layer,
                       int64_t dir, const typename E::value_type* x, typename E::value_type* y) {
  using T = typename E::value_type;
  const ForwardArgs<T>& a = call.a;
  const Dims& d = call.d;
  const int lane = static_cast<int>(dir);
  const int64_t B = d.B, H = d.H, GH = d.GH, DH = d.DH;
  const int64_t i = d.state_index(layer, dir);
  const DirParams<T>& p = a.params[i];
  const ForwardLane<T>& scratch = call.sc.lane[dir];
  const T* h0 = a.h0 ? a.h0 + i * B * H : call.sc.zeros;
  const T* c0 = a.c0 ? a.c0 + i * B * H : call.sc.zeros;
  T* h_n = a.h_n + i * B * H;
  T* c_n = d.cell_state ? a.c_n + i * B * H : nullptr;
  T* acts = a.training ? call.saved.acts[i] : nullptr;  // [T, B, A*H]
  T* c_saved = a.training ? call.saved.c[i] : nullptr;  // [T, B, H], LSTM

  ex.gemm(lane, input_projection_desc(d, d.in(layer)), x, p.w_ih, scratch.xproj);

  // The executor may run the whole loop itself (driver_fused.h); else the steps below do.
  const bool fused = offer_fused_forward(ex, call, layer, dir, y);
  for (int64_t s = 0; s < d.T && !fused; ++s) {
    const int64_t t = d.time(dir, s);
    const int64_t tp = d.prev_time(dir, s);
    const T* h_prev = s == 0 ? h0 : y + tp * B * DH + dir * H;
    const int64_t ld_prev = s == 0 ? H : DH;
    // The recurrent product. Most cells only need the sum of the two projections, so the
    // GEMM adds it onto the step's rows of xproj (beta = 1) and the step gets hproj == null:
    // no separate [B, G*H] result to clear and read back. A cell that keeps it apart (GRU,
    // whose W_hn h is scaled by r) gets its own hproj. With no h0 the first product is zero
    // and skipped.
    T* xproj = scratch.xproj + t * B * GH;
    const T* hproj = nullptr;
    if (s > 0 || a.h0) {
      if (d.apart) {
        ex.gemm(lane, recurrent_desc(d, ld_prev, 0.0), h_prev, p.w_hh, scratch.hproj);
        hproj = scratch.hproj;
      } else {
        ex.gemm(lane, recurrent_desc(d, ld_prev, 1.0), h_prev, p.w_hh, xproj);
      }
    }
    step::ForwardContext<T> st;
    st.B = B, st.H = H;
    st.xproj = xproj, st.ldx = GH, st.hproj = hproj;
    st.b_ih = p.b_ih, st.b_hh = p.b_hh;
    st.h_prev = h_prev, st.ldhp = ld_prev;
    if (d.cell_state) {
      // Training keeps every c_t; inference runs one buffer in place and writes the last
      // step straight into c_n.
      st.c_prev = s == 0 ? c0 : a.training ? c_saved + tp * B * H : scratch.c;
      st.c_out = a.training ? c_saved + t * B * H : s == d.T - 1 ? c_n : scratch.c;
    }
    st.h_out = y + t * B * DH + dir * H, st.ldh = DH;
    st.acts = a.training && d.A > 0 ? acts + t * B * d.A * H : nullptr;
    step::run_forward(ex, lane, a.spec.cell, st);
  }

  const int64_t t_last = d.time(dir, d.T - 1);
  ex.copy_2d(lane, B, H, y + t_last * B * DH + dir * H, DH, h_n, H);
  if (d.cell_state && a.training) ex.copy_2d(lane, B, H, c_saved + t_last * B * H, H, c_n, H);
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
  RECUR_CHECK(a.input && a.output && a.h_n && (!d.cell_state || a.c_n),
              "driver: forward needs input, output, h_n (and c_n for LSTM)");
  RECUR_CHECK(!a.training || a.saved, "driver: a training forward needs the saved region");
  const int64_t B = d.B, H = d.H, DH = d.DH;
  const int64_t rows = d.T * B;

  auto buffer = ex.alloc(detail::ForwardScratch<T>(spec, d, a.training, nullptr).elems);
  const detail::ForwardScratch<T> sc(spec, d, a.training, buffer.data());
  const detail::SavedLayout<T> saved(d, a.training ? a.saved : nullptr);
  const detail::ForwardCall<T> call{a, d, sc, saved};

  if (!a.h0 || (d.cell_state && !a.c0)) ex.fill(kMainLane, B * H, T(0), sc.zeros);
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
    ex.parallel_lanes(static_cast<int>(d.D),
                      [&](int lane) { detail::forward_direction(ex, call, l, lane, x, y); });
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
