// Model: an RNN (spec + parameters, run on a Backend) with an optional Embedding in front (for
// token inputs) and a Sequential head on its outputs, trained end to end. The backward runs
// the head's backward, then Backend::backward with the head's input gradient placed at the
// steps the head read, then the embedding's.
//
// Parameter names (in params() and in checkpoints): the RNN's PyTorch names ("weight_ih_l0",
// ...), "embedding.weight", and "head.<index>.<weight|bias>" as in torch.nn.Sequential.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "recur/backend.h"
#include "recur/rnn.h"
#include "recur/safetensors.h"
#include "recur/train/layers.h"
#include "recur/train/param.h"

namespace recur::train {

// Which RNN outputs the head sees: the last step only ([B, D*H] -> head -> [B, out]) or every
// step ([T*B, D*H], row t*B + b -> head -> [T*B, out]).
enum class Readout { Last, All };

// A recurrent state [L*D, B, H]; undefined tensors mean zeros. c is for LSTM only.
struct RnnState {
  Tensor h;
  Tensor c;
};

class Model {
 public:
  // `params` must match `spec` (which must not be batch_first: the model feeds [T, B, I]).
  // With an embedding, spec.input_size must equal its dim. The head's dtype must match.
  Model(const RnnSpec& spec, RnnParams params, Sequential head, std::shared_ptr<Backend> backend,
        std::optional<Embedding> embedding = std::nullopt);
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;

  // x [T, B, I]. `state` (optional): in, the initial state; out, the final state. In training,
  // `dropout_seed` seeds the RNN's and the head's dropout masks (a pure function of it).
  Tensor forward(const Tensor& x, Readout readout, bool training, RnnState* state = nullptr,
                 uint64_t dropout_seed = 0);
  // ids [T*B] (row t*B + b, each a token in [0, embedding num)) through the embedding.
  Tensor forward_tokens(const std::vector<int32_t>& ids, int64_t T, int64_t B, Readout readout,
                        bool training, RnnState* state = nullptr, uint64_t dropout_seed = 0);
  // dy: d loss / d (the last training forward's result). Writes every parameter's gradient
  // (see params()) and returns d loss / d x [T, B, I] (undefined after forward_tokens).
  Tensor backward(const Tensor& dy);

  ParamList params();  // values and gradients, sharing storage with the model
  int64_t num_parameters();

  const RnnSpec& spec() const { return spec_; }
  DType dtype() const { return rnn_.dtype(); }
  const RnnParams& rnn_params() const { return rnn_; }
  Sequential& head() { return head_; }
  bool has_embedding() const { return embedding_.has_value(); }
  Embedding& embedding() { return *embedding_; }
  Backend& backend() { return *backend_; }

  // Adds the parameters and the metadata that rebuilds the model: the spec (spec_to_metadata),
  // "head" (Sequential::describe) and, with an embedding, "embedding" = "<num>:<dim>".
  // (Not const: the head hands out its parameters through the non-const Layer::params.)
  void save(TensorFile& file);
  // Rebuilds a model from what save() wrote; `what` names the file in errors.
  static Model load(const TensorFile& file, std::shared_ptr<Backend> backend,
                    const std::string& what, DType dtype = DType::F32);

 private:
  Tensor run(const Tensor& x, Readout readout, bool training, RnnState* state,
             uint64_t dropout_seed);

  RnnSpec spec_;
  RnnParams rnn_;
  RnnParams rnn_grads_;  // persistent, so that params() handles stay valid across steps
  Sequential head_;
  std::shared_ptr<Backend> backend_;
  std::optional<Embedding> embedding_;

  // The last training forward, for backward.
  RnnInputs inputs_;
  RnnOutputs outputs_;
  Readout readout_ = Readout::Last;
  bool from_tokens_ = false;
};

}  // namespace recur::train
