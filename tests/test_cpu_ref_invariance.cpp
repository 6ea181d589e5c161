// Invariances of cpu-ref: properties that must hold between runs, each checked by building the
// other side independently (transposing, reversing time, composing single-layer networks,
// applying the dropout mask by hand, converting dtypes).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_cpu_ref_common.h"

namespace recur::test {
namespace {

// x [T, B, F] with its time axis reversed.
Tensor reverse_time(const Tensor& x) {
  const int64_t T = x.dim(0), BF = x.dim(1) * x.dim(2);
  Tensor out = Tensor::empty(x.shape(), DType::F64);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t i = 0; i < BF; ++i) out.data<double>()[t * BF + i] = x.item((T - 1 - t) * BF + i);
  return out;
}

// States [L*D, B, H] rows [first, first + count) as [count, B, H].
Tensor state_rows(const Tensor& s, int64_t first, int64_t count) {
  const int64_t BH = s.dim(1) * s.dim(2);
  Tensor out = Tensor::empty({count, s.dim(1), s.dim(2)}, DType::F64);
  for (int64_t i = 0; i < count * BH; ++i) out.data<double>()[i] = s.item(first * BH + i);
  return out;
}

// Columns [first, first + count) of the last axis of y [n0, n1, F].
Tensor columns(const Tensor& y, int64_t first, int64_t count) {
  const int64_t rows = y.dim(0) * y.dim(1), F = y.dim(2);
  Tensor out = Tensor::empty({y.dim(0), y.dim(1), count}, DType::F64);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < count; ++j)
      out.data<double>()[r * count + j] = y.item(r * F + first + j);
  return out;
}

// A one-layer network holding layer `layer` of (spec, params), directions included.
struct SubNet {
  RnnSpec spec;
  RnnParams params;
};
SubNet layer_of(const RnnSpec& spec, const RnnParams& params, int64_t layer) {
  SubNet s;
  s.spec = spec;
  s.spec.num_layers = 1;
  s.spec.input_size = spec.layer_input_size(layer);
  s.spec.dropout = 0.0;
  s.params = RnnParams(s.spec, DType::F64);
  for (size_t i = 0; i < s.params.size(); ++i) {
    std::string name = s.params.name(i);
    name.replace(name.find("_l0"), 3, "_l" + std::to_string(layer));
    s.params.set(i, params.find(name)->clone());
  }
  return s;
}

// batch_first gives the same numbers as sequence-major, forward and backward, after transposing.
TEST(CpuRefInvariance, BatchFirstMatchesSeqMajor) {
  auto backend = make_backend("cpu-ref");
  for (Cell cell : all_cells()) {
    SCOPED_TRACE(cell_name(cell));
    const RnnSpec seq = make_spec(cell, 2, true, false, true);
    RnnSpec bf = seq;
    bf.batch_first = true;
    const RnnParams params = RnnParams::init_uniform(seq, 3, DType::F64);
    const RnnInputs in = random_inputs(seq, 4, 3, DType::F64, 4, true);
    RnnInputs in_bf = in;
    in_bf.input = swap01(in.input);

    const RnnOutputs a = backend->forward(seq, params, in, {true, 0});
    const RnnOutputs b = backend->forward(bf, params, in_bf, {true, 0});
    EXPECT_TRUE(close(swap01(b.output), a.output, kF64, "output"));
    EXPECT_TRUE(close(b.h_n, a.h_n, kF64, "h_n"));
    if (seq.has_cell_state()) {
      EXPECT_TRUE(close(b.c_n, a.c_n, kF64, "c_n"));
    }

    const RnnGradOutputs ga = random_grad_outputs(seq, a, 5);
    RnnGradOutputs gb = ga;
    gb.output = swap01(ga.output);
    const RnnGrads da = backend->backward(seq, params, in, a, ga);
    const RnnGrads db = backend->backward(bf, params, in_bf, b, gb);
    EXPECT_TRUE(close(swap01(db.input), da.input, kF64, "grad input"));
    EXPECT_TRUE(close(db.h0, da.h0, kF64, "grad h0"));
    if (seq.has_cell_state()) {
      EXPECT_TRUE(close(db.c0, da.c0, kF64, "grad c0"));
    }
    for (size_t i = 0; i < params.size(); ++i)
      EXPECT_TRUE(close(db.params[i], da.params[i], kF64, "grad " + params.name(i)));
  }
}

