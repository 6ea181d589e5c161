#include "recur/train/char_task.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "checkpoint.h"
#include "metadata.h"
#include "recur/model_io.h"
#include "recur/random.h"
#include "recur/safetensors.h"
#include "recur/train/loss.h"

namespace recur::train {

namespace {

constexpr uint64_t kWeightsStream = 0x1000;
constexpr uint64_t kHeadStream = 0x2000;
constexpr uint64_t kStepStream = 0x4000;
constexpr int64_t kValStreams = 16;
constexpr int64_t kValChunk = 128;

constexpr uint64_t kTextHashSeed = 0x243F6A8885A308D3ull;
constexpr char32_t kCodePoints = 0x110000;
// Ids are stored in 16 bits (so the text's ids take 2 bytes a character).
constexpr int32_t kMaxVocab = 65536;

void check_config(const CharConfig& c) {
  RECUR_CHECK(c.embed >= 1 && c.hidden >= 1 && c.layers >= 1,
              "embed, hidden and layers must be positive");
  RECUR_CHECK(c.batch >= 1 && c.seq >= 1, "batch and seq must be positive");
  RECUR_CHECK(c.dropout >= 0 && c.dropout < 1, "dropout must be in [0, 1), got {}", c.dropout);
  RECUR_CHECK(c.lr > 0 && std::isfinite(c.lr), "learning rate must be positive and finite, got {}",
              c.lr);
  RECUR_CHECK(std::isfinite(c.clip), "clip must be finite, got {}", c.clip);
  RECUR_CHECK(c.clip >= 0, "clip must be non-negative, got {}", c.clip);
  RECUR_CHECK(c.val_fraction > 0 && c.val_fraction < 1, "val fraction must be in (0, 1), got {}",
              c.val_fraction);
}

detail::Metadata config_metadata(const CharConfig& c) {
  using detail::format_double;
  return {{"task", "chars"},
          {"chars.batch", std::to_string(c.batch)},
          {"chars.seq", std::to_string(c.seq)},
          {"chars.lr", format_double(c.lr)},
          {"chars.clip", format_double(c.clip)},
          {"chars.val_fraction", format_double(c.val_fraction)},
          {"chars.seed", std::to_string(c.seed)},
          {"chars.backend", c.backend}};
}

CharConfig config_from_metadata(const detail::Metadata& m, const std::string& what) {
  using namespace detail;
  RECUR_CHECK(m.count("task") && m.at("task") == "chars", "{}: not a character-model checkpoint",
              what);
  const RnnSpec spec = spec_from_metadata(m, what);
  CharConfig c;
  c.cell = spec.cell;
  c.embed = spec.input_size;
  c.hidden = spec.hidden_size;
  c.layers = spec.num_layers;
  c.dropout = spec.dropout;
  c.batch = meta_int(m, "chars.batch", what);
  c.seq = meta_int(m, "chars.seq", what);
  c.lr = meta_double(m, "chars.lr", what);
  c.clip = meta_double(m, "chars.clip", what);
  c.val_fraction = meta_double(m, "chars.val_fraction", what);
  c.seed = meta_uint(m, "chars.seed", what);
  c.backend = meta_string(m, "chars.backend", what);
  return c;
}

}  // namespace

CharTask::CharTask(const std::string& text, const CharConfig& config, const std::string& what)
    : config_(config) {
  check_config(config_);
  // Three passes over the UTF-8 bytes rather than a decoded copy of the text: what is kept is
  // the ids, 2 bytes a character (recur train chars holds about 3x the text's size in all).
  uint64_t hash = kTextHashSeed;
  for (size_t pos = 0; pos < text.size(); ++text_chars_)
    hash = mix64(hash ^ next_utf8(text, &pos, what));
  text_hash_ = hash;
  const int64_t n_train = std::llround((1.0 - config_.val_fraction) * text_chars_);
  std::vector<bool> seen(kCodePoints);
  std::u32string distinct;
  size_t pos = 0;
  for (int64_t i = 0; i < n_train; ++i) {
    const char32_t c = next_utf8(text, &pos, what);
    if (!seen[c]) distinct.push_back(c);
    seen[c] = true;
  }
  vocab_ = Vocab(distinct);
  RECUR_CHECK(
      vocab_.size() <= kMaxVocab,
      "{}: the training part has {} distinct characters; a character model takes at most {}", what,
      vocab_.size(), kMaxVocab);
  std::vector<int32_t> id_of(kCodePoints, -1);
  for (int32_t id = 0; id < vocab_.size(); ++id) id_of[vocab_.chr(id)] = id;
  // A validation character the training part never shows cannot be encoded: those are dropped
  // (and counted by nothing), which is rare in real text and stated here.
  train_.reserve(static_cast<size_t>(n_train));
  val_.reserve(static_cast<size_t>(text_chars_ - n_train));
  pos = 0;
  for (int64_t i = 0; i < text_chars_; ++i) {
    const int32_t id = id_of[next_utf8(text, &pos, what)];
    if (i < n_train)
      train_.push_back(static_cast<uint16_t>(id));
    else if (id >= 0)
      val_.push_back(static_cast<uint16_t>(id));
  }
  stream_len_ = n_train / config_.batch;
  chunks_ = (stream_len_ - 1) / config_.seq;
  RECUR_CHECK(chunks_ >= 1,
              "{}: {} training characters are too few for {} streams of chunks of {} (need at "
              "least batch x (seq + 1))",
              what, n_train, config_.batch, config_.seq);
  RECUR_CHECK(static_cast<int64_t>(val_.size()) >= 2,
              "{}: the validation part is too short: the last {} of the text's {} characters, "
              "{} of them in the training part's vocabulary; at least 2 are needed",
              what, text_chars_ - n_train, text_chars_, val_.size());

  RnnSpec spec;
  spec.cell = config_.cell;
  spec.input_size = config_.embed;
  spec.hidden_size = config_.hidden;
  spec.num_layers = config_.layers;
  spec.dropout = config_.dropout;
  RnnParams params =
      RnnParams::init_uniform(spec, stream_seed(config_.seed, kWeightsStream, 0), config_.dtype);
  Rng rng(stream_seed(config_.seed, kHeadStream, 0));
  Embedding embedding(vocab_.size(), config_.embed, rng, config_.dtype);
  // The last layer's output gets the same dropout as the others (the RNN applies it only
  // between layers), as a Dropout in front of the output layer.
  const std::string out_layer = fmt::format("linear:{}:{}", config_.hidden, vocab_.size());
  Sequential head = Sequential::parse(
      config_.dropout > 0 ? fmt::format("dropout:{},{}", config_.dropout, out_layer) : out_layer,
      rng, config_.dtype);
  model_ = std::make_unique<Model>(spec, std::move(params), std::move(head),
                                   make_backend(config_.backend), std::move(embedding));
  AdamOptions adam;
  adam.lr = config_.lr;
  optimizer_ = std::make_unique<Adam>(adam);
}

double CharTask::epochs_done() const {
  return static_cast<double>(steps()) / static_cast<double>(chunks_);
}

double CharTask::train_step() {
  const int64_t T = config_.seq, B = config_.batch;
  const int64_t k = steps() % chunks_;
  if (k == 0) state_ = RnnState();  // the streams start over: so does the state
  std::vector<int32_t> ids(static_cast<size_t>(T * B)), targets(ids.size());
  for (int64_t t = 0; t < T; ++t)
    for (int64_t b = 0; b < B; ++b) {
      const size_t pos = static_cast<size_t>(b * stream_len_ + k * T + t);
      ids[t * B + b] = train_[pos];
      targets[t * B + b] = train_[pos + 1];
    }
  ParamList params = model_->params();
  const uint64_t seed = stream_seed(config_.seed, kStepStream, steps());
  const Tensor logits = model_->forward_tokens(ids, T, B, Readout::All, true, &state_, seed);
  const LossResult loss = cross_entropy(logits, targets);
  model_->backward(loss.grad);
  last_norm_ = config_.clip > 0 ? clip_grad_norm(params, config_.clip) : grad_norm(params);
  detail::check_step_finite(loss.loss, last_norm_, steps() + 1);
  optimizer_->step(params);
  return loss.loss;
}

double CharTask::validate(int64_t max_chars) {
  const int64_t n = static_cast<int64_t>(val_.size());
  const int64_t B = std::min<int64_t>(kValStreams, n / 2);
  // Stream b starts at b * stride, so that a shortened validation still samples the whole part.
  const int64_t stride = n / B;
  int64_t len = stride;
  if (max_chars > 0) len = std::min(len, std::max<int64_t>(2, max_chars / B + 1));
  RnnState state;
  double sum = 0;
  int64_t count = 0;
  // Positions [0, len - 1) of each stream predict the next character.
  for (int64_t start = 0; start < len - 1; start += kValChunk) {
    const int64_t T = std::min(kValChunk, len - 1 - start);
    std::vector<int32_t> ids(static_cast<size_t>(T * B)), targets(ids.size());
    for (int64_t t = 0; t < T; ++t)
      for (int64_t b = 0; b < B; ++b) {
        const size_t pos = static_cast<size_t>(b * stride + start + t);
        ids[t * B + b] = val_[pos];
        targets[t * B + b] = val_[pos + 1];
      }
    const Tensor logits = model_->forward_tokens(ids, T, B, Readout::All, false, &state);
    sum += cross_entropy(logits, targets).loss * static_cast<double>(T * B);
    count += T * B;
  }
  return sum / static_cast<double>(count);
}

void CharTask::save(const std::string& path) {
  TensorFile file;
  model_->save(file);
  optimizer_->save_state(file);
  for (const auto& [k, v] : config_metadata(config_)) file.metadata[k] = v;
  file.metadata["vocab"] = vocab_.to_metadata();
  file.metadata["text.chars"] = std::to_string(text_chars_);
  file.metadata["text.hash"] = std::to_string(text_hash_);
  if (state_.h.defined()) file.add("state.h", state_.h);
  if (state_.c.defined()) file.add("state.c", state_.c);
  std::vector<double> step, seconds, train, val;
  for (const Report& r : history_) {
    step.push_back(static_cast<double>(r.step));
    seconds.push_back(r.seconds);
    train.push_back(r.train_loss);
    val.push_back(r.val_loss);
  }
  file.metadata["history.step"] = detail::format_doubles(step);
  file.metadata["history.seconds"] = detail::format_doubles(seconds);
  file.metadata["history.train_loss"] = detail::format_doubles(train);
  file.metadata["history.val_loss"] = detail::format_doubles(val);
  detail::write_checkpoint(path, file);
}

CharTask CharTask::resume(const std::string& path, const std::string& text, const std::string& what,
                          const std::string& backend) {
  const TensorFile file = detail::read_checkpoint(path);
  CharConfig config = config_from_metadata(file.metadata, path);
  if (!backend.empty()) config.backend = backend;
  CharTask task(text, config, what);
  RECUR_CHECK(detail::meta_int(file.metadata, "text.chars", path) == task.text_chars_ &&
                  detail::meta_uint(file.metadata, "text.hash", path) == task.text_hash_,
              "{} was trained on a different text than {}", path, what);
  task.model_ =
      std::make_unique<Model>(Model::load(file, make_backend(config.backend), path, config.dtype));
  task.optimizer_->load_state(file, task.model_->params());
  const Shape state_shape = {config.layers, config.batch, config.hidden};
  if (const Tensor* h = file.find("state.h")) {
    check_shape(*h, state_shape, path + ": tensor 'state.h'");
    task.state_.h = h->to(config.dtype).clone();
  }
  if (const Tensor* c = file.find("state.c")) {
    check_shape(*c, state_shape, path + ": tensor 'state.c'");
    task.state_.c = c->to(config.dtype).clone();
  }
  if (file.metadata.count("history.step")) {  // absent in checkpoints of older versions
    const auto step = detail::meta_doubles(file.metadata, "history.step", path);
    const auto seconds = detail::meta_doubles(file.metadata, "history.seconds", path);
    const auto train = detail::meta_doubles(file.metadata, "history.train_loss", path);
    const auto val = detail::meta_doubles(file.metadata, "history.val_loss", path);
    RECUR_CHECK(
        seconds.size() == step.size() && train.size() == step.size() && val.size() == step.size(),
        "{}: history lengths differ", path);
    for (size_t i = 0; i < step.size(); ++i) {
      RECUR_CHECK(step[i] >= 0 && step[i] <= static_cast<double>(detail::kMaxSteps) &&
                      step[i] == std::floor(step[i]),
                  "{}: metadata 'history.step': {} is not a step count", path, step[i]);
      task.history_.push_back({static_cast<int64_t>(step[i]), seconds[i], train[i], val[i]});
    }
  }
  return task;
}

std::string sample_text(Model& model, const Vocab& vocab, const std::string& prime,
                        double temperature, int64_t length, uint64_t seed, bool greedy) {
  std::string text;
  sample_text(model, vocab, prime, temperature, length, seed, greedy,
              [&text](const std::string& piece) { text += piece; });
  return text;
}

void sample_text(Model& model, const Vocab& vocab, const std::string& prime, double temperature,
                 int64_t length, uint64_t seed, bool greedy,
                 const std::function<void(const std::string&)>& emit) {
  RECUR_CHECK(temperature > 0 && std::isfinite(temperature),
              "temperature must be a positive number, got {}", temperature);
  RECUR_CHECK(length >= 0, "length must be non-negative, got {}", length);
  RECUR_CHECK(model.has_embedding(), "sample: the model has no embedding (not a character model)");
  const std::u32string prime_chars = decode_utf8(prime, "the prime text");
  std::vector<int32_t> ids = vocab.encode(prime_chars);
  if (ids.empty()) ids.push_back(vocab.contains(U'\n') ? vocab.id(U'\n') : 0);
  Rng rng(seed);
  RnnState state;
  Tensor logits =
      model.forward_tokens(ids, static_cast<int64_t>(ids.size()), 1, Readout::Last, false, &state);
  emit(prime);
  for (int64_t i = 0; i < length; ++i) {
    const std::vector<double> p = softmax_row(logits, 0, temperature);
    int32_t next = static_cast<int32_t>(std::max_element(p.begin(), p.end()) - p.begin());
    if (!greedy) {
      double u = rng.uniform();
      next = static_cast<int32_t>(p.size()) - 1;
      for (size_t j = 0; j < p.size(); ++j) {
        if (u < p[j]) {
          next = static_cast<int32_t>(j);
          break;
        }
        u -= p[j];
      }
    }
    emit(encode_utf8(std::u32string(1, vocab.chr(next))));
    logits = model.forward_tokens({next}, 1, 1, Readout::Last, false, &state);
  }
}

CharModel load_char_model(const std::string& path, const std::string& backend) {
  const TensorFile file = detail::read_checkpoint(path);
  RECUR_CHECK(file.metadata.count("task") && file.metadata.at("task") == "chars",
              "{}: not a character-model checkpoint (written by recur train chars)", path);
  CharModel m;
  m.vocab = Vocab::from_metadata(detail::meta_string(file.metadata, "vocab", path), path);
  m.model = std::make_unique<Model>(Model::load(file, make_backend(backend), path));
  RECUR_CHECK(m.model->has_embedding() && m.model->embedding().num() == m.vocab.size(),
              "{}: the embedding does not match the vocabulary of {} characters", path,
              m.vocab.size());
  Sequential& head = m.model->head();
  const auto* last = head.size() ? dynamic_cast<const Linear*>(&head[head.size() - 1]) : nullptr;
  RECUR_CHECK(last != nullptr && last->out_features() == m.vocab.size(),
              "{}: the head ('{}') must end in a Linear layer with one output per character of "
              "the vocabulary ({})",
              path, head.describe(), m.vocab.size());
  return m;
}

}  // namespace recur::train
