#include "recur/train/model.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "recur/model_io.h"
#include "recur/random.h"

namespace recur::train {

Model::Model(const RnnSpec& spec, RnnParams params, Sequential head,
             std::shared_ptr<Backend> backend, std::optional<Embedding> embedding)
    : spec_(spec),
      rnn_(std::move(params)),
      head_(std::move(head)),
      backend_(std::move(backend)),
      embedding_(std::move(embedding)) {
  spec_.validate();
  RECUR_CHECK(!spec_.batch_first, "Model: the RNN must take [T, B, I] input (batch_first off)");
  RECUR_CHECK(rnn_.spec().cell == spec_.cell && rnn_.spec().input_size == spec_.input_size &&
                  rnn_.spec().hidden_size == spec_.hidden_size &&
                  rnn_.spec().num_layers == spec_.num_layers &&
                  rnn_.spec().bidirectional == spec_.bidirectional &&
                  rnn_.spec().bias == spec_.bias,
              "Model: the parameters were made for a different network");
  RECUR_CHECK(backend_ != nullptr, "Model: no backend");
  if (embedding_) {
    RECUR_CHECK(embedding_->dim() == spec_.input_size,
                "Model: embedding dim {} differs from the RNN's input size {}", embedding_->dim(),
                spec_.input_size);
    RECUR_CHECK(embedding_->weight().dtype() == rnn_.dtype(), "Model: embedding dtype differs");
  }
  for (const Param& p : head_.params("head"))
    RECUR_CHECK(p.value.dtype() == rnn_.dtype(), "Model: {} has dtype {}, the RNN {}", p.name,
                dtype_name(p.value.dtype()), dtype_name(rnn_.dtype()));
  rnn_grads_ = RnnParams(spec_, rnn_.dtype());
}

Tensor Model::forward(const Tensor& x, Readout readout, bool training, RnnState* state,
                      uint64_t dropout_seed) {
  from_tokens_ = false;
  return run(x, readout, training, state, dropout_seed);
}

Tensor Model::forward_tokens(const std::vector<int32_t>& ids, int64_t T, int64_t B, Readout readout,
                             bool training, RnnState* state, uint64_t dropout_seed) {
  RECUR_CHECK(embedding_.has_value(), "Model: forward_tokens needs an embedding");
  RECUR_CHECK(T > 0 && B > 0 && static_cast<int64_t>(ids.size()) == T * B,
              "Model: {} token ids for T={} B={}", ids.size(), T, B);
  const Tensor x = embedding_->forward(ids).reshape({T, B, embedding_->dim()});
  from_tokens_ = true;
  return run(x, readout, training, state, dropout_seed);
}

Tensor Model::run(const Tensor& x, Readout readout, bool training, RnnState* state,
                  uint64_t dropout_seed) {
  RnnInputs in;
  in.input = x;
  if (state) {
    in.h0 = state->h;
    if (spec_.has_cell_state()) in.c0 = state->c;
  }
  ForwardOptions options;
  options.training = training;
  options.dropout_seed = dropout_seed;
  RnnOutputs out = backend_->forward(spec_, rnn_, in, options);
  if (state) {
    state->h = out.h_n;
    state->c = out.c_n;
  }

  const int64_t T = x.dim(0), B = x.dim(1), DH = spec_.directions() * spec_.hidden_size;
  Tensor features;
  if (readout == Readout::All) {
    features = out.output.reshape({T * B, DH});
  } else {
    features = Tensor::empty({B, DH}, out.output.dtype());
    const size_t row_bytes = static_cast<size_t>(B * DH) * dtype_size(out.output.dtype());
    std::memcpy(features.raw(),
                static_cast<const char*>(out.output.raw()) + static_cast<size_t>(T - 1) * row_bytes,
                row_bytes);
  }
  // A different stream of head masks than the RNN's, still a pure function of the seed.
  if (training) head_.reseed(mix64(dropout_seed ^ 0x5EEDF00Dull));
  Tensor y = head_.forward(features, training);

  if (training) {
    inputs_ = std::move(in);
    outputs_ = std::move(out);
    readout_ = readout;
  } else {
    inputs_ = RnnInputs();
    outputs_ = RnnOutputs();
  }
  return y;
}

Tensor Model::backward(const Tensor& dy) {
  RECUR_CHECK(outputs_.saved != nullptr, "Model: backward without a training forward");
  const Tensor d_features = head_.backward(dy);
  const Tensor& output = outputs_.output;
  const int64_t T = output.dim(0), B = output.dim(1), DH = output.dim(2);

  RnnGradOutputs g;
  if (readout_ == Readout::All) {
    g.output = d_features.reshape({T, B, DH});
  } else {
    g.output = Tensor::zeros(output.shape(), output.dtype());
    const size_t row_bytes = static_cast<size_t>(B * DH) * dtype_size(output.dtype());
    std::memcpy(static_cast<char*>(g.output.raw()) + static_cast<size_t>(T - 1) * row_bytes,
                d_features.raw(), row_bytes);
  }
  RnnGrads grads = backend_->backward(spec_, rnn_, inputs_, outputs_, g);
  for (size_t i = 0; i < rnn_grads_.size(); ++i) {
    RECUR_ASSERT(grads.params[i].nbytes() == rnn_grads_[i].nbytes());
    std::memcpy(rnn_grads_[i].raw(), grads.params[i].raw(), rnn_grads_[i].nbytes());
  }
  if (from_tokens_) {
    embedding_->backward(grads.input.reshape({T * B, grads.input.dim(2)}));
    return Tensor();
  }
  return grads.input;
}

ParamList Model::params() {
  ParamList all;
  for (size_t i = 0; i < rnn_.size(); ++i) all.push_back({rnn_.name(i), rnn_[i], rnn_grads_[i]});
  if (embedding_)
    for (Param& p : embedding_->params("embedding")) all.push_back(std::move(p));
  for (Param& p : head_.params("head")) all.push_back(std::move(p));
  return all;
}

int64_t Model::num_parameters() {
  int64_t n = 0;
  for (const Param& p : params()) n += p.value.numel();
  return n;
}

void Model::save(TensorFile& file) {
  add_params(file, rnn_);
  for (const auto& [key, value] : spec_to_metadata(spec_)) file.metadata[key] = value;
  file.metadata["head"] = head_.describe();
  if (embedding_) {
    file.metadata["embedding"] = fmt::format("{}:{}", embedding_->num(), embedding_->dim());
    file.add("embedding.weight", embedding_->weight());
  }
  for (const Param& p : head_.params("head")) file.add(p.name, p.value);
}

namespace {

Tensor load_tensor(const TensorFile& file, const std::string& name, const Shape& shape, DType dtype,
                   const std::string& what) {
  const Tensor* t = file.find(name);
  RECUR_CHECK(t != nullptr, "{}: missing tensor '{}'", what, name);
  check_shape(*t, shape, what + ": tensor '" + name + "'");
  return t->to(dtype).clone();
}

}  // namespace

Model Model::load(const TensorFile& file, std::shared_ptr<Backend> backend, const std::string& what,
                  DType dtype) {
  const RnnSpec spec = spec_from_metadata(file.metadata, what);
  RnnParams params = params_from_file(spec, file, what, dtype, /*allow_extra=*/true);

  auto head_it = file.metadata.find("head");
  RECUR_CHECK(head_it != file.metadata.end(), "{}: metadata has no 'head' (not a recur model)",
              what);
  Rng unused(0);  // the layers' fresh values are all replaced below
  Sequential head = Sequential::parse(head_it->second, unused, dtype);
  for (Param& p : head.params("head")) {
    const Tensor t = load_tensor(file, p.name, p.value.shape(), dtype, what);
    std::memcpy(p.value.raw(), t.raw(), t.nbytes());
  }

  std::optional<Embedding> embedding;
  auto emb_it = file.metadata.find("embedding");
  if (emb_it != file.metadata.end()) {
    long long num = 0, dim = 0;
    char tail = 0;
    RECUR_CHECK(std::sscanf(emb_it->second.c_str(), "%lld:%lld%c", &num, &dim, &tail) == 2 &&
                    num > 0 && dim > 0,
                "{}: metadata 'embedding' = '{}' is not '<num>:<dim>'", what, emb_it->second);
    embedding.emplace(num, dim, unused, dtype);
    const Tensor t = load_tensor(file, "embedding.weight", {num, dim}, dtype, what);
    std::memcpy(embedding->weight().raw(), t.raw(), t.nbytes());
  }
  return Model(spec, std::move(params), std::move(head), std::move(backend), std::move(embedding));
}

}  // namespace recur::train
