// Where the driver offers one direction's whole time loop to the executor (fused_recurrence.h):
// an executor with the members
//
//   bool fused_forward(int lane, const fused::FusedForward<T>& f);
//   bool fused_backward(int lane, const fused::FusedBackward<T>& f);
//
// may run the loop itself (the cuda executor's persistent kernels) and return true, or return
// false and let the driver run its step loop. An executor without them (cpu, the tests' naive
// one) always gets the step loop. The offer comes after the forward's input projection and,
// in the backward, before the weight-gradient GEMMs, which the driver runs either way.
#pragma once

#include <cstdint>
#include <type_traits>

#include "kernels/common/fused_recurrence.h"

namespace recur::driver::detail {

template <class E, class = void>
struct HasFusedRecurrence : std::false_type {};
template <class E>
struct HasFusedRecurrence<E, std::void_t<decltype(&E::fused_forward), decltype(&E::fused_backward)>>
    : std::true_type {};

// Offers direction `dir` of `layer` (y: the layer output [T, B, D*H]); true when the executor
// ran it. Call is driver_forward.h's ForwardCall.
template <class E, class Call, class T>
bool offer_fused_forward(E& ex, const Call& call, int64_t layer, int64_t dir, T* y) {
  if constexpr (!HasFusedRecurrence<E>::value) {
    return false;
  } else {
    const auto& a = call.a;
    const auto& d = call.d;
    if (d.ragged || d.proj) return false;  // the fused loops run padded, unprojected batches
    const int64_t i = d.state_index(layer, dir), BH = d.B * d.H;
    fused::FusedForward<T> f;
    f.cell = a.spec.cell;
    f.T = d.T, f.B = d.B, f.H = d.H, f.dir = dir;
    f.G = d.G, f.A = d.A, f.cell_state = d.cell_state, f.apart = d.apart;
    f.training = a.training;
    f.w_hh = a.params[i].w_hh, f.b_ih = a.params[i].b_ih, f.b_hh = a.params[i].b_hh;
    f.xproj = call.sc.lane[dir].xproj, f.hproj = call.sc.lane[dir].hproj;
    f.h0 = a.h0 ? a.h0 + i * BH : call.sc.zeros;
    f.c0 = a.c0 ? a.c0 + i * BH : call.sc.zeros;
    f.y = y + dir * d.H, f.ldy = d.DP;
    if (d.cell_state) {
      f.c_saved = a.training ? call.saved.c[i] : nullptr;
      f.c = call.sc.lane[dir].c;
      f.c_n = a.c_n + i * BH;
    }
    f.acts = a.training ? call.saved.acts[i] : nullptr;
    return ex.fused_forward(static_cast<int>(dir), f);
  }
}

// Offers the backward time loop of direction `dir` of `layer` (dy: dL/dY [T, B, D*H]); true
// when the executor ran it. Call is driver_backward.h's BackwardCall.
template <class E, class Call, class T>
bool offer_fused_backward(E& ex, const Call& call, int64_t layer, int64_t dir, const T* dy) {
  if constexpr (!HasFusedRecurrence<E>::value) {
    return false;
  } else {
    const auto& a = call.a;
    const auto& d = call.d;
    if (d.ragged || d.proj) return false;  // as in offer_fused_forward
    const int64_t i = d.state_index(layer, dir), BH = d.B * d.H;
    fused::FusedBackward<T> f;
    f.cell = a.spec.cell;
    f.T = d.T, f.B = d.B, f.H = d.H, f.dir = dir;
    f.G = d.G, f.A = d.A, f.cell_state = d.cell_state, f.apart = d.apart;
    f.w_hh = a.params[i].w_hh;
    f.acts = call.saved.acts[i];
    f.y = call.saved.y[layer] + dir * d.H, f.dy = dy + dir * d.H, f.ldy = d.DP;
    f.h0 = a.h0 ? a.h0 + i * BH : call.sc.zeros;
    f.grad_h_n = a.grad_h_n ? a.grad_h_n + i * BH : nullptr;
    f.grad_h0 = a.grad_h0 + i * BH;
    if (d.cell_state) {
      f.c_saved = call.saved.c[i];
      f.c0 = a.c0 ? a.c0 + i * BH : call.sc.zeros;
      f.grad_c_n = a.grad_c_n ? a.grad_c_n + i * BH : nullptr;
      f.grad_c0 = a.grad_c0 + i * BH;
      f.dc = call.sc.lane[dir].dc;
    }
    f.dgates_x = call.sc.dgates_x + dir * d.GH;
    f.dgates_h = (d.apart ? call.sc.dgates_h : call.sc.dgates_x) + dir * d.GH;
    f.ldg = d.D * d.GH;
    f.dh = call.sc.lane[dir].dh;
    return ex.fused_backward(static_cast<int>(dir), f);
  }
}

}  // namespace recur::driver::detail
