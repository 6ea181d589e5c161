// One direction's whole time loop described at once, for an executor that runs the loop itself
// (the cuda executor's persistent kernels, kernels/cuda/persistent.cu) instead of step by step.
// The driver (driver_fused.h) fills a FusedForward / FusedBackward after the input projection
// and offers it to the executor; one that declines gets the step loop of driver_forward.h /
// driver_backward.h. The per-step contexts below follow exactly that loop's rules (which time
// index a step handles, where h_prev and the cell state live, which buffers alias), so that
// either way writes the same saved layout and either backward can follow either forward.
//
// Pointers and shapes as in the driver (executor memory, row-major, counts in elements). The
// layer output y and its gradient dy point at this direction's first column (dir * H) and have
// row stride ldy = D*H. Time index of the s-th step processed: s (dir 0) or T-1-s (dir 1).
#pragma once

#include <cstdint>

#include "kernels/common/cell_step.h"
#include "recur/cell.h"
#include "recur/hostdevice.h"

namespace recur::fused {

template <class V>  // the element type
struct FusedForward {
  Cell cell = Cell::LSTM;
  int64_t T = 0, B = 0, H = 0;
  int64_t dir = 0;                         // 1: steps run backwards in time
  int64_t G = 0;                           // gates
  int64_t A = 0;                           // saved activations per unit (step::traits)
  bool cell_state = false, apart = false;  // LSTM's c; GRU's separate recurrent product
  bool training = false;
  const V* w_hh = nullptr;  // [G*H, H]
  const V* b_ih = nullptr;  // [G*H], nullable
  const V* b_hh = nullptr;  // [G*H], nullable
  V* xproj = nullptr;       // [T, B, G*H]: the input projection; RNN and LSTM add the recurrent
                            // product onto each step's rows in place, as the step loop does
  V* hproj = nullptr;       // [B, G*H]: GRU's recurrent product of the current step
  const V* h0 = nullptr;    // [B, H], never null (the driver's zeros when absent)
  const V* c0 = nullptr;    // [B, H], LSTM, never null
  V* y = nullptr;           // [T, B, .] row stride ldy: h_t of every step
  int64_t ldy = 0;
  V* c_saved = nullptr;  // [T, B, H]: LSTM training, every c_t
  V* c = nullptr;        // [B, H]: LSTM inference, the running cell state
  V* c_n = nullptr;      // [B, H]: LSTM inference, where the last step writes its c_t
  V* acts = nullptr;     // [T, B, A*H]: training (LSTM, GRU), the saved activations
};

template <class V>  // the element type
struct FusedBackward {
  Cell cell = Cell::LSTM;
  int64_t T = 0, B = 0, H = 0;
  int64_t dir = 0;
  int64_t G = 0, A = 0;
  bool cell_state = false, apart = false;
  const V* w_hh = nullptr;  // [G*H, H]
  const V* acts = nullptr;  // [T, B, A*H] as the forward saved them (LSTM, GRU)
  const V* y = nullptr;     // [T, B, .] row stride ldy: the forward's h_t
  const V* dy = nullptr;    // [T, B, .] row stride ldy: dL/dY of the layer
  int64_t ldy = 0;
  const V* h0 = nullptr;        // [B, H], never null
  const V* c_saved = nullptr;   // [T, B, H], LSTM
  const V* c0 = nullptr;        // [B, H], LSTM, never null
  const V* grad_h_n = nullptr;  // [B, H], nullable
  const V* grad_c_n = nullptr;  // [B, H], LSTM, nullable
  V* grad_h0 = nullptr;         // [B, H]: dL/dh0 (the first step's dh_prev)
  V* grad_c0 = nullptr;         // [B, H], LSTM
  V* dgates_x = nullptr;        // [T, B, .] row stride ldg: this direction's dG, x side
  V* dgates_h = nullptr;        // the h side: dgates_x except for GRU
  int64_t ldg = 0;
  V* dh = nullptr;  // [B, H]: dL/dh flowing from one step to the one before
  V* dc = nullptr;  // [B, H], LSTM: dL/dc likewise
};

RECUR_HOST_DEVICE inline int64_t step_time(int64_t T, int64_t dir, int64_t s) {
  return dir == 0 ? s : T - 1 - s;
}

// The context of the s-th step processed, as driver_forward.h's loop builds it; the recurrent
// product is expected in xproj (RNN, LSTM; hproj null) or in f.hproj (GRU).
template <class T>
RECUR_HOST_DEVICE inline step::ForwardContext<T> forward_context(const FusedForward<T>& f,
                                                                 int64_t s) {
  const int64_t B = f.B, H = f.H, GH = f.G * H, A = f.A;
  const int64_t t = step_time(f.T, f.dir, s), tp = step_time(f.T, f.dir, s - 1);
  step::ForwardContext<T> c;
  c.B = B, c.H = H;
  c.xproj = f.xproj + t * B * GH, c.ldx = GH;
  c.hproj = f.apart ? f.hproj : nullptr;
  c.b_ih = f.b_ih, c.b_hh = f.b_hh;
  c.h_prev = s == 0 ? f.h0 : f.y + tp * B * f.ldy;
  c.ldhp = s == 0 ? H : f.ldy;
  if (f.cell_state) {
    c.c_prev = s == 0 ? f.c0 : f.training ? f.c_saved + tp * B * H : f.c;
    c.c_out = f.training ? f.c_saved + t * B * H : s == f.T - 1 ? f.c_n : f.c;
  }
  c.h_out = f.y + t * B * f.ldy, c.ldh = f.ldy;
  c.acts = f.training && A > 0 ? f.acts + t * B * A * H : nullptr;
  return c;
}

// The context of the s-th step processed (s = T-1 first), as driver_backward.h's loop builds
// it; dh_out then gets dG_h · W_hh (added to the direct path for GRU).
template <class T>
RECUR_HOST_DEVICE inline step::BackwardContext<T> backward_context(const FusedBackward<T>& f,
                                                                   int64_t s) {
  const int64_t B = f.B, H = f.H, A = f.A;
  const int64_t t = step_time(f.T, f.dir, s), tp = step_time(f.T, f.dir, s - 1);
  const bool last = s == f.T - 1, first = s == 0;
  step::BackwardContext<T> c;
  c.B = B, c.H = H;
  c.acts = A > 0 ? f.acts + t * B * A * H : nullptr;
  c.h_out = f.y + t * B * f.ldy, c.ldh = f.ldy;
  c.h_prev = first ? f.h0 : f.y + tp * B * f.ldy;
  c.ldhp = first ? H : f.ldy;
  if (f.cell_state) {
    c.c = f.c_saved + t * B * H;
    c.c_prev = first ? f.c0 : f.c_saved + tp * B * H;
    c.dc_in = last ? f.grad_c_n : f.dc;
    c.dc_out = first ? f.grad_c0 : f.dc;
  }
  c.dy = f.dy + t * B * f.ldy, c.lddy = f.ldy;
  c.dh_in = last ? f.grad_h_n : f.dh;
  c.dgates_x = f.dgates_x + t * B * f.ldg;
  c.dgates_h = f.dgates_h + t * B * f.ldg, c.ldg = f.ldg;
  c.dh_out = first ? f.grad_h0 : f.dh;
  return c;
}

}  // namespace recur::fused
