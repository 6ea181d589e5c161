#include "recur/train/optim.h"

#include <cmath>

#include "checkpoint.h"
#include "matrix.h"

namespace recur::train {

using detail::dispatch_float;

void Optimizer::step(ParamList& params) {
  ++steps_;
  for (Param& p : params) {
    RECUR_CHECK(p.value.defined() && p.grad.defined(), "optimizer: parameter '{}' has no {}",
                p.name, p.value.defined() ? "gradient" : "value");
    RECUR_CHECK(p.value.shape() == p.grad.shape() && p.value.dtype() == p.grad.dtype(),
                "optimizer: parameter '{}' and its gradient differ in shape or dtype", p.name);
    update(p);
  }
}

Tensor& Optimizer::buffer(const std::string& buffer, const Param& p) {
  auto [it, inserted] = state_.try_emplace(buffer + "." + p.name);
  if (inserted) it->second = Tensor::zeros(p.value.shape(), p.value.dtype());
  return it->second;
}

void Optimizer::save_state(TensorFile& file) const {
  file.metadata["optim.name"] = name();
  file.metadata["optim.step"] = std::to_string(steps_);
  for (const auto& [key, t] : state_) file.add("optim." + key, t);
}

void Optimizer::load_state(const TensorFile& file, const ParamList& params) {
  auto it = file.metadata.find("optim.name");
  RECUR_CHECK(it != file.metadata.end(), "checkpoint has no optimizer state (optim.name)");
  RECUR_CHECK(it->second == name(), "checkpoint holds {} state, but the optimizer is {}",
              it->second, name());
  auto st = file.metadata.find("optim.step");
  RECUR_CHECK(st != file.metadata.end(), "checkpoint has no optim.step");
  const int64_t steps = detail::parse_step_count(st->second, "checkpoint metadata 'optim.step'");
  std::map<std::string, Tensor> state;
  // Every buffer is present once step() has run; before that there is no state at all.
  for (const Param& p : params)
    for (const std::string& b : buffer_names()) {
      const std::string key = b + "." + p.name;
      const Tensor* t = file.find("optim." + key);
      if (!t) {
        RECUR_CHECK(steps == 0, "checkpoint: missing optimizer tensor 'optim.{}'", key);
        continue;
      }
      check_shape(*t, p.value.shape(), "optim." + key);
      state[key] = t->to(p.value.dtype()).clone();
    }
  steps_ = steps;
  state_ = std::move(state);
}

// ---- SGD ----

Sgd::Sgd(const SgdOptions& options) : Optimizer(options.lr), o_(options) {
  RECUR_CHECK(options.lr >= 0 && options.momentum >= 0 && options.weight_decay >= 0,
              "sgd: lr, momentum and weight decay must be non-negative");
  RECUR_CHECK(!options.nesterov || (options.momentum > 0 && options.dampening == 0),
              "sgd: nesterov needs momentum > 0 and dampening 0");
}

std::vector<std::string> Sgd::buffer_names() const {
  if (o_.momentum == 0.0) return {};
  return {"momentum_buffer"};
}

void Sgd::update(Param& p) {
  const bool first = !state_.count("momentum_buffer." + p.name);
  Tensor* buf = o_.momentum != 0.0 ? &buffer("momentum_buffer", p) : nullptr;
  dispatch_float(p.value.dtype(), [&](auto zero) {
    using T = decltype(zero);
    T* w = p.value.data<T>();
    const T* g = p.grad.data<T>();
    T* b = buf ? buf->data<T>() : nullptr;
    const T lr = static_cast<T>(lr_), wd = static_cast<T>(o_.weight_decay);
    const T mom = static_cast<T>(o_.momentum), damp = static_cast<T>(1.0 - o_.dampening);
    for (int64_t i = 0; i < p.value.numel(); ++i) {
      T d = g[i] + wd * w[i];
      if (b) {
        b[i] = first ? d : mom * b[i] + damp * d;
        d = o_.nesterov ? d + mom * b[i] : b[i];
      }
      w[i] -= lr * d;
    }
    return 0;
  });
}

// ---- Adam ----

Adam::Adam(const AdamOptions& options) : Optimizer(options.lr), o_(options) {
  RECUR_CHECK(options.lr >= 0 && options.eps >= 0 && options.weight_decay >= 0,
              "adam: lr, eps and weight decay must be non-negative");
  RECUR_CHECK(options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 && options.beta2 < 1,
              "adam: betas must be in [0, 1)");
}

std::vector<std::string> Adam::buffer_names() const {
  return {"exp_avg", "exp_avg_sq"};
}

void Adam::update(Param& p) {
  Tensor& m_t = buffer("exp_avg", p);
  Tensor& v_t = buffer("exp_avg_sq", p);
  const double t = static_cast<double>(steps_);
  const double bc1 = 1.0 - std::pow(o_.beta1, t), bc2 = 1.0 - std::pow(o_.beta2, t);
  dispatch_float(p.value.dtype(), [&](auto zero) {
    using T = decltype(zero);
    T* w = p.value.data<T>();
    const T* g = p.grad.data<T>();
    T* m = m_t.data<T>();
    T* v = v_t.data<T>();
    const T b1 = static_cast<T>(o_.beta1), b2 = static_cast<T>(o_.beta2);
    const T wd = static_cast<T>(o_.weight_decay), eps = static_cast<T>(o_.eps);
    const T step_size = static_cast<T>(lr_ / bc1), sqrt_bc2 = static_cast<T>(std::sqrt(bc2));
    for (int64_t i = 0; i < p.value.numel(); ++i) {
      const T d = g[i] + wd * w[i];
      m[i] = b1 * m[i] + (T(1) - b1) * d;
      v[i] = b2 * v[i] + (T(1) - b2) * d * d;
      w[i] -= step_size * m[i] / (std::sqrt(v[i]) / sqrt_bc2 + eps);
    }
    return 0;
  });
}

// ---- clipping ----

double grad_norm(const ParamList& params) {
  double sum = 0;
  for (const Param& p : params) {
    sum += dispatch_float(p.grad.dtype(), [&](auto zero) {
      using T = decltype(zero);
      const T* g = p.grad.data<T>();
      double s = 0;
      for (int64_t i = 0; i < p.grad.numel(); ++i) s += static_cast<double>(g[i]) * g[i];
      return s;
    });
  }
  return std::sqrt(sum);
}

double clip_grad_norm(ParamList& params, double max_norm) {
  RECUR_CHECK(max_norm > 0, "clip_grad_norm: max_norm must be positive, got {}", max_norm);
  const double norm = grad_norm(params);
  const double coef = max_norm / (norm + 1e-6);
  if (coef >= 1.0) return norm;
  for (Param& p : params) {
    dispatch_float(p.grad.dtype(), [&](auto zero) {
      using T = decltype(zero);
      T* g = p.grad.data<T>();
      for (int64_t i = 0; i < p.grad.numel(); ++i) g[i] = static_cast<T>(g[i] * coef);
      return 0;
    });
  }
  return norm;
}

}  // namespace recur::train