// A bidirectional layer's reverse half is a unidirectional layer with the reverse weights run on
// the time-reversed input; its forward half is the same layer with the forward weights.
TEST(CpuRefInvariance, BidirectionalHalvesAreUnidirectionalRuns) {
  auto backend = make_backend("cpu-ref");
  const int64_t T = 4, B = 2, H = 5;
  for (Cell cell : all_cells()) {
    SCOPED_TRACE(cell_name(cell));
    const RnnSpec bi = make_spec(cell, 1, true, false, true, 3, H);
    const RnnSpec uni = make_spec(cell, 1, false, false, true, 3, H);
    const RnnParams params = RnnParams::init_uniform(bi, 6, DType::F64);
    const RnnInputs in = random_inputs(bi, T, B, DType::F64, 7, true);
    const RnnOutputs out = backend->forward(bi, params, in, {});

    for (int64_t d = 0; d < 2; ++d) {
      SCOPED_TRACE(d == 0 ? "forward half" : "reverse half");
      RnnParams p(uni, DType::F64);
      for (ParamKind kind : {ParamKind::W_ih, ParamKind::W_hh, ParamKind::b_ih, ParamKind::b_hh})
        p.get(kind, 0, 0) = params.get(kind, 0, d).clone();
      RnnInputs u;
      u.input = d == 0 ? in.input : reverse_time(in.input);
      u.h0 = state_rows(in.h0, d, 1);
      if (uni.has_cell_state()) u.c0 = state_rows(in.c0, d, 1);
      const RnnOutputs r = backend->forward(uni, p, u, {});
      const Tensor half = columns(out.output, d * H, H);
      EXPECT_TRUE(close(d == 0 ? r.output : reverse_time(r.output), half, kF64, "output half"));
      EXPECT_TRUE(close(r.h_n, state_rows(out.h_n, d, 1), kF64, "h_n"));
      if (uni.has_cell_state()) {
        EXPECT_TRUE(close(r.c_n, state_rows(out.c_n, d, 1), kF64, "c_n"));
      }
    }
  }
}

// The last layer's h_n is its output at the last step (forward direction) and at the first
// step (reverse direction), in both layouts.
TEST(CpuRefInvariance, HnIsTheLastStepsOutput) {
  auto backend = make_backend("cpu-ref");
  const int64_t T = 3, B = 2, H = 5, L = 2;
  for (Cell cell : all_cells())
    for (bool batch_first : {false, true}) {
      SCOPED_TRACE(std::string(cell_name(cell)) + (batch_first ? " batch_first" : ""));
      const RnnSpec spec = make_spec(cell, L, true, batch_first, true, 3, H);
      const RnnParams params = RnnParams::init_uniform(spec, 8, DType::F64);
      const RnnInputs in = random_inputs(spec, T, B, DType::F64, 9, true);
      const RnnOutputs out = backend->forward(spec, params, in, {});
      const Tensor y = batch_first ? swap01(out.output) : out.output;  // [T, B, 2H]
      for (int64_t b = 0; b < B; ++b)
        for (int64_t j = 0; j < H; ++j) {
          EXPECT_EQ(out.h_n.item(((L - 1) * 2 + 0) * B * H + b * H + j),
                    y.item(((T - 1) * B + b) * 2 * H + j));
          EXPECT_EQ(out.h_n.item(((L - 1) * 2 + 1) * B * H + b * H + j),
                    y.item((0 * B + b) * 2 * H + H + j));
        }
    }
}

