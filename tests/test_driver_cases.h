// The cases the driver tests sweep, and the comparison of a run against cpu-ref: every output
// and every gradient (input, h0, c0, each parameter) through recur::test::close.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "recur/backend.h"
#include "support/compare.h"
#include "support/random_inputs.h"

namespace recur::test {

struct Case {
  Cell cell = Cell::LSTM;
  int64_t layers = 1;
  bool bidirectional = false;
  bool batch_first = false;
  bool bias = true;
  int64_t I = 3, H = 5, T = 4, B = 2;
  bool states = true;    // h0 (and c0) given
  double dropout = 0.0;  // used by training runs of more than one layer
  // Which output gradients are left undefined (zeros): 0 none, 1 grad_output, 2 grad_h_n and
  // grad_c_n.
  int missing_grads = 0;
  DType dtype = DType::F64;

  RnnSpec spec() const {
    RnnSpec s;
    s.cell = cell;
    s.input_size = I;
    s.hidden_size = H;
    s.num_layers = layers;
    s.bidirectional = bidirectional;
    s.batch_first = batch_first;
    s.bias = bias;
    s.dropout = dropout;
    return s;
  }
  Tolerance tol() const { return dtype == DType::F64 ? kF64 : kF32Cpu; }
  std::string name() const {
    return fmt::format(
        "{} L={} D={} bf={} bias={} I={} H={} T={} B={} states={} p={} missing={} {}",
        cell_name(cell), layers, bidirectional ? 2 : 1, batch_first, bias, I, H, T, B, states,
        dropout, missing_grads, dtype_name(dtype));
  }
};

// The full sweep of the issue: every cell x layers {1,2,3} x {uni, bi} x batch_first x bias,
// with the remaining choices (odd sizes, T = 1, B = 1, states, dropout, absent gradients)
// varied across the cases so that each appears in many combinations.
inline std::vector<Case> sweep_cases(DType dtype) {
  const int64_t Is[] = {3, 7, 1, 4};
  const int64_t Hs[] = {5, 13, 9, 6};
  const int64_t Ts[] = {4, 1, 6, 3, 5};
  const int64_t Bs[] = {2, 1, 3};
  std::vector<Case> cases;
  int i = 0;
  for (Cell cell : {Cell::RNN_TANH, Cell::RNN_RELU, Cell::LSTM, Cell::GRU}) {
    for (int64_t layers : {1, 2, 3}) {
      for (bool bi : {false, true}) {
        for (bool bf : {false, true}) {
          for (bool bias : {true, false}) {
            Case c;
            c.cell = cell;
            c.layers = layers;
            c.bidirectional = bi;
            c.batch_first = bf;
            c.bias = bias;
            c.I = Is[i % 4];
            c.H = Hs[(i / 2) % 4];
            c.T = Ts[i % 5];
            c.B = Bs[i % 3];
            c.states = i % 2 == 0;
            c.dropout = layers > 1 && i % 3 != 1 ? 0.4 : 0.0;
            c.missing_grads = i % 7 == 3 ? 1 : i % 11 == 5 ? 2 : 0;
            c.dtype = dtype;
            cases.push_back(c);
            ++i;
          }
        }
      }
    }
  }
  return cases;
}

inline void expect_outputs_close(const RnnOutputs& got, const RnnOutputs& ref, const Case& c,
                                 const char* what) {
  EXPECT_TRUE(close(got.output, ref.output, c.tol(), std::string(what) + " output"));
  EXPECT_TRUE(close(got.h_n, ref.h_n, c.tol(), std::string(what) + " h_n"));
  if (c.cell == Cell::LSTM) {
    EXPECT_TRUE(close(got.c_n, ref.c_n, c.tol(), std::string(what) + " c_n"));
  }
}

inline void expect_grads_close(const RnnGrads& got, const RnnGrads& ref, const Case& c) {
  EXPECT_TRUE(close(got.input, ref.input, c.tol(), "grad input"));
  EXPECT_TRUE(close(got.h0, ref.h0, c.tol(), "grad h0"));
  if (c.cell == Cell::LSTM) {
    EXPECT_TRUE(close(got.c0, ref.c0, c.tol(), "grad c0"));
  }
  ASSERT_EQ(got.params.size(), ref.params.size());
  for (size_t i = 0; i < ref.params.size(); ++i) {
    EXPECT_TRUE(close(got.params[i], ref.params[i], c.tol(), "grad " + ref.params.name(i)));
  }
}

// Random gradients for the outputs, less those the case leaves out.
inline RnnGradOutputs case_grads(const Case& c, const RnnOutputs& out, uint64_t seed) {
  RnnGradOutputs g = random_grad_outputs(c.spec(), out, seed);
  if (c.missing_grads == 1) g.output = Tensor();
  if (c.missing_grads == 2) {
    g.h_n = Tensor();
    g.c_n = Tensor();
  }
  return g;
}

// `backend` against `ref` on one case: inference, training forward and every backward
// gradient, parameters and inputs drawn from the case's name.
inline void run_backend_case(Backend& backend, Backend& ref, const Case& c) {
  SCOPED_TRACE(c.name());
  const RnnSpec spec = c.spec();
  const uint64_t seed = std::hash<std::string>{}(c.name());
  const RnnParams params = RnnParams::init_uniform(spec, seed, c.dtype);
  const RnnInputs in = random_inputs(spec, c.T, c.B, c.dtype, seed + 1, c.states);

  expect_outputs_close(backend.forward(spec, params, in, {false, 0}),
                       ref.forward(spec, params, in, {false, 0}), c, "inference");

  const ForwardOptions train{true, seed + 2};
  const RnnOutputs want = ref.forward(spec, params, in, train);
  const RnnOutputs got = backend.forward(spec, params, in, train);
  expect_outputs_close(got, want, c, "training");
  const RnnGradOutputs grads = case_grads(c, want, seed + 3);
  expect_grads_close(backend.backward(spec, params, in, got, grads),
                     ref.backward(spec, params, in, want, grads), c);
}

}  // namespace recur::test
