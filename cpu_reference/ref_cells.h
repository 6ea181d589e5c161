// cpu-ref's reading of the cell equations: one time step of one batch row, forward and
// backward, in double. Written from PyTorch's nn.RNN / nn.LSTM / nn.GRU documentation and
// nothing else (kernels/common/cell_math.h is the fast paths' version; the two must agree only
// through the tests).
//
// Naming: `gx` is the input side of the pre-activations, W_ih x + b_ih, and `gh` the recurrent
// side, W_hh h_prev + b_hh, both [G*H] with the gates stacked in PyTorch's row order
// (LSTM i, f, g, o; GRU r, z, n). The two sides are kept apart because GRU's n gate multiplies
// only the recurrent side by r. Backward works from these saved pre-activations: it recomputes
// every activation, so that a reader can check each line against the forward's.
#pragma once

#include <cstdint>

#include "recur/rnn.h"

namespace recur::ref {

// h = h' and c = c' of one step. gx, gh [G*H]; h_prev, c_prev, h, c [H]. c_prev and c are
// used by LSTM only (may be null for the other cells). Outputs must not alias inputs.
void cell_forward(Cell cell, int64_t H, const double* gx, const double* gh, const double* h_prev,
                  const double* c_prev, double* h, double* c);

// The same step backward. dh [H] is dL/dh' (everything that reaches h'), dc [H] is dL/dc'
// from the following step (LSTM only). Writes:
//   dgx, dgh [G*H]: dL/dgx and dL/dgh (equal except for GRU's n rows);
//   dh_prev [H]: the part of dL/dh_prev that bypasses W_hh (z*dh for GRU, zero otherwise);
//     the caller adds W_hh^T dgh;
//   dc_prev [H]: dL/dc_prev (LSTM only; may be null otherwise).
// Outputs must not alias inputs.
void cell_backward(Cell cell, int64_t H, const double* gx, const double* gh, const double* h_prev,
                   const double* c_prev, const double* dh, const double* dc, double* dgx,
                   double* dgh, double* dh_prev, double* dc_prev);

}  // namespace recur::ref
