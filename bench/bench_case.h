// One benchmark point (a network shape and a mode) and the work it costs.
//
// FLOP count (DESIGN.md "Performance method"): one step of one layer and direction of a cell
// with G gates costs 2*B*G*H*(I_l + H) FLOPs forward (the input GEMM and the recurrent GEMM;
// the pointwise gate math is not counted), I_l being that layer's input width. A training call
// is a training forward plus the backward, counted as 3x the forward (the backward does two
// GEMMs of the forward's size per GEMM: the data gradient and the weight gradient).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "recur/rnn.h"

namespace recur::bench {

enum class Mode : uint8_t { Inference, Training };

const char* mode_name(Mode mode);  // "inference", "training"

// A variable-length batch (RnnInputs::lengths): lengths uniform in [1, T], or one sequence of
// T steps among short ones (T/10 steps, at least 1). Ragged rows are timed against the same
// batch padded (every length T) on the same backend.
enum class Ragged : uint8_t { None, Uniform, OneLong };

const char* ragged_name(Ragged ragged);  // "none", "uniform", "one-long"

struct BenchCase {
  Cell cell = Cell::LSTM;
  int64_t H = 0;  // hidden size
  int64_t I = 0;  // input size of the first layer
  int64_t B = 0;  // batch
  int64_t T = 0;  // steps
  int64_t L = 1;  // layers
  bool bidirectional = false;
  Mode mode = Mode::Inference;
  Ragged ragged = Ragged::None;

  // The sequence lengths [B] (empty when not ragged), a pure function of B, T and the kind.
  std::vector<int64_t> lengths() const;
  // The real tokens: the sum of the lengths, B*T when not ragged.
  int64_t tokens() const;

  // The spec the backends run: bias on, sequence-major input, no dropout.
  RnnSpec spec() const;
  // "LSTM H=512 I=512 B=64 T=100 L=1 uni inference", for progress lines and errors.
  std::string label() const;
};

bool same_case(const BenchCase& a, const BenchCase& b);

// FLOPs of one forward call over all layers, directions and steps; a ragged batch counts its
// real tokens only.
double forward_flops(const BenchCase& c);
// FLOPs of one call in the case's mode (3x the forward for training).
double call_flops(const BenchCase& c);

}  // namespace recur::bench