// float runs within DESIGN.md's float32 bound of double runs, forward and backward.
TEST(CpuRefInvariance, FloatMatchesDouble) {
  auto backend = make_backend("cpu-ref");
  for (Cell cell : all_cells()) {
    SCOPED_TRACE(cell_name(cell));
    RnnSpec spec = make_spec(cell, 2, true, false, true, 4, 7);
    spec.dropout = 0.3;
    const RnnParams p64 = RnnParams::init_uniform(spec, 10, DType::F64);
    const RnnInputs in64 = random_inputs(spec, 5, 3, DType::F64, 11, true);
    const RnnParams p32 = p64.to(DType::F32);
    RnnInputs in32;
    in32.input = in64.input.to(DType::F32);
    in32.h0 = in64.h0.to(DType::F32);
    if (spec.has_cell_state()) in32.c0 = in64.c0.to(DType::F32);

    const RnnOutputs o64 = backend->forward(spec, p64, in64, {true, 12});
    const RnnOutputs o32 = backend->forward(spec, p32, in32, {true, 12});
    ASSERT_EQ(o32.output.dtype(), DType::F32);
    EXPECT_TRUE(close(o32.output, o64.output, kF32Cpu, "output"));
    EXPECT_TRUE(close(o32.h_n, o64.h_n, kF32Cpu, "h_n"));
    if (spec.has_cell_state()) {
      EXPECT_TRUE(close(o32.c_n, o64.c_n, kF32Cpu, "c_n"));
    }

    const RnnGradOutputs g64 = random_grad_outputs(spec, o64, 13);
    RnnGradOutputs g32;
    g32.output = g64.output.to(DType::F32);
    g32.h_n = g64.h_n.to(DType::F32);
    if (spec.has_cell_state()) g32.c_n = g64.c_n.to(DType::F32);
    const RnnGrads d64 = backend->backward(spec, p64, in64, o64, g64);
    const RnnGrads d32 = backend->backward(spec, p32, in32, o32, g32);
    EXPECT_TRUE(close(d32.input, d64.input, kF32Cpu, "grad input"));
    EXPECT_TRUE(close(d32.h0, d64.h0, kF32Cpu, "grad h0"));
    if (spec.has_cell_state()) {
      EXPECT_TRUE(close(d32.c0, d64.c0, kF32Cpu, "grad c0"));
    }
    for (size_t i = 0; i < p64.size(); ++i) {
      ASSERT_EQ(d32.params[i].dtype(), DType::F32);
      EXPECT_TRUE(close(d32.params[i], d64.params[i], kF32Cpu, "grad " + p64.name(i)));
    }
  }
}

// A two-layer network equals its two layers run one after the other, with layer 0's output
// masked by hand between them: kept iff dropout_keep(seed, 0, e, p), scaled by 1/(1-p).
TEST(CpuRefInvariance, StackingAndDropoutMatchComposedLayers) {
  auto backend = make_backend("cpu-ref");
  const int64_t T = 3, B = 2, H = 5;
  const uint64_t seed = 21;
  for (Cell cell : all_cells())
    for (double p : {0.0, 0.4, 1.0})
      for (bool training : {false, true}) {
        SCOPED_TRACE(std::string(cell_name(cell)) + " p=" + std::to_string(p) +
                     (training ? " training" : " inference"));
        RnnSpec spec = make_spec(cell, 2, true, false, true, 3, H);
        spec.dropout = p;
        const RnnParams params = RnnParams::init_uniform(spec, 22, DType::F64);
        const RnnInputs in = random_inputs(spec, T, B, DType::F64, 23, true);
        const RnnOutputs out = backend->forward(spec, params, in, {training, seed});

        const SubNet l0 = layer_of(spec, params, 0), l1 = layer_of(spec, params, 1);
        RnnInputs in0 = in, in1;
        in0.h0 = state_rows(in.h0, 0, 2);
        in1.h0 = state_rows(in.h0, 2, 2);
        if (spec.has_cell_state()) {
          in0.c0 = state_rows(in.c0, 0, 2);
          in1.c0 = state_rows(in.c0, 2, 2);
        }
        const RnnOutputs o0 = backend->forward(l0.spec, l0.params, in0, {});
        in1.input = o0.output.clone();  // [T, B, 2H]
        if (training)
          for (int64_t e = 0; e < in1.input.numel(); ++e) {
            double& v = in1.input.data<double>()[e];
            v = dropout_keep(seed, 0, e, p) ? v / (1 - p) : 0.0;
          }
        const RnnOutputs o1 = backend->forward(l1.spec, l1.params, in1, {});
        EXPECT_TRUE(close(out.output, o1.output, kF64, "output"));
        EXPECT_TRUE(close(state_rows(out.h_n, 0, 2), o0.h_n, kF64, "h_n layer 0"));
        EXPECT_TRUE(close(state_rows(out.h_n, 2, 2), o1.h_n, kF64, "h_n layer 1"));
        if (spec.has_cell_state()) {
          EXPECT_TRUE(close(state_rows(out.c_n, 2, 2), o1.c_n, kF64, "c_n layer 1"));
        }
      }
}

