// The cases the driver tests sweep (validation/sweep.h's, shared with `recur check`), and the
// comparison of a run against cpu-ref: every output and every gradient (input, h0, c0, each
// parameter) through recur::test::close.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "recur/backend.h"
#include "support/compare.h"
#include "support/random_inputs.h"
#include "validation/sweep.h"

namespace recur::test {

// One configuration of validation/sweep.h (the sweep `recur check` runs), in one dtype.
struct Case : validation::SweepCase {
  DType dtype = DType::F64;

  Tolerance tol() const { return dtype == DType::F64 ? kF64 : kF32Cpu; }
  std::string name() const { return SweepCase::name() + " " + dtype_name(dtype); }
};

// The full sweep of `recur check` (every cell x layers {1,2,3} x {uni, bi} x batch_first x bias,
// with odd sizes, T = 1, B = 1, states and dropout varied across the cases), with some cases
// leaving output gradients undefined. Without its wide cases, which would make each sweep test
// take seconds instead of milliseconds on cpu-ref.
inline std::vector<Case> sweep_cases(DType dtype) {
  validation::SweepOptions options;
  options.missing_grads = true;
  options.wide = false;
  std::vector<Case> cases;
  for (const validation::SweepCase& s : validation::sweep(options)) cases.push_back(Case{s, dtype});
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

// Random inputs of the case (seeded), with its lengths when it is a variable-length batch.
inline RnnInputs case_inputs(const Case& c, uint64_t seed) {
  RnnInputs in = random_inputs(c.spec(), c.T, c.B, c.dtype, seed, c.states);
  in.lengths = c.lengths_tensor();
  return in;
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
  const RnnInputs in = case_inputs(c, seed + 1);

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
