#include "recur/train/sine_task.h"

#include <algorithm>
#include <cmath>

#include "checkpoint.h"
#include "metadata.h"
#include "recur/model_io.h"
#include "recur/random.h"
#include "recur/safetensors.h"
#include "recur/train/loss.h"

namespace recur::train {

namespace {

// Distinct streams of the one seed: weights, head, batch order per epoch, dropout per step.
constexpr uint64_t kWeightsStream = 0x1000;
constexpr uint64_t kHeadStream = 0x2000;
constexpr uint64_t kEpochStream = 0x3000;
constexpr uint64_t kStepStream = 0x4000;
constexpr int64_t kEvalBatch = 512;

void check_config(const SineConfig& c) {
  RECUR_CHECK(c.points >= 3, "points must be at least 3, got {}", c.points);
  RECUR_CHECK(c.window >= 1, "window must be at least 1, got {}", c.window);
  RECUR_CHECK(c.hidden >= 1 && c.layers >= 1 && c.head_hidden >= 1,
              "hidden, layers and head size must be positive");
  RECUR_CHECK(c.dropout >= 0 && c.dropout < 1, "dropout must be in [0, 1), got {}", c.dropout);
  RECUR_CHECK(c.lr > 0 && std::isfinite(c.lr), "learning rate must be positive and finite, got {}",
              c.lr);
  RECUR_CHECK(std::isfinite(c.clip), "clip must be finite, got {}", c.clip);
  RECUR_CHECK(c.batch >= 1, "batch must be at least 1, got {}", c.batch);
  RECUR_CHECK(c.clip >= 0, "clip must be non-negative, got {}", c.clip);
  RECUR_CHECK(c.epochs >= 0, "epochs must be non-negative, got {}", c.epochs);
}

detail::Metadata config_metadata(const SineConfig& c) {
  using detail::format_double;
  return {{"task", "sine"},
          {"sine.points", std::to_string(c.points)},
          {"sine.t_max", format_double(c.t_max)},
          {"sine.freq", format_double(c.freq)},
          {"sine.noise", format_double(c.noise)},
          {"sine.window", std::to_string(c.window)},
          {"sine.train_fraction", format_double(c.train_fraction)},
          {"sine.scale_lo", format_double(c.scale_lo)},
          {"sine.scale_hi", format_double(c.scale_hi)},
          {"sine.head_hidden", std::to_string(c.head_hidden)},
          {"sine.lr", format_double(c.lr)},
          {"sine.batch", std::to_string(c.batch)},
          {"sine.clip", format_double(c.clip)},
          {"sine.epochs", std::to_string(c.epochs)},
          {"sine.seed", std::to_string(c.seed)},
          {"sine.backend", c.backend}};
}

SineConfig config_from_metadata(const detail::Metadata& m, const std::string& what) {
  using namespace detail;
  RECUR_CHECK(m.count("task") && m.at("task") == "sine", "{}: not a sine checkpoint", what);
  const RnnSpec spec = spec_from_metadata(m, what);
  SineConfig c;
  c.points = meta_int(m, "sine.points", what);
  c.t_max = meta_double(m, "sine.t_max", what);
  c.freq = meta_double(m, "sine.freq", what);
  c.noise = meta_double(m, "sine.noise", what);
  c.window = meta_int(m, "sine.window", what);
  c.train_fraction = meta_double(m, "sine.train_fraction", what);
  c.scale_lo = meta_double(m, "sine.scale_lo", what);
  c.scale_hi = meta_double(m, "sine.scale_hi", what);
  c.cell = spec.cell;
  c.hidden = spec.hidden_size;
  c.layers = spec.num_layers;
  c.dropout = spec.dropout;
  c.head_hidden = meta_int(m, "sine.head_hidden", what);
  c.lr = meta_double(m, "sine.lr", what);
  c.batch = meta_int(m, "sine.batch", what);
  c.clip = meta_double(m, "sine.clip", what);
  c.epochs = meta_int(m, "sine.epochs", what);
  c.seed = meta_uint(m, "sine.seed", what);
  c.backend = meta_string(m, "sine.backend", what);
  return c;
}

}  // namespace

SineTask::SineTask(const SineConfig& config)
    : config_(config), scaler_(config.scale_lo, config.scale_hi) {
  check_config(config_);
  series_ = noisy_sine(config_.points, config_.t_max, config_.freq, config_.noise, config_.seed);
  split_ = split_windows(config_.points, config_.window, config_.train_fraction);
  // Fitted on the training part only: the test part must not leak into the model's inputs.
  scaler_.fit(series_.data(), split_.split);
  scaled_ = scaler_.transform(series_);

  RnnSpec spec;
  spec.cell = config_.cell;
  spec.input_size = 1;
  spec.hidden_size = config_.hidden;
  spec.num_layers = config_.layers;
  spec.dropout = config_.dropout;
  RnnParams params =
      RnnParams::init_uniform(spec, stream_seed(config_.seed, kWeightsStream, 0), config_.dtype);
  Rng head_rng(stream_seed(config_.seed, kHeadStream, 0));
  Sequential head = Sequential::parse(fmt::format("linear:{}:{},relu,linear:{}:1", config_.hidden,
                                                  config_.head_hidden, config_.head_hidden),
                                      head_rng, config_.dtype);
  std::shared_ptr<Backend> backend = make_backend(config_.backend);
  model_ = std::make_unique<Model>(spec, std::move(params), std::move(head), std::move(backend));
  AdamOptions adam;
  adam.lr = config_.lr;
  optimizer_ = std::make_unique<Adam>(adam);
}

void SineTask::set_epochs(int64_t epochs) {
  RECUR_CHECK(epochs >= 0, "epochs must be non-negative, got {}", epochs);
  config_.epochs = epochs;
}

EpochRecord SineTask::train_epoch(const BatchCallback& on_batch) {
  const auto batches = shuffled_batches(split_.train_begin, split_.train_end, config_.batch,
                                        stream_seed(config_.seed, kEpochStream, epoch()));
  ParamList params = model_->params();
  double loss_sum = 0, norm_sum = 0;
  grad_norm_max_ = 0;
  Tensor x, y;
  for (size_t i = 0; i < batches.size(); ++i) {
    gather_windows(scaled_, config_.window, batches[i], config_.dtype, &x, &y);
    const uint64_t seed = stream_seed(config_.seed, kStepStream, optimizer_->steps());
    const Tensor pred = model_->forward(x, Readout::Last, /*training=*/true, nullptr, seed);
    const LossResult loss = mse_loss(pred, y);
    model_->backward(loss.grad);
    const double norm = config_.clip > 0 ? clip_grad_norm(params, config_.clip) : grad_norm(params);
    detail::check_step_finite(loss.loss, norm, optimizer_->steps() + 1);
    optimizer_->step(params);
    loss_sum += loss.loss * static_cast<double>(batches[i].size());
    norm_sum += norm;
    grad_norm_max_ = std::max(grad_norm_max_, norm);
    if (on_batch)
      on_batch(static_cast<int64_t>(i), static_cast<int64_t>(batches.size()), loss.loss);
  }
  grad_norm_mean_ = batches.empty() ? 0.0 : norm_sum / static_cast<double>(batches.size());
  EpochRecord r;
  r.train_loss = loss_sum / static_cast<double>(split_.train_count());
  r.test_loss = test_loss();
  history_.push_back(r);
  return r;
}

double SineTask::evaluate(std::vector<double>* predictions) {
  double sum = 0;
  Tensor x, y;
  for (const auto& batch : ordered_batches(split_.test_begin, split_.test_end, kEvalBatch)) {
    gather_windows(scaled_, config_.window, batch, config_.dtype, &x, &y);
    const Tensor pred = model_->forward(x, Readout::Last, /*training=*/false);
    for (int64_t b = 0; b < pred.numel(); ++b) {
      const double e = pred.item(b) - y.item(b);
      sum += e * e;
      if (predictions) predictions->push_back(pred.item(b));
    }
  }
  return sum / static_cast<double>(split_.test_count());
}

double SineTask::test_loss() {
  return evaluate(nullptr);
}

std::vector<double> SineTask::predict_test() {
  std::vector<double> p;
  evaluate(&p);
  return scaler_.inverse_transform(p);
}

double SineTask::test_mse() {
  const std::vector<double> p = predict_test();
  double sum = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double e = p[i] - series_[static_cast<size_t>(split_.split) + i];
    sum += e * e;
  }
  return sum / static_cast<double>(p.size());
}