// Dropout p = 0 in training is inference; inference ignores p; the mask is a function of the
// seed: equal for equal seeds, different for different ones.
TEST(CpuRefInvariance, DropoutSeedsAndModes) {
  auto backend = make_backend("cpu-ref");
  for (Cell cell : all_cells()) {
    SCOPED_TRACE(cell_name(cell));
    RnnSpec spec = make_spec(cell, 3, true, false, true);
    const RnnParams params = RnnParams::init_uniform(spec, 30, DType::F64);
    const RnnInputs in = random_inputs(spec, 3, 2, DType::F64, 31, true);
    const RnnOutputs plain = backend->forward(spec, params, in, {});

    EXPECT_TRUE(close(backend->forward(spec, params, in, {true, 5}).output, plain.output, kF64,
                      "p=0 training vs inference"));
    spec.dropout = 0.5;
    EXPECT_TRUE(close(backend->forward(spec, params, in, {false, 5}).output, plain.output, kF64,
                      "p=0.5 inference vs p=0 inference"));
    const RnnOutputs a = backend->forward(spec, params, in, {true, 5});
    const RnnOutputs b = backend->forward(spec, params, in, {true, 5});
    const RnnOutputs c = backend->forward(spec, params, in, {true, 6});
    EXPECT_TRUE(close(a.output, b.output, kF64, "same seed"));
    EXPECT_TRUE(close(a.h_n, b.h_n, kF64, "same seed h_n"));
    EXPECT_GT(difference(a.output, c.output).rel, 1e-3) << "seeds 5 and 6 gave the same mask";
    EXPECT_GT(difference(a.output, plain.output).rel, 1e-3) << "p=0.5 dropped nothing";
  }
}

// Undefined h0/c0 are zeros, and backward still returns their gradients; undefined gradient
// outputs are zeros.
TEST(CpuRefInvariance, UndefinedTensorsAreZeros) {
  auto backend = make_backend("cpu-ref");
  for (Cell cell : all_cells()) {
    SCOPED_TRACE(cell_name(cell));
    const RnnSpec spec = make_spec(cell, 2, true, true, true);
    const RnnParams params = RnnParams::init_uniform(spec, 40, DType::F64);
    const RnnInputs bare = random_inputs(spec, 3, 2, DType::F64, 41, /*with_states=*/false);
    RnnInputs zeros = bare;
    const Shape state = {4, 2, spec.hidden_size};
    zeros.h0 = Tensor::zeros(state, DType::F64);
    if (spec.has_cell_state()) zeros.c0 = Tensor::zeros(state, DType::F64);

    const RnnOutputs ob = backend->forward(spec, params, bare, {true, 0});
    const RnnOutputs oz = backend->forward(spec, params, zeros, {true, 0});
    EXPECT_TRUE(close(ob.output, oz.output, kF64, "output"));
    EXPECT_TRUE(close(ob.h_n, oz.h_n, kF64, "h_n"));

    const RnnGradOutputs g = random_grad_outputs(spec, ob, 42);
    const RnnGrads gb = backend->backward(spec, params, bare, ob, g);
    const RnnGrads gz = backend->backward(spec, params, zeros, oz, g);
    EXPECT_TRUE(close(gb.h0, gz.h0, kF64, "grad h0 without h0"));
    if (spec.has_cell_state()) {
      EXPECT_TRUE(close(gb.c0, gz.c0, kF64, "grad c0 without c0"));
    }

    // Each gradient output left undefined in turn, against the same one given as zeros.
    for (int which = 0; which < (spec.has_cell_state() ? 3 : 2); ++which) {
      RnnGradOutputs undef = g, zero = g;
      Tensor& u = which == 0 ? undef.output : which == 1 ? undef.h_n : undef.c_n;
      Tensor& z = which == 0 ? zero.output : which == 1 ? zero.h_n : zero.c_n;
      z = Tensor::zeros(u.shape(), DType::F64);
      u = Tensor();
      const RnnGrads a = backend->backward(spec, params, bare, ob, undef);
      const RnnGrads b = backend->backward(spec, params, bare, ob, zero);
      EXPECT_TRUE(
          close(a.input, b.input, kF64, "grad input, undefined grad " + std::to_string(which)));
      EXPECT_TRUE(close(a.h0, b.h0, kF64, "grad h0"));
      EXPECT_TRUE(close(a.params[0], b.params[0], kF64, "grad weight_ih_l0"));
    }
  }
}

}  // namespace
}  // namespace recur::test
