// cpu-ref's time loops: one direction of one layer, forward and backward, in double, on
// sequence-major data. cpu_ref.cpp stacks them into layers and directions and converts the
// caller's tensors (any dtype, batch-first or not) to and from these plain arrays.
//
// Every array here is a flat std::vector<double>, row-major, with its shape in the comment;
// sequences are [T, B, width], so element (t, b, k) is at (t*B + b)*width + k.
#pragma once

#include <cstdint>
#include <vector>

#include "recur/rnn.h"

namespace recur::ref {

struct Sizes {
  Cell cell;
  int64_t T, B, H;
  int64_t D;  // directions of the layer (the output row is D*P wide)
  int64_t G;  // gates
  int64_t P;  // the width of h: the LSTM's proj_size with a projection, else H
  bool proj;  // h = W_hr (o * tanh(c)) (LSTM with proj_size > 0)
  // [B]: sequence b's length, 1 <= len[b] <= T; empty: every sequence has T steps. Sequence b
  // runs t < len[b] only (the reverse direction from t = len[b]-1 down): its outputs past
  // len[b] stay zero, its final state is the one after its own last step.
  std::vector<int64_t> len = {};
  int64_t length(int64_t b) const { return len.empty() ? T : len[b]; }
};

// One layer and direction's parameters (or their gradients). Without bias the biases are
// zero, which adds nothing: the same equations as "no bias terms".
struct DirParams {
  int64_t in = 0;            // the layer's input width
  std::vector<double> w_ih;  // [G*H, in]
  std::vector<double> w_hh;  // [G*H, P]
  std::vector<double> b_ih;  // [G*H]
  std::vector<double> b_hh;  // [G*H]
  std::vector<double> w_hr;  // [P, H], with a projection only (else empty)
};

// What one layer and direction keeps from a training forward for its backward. Indexed by the
// time t of the step (the reverse direction runs t = T-1 .. 0).
struct DirTape {
  std::vector<double> gx;      // [T, B, G*H]: W_ih x_t + b_ih
  std::vector<double> gh;      // [T, B, G*H]: W_hh h_prev + b_hh
  std::vector<double> h_prev;  // [T, B, P]: the state the step at time t started from
  std::vector<double> c_prev;  // [T, B, H]: same for the cell state (LSTM only)
  std::vector<double> m;       // [T, B, H]: o * tanh(c_t), what W_hr projects (projection only)
};

// Direction d (0: t = 0 .. len-1, 1: t = len-1 .. 0, per sequence) of one layer over x
// [T, B, in].
// h [B, P], c [B, H]: the initial state on entry, the final state on exit (c only for LSTM).
// Writes columns [d*P, (d+1)*P) of y [T, B, D*P] (not the padded steps: zero them before).
// Fills `tape` when it is not null.
void direction_forward(const Sizes& s, int64_t d, const DirParams& p, const std::vector<double>& x,
                       std::vector<double>& h, std::vector<double>& c, std::vector<double>& y,
                       DirTape* tape);

// The same direction backward through time, from the tape of its forward over x [T, B, in].
// dy [T, B, D*P]: dL/dy of the layer's output (this direction reads its columns).
// dh [B, P], dc [B, H]: dL/dh_n and dL/dc_n on entry, dL/dh0 and dL/dc0 on exit.
// Adds dL/dx into dx [T, B, in] and the parameters' gradients into grads (shaped like p); the
// padded steps add nothing.
void direction_backward(const Sizes& s, int64_t d, const DirParams& p, const std::vector<double>& x,
                        const DirTape& tape, const std::vector<double>& dy, std::vector<double>& dh,
                        std::vector<double>& dc, std::vector<double>& dx, DirParams& grads);

// Dropout on the output y [T, B, D*H] of layer `layer`, in place: element e is kept iff
// dropout_keep(seed, layer, e, p) and then scaled by 1/(1-p); others become 0. The map is
// linear and diagonal, so it is its own adjoint: backward applies the same call to dL/dy.
void apply_dropout(std::vector<double>& y, int64_t layer, double p, uint64_t seed);

}  // namespace recur::ref
