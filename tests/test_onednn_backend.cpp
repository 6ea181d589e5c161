// The `onednn` comparison backend diffed against `cpu-ref` (float32, 1e-5 relative) over a
// third of the backend sweep's LSTM and GRU cases without dropout (uni- and bidirectional, 1-3
// layers, batch_first, with and without bias, I = 1, T = 1, B = 1, absent states and output
// gradients), every second projected LSTM of the sweep (LSTMP), and a few odd sizes; what it does
// not run is reported with the reason, and its forward refuses it with the same reason. Skipped
// where recur was built without oneDNN.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_driver_cases.h"

namespace recur::test {
namespace {

#if RECUR_WITH_ONEDNN

std::vector<Case> onednn_cases() {
  // Every third LSTM and GRU case of the sweep (each case JIT-compiles its own primitives,
  // which is most of the time): the choices vary across the cases, so all appear.
  std::vector<Case> cases;
  int i = 0, j = 0;
  for (Case c : sweep_cases(DType::F32)) {
    if (c.cell != Cell::LSTM && c.cell != Cell::GRU) continue;
    if (!c.lengths.empty()) continue;  // no sequence lengths (tested below as unsupported)
    // Every second projected LSTM (oneDNN's LSTMP: each layers x directions once), every
    // third of the others.
    if (c.proj_size > 0 ? j++ % 2 != 0 : i++ % 3 != 0) continue;
    c.dropout = 0.0;  // oneDNN has no dropout (tested below as unsupported)
    cases.push_back(c);
  }
  for (Cell cell : {Cell::LSTM, Cell::GRU}) {
    for (int64_t H : {17, 33}) {
      Case c;
      c.cell = cell;
      c.H = H;
      c.I = H == 17 ? 1 : 20;
      c.B = 3;
      c.T = 5;
      c.layers = 2;
      c.bidirectional = H == 33;
      c.dtype = DType::F32;
      cases.push_back(c);
    }
  }
  return cases;
}

TEST(OnednnBackend, MatchesCpuRefOnLstmAndGru) {
  auto onednn = make_backend("onednn");
  auto ref = make_backend("cpu-ref");
  const std::vector<Case> cases = onednn_cases();
  ASSERT_GE(cases.size(), 20u);
  for (const Case& c : cases) {
    ASSERT_EQ(onednn->unsupported(c.spec(), c.dtype, true), "") << c.name();
    run_backend_case(*onednn, *ref, c);
  }
}

TEST(OnednnBackend, ReportsWhatItDoesNotRun) {
  auto onednn = make_backend("onednn");
  RnnSpec rnn;
  rnn.cell = Cell::RNN_TANH;
  rnn.input_size = 3;
  rnn.hidden_size = 4;
  EXPECT_NE(onednn->unsupported(rnn, DType::F32, false).find("RNN_TANH"), std::string::npos);
  RnnSpec lstm = rnn;
  lstm.cell = Cell::LSTM;
  EXPECT_EQ(onednn->unsupported(lstm, DType::F32, true), "");
  EXPECT_NE(onednn->unsupported(lstm, DType::F64, false).find("float32"), std::string::npos);
  lstm.num_layers = 2;
  lstm.dropout = 0.5;
  EXPECT_EQ(onednn->unsupported(lstm, DType::F32, false), "");  // inference has no dropout
  EXPECT_NE(onednn->unsupported(lstm, DType::F32, true).find("dropout"), std::string::npos);

  const RnnParams params = RnnParams::init_uniform(rnn, 1);
  const RnnInputs in = random_inputs(rnn, 2, 1, DType::F32, 2, false);
  try {
    onednn->forward(rnn, params, in, {false, 0});
    ADD_FAILURE() << "forward ran an RNN_TANH network";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), onednn->unsupported(rnn, DType::F32, false));
  }
}

TEST(OnednnBackend, RefusesVariableLengthBatchesWithTheReason) {
  auto onednn = make_backend("onednn");
  RnnSpec lstm;
  lstm.input_size = 3;
  lstm.hidden_size = 4;
  EXPECT_NE(onednn->unsupported_lengths().find("sequence lengths"), std::string::npos);
  const RnnParams params = RnnParams::init_uniform(lstm, 1);
  RnnInputs in = random_inputs(lstm, 3, 2, DType::F32, 2, false);
  in.lengths = Tensor::full({2}, 2.0, DType::I64);
  try {
    onednn->forward(lstm, params, in, {false, 0});
    ADD_FAILURE() << "forward ran a variable-length batch";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), onednn->unsupported_lengths());
  }
}

TEST(OnednnBackend, BackwardNeedsItsOwnTrainingForward) {
  auto onednn = make_backend("onednn");
  auto ref = make_backend("cpu-ref");
  Case c;
  c.dtype = DType::F32;
  const RnnSpec spec = c.spec();
  const RnnParams params = RnnParams::init_uniform(spec, 3);
  const RnnInputs in = random_inputs(spec, c.T, c.B, c.dtype, 4, true);
  const RnnOutputs theirs = ref->forward(spec, params, in, {true, 0});
  EXPECT_THROW(onednn->backward(spec, params, in, theirs, {}), Error);
}

#else

TEST(OnednnBackend, NotBuilt) {
  GTEST_SKIP() << "skipped: recur was built without oneDNN (libdnnl-dev not found)";
}

#endif

}  // namespace
}  // namespace recur::test