double SineTask::test_mse_vs_clean() {
  const std::vector<double> p = predict_test();
  const std::vector<double> clean =
      noisy_sine(config_.points, config_.t_max, config_.freq, 0.0, config_.seed);
  double sum = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double e = p[i] - clean[static_cast<size_t>(split_.split) + i];
    sum += e * e;
  }
  return sum / static_cast<double>(p.size());
}

void SineTask::save(const std::string& path) {
  TensorFile file;
  model_->save(file);
  optimizer_->save_state(file);
  for (const auto& [k, v] : config_metadata(config_)) file.metadata[k] = v;
  for (const auto& [k, v] : scaler_.to_metadata()) file.metadata[k] = v;
  std::vector<double> train, test;
  for (const EpochRecord& r : history_) {
    train.push_back(r.train_loss);
    test.push_back(r.test_loss);
  }
  file.metadata["history.train_loss"] = detail::format_doubles(train);
  file.metadata["history.test_loss"] = detail::format_doubles(test);
  detail::write_checkpoint(path, file);
}

SineTask SineTask::resume(const std::string& path, const std::string& backend) {
  const TensorFile file = detail::read_checkpoint(path);
  SineConfig config = config_from_metadata(file.metadata, path);
  if (!backend.empty()) config.backend = backend;
  SineTask task(config);
  task.model_ =
      std::make_unique<Model>(Model::load(file, make_backend(config.backend), path, config.dtype));
  task.optimizer_->load_state(file, task.model_->params());
  const auto train = detail::meta_doubles(file.metadata, "history.train_loss", path);
  const auto test = detail::meta_doubles(file.metadata, "history.test_loss", path);
  RECUR_CHECK(train.size() == test.size(), "{}: history lengths differ", path);
  for (size_t i = 0; i < train.size(); ++i) task.history_.push_back({train[i], test[i]});
  return task;
}

}  // namespace recur::train
