// The character-level language model (`recur train chars`, `recur sample`): embedding -> RNN ->
// Linear over the vocabulary, trained with cross-entropy by truncated backpropagation through
// time with carried state.
//
// Layout: the first (1 - val_fraction) of the text (in characters) is for training, the rest
// for validation. The training part is cut into `batch` contiguous streams, read side by side in
// chunks of `seq` steps; each chunk starts from the state the previous chunk ended in (no
// gradient flows across chunks), and state resets to zero when the streams wrap around (a new
// epoch). Step s reads chunk s mod (chunks per epoch), so the position is a function of the step
// and a resumed run (which restores the carried state) continues exactly.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "recur/rnn.h"
#include "recur/train/model.h"
#include "recur/train/optim.h"
#include "recur/train/text.h"

namespace recur::train {

struct CharConfig {
  Cell cell = Cell::LSTM;
  int64_t embed = 64;
  int64_t hidden = 256;
  int64_t layers = 2;
  double dropout = 0.2;  // on every RNN layer's output: between layers and before the head
  int64_t batch = 32;    // parallel streams
  int64_t seq = 64;      // steps per chunk (the truncation length)
  double lr = 3e-3;
  double clip = 5.0;  // global gradient norm; 0 disables clipping
  double val_fraction = 0.1;
  uint64_t seed = 0;
  std::string backend = "auto";
  DType dtype = DType::F32;
};

class CharTask {
 public:
  // `text` is UTF-8; `what` names it in errors. The training part may hold at most 65536
  // distinct characters. Keeps 2 bytes a character of `text` (not a copy of it).
  CharTask(const std::string& text, const CharConfig& config, const std::string& what);
  // Continues the run saved in `path` on the same text (checked by length and hash).
  static CharTask resume(const std::string& path, const std::string& text, const std::string& what,
                         const std::string& backend = "");

  // One chunk for all streams: forward, backward, clip, Adam. Returns the chunk's mean loss in
  // nats per character.
  double train_step();
  // Mean cross-entropy in nats per character over the validation part (inference, carried
  // state, 16 streams), or over about `max_chars` characters spread over it when max_chars > 0.
  double validate(int64_t max_chars = 0);

  void save(const std::string& path);  // atomically; includes the carried state

  const CharConfig& config() const { return config_; }
  const Vocab& vocab() const { return vocab_; }
  Model& model() { return *model_; }
  int64_t steps() const { return optimizer_->steps(); }
  int64_t chunks_per_epoch() const { return chunks_; }
  double epochs_done() const;  // fractional
  int64_t train_chars() const { return static_cast<int64_t>(train_.size()); }
  int64_t val_chars() const { return static_cast<int64_t>(val_.size()); }
  double last_grad_norm() const { return last_norm_; }

  // The run's validation reports, kept in checkpoints so that a resumed run's curves continue.
  struct Report {
    int64_t step = 0;
    double seconds = 0;     // training time since the run began, over all sessions
    double train_loss = 0;  // mean since the previous report (NaN when no step was taken)
    double val_loss = 0;
  };
  void add_report(const Report& r) { history_.push_back(r); }
  const std::vector<Report>& history() const { return history_; }

 private:
  CharConfig config_;
  Vocab vocab_;
  std::vector<uint16_t> train_, val_;  // the text as vocabulary ids (at most 65536 of them)
  uint64_t text_hash_ = 0;
  int64_t text_chars_ = 0;
  int64_t stream_len_ = 0, chunks_ = 0;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Adam> optimizer_;
  RnnState state_;
  double last_norm_ = 0;
  std::vector<Report> history_;
};

// Generates `length` characters after `prime` (which must use the model's vocabulary; empty:
// start from a newline, or the first character when the vocabulary has none), sampling each from
// softmax(logits / temperature) with a generator seeded by `seed`, or, when `greedy`, taking the
// most likely character (the first on a tie; temperature and seed then play no part). Returns
// prime + the sample.
std::string sample_text(Model& model, const Vocab& vocab, const std::string& prime,
                        double temperature, int64_t length, uint64_t seed, bool greedy = false);
// The same sample, handed to `emit` as it is made: the prime, then each character as UTF-8.
void sample_text(Model& model, const Vocab& vocab, const std::string& prime, double temperature,
                 int64_t length, uint64_t seed, bool greedy,
                 const std::function<void(const std::string&)>& emit);

// Loads a checkpoint written by CharTask::save for sampling: the model and its vocabulary.
struct CharModel {
  std::unique_ptr<Model> model;
  Vocab vocab;
};
CharModel load_char_model(const std::string& path, const std::string& backend = "auto");

}  // namespace recur::train
