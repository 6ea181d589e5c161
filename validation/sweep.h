// The one sweep of network configurations that `recur check` and the test suite run through a
// backend and through cpu-ref: every cell x layers x directions x layout x bias, with the
// sizes (odd ones, T = 1, B = 1), the initial states, dropout and absent output gradients
// varied across the cases so that each appears in many combinations; plus LSTMs with
// projections (proj_size) over layers {1, 2} x directions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "recur/rnn.h"
#include "recur/tensor.h"

namespace recur::validation {

struct SweepCase {
  Cell cell = Cell::LSTM;
  int64_t layers = 1;
  bool bidirectional = false;
  bool batch_first = false;
  bool bias = true;
  int64_t I = 3, H = 5, T = 4, B = 2;
  int64_t proj_size = 0;  // P: LSTM projections (0 < P < H), 0 = none
  bool states = true;     // h0 (and c0) given
  double dropout = 0.0;   // used by training runs of more than one layer
  // Which output gradients the backward gets undefined (zeros): 0 none, 1 grad_output,
  // 2 grad_h_n and grad_c_n.
  int missing_grads = 0;
  // A variable-length batch: lengths [B] (each in [1, T], any order), stored as I64 (or I32
  // when lengths_i32); empty: every sequence has T steps.
  std::vector<int64_t> lengths;
  bool lengths_i32 = false;

  RnnSpec spec() const;
  // RnnInputs::lengths of the case: undefined when it has none.
  Tensor lengths_tensor() const;
  // "LSTM L2 bi [B,T] bias I7 H13 P5 T1 B1 h0 p0.3", one column of `recur check`'s table.
  std::string name() const;
};

struct SweepOptions {
  // Layers {1, 2}, one layout and bias per case (alternating), tiny sizes: seconds on a CPU.
  // The full sweep adds layers 3 and every layout x bias.
  bool quick = false;
  // With the full sweep: per cell one case wider than a warp with a larger batch (most of the
  // full sweep's time on cpu-ref).
  bool wide = true;
  bool dropout = true;         // p > 0 in some multi-layer cases (off for cudnn: other masks)
  bool missing_grads = false;  // some cases leave output gradients undefined
  // Variable-length batches (RnnInputs::lengths): per cell unsorted lengths with a length-1
  // sequence, bidirectional, 2 layers, batch_first, all lengths = T, and lengths all below T.
  bool ragged = true;
};

std::vector<SweepCase> sweep(const SweepOptions& options);

}  // namespace recur::validation
