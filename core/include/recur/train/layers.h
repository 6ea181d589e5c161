// The layers that sit around an RNN: Linear, ReLU, Dropout (a head on its outputs), Embedding
// (token ids in front of it), and Sequential to chain the first three. Every layer works on
// row-major matrices [N, features] of F32 or F64 (the dtype of its parameters), keeps what its
// backward needs from the last training forward, and its backward overwrites (never
// accumulates) the gradients of its parameters.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "recur/random.h"
#include "recur/tensor.h"
#include "recur/train/param.h"

namespace recur::train {

class Layer {
 public:
  virtual ~Layer() = default;
  // The layer as one token of a head description: "linear:IN:OUT", "relu", "dropout:P".
  virtual std::string describe() const = 0;
  // x [N, in] -> y [N, out]; a new tensor, x is not modified. `training` keeps what backward
  // needs (and makes Dropout drop).
  virtual Tensor forward(const Tensor& x, bool training) = 0;
  // dy [N, out] -> dx [N, in], after a training forward; writes the parameters' gradients.
  virtual Tensor backward(const Tensor& dy) = 0;
  // The parameters ("weight", "bias"), sharing storage with the layer.
  virtual ParamList params() { return {}; }
  // Dropout draws its masks from this seed (see Sequential::reseed); others ignore it.
  virtual void reseed(uint64_t) {}
};

// y = x W^T + b with W [out, in], b [out], as torch.nn.Linear, including its initialisation:
// W and b uniform in [-1/sqrt(in), 1/sqrt(in)].
class Linear final : public Layer {
 public:
  Linear(int64_t in, int64_t out, Rng& rng, DType dtype = DType::F32);
  std::string describe() const override;
  Tensor forward(const Tensor& x, bool training) override;
  Tensor backward(const Tensor& dy) override;
  ParamList params() override;

  int64_t in_features() const { return weight_.dim(1); }
  int64_t out_features() const { return weight_.dim(0); }
  Tensor& weight() { return weight_; }
  Tensor& bias() { return bias_; }

 private:
  Tensor weight_, bias_, grad_weight_, grad_bias_;
  Tensor x_;  // the last training forward's input [N, in]
};

class ReLU final : public Layer {
 public:
  std::string describe() const override { return "relu"; }
  Tensor forward(const Tensor& x, bool training) override;
  Tensor backward(const Tensor& dy) override;

 private:
  Tensor y_;  // the last training forward's output: dx = dy where y > 0
};

// Inverted dropout: in training, each element is zeroed with probability p and the survivors
// are scaled by 1/(1-p); at inference it is the identity. The mask of the k-th training forward
// after reseed(s) is a pure function of (s, k, element), so a run is reproducible.
class Dropout final : public Layer {
 public:
  explicit Dropout(double p, uint64_t seed = 0);
  std::string describe() const override;
  Tensor forward(const Tensor& x, bool training) override;
  Tensor backward(const Tensor& dy) override;
  void reseed(uint64_t seed) override;
  double p() const { return p_; }

 private:
  double p_;
  uint64_t seed_;
  int64_t calls_ = 0;
  Tensor scale_;  // per element: 0 or 1/(1-p), from the last training forward
};

// Layers applied in order; parameters are named "<index>.<name>" as in torch.nn.Sequential.
class Sequential {
 public:
  Sequential() = default;
  Sequential(Sequential&&) = default;
  Sequential& operator=(Sequential&&) = default;

  // Builds from a description: comma-separated layer tokens (Layer::describe), e.g.
  // "linear:128:32,relu,linear:32:1". Linear layers are freshly initialised from `rng`.
  static Sequential parse(const std::string& description, Rng& rng, DType dtype = DType::F32);

  void add(std::unique_ptr<Layer> layer) { layers_.push_back(std::move(layer)); }
  std::string describe() const;
  size_t size() const { return layers_.size(); }
  Layer& operator[](size_t i) { return *layers_.at(i); }

  Tensor forward(const Tensor& x, bool training);  // an empty Sequential returns x
  Tensor backward(const Tensor& dy);
  // With a prefix p: "p.0.weight", ...
  ParamList params(const std::string& prefix);
  void reseed(uint64_t seed);

 private:
  std::vector<std::unique_ptr<Layer>> layers_;
};

// Token ids -> rows of a table [num, dim], initialised N(0, 1) as torch.nn.Embedding.
class Embedding {
 public:
  Embedding(int64_t num, int64_t dim, Rng& rng, DType dtype = DType::F32);
  // ids (each in [0, num)) -> [ids.size(), dim]; remembers the ids for backward.
  Tensor forward(const std::vector<int32_t>& ids);
  // dy [ids.size(), dim]: the table's gradient (rows of repeated ids add up).
  void backward(const Tensor& dy);
  ParamList params(const std::string& prefix);

  int64_t num() const { return weight_.dim(0); }
  int64_t dim() const { return weight_.dim(1); }
  Tensor& weight() { return weight_; }

 private:
  Tensor weight_, grad_;
  std::vector<int32_t> ids_;
};

}  // namespace recur::train
