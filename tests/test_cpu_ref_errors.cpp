// cpu-ref rejects malformed calls with a recur::Error whose message names the offending tensor.
#include <gtest/gtest.h>

#include <string>

#include "test_cpu_ref_common.h"

namespace recur::test {
namespace {

// Runs f, expecting a recur::Error whose message contains `needle`.
template <class F>
::testing::AssertionResult throws_naming(F&& f, const std::string& needle) {
  try {
    f();
  } catch (const Error& e) {
    if (std::string(e.what()).find(needle) != std::string::npos)
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "message '" << e.what() << "' lacks '" << needle << "'";
  }
  return ::testing::AssertionFailure()
         << "no recur::Error thrown (wanted one naming '" << needle << "')";
}

struct Fixture {
  RnnSpec spec;
  RnnParams params;
  RnnInputs in;
  std::unique_ptr<Backend> backend = make_backend("cpu-ref");

  explicit Fixture(Cell cell) {
    spec = make_spec(cell, 2, true, false, true);
    params = RnnParams::init_uniform(spec, 1, DType::F64);
    in = random_inputs(spec, 3, 2, DType::F64, 2, true);
  }
  void forward() { backend->forward(spec, params, in, {}); }
};

TEST(CpuRefErrors, InputRank) {
  Fixture f(Cell::LSTM);
  f.in.input = Tensor::full({3, 6}, 0.5, DType::F64);
  EXPECT_TRUE(throws_naming([&] { f.forward(); }, "input"));
}

TEST(CpuRefErrors, InputFeatures) {
  Fixture f(Cell::GRU);
  f.in.input = Tensor::full({3, 2, 4}, 0.5, DType::F64);
  EXPECT_TRUE(throws_naming([&] { f.forward(); }, "input"));
}

TEST(CpuRefErrors, H0Shape) {
  Fixture f(Cell::RNN_TANH);
  f.in.h0 = Tensor::full({2, 2, 5}, 0.5, DType::F64);  // L*D = 4 rows expected
  EXPECT_TRUE(throws_naming([&] { f.forward(); }, "h0"));
}

TEST(CpuRefErrors, C0ShapeForLstm) {
  Fixture f(Cell::LSTM);
  f.in.c0 = Tensor::full({4, 3, 5}, 0.5, DType::F64);
  EXPECT_TRUE(throws_naming([&] { f.forward(); }, "c0"));
}

TEST(CpuRefErrors, C0ForGru) {
  Fixture f(Cell::GRU);
  f.in.c0 = Tensor::full({4, 2, 5}, 0.5, DType::F64);
  EXPECT_TRUE(throws_naming([&] { f.forward(); }, "c0"));
}

// proj_size: LSTM only, smaller than hidden_size (5 here); the spec says so before any tensor
// is looked at, on every backend that the library has.
TEST(CpuRefErrors, ProjectionOnlyForLstmAndSmallerThanH) {
  for (Cell cell : {Cell::GRU, Cell::RNN_TANH, Cell::RNN_RELU}) {
    RnnSpec spec = make_spec(cell, 1, false, false, true);
    spec.proj_size = 2;
    EXPECT_TRUE(
        throws_naming([&] { spec.validate(); },
                      std::string("proj_size is only supported for LSTM, not ") + cell_name(cell)));
    EXPECT_TRUE(throws_naming([&] { RnnParams(spec, DType::F32); }, "proj_size"));
  }
  RnnSpec lstm = make_spec(Cell::LSTM, 1, false, false, true);
  for (int64_t bad : {5, 6}) {
    lstm.proj_size = bad;
    EXPECT_TRUE(throws_naming([&] { lstm.validate(); }, "proj_size must be smaller than"));
  }
  lstm.proj_size = -1;
  EXPECT_TRUE(throws_naming([&] { lstm.validate(); }, "proj_size must be >= 0"));
  // Parameters made without the projection do not fit a projected spec.
  Fixture f(Cell::LSTM);
  RnnSpec projected = f.spec;
  projected.proj_size = 2;
  EXPECT_TRUE(throws_naming([&] { f.backend->forward(projected, f.params, f.in, {}); },
                            "parameters were made for a different network"));
}

// A projected LSTM's h0 is [L*D, B, P], its c0 [L*D, B, H].
TEST(CpuRefErrors, ProjectedStateShapes) {
  RnnSpec spec = make_spec(Cell::LSTM, 2, true, false, true);
  spec.proj_size = 3;
  const RnnParams params = RnnParams::init_uniform(spec, 1, DType::F64);
  RnnInputs in = random_inputs(spec, 3, 2, DType::F64, 2, true);
  auto backend = make_backend("cpu-ref");
  EXPECT_NO_THROW(backend->forward(spec, params, in, {}));
  RnnInputs wrong_h = in;
  wrong_h.h0 = Tensor::full({4, 2, 5}, 0.5, DType::F64);
  EXPECT_TRUE(throws_naming([&] { backend->forward(spec, params, wrong_h, {}); }, "h0"));
  RnnInputs wrong_c = in;
  wrong_c.c0 = Tensor::full({4, 2, 3}, 0.5, DType::F64);
  EXPECT_TRUE(throws_naming([&] { backend->forward(spec, params, wrong_c, {}); }, "c0"));
}

TEST(CpuRefErrors, DtypeMismatch) {
  Fixture f(Cell::RNN_RELU);
  f.in.input = f.in.input.to(DType::F32);
  EXPECT_TRUE(throws_naming([&] { f.forward(); }, "input"));
  Fixture g(Cell::LSTM);
  g.in.h0 = g.in.h0.to(DType::F32);
  EXPECT_TRUE(throws_naming([&] { g.forward(); }, "h0"));
}

TEST(CpuRefErrors, BackwardWithoutTrainingForward) {
  Fixture f(Cell::LSTM);
  const RnnOutputs out = f.backend->forward(f.spec, f.params, f.in, {/*training=*/false, 0});
  const RnnGradOutputs g = random_grad_outputs(f.spec, out, 3);
  EXPECT_TRUE(throws_naming([&] { f.backend->backward(f.spec, f.params, f.in, out, g); },
                            "training forward"));
}

TEST(CpuRefErrors, BackwardWithAnotherBackendsState) {
  class Foreign : public SavedState {};
  Fixture f(Cell::GRU);
  RnnOutputs out = f.backend->forward(f.spec, f.params, f.in, {true, 0});
  const RnnGradOutputs g = random_grad_outputs(f.spec, out, 3);
  out.saved = std::make_shared<Foreign>();
  EXPECT_TRUE(
      throws_naming([&] { f.backend->backward(f.spec, f.params, f.in, out, g); }, "cpu-ref"));
}

TEST(CpuRefErrors, BackwardWithOtherInputShape) {
  Fixture f(Cell::RNN_TANH);
  const RnnOutputs out = f.backend->forward(f.spec, f.params, f.in, {true, 0});
  RnnInputs longer = random_inputs(f.spec, 4, 2, DType::F64, 5, true);
  RnnGradOutputs g;
  g.h_n = random_grad_outputs(f.spec, out, 3).h_n;
  EXPECT_TRUE(
      throws_naming([&] { f.backend->backward(f.spec, f.params, longer, out, g); }, "input shape"));
}

TEST(CpuRefErrors, GradOutputShape) {
  Fixture f(Cell::LSTM);
  const RnnOutputs out = f.backend->forward(f.spec, f.params, f.in, {true, 0});
  RnnGradOutputs g = random_grad_outputs(f.spec, out, 3);
  g.c_n = Tensor::full({4, 2, 4}, 0.5, DType::F64);
  EXPECT_TRUE(
      throws_naming([&] { f.backend->backward(f.spec, f.params, f.in, out, g); }, "grad_c_n"));
}

}  // namespace
}  // namespace recur::test
