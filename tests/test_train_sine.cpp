// The sine task end to end at a tiny size: training lowers the loss below a stated bound, a
// checkpoint reloads into the same model, and a resumed run continues exactly the run that
// was interrupted (same losses, same weights).
#include <cmath>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "recur/safetensors.h"
#include "recur/train/sine_task.h"
#include "support/compare.h"
#include "support/subprocess.h"

namespace recur::train {
namespace {

SineConfig tiny(const std::string& backend, Cell cell = Cell::LSTM) {
  SineConfig c;
  c.points = 400;
  c.t_max = 40.0;
  c.window = 12;
  c.cell = cell;
  c.hidden = 12;
  c.layers = 2;
  c.dropout = 0.1;
  c.head_hidden = 8;
  c.batch = 16;
  c.lr = 1e-2;
  c.seed = 3;
  c.backend = backend;
  return c;
}

TEST(TrainSine, ShortRunLearnsTheWave) {
  // The scaled series ([0, 1]) has variance about 0.125; predicting its mean scores that. After
  // 8 epochs a 12-unit LSTM must be far better: below 0.0125 on the scaled test part, and
  // below 0.05 in original units (noise alone is 0.01).
  SineTask task(tiny("cpu"));
  const double before = task.test_loss();
  const int epochs = 8;
  for (int e = 0; e < epochs; ++e) task.train_epoch();
  const auto& h = task.history();
  ASSERT_EQ(h.size(), static_cast<size_t>(epochs));
  EXPECT_GT(before, 0.05);
  EXPECT_LT(h.back().train_loss, h.front().train_loss);
  EXPECT_LT(h.back().test_loss, 0.0125);
  EXPECT_LT(task.test_mse(), 0.05);
  EXPECT_EQ(task.predict_test().size(), 80u);  // one prediction per value of the last 20%
}

TEST(TrainSine, CheckpointRoundTripAndResumeContinueTheSameRun) {
  test::TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  SineTask straight(tiny("cpu-ref", Cell::GRU));
  straight.train_epoch();
  straight.train_epoch();
  straight.save(path);
  for (int e = 0; e < 2; ++e) straight.train_epoch();

  SineTask resumed = SineTask::resume(path);
  EXPECT_EQ(resumed.epoch(), 2);
  EXPECT_EQ(resumed.steps(), straight.steps() / 2);
  ASSERT_EQ(resumed.history().size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    EXPECT_EQ(resumed.history()[e].train_loss, straight.history()[e].train_loss);
    EXPECT_EQ(resumed.history()[e].test_loss, straight.history()[e].test_loss);
  }
  for (int e = 0; e < 2; ++e) resumed.train_epoch();
  for (size_t e = 2; e < 4; ++e) {
    EXPECT_EQ(resumed.history()[e].train_loss, straight.history()[e].train_loss) << e;
    EXPECT_EQ(resumed.history()[e].test_loss, straight.history()[e].test_loss) << e;
  }
  ParamList a = straight.model().params(), b = resumed.model().params();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_TRUE(test::close(b[i].value, a[i].value, {0, 0}, a[i].name));
  }

  // The file: RNN under PyTorch names, the head as head.<k>.*, Adam's buffers, the spec.
  const TensorFile file = read_safetensors(path);
  for (const char* name : {"weight_ih_l0", "bias_hh_l1", "head.0.weight", "head.2.bias",
                           "optim.exp_avg.weight_hh_l0", "optim.exp_avg_sq.head.2.weight"})
    EXPECT_NE(file.find(name), nullptr) << name;
  EXPECT_EQ(file.metadata.at("mode"), "GRU");
  EXPECT_EQ(file.metadata.at("head"), "linear:12:8,relu,linear:8:1");
}

TEST(TrainSine, ResumeRejectsOtherFiles) {
  test::TempDir dir;
  EXPECT_THROW(SineTask::resume(dir.file("missing.safetensors")), Error);
  TensorFile other;
  other.metadata["task"] = "chars";
  write_safetensors(dir.file("other.safetensors"), other);
  EXPECT_THROW(SineTask::resume(dir.file("other.safetensors")), Error);
}

}  // namespace
}  // namespace recur::train
