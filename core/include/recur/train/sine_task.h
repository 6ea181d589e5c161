// The sine forecasting experiment (`recur train sine`): a noisy sine series, windows of
// `window` values predicting the next one, an RNN with a small MLP head on its last step,
// MSE, Adam, gradient clipping. SineTask owns the data, the model and the optimizer, trains one
// epoch at a time, evaluates, and saves/resumes checkpoints that continue the same run.
//
// Reproducibility: everything random is a pure function of the seed — the series' noise, the
// initial weights, epoch e's batch order (seeded by (seed, e)) and step s's dropout masks
// (seeded by (seed, s)) — so a run resumed from a checkpoint at an epoch boundary produces the
// same losses as one that never stopped.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "recur/rnn.h"
#include "recur/train/data.h"
#include "recur/train/model.h"
#include "recur/train/optim.h"

namespace recur::train {

struct SineConfig {
  // data: sin(freq t) + noise N(0,1), t = linspace(0, t_max, points)
  int64_t points = 2000;
  double t_max = 100.0;
  double freq = 0.5;
  double noise = 0.1;
  int64_t window = 50;
  double train_fraction = 0.8;
  // MinMax scaling of the series (fitted on the training part) to [scale_lo, scale_hi];
  // [0, 1] is scikit-learn's default and the classic experiment's (docs/RESULTS.md compares
  // [-1, 1]: the same mean over seeds).
  double scale_lo = 0.0;
  double scale_hi = 1.0;
  // model: RNN -> Linear(H, head_hidden) -> ReLU -> Linear(head_hidden, 1) on the last step
  Cell cell = Cell::LSTM;
  int64_t hidden = 128;
  int64_t layers = 2;
  double dropout = 0.2;  // between RNN layers
  int64_t head_hidden = 32;
  // training
  double lr = 1e-3;
  int64_t batch = 32;
  double clip = 1.0;  // global gradient norm; 0 disables clipping
  int64_t epochs = 50;
  uint64_t seed = 0;
  std::string backend = "auto";
  DType dtype = DType::F32;
};

// One epoch's record: mean training loss over its batches and test loss, both MSE in the
// scaled units the model sees.
struct EpochRecord {
  double train_loss = 0;
  double test_loss = 0;
};

class SineTask {
 public:
  explicit SineTask(const SineConfig& config);
  // Rebuilds the task from a checkpoint written by save(): config, weights, optimizer state,
  // history. `backend` overrides the backend name stored in it when non-empty.
  static SineTask resume(const std::string& path, const std::string& backend = "");

  // Called after each batch: (batch index, batches in the epoch, batch loss).
  using BatchCallback = std::function<void(int64_t, int64_t, double)>;
  // Trains one epoch (shuffled mini-batches, clipping, Adam), then evaluates on the test
  // windows; appends and returns the record.
  EpochRecord train_epoch(const BatchCallback& on_batch = nullptr);
  // Test MSE in the scaled units.
  double test_loss();
  // Predictions for the test targets (series values split..n-1), in original units.
  std::vector<double> predict_test();
  // Test MSE in original units, and of the same predictions against the noise-free sine.
  double test_mse();
  double test_mse_vs_clean();

  void save(const std::string& path);  // atomically
  // Changes the run's total number of epochs (a resumed run extended with --epochs).
  void set_epochs(int64_t epochs);

  const SineConfig& config() const { return config_; }
  int64_t epoch() const { return static_cast<int64_t>(history_.size()); }
  int64_t steps() const { return optimizer_->steps(); }
  const std::vector<EpochRecord>& history() const { return history_; }
  const std::vector<double>& series() const { return series_; }  // original units
  const WindowSplit& split() const { return split_; }
  const MinMaxScaler& scaler() const { return scaler_; }
  Model& model() { return *model_; }
  // The last epoch's pre-clip gradient norms: mean and max.
  double last_grad_norm_mean() const { return grad_norm_mean_; }
  double last_grad_norm_max() const { return grad_norm_max_; }

 private:
  double evaluate(std::vector<double>* predictions);

  SineConfig config_;
  std::vector<double> series_;  // original units
  std::vector<double> scaled_;
  WindowSplit split_;
  MinMaxScaler scaler_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Adam> optimizer_;
  std::vector<EpochRecord> history_;
  double grad_norm_mean_ = 0, grad_norm_max_ = 0;
};

}  // namespace recur::train
