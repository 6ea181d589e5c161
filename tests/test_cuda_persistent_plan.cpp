// The persistent kernels' planner (kernels/cuda/persistent_plan.h), host arithmetic only: the
// slice and grid of a direction, the shared memory it needs, every reason to decline against a
// described device, and RECUR_CUDA_PATH. Runs in every build with the cuda backend, GPU or not.
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#if RECUR_WITH_CUDA
#include "kernels/cuda/persistent_plan.h"
#include "recur/error.h"
#endif

namespace recur::cuda {
namespace {

#if RECUR_WITH_CUDA

RnnSpec spec_of(Cell cell, int64_t H, bool bi = false) {
  RnnSpec s;
  s.cell = cell;
  s.input_size = 3;
  s.hidden_size = H;
  s.bidirectional = bi;
  return s;
}

// An H100 as the planner sees it: one block per SM whatever the shared memory.
PersistentDevice h100() {
  PersistentDevice d;
  d.sms = 132;
  d.smem_per_block = 227 * 1024;
  d.cooperative = true;
  d.blocks_per_sm = [](Cell, PersistentPass, bool, int64_t) { return 1; };
  return d;
}

std::string reason(const PersistentRequest& r, const PersistentDevice& d = h100()) {
  PersistentShape shape;
  return persistent_decline_reason(r, d, &shape);
}

TEST(PersistentPlan, SliceSpreadsHOverTheBlocksWithEnoughWorkEach) {
  const RnnSpec lstm = spec_of(Cell::LSTM, 17);
  EXPECT_EQ(persistent_slice(lstm, 3, 4, true), 5);  // exactly 4 blocks: 5, 5, 5, 2
  EXPECT_EQ(persistent_shape(lstm, PersistentPass::Forward, 5).blocks, 4);
  // Planned: 16 FMAs per thread and step need 4096 / (4 * 17 * 3) -> 21 > 17: one block.
  EXPECT_EQ(persistent_slice(lstm, 3, 132, false), 17);
  // H = 1024, B = 1: spread over 132 blocks (8 units), more than the minimum work (1 unit).
  EXPECT_EQ(persistent_slice(spec_of(Cell::LSTM, 1024), 1, 132, false), 8);
  // H = 128, B = 1: 8 units (4096 / 512) per block, 16 blocks rather than 128.
  EXPECT_EQ(persistent_slice(spec_of(Cell::LSTM, 128), 1, 132, false), 8);
}

TEST(PersistentPlan, SharedMemoryIsTheSliceOfWhhAndTheSums) {
  const RnnSpec gru = spec_of(Cell::GRU, 40);
  // Forward: G*S rows of roundup(H, 32) floats; backward: S rows of roundup(G*H, 32); both
  // plus kPersistentThreads floats.
  EXPECT_EQ(persistent_shape(gru, PersistentPass::Forward, 3).smem_bytes,
            (3 * 3 * 64 + kPersistentThreads) * 4);
  EXPECT_EQ(persistent_shape(gru, PersistentPass::Backward, 3).smem_bytes,
            (3 * 128 + kPersistentThreads) * 4);
  EXPECT_EQ(persistent_shape(gru, PersistentPass::Backward, 3).blocks, 14);
  // bfloat16: half the weights' bytes, rounded up to 16, then the float sums.
  EXPECT_EQ(persistent_shape(gru, PersistentPass::Forward, 3, true).smem_bytes,
            3 * 3 * 64 * 2 + kPersistentThreads * 4);
  EXPECT_EQ(
      persistent_shape(spec_of(Cell::RNN_TANH, 1), PersistentPass::Forward, 1, true).smem_bytes,
      32 * 2 + kPersistentThreads * 4);
}

TEST(PersistentPlan, RunsWhereItFitsWithTheGrid) {
  PersistentRequest r;
  r.spec = spec_of(Cell::LSTM, 1024);
  r.T = 50, r.B = 4;
  PersistentShape shape;
  EXPECT_EQ(persistent_decline_reason(r, h100(), &shape), "");
  EXPECT_EQ(shape.slice, 8);
  EXPECT_EQ(shape.blocks, 128);
  // Bidirectional: each direction's grid gets half the SMs.
  r.spec = spec_of(Cell::LSTM, 512, true);
  EXPECT_EQ(persistent_decline_reason(r, h100(), &shape), "");
  EXPECT_EQ(shape.slice, 8);
  EXPECT_EQ(shape.blocks, 64);
}

TEST(PersistentPlan, EveryReasonToDecline) {
  PersistentRequest r;
  r.spec = spec_of(Cell::LSTM, 256);
  r.T = 10, r.B = 2;
  ASSERT_EQ(reason(r), "");

  PersistentRequest step = r;
  step.path = CudaPath::Step;
  EXPECT_NE(reason(step).find("step path was asked"), std::string::npos);

  PersistentRequest f64 = r;
  f64.dtype = DType::F64;
  EXPECT_NE(reason(f64).find("float32 only, not F64"), std::string::npos) << reason(f64);

  PersistentRequest projected = r;
  projected.spec.proj_size = 100;
  EXPECT_NE(reason(projected).find("no LSTM projection (proj_size)"), std::string::npos);

  PersistentRequest ragged = r;
  ragged.ragged = true;
  EXPECT_NE(reason(ragged).find("no variable-length batches"), std::string::npos);

  PersistentDevice old = h100();
  old.cooperative = false;
  EXPECT_NE(reason(r, old).find("no cooperative launches"), std::string::npos);

  PersistentRequest big = r;
  big.spec = spec_of(Cell::LSTM, 1400);
  EXPECT_NE(reason(big).find("W_hh does not fit on chip: 11 units of H = 1400 per block"),
            std::string::npos)
      << reason(big);
  EXPECT_NE(reason(big).find("above the device's 232448 per block"), std::string::npos);
  // The same H fits in bfloat16 (half the bytes), and as an RNN (one gate).
  PersistentRequest half = big;
  half.bf16 = true;
  EXPECT_EQ(reason(half), "");
  big.spec = spec_of(Cell::RNN_TANH, 1400);
  EXPECT_EQ(reason(big), "");

  PersistentDevice full = h100();
  full.blocks_per_sm = [](Cell, PersistentPass, bool, int64_t) { return 0; };
  EXPECT_NE(reason(r, full).find("cannot be resident"), std::string::npos);

  PersistentDevice small = h100();
  small.sms = 10;  // the planner asks for at most 10 blocks, so only a bad count refuses
  PersistentRequest forced = r;
  forced.blocks = 64;
  PersistentShape shape;
  EXPECT_EQ(persistent_decline_reason(forced, small, &shape), "");
  EXPECT_EQ(shape.blocks, 10);

  // auto follows the model; persistent runs wherever it fits.
  PersistentRequest wide = r;
  wide.spec = spec_of(Cell::LSTM, 512);
  wide.B = 512;
  EXPECT_NE(reason(wide).find("the model predicts the step path faster at B = 512"),
            std::string::npos)
      << reason(wide);
  wide.path = CudaPath::Persistent;
  EXPECT_EQ(reason(wide), "");
}

TEST(PersistentPlan, ModelPredictsTheDocumentedNumbers) {
  // docs/PERFORMANCE.md's v1 and step entries for LSTM H = 1024 (bench/persistent_model.py).
  const RnnSpec lstm = spec_of(Cell::LSTM, 1024);
  EXPECT_NEAR(predicted_persistent_us(lstm, 1, 128), 2.2, 0.05);
  EXPECT_NEAR(predicted_persistent_us(lstm, 64, 128), 40.8, 0.05);
  EXPECT_NEAR(predicted_step_us(lstm, 1), 8.1, 0.05);
  EXPECT_NEAR(predicted_step_us(lstm, 64), 21.0, 0.05);
}

TEST(PersistentPlan, PathFromTheEnvironment) {
  ASSERT_EQ(unsetenv("RECUR_CUDA_PATH"), 0);
  EXPECT_EQ(cuda_path_from_env(), CudaPath::Auto);
  EXPECT_EQ(cuda_path_from_env(CudaPath::Step), CudaPath::Step);
  for (CudaPath p : {CudaPath::Auto, CudaPath::Persistent, CudaPath::Step}) {
    ASSERT_EQ(setenv("RECUR_CUDA_PATH", cuda_path_name(p), 1), 0);
    EXPECT_EQ(cuda_path_from_env(), p);
  }
  ASSERT_EQ(setenv("RECUR_CUDA_PATH", "fast", 1), 0);
  try {
    cuda_path_from_env();
    ADD_FAILURE() << "RECUR_CUDA_PATH=fast accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "RECUR_CUDA_PATH=fast: expected auto, persistent or step");
  }
  ASSERT_EQ(unsetenv("RECUR_CUDA_PATH"), 0);
}

#else

TEST(PersistentPlan, NeedsTheCudaBackend) {
  GTEST_SKIP() << "recur was built without the cuda backend (RECUR_CUDA=OFF)";
}

#endif

}  // namespace
}  // namespace recur::cuda
