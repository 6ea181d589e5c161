// Device-memory sizing of a cuda backend call (kernels/cuda/footprint.h): the tensors of the
// call counted independently here from the shapes of backend.h and the parameters RnnParams
// allocates, the driver's scratch and saved regions picked for the right kind of call, and no
// overflow at large sizes.
#include <cstdint>

#include <gtest/gtest.h>

#include "kernels/common/driver.h"
#include "kernels/cuda/footprint.h"

namespace recur::cuda {
namespace {

int64_t params_numel(const RnnSpec& spec) {
  const RnnParams p(spec, DType::F32);
  int64_t n = 0;
  for (size_t i = 0; i < p.size(); ++i) n += p[i].numel();
  return n;
}

RnnSpec spec_of(Cell cell, int64_t I, int64_t H, int64_t L, bool bi, bool bias) {
  RnnSpec s;
  s.cell = cell;
  s.input_size = I;
  s.hidden_size = H;
  s.num_layers = L;
  s.bidirectional = bi;
  s.bias = bias;
  return s;
}

TEST(CudaWorkspace, TensorsMatchTheShapesOfTheCall) {
  for (Cell cell : {Cell::RNN_TANH, Cell::LSTM, Cell::GRU})
    for (bool bi : {false, true})
      for (bool bias : {false, true}) {
        const RnnSpec spec = spec_of(cell, 7, 13, 2, bi, bias);
        const int64_t T = 5, B = 3, D = bi ? 2 : 1;
        const int64_t input = T * B * 7, output = T * B * D * 13, state = 2 * D * B * 13;
        const int64_t states = cell == Cell::LSTM ? 2 * state : state;
        const int64_t params = params_numel(spec);
        EXPECT_EQ(param_elems(spec), params) << cell_name(cell);

        const CallFootprint inf = call_footprint(spec, T, B, sizeof(float), CallKind::Inference);
        EXPECT_EQ(inf.tensors, 4 * (input + states + params + output + states));
        EXPECT_EQ(inf.scratch, 4 * driver::forward_scratch_elems(spec, T, B, false));
        EXPECT_EQ(inf.saved, 0);

        const CallFootprint fwd =
            call_footprint(spec, T, B, sizeof(float), CallKind::TrainingForward);
        EXPECT_EQ(fwd.tensors, inf.tensors);
        EXPECT_EQ(fwd.scratch, 4 * driver::forward_scratch_elems(spec, T, B, true));
        EXPECT_EQ(fwd.saved, 4 * driver::saved_elems(spec, T, B));
        // The saved region holds at least every layer's output.
        EXPECT_GE(fwd.saved, 4 * 2 * output);

        const CallFootprint bwd = call_footprint(spec, T, B, sizeof(float), CallKind::Backward);
        // In: input, states, params, grad_output, grad states. Out: their gradients.
        EXPECT_EQ(bwd.tensors,
                  4 * (input + states + params + output + states) + 4 * (input + states + params));
        EXPECT_EQ(bwd.scratch, 4 * driver::backward_scratch_elems(spec, T, B));
        EXPECT_EQ(bwd.saved, 0);
        EXPECT_EQ(bwd.total(), bwd.scratch + bwd.saved + bwd.tensors);
      }
}

// An LSTM with a projection: h (and the output) P wide, c H wide, weight_hr counted.
TEST(CudaWorkspace, ProjectedLstmTensors) {
  for (bool bi : {false, true}) {
    RnnSpec spec = spec_of(Cell::LSTM, 7, 13, 2, bi, true);
    spec.proj_size = 4;
    const int64_t T = 5, B = 3, D = bi ? 2 : 1;
    const int64_t input = T * B * 7, output = T * B * D * 4;
    const int64_t states = 2 * D * B * 4 + 2 * D * B * 13;  // h [L*D, B, P], c [L*D, B, H]
    const int64_t params = params_numel(spec);
    EXPECT_EQ(param_elems(spec), params);
    const CallFootprint inf = call_footprint(spec, T, B, sizeof(float), CallKind::Inference);
    EXPECT_EQ(inf.tensors, 4 * (input + states + params + output + states));
    const CallFootprint fwd = call_footprint(spec, T, B, sizeof(float), CallKind::TrainingForward);
    // The saved region holds every layer's output and each direction's m_t [T, B, H].
    EXPECT_GE(fwd.saved, 4 * (2 * output + 2 * D * T * B * 13));
  }
}

TEST(CudaWorkspace, ScalesWithElementSize) {
  const RnnSpec spec = spec_of(Cell::LSTM, 9, 31, 3, true, true);
  for (CallKind kind : {CallKind::Inference, CallKind::TrainingForward, CallKind::Backward}) {
    const CallFootprint f32 = call_footprint(spec, 4, 2, sizeof(float), kind);
    const CallFootprint f64 = call_footprint(spec, 4, 2, sizeof(double), kind);
    EXPECT_EQ(f64.total(), 2 * f32.total());
    EXPECT_GT(f32.scratch, 0);
  }
}

TEST(CudaWorkspace, LargeModelsDoNotOverflow) {
  // DeepBench's largest LSTM, bidirectional and deep: about 1.5e11 bytes per call in training.
  const RnnSpec spec = spec_of(Cell::LSTM, 4096, 4096, 4, true, true);
  const int64_t T = 1000, B = 256;
  const CallFootprint f = call_footprint(spec, T, B, sizeof(double), CallKind::TrainingForward);
  // Lower bounds computed directly: the saved layer outputs and the two lanes' projections.
  const int64_t outputs = 4 * T * B * 2 * 4096 * 8;
  EXPECT_GE(f.saved, outputs);
  EXPECT_GE(f.scratch, 2 * T * B * 4 * 4096 * 8);
  EXPECT_GT(f.total(), f.saved);
  EXPECT_LT(f.total(), int64_t{1} << 50);  // no wrap-around into nonsense
}

}  // namespace
}  // namespace recur::cuda
