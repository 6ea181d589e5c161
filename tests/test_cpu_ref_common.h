// Helpers shared by the cpu-ref test programs (test_cpu_ref_*.cpp): specs for the sweeps, the
// scalar loss whose gradients backward returns, and layout conversions written independently
// of cpu_reference/.
#pragma once

#include <cstdint>
#include <string>

#include "recur/backend.h"
#include "recur/rnn.h"
#include "support/compare.h"
#include "support/random_inputs.h"

namespace recur::test {

inline RnnSpec make_spec(Cell cell, int64_t layers, bool bidirectional, bool batch_first, bool bias,
                         int64_t I = 3, int64_t H = 5) {
  RnnSpec s;
  s.cell = cell;
  s.input_size = I;
  s.hidden_size = H;
  s.num_layers = layers;
  s.bidirectional = bidirectional;
  s.batch_first = batch_first;
  s.bias = bias;
  return s;
}

// sum(a * b) over all elements; 0 when either is undefined (an absent gradient is zero).
inline double dot(const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined()) return 0.0;
  double s = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) s += a.item(i) * b.item(i);
  return s;
}

// The loss that backward differentiates: sum(output*g.output) + sum(h_n*g.h_n) + sum(c_n*g.c_n).
inline double loss(const RnnOutputs& out, const RnnGradOutputs& g) {
  return dot(out.output, g.output) + dot(out.h_n, g.h_n) + dot(out.c_n, g.c_n);
}

// [n0, n1, F] -> [n1, n0, F] (batch-first <-> sequence-major), same dtype.
inline Tensor swap01(const Tensor& t) {
  const int64_t n0 = t.dim(0), n1 = t.dim(1), F = t.dim(2);
  Tensor out = Tensor::empty({n1, n0, F}, DType::F64);
  double* o = out.data<double>();
  for (int64_t i = 0; i < n0; ++i)
    for (int64_t j = 0; j < n1; ++j)
      for (int64_t k = 0; k < F; ++k) o[(j * n0 + i) * F + k] = t.item((i * n1 + j) * F + k);
  return out.to(t.dtype());
}

}  // namespace recur::test
