// Optimizers (SGD with momentum, Adam) and gradient clipping, following PyTorch's update rules
// (torch.optim.SGD, torch.optim.Adam, torch.nn.utils.clip_grad_norm_).
//
// An optimizer keeps its per-parameter state by parameter name, so step() must see the same
// names (in any order) on every call; the state can be written to and read from a checkpoint,
// which is what lets a resumed run continue exactly where it stopped.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "recur/safetensors.h"
#include "recur/train/param.h"

namespace recur::train {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string name() const = 0;  // "sgd", "adam"
  // Updates every param.value from param.grad (grads are read, never modified).
  void step(ParamList& params);
  int64_t steps() const { return steps_; }  // step() calls so far
  double lr() const { return lr_; }
  void set_lr(double lr) { lr_ = lr; }

  // Adds the state as tensors "optim.<buffer>.<param name>" and metadata "optim.name",
  // "optim.step". load_state expects exactly what save_state wrote for these params.
  void save_state(TensorFile& file) const;
  void load_state(const TensorFile& file, const ParamList& params);

 protected:
  explicit Optimizer(double lr) : lr_(lr) {}
  virtual void update(Param& p) = 0;  // one parameter; steps_ is already incremented
  virtual std::vector<std::string> buffer_names() const = 0;
  // The state buffer `buffer` for `p`, created zero-filled when absent.
  Tensor& buffer(const std::string& buffer, const Param& p);

  double lr_;
  int64_t steps_ = 0;
  std::map<std::string, Tensor> state_;  // key "<buffer>.<param name>"
};

struct SgdOptions {
  double lr = 0.01;
  double momentum = 0.0;  // 0: plain SGD, no buffer kept
  double dampening = 0.0;
  double weight_decay = 0.0;  // L2 term added to the gradient
  bool nesterov = false;
};

// g' = g + wd*p; with momentum: b = g' on the first step, then b = momentum*b + (1-dampening)*g';
// d = nesterov ? g' + momentum*b : b (plain: d = g'); p -= lr*d.
class Sgd final : public Optimizer {
 public:
  explicit Sgd(const SgdOptions& options);
  std::string name() const override { return "sgd"; }

 private:
  void update(Param& p) override;
  std::vector<std::string> buffer_names() const override;
  SgdOptions o_;
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // L2 (Adam, not AdamW)
};

// g' = g + wd*p; m = b1*m + (1-b1)*g'; v = b2*v + (1-b2)*g'^2; at step t:
// p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
class Adam final : public Optimizer {
 public:
  explicit Adam(const AdamOptions& options);
  std::string name() const override { return "adam"; }

 private:
  void update(Param& p) override;
  std::vector<std::string> buffer_names() const override;
  AdamOptions o_;
};

// The L2 norm of all gradients together (accumulated in double).
double grad_norm(const ParamList& params);

// Scales every gradient by max_norm / (norm + 1e-6) when the global norm exceeds max_norm, as
// torch.nn.utils.clip_grad_norm_. Returns the norm before clipping.
double clip_grad_norm(ParamList& params, double max_norm);

}  // namespace recur::train
