// Variable-length batches (RnnInputs::lengths) on every host backend that runs them:
// - invariance: a ragged batch gives, row by row, the results of each sequence run alone with
//   its own length and no lengths tensor (outputs, zeros past the end, h_n, c_n, the input and
//   state gradients), and its parameter gradients are the sums of the sequences' own;
// - the argument checks: dtype, shape, device, range, each error naming `lengths` and the
//   first bad element;
// - a batch whose lengths are all T equals the same batch without lengths.
// The backend sweeps (test_driver_cases.h, `recur check`) diff ragged cases against cpu-ref;
// cpu-ref's own backward is checked by finite differences (test_cpu_ref_gradcheck.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "recur/backend.h"
#include "support/compare.h"
#include "support/error_of.h"
#include "support/random_inputs.h"

namespace recur::test {
namespace {

Tensor lengths_of(const std::vector<int64_t>& v) {
  Tensor t = Tensor::empty({static_cast<int64_t>(v.size())}, DType::I64);
  for (size_t i = 0; i < v.size(); ++i) t.data<int64_t>()[i] = v[i];
  return t;
}

// Element (t, b, k) of a sequence tensor in the spec's layout.
int64_t seq_at(const RnnSpec& spec, int64_t T, int64_t B, int64_t F, int64_t t, int64_t b,
               int64_t k) {
  return (spec.batch_first ? b * T + t : t * B + b) * F + k;
}

// Sequence b's first `len` steps of a [T, B, F] (or [B, T, F]) tensor, as a batch of one.
Tensor seq_row(const RnnSpec& spec, const Tensor& x, int64_t T, int64_t B, int64_t b, int64_t len) {
  const int64_t F = x.dim(2);
  Tensor out = Tensor::empty(spec.batch_first ? Shape{1, len, F} : Shape{len, 1, F}, DType::F64);
  for (int64_t t = 0; t < len; ++t)
    for (int64_t k = 0; k < F; ++k)
      out.data<double>()[t * F + k] = x.data<double>()[seq_at(spec, T, B, F, t, b, k)];
  return out;
}

// Row b of a state tensor [L*D, B, H], as [L*D, 1, H].
Tensor state_row(const Tensor& s, int64_t b) {
  if (!s.defined()) return Tensor();
  const int64_t LD = s.dim(0), B = s.dim(1), H = s.dim(2);
  Tensor out = Tensor::empty({LD, 1, H}, DType::F64);
  for (int64_t i = 0; i < LD; ++i)
    for (int64_t j = 0; j < H; ++j)
      out.data<double>()[i * H + j] = s.data<double>()[(i * B + b) * H + j];
  return out;
}

// x's sequence b, all T steps: its first `len` steps must be `alone`'s and the rest zero.
void expect_seq_row(const RnnSpec& spec, const Tensor& x, int64_t T, int64_t B, int64_t b,
                    int64_t len, const Tensor& alone, const std::string& what) {
  const int64_t F = x.dim(2);
  EXPECT_TRUE(close(seq_row(spec, x, T, B, b, len), alone, kF64, what));
  for (int64_t t = len; t < T; ++t)
    for (int64_t k = 0; k < F; ++k)
      ASSERT_EQ(x.data<double>()[seq_at(spec, T, B, F, t, b, k)], 0.0)
          << what << ": padded step t=" << t << " of sequence " << b << " is not zero";
}

struct Config {
  Cell cell;
  int64_t layers;
  bool bi, batch_first;
  std::vector<int64_t> lengths;
  int64_t T;
  int64_t proj_size = 0;  // LSTM only
};

void check_invariance(Backend& backend, const Config& cfg) {
  RnnSpec spec;
  spec.cell = cfg.cell;
  spec.input_size = 3;
  spec.hidden_size = 5;
  spec.num_layers = cfg.layers;
  spec.bidirectional = cfg.bi;
  spec.batch_first = cfg.batch_first;
  spec.proj_size = cfg.proj_size;
  const int64_t T = cfg.T, B = static_cast<int64_t>(cfg.lengths.size());
  SCOPED_TRACE(std::string(cell_name(spec.cell)) + " L" + std::to_string(cfg.layers) +
               (cfg.bi ? " bi" : " uni") + (cfg.batch_first ? " [B,T]" : " [T,B]") +
               (cfg.proj_size > 0 ? " P" + std::to_string(cfg.proj_size) : ""));
  const RnnParams params = RnnParams::init_uniform(spec, 7, DType::F64);
  RnnInputs in = random_inputs(spec, T, B, DType::F64, 8, true);
  in.lengths = lengths_of(cfg.lengths);
  const ForwardOptions train{true, 0};
  const RnnOutputs out = backend.forward(spec, params, in, train);
  const RnnGradOutputs gout = random_grad_outputs(spec, out, 9);
  const RnnGrads grads = backend.backward(spec, params, in, out, gout);
  // An inference forward gives the training forward's results.
  const RnnOutputs inf = backend.forward(spec, params, in, {false, 0});
  EXPECT_TRUE(close(inf.output, out.output, kF64, "inference output"));
  EXPECT_TRUE(close(inf.h_n, out.h_n, kF64, "inference h_n"));

  std::vector<Tensor> param_sum;
  for (int64_t b = 0; b < B; ++b) {
    SCOPED_TRACE("sequence " + std::to_string(b));
    const int64_t len = cfg.lengths[b];
    RnnInputs one;
    one.input = seq_row(spec, in.input, T, B, b, len);
    one.h0 = state_row(in.h0, b);
    one.c0 = state_row(in.c0, b);
    const RnnOutputs o = backend.forward(spec, params, one, train);
    RnnGradOutputs g;
    g.output = seq_row(spec, gout.output, T, B, b, len);
    g.h_n = state_row(gout.h_n, b);
    g.c_n = state_row(gout.c_n, b);
    const RnnGrads gr = backend.backward(spec, params, one, o, g);

    expect_seq_row(spec, out.output, T, B, b, len, o.output, "output");
    EXPECT_TRUE(close(state_row(out.h_n, b), o.h_n, kF64, "h_n"));
    if (spec.has_cell_state()) {
      EXPECT_TRUE(close(state_row(out.c_n, b), o.c_n, kF64, "c_n"));
    }
    expect_seq_row(spec, grads.input, T, B, b, len, gr.input, "grad input");
    EXPECT_TRUE(close(state_row(grads.h0, b), gr.h0, kF64, "grad h0"));
    if (spec.has_cell_state()) {
      EXPECT_TRUE(close(state_row(grads.c0, b), gr.c0, kF64, "grad c0"));
    }
    for (size_t i = 0; i < gr.params.size(); ++i) {
      if (b == 0) {
        param_sum.push_back(gr.params[i].clone());
      } else {
        for (int64_t e = 0; e < gr.params[i].numel(); ++e)
          param_sum[i].data<double>()[e] += gr.params[i].data<double>()[e];
      }
    }
  }
  for (size_t i = 0; i < param_sum.size(); ++i)
    EXPECT_TRUE(close(grads.params[i], param_sum[i], kF64, "grad " + grads.params.name(i)));
}

class Ragged : public ::testing::TestWithParam<std::string> {};

TEST_P(Ragged, EachRowIsItsSequenceRunAlone) {
  auto backend = make_backend(GetParam());
  const std::vector<Config> configs = {
      {Cell::LSTM, 2, true, false, {3, 6, 1, 4, 6}, 6},  // unsorted, a length-1 sequence
      {Cell::GRU, 1, true, true, {2, 5, 2, 4}, 7},       // batch-first, every length below T
      {Cell::RNN_TANH, 2, false, false, {4, 1, 4}, 4},
      {Cell::RNN_RELU, 1, true, true, {1, 3, 2}, 3},
      {Cell::LSTM, 1, false, true, {5, 3, 2, 1}, 5},    // already sorted: no permutation
      {Cell::LSTM, 2, true, true, {3, 6, 1, 4}, 6, 3},  // with a projection (P 3 < H 5)
  };
  for (const Config& c : configs) check_invariance(*backend, c);
}

TEST_P(Ragged, AllLengthsTEqualsNoLengths) {
  auto backend = make_backend(GetParam());
  for (Cell cell : all_cells()) {
    RnnSpec spec;
    spec.cell = cell;
    spec.input_size = 2;
    spec.hidden_size = 4;
    spec.num_layers = 2;
    spec.bidirectional = true;
    const RnnParams params = RnnParams::init_uniform(spec, 3, DType::F64);
    RnnInputs in = random_inputs(spec, 3, 4, DType::F64, 4, true);
    const RnnOutputs plain = backend->forward(spec, params, in, {true, 0});
    const RnnGradOutputs gout = random_grad_outputs(spec, plain, 5);
    const RnnGrads plain_grads = backend->backward(spec, params, in, plain, gout);
    in.lengths = lengths_of({3, 3, 3, 3});
    const RnnOutputs full = backend->forward(spec, params, in, {true, 0});
    const RnnGrads full_grads = backend->backward(spec, params, in, full, gout);
    EXPECT_TRUE(close(full.output, plain.output, kF64, "output"));
    EXPECT_TRUE(close(full.h_n, plain.h_n, kF64, "h_n"));
    EXPECT_TRUE(close(full_grads.input, plain_grads.input, kF64, "grad input"));
    EXPECT_TRUE(close(full_grads.h0, plain_grads.h0, kF64, "grad h0"));
    for (size_t i = 0; i < plain_grads.params.size(); ++i)
      EXPECT_TRUE(close(full_grads.params[i], plain_grads.params[i], kF64, "grad param"));
  }
}

TEST_P(Ragged, BadLengthsNameTheTensorAndTheFirstBadElement) {
  auto backend = make_backend(GetParam());
  RnnSpec spec;
  spec.input_size = 2;
  spec.hidden_size = 3;
  const RnnParams params = RnnParams::init_uniform(spec, 1, DType::F64);
  RnnInputs in = random_inputs(spec, 4, 3, DType::F64, 2, false);
  auto run = [&](Tensor lengths) {
    in.lengths = std::move(lengths);
    return error_of([&] { backend->forward(spec, params, in, {false, 0}); });
  };
  EXPECT_EQ(run(lengths_of({4, 0, 7})),
            "lengths: element [1] is 0, outside [1, 4] (1 <= length <= T)");
  EXPECT_EQ(run(lengths_of({4, 2, 5})),
            "lengths: element [2] is 5, outside [1, 4] (1 <= length <= T)");
  EXPECT_EQ(run(lengths_of({-1, 2, 3})),
            "lengths: element [0] is -1, outside [1, 4] (1 <= length <= T)");
  EXPECT_EQ(run(lengths_of({4, 2})), "lengths: expected shape [3] (one per sequence, B), got [2]");
  EXPECT_EQ(run(Tensor::full({3}, 2.0, DType::F32)), "lengths: expected dtype I64 or I32, got F32");
  EXPECT_EQ(run(Tensor::full({3, 1}, 2.0, DType::I32)),
            "lengths: expected shape [3] (one per sequence, B), got [3, 1]");
  EXPECT_EQ(run(Tensor::full({3}, 2.0, DType::I32)), "");
  // The backward sees the forward's lengths: others are refused.
  in.lengths = lengths_of({4, 2, 3});
  const RnnOutputs out = backend->forward(spec, params, in, {true, 0});
  in.lengths = lengths_of({4, 2, 2});
  EXPECT_NE(error_of([&] { backend->backward(spec, params, in, out, {}); }).find("lengths"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(HostBackends, Ragged, ::testing::Values("cpu-ref", "cpu"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param == "cpu-ref" ? std::string("cpu_ref") : p.param;
                         });

}  // namespace
}  // namespace recur::test
