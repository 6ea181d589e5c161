#include "recur/train/layers.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "matrix.h"

namespace recur::train {

using detail::dispatch_float;

namespace {

int64_t matrix_cols(const Tensor& t, const std::string& what) {
  int64_t rows, cols;
  detail::check_matrix(t, what, &rows, &cols);
  return cols;
}

void check_saved(const Tensor& saved, const Tensor& dy, const char* layer) {
  RECUR_CHECK(saved.defined(), "{}: backward without a training forward", layer);
  RECUR_CHECK(dy.shape() == saved.shape() && dy.dtype() == saved.dtype(),
              "{}: gradient of shape {} does not match the forward's {}", layer,
              shape_str(dy.shape()), shape_str(saved.shape()));
}

}  // namespace

// ---- Linear ----

Linear::Linear(int64_t in, int64_t out, Rng& rng, DType dtype) {
  RECUR_CHECK(in > 0 && out > 0, "Linear: sizes must be positive, got in={} out={}", in, out);
  weight_ = Tensor::empty({out, in}, dtype);
  bias_ = Tensor::empty({out}, dtype);
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  dispatch_float(dtype, [&](auto zero) {
    using T = decltype(zero);
    for (Tensor* t : {&weight_, &bias_}) {
      T* p = t->data<T>();
      for (int64_t i = 0; i < t->numel(); ++i) p[i] = static_cast<T>(rng.uniform(-bound, bound));
    }
    return 0;
  });
  grad_weight_ = Tensor::zeros(weight_.shape(), dtype);
  grad_bias_ = Tensor::zeros(bias_.shape(), dtype);
}

std::string Linear::describe() const {
  return "linear:" + std::to_string(in_features()) + ":" + std::to_string(out_features());
}

Tensor Linear::forward(const Tensor& x, bool training) {
  RECUR_CHECK(matrix_cols(x, "Linear input") == in_features(),
              "Linear({}, {}): input has {} features", in_features(), out_features(), x.dim(1));
  RECUR_CHECK(x.dtype() == weight_.dtype(), "Linear: input dtype {} differs from the weights' {}",
              dtype_name(x.dtype()), dtype_name(weight_.dtype()));
  const int64_t n = x.dim(0), out = out_features();
  Tensor y = Tensor::empty({n, out}, x.dtype());
  // Broadcast the bias into y, then add x W^T on top (beta = 1).
  dispatch_float(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* b = bias_.data<T>();
    T* py = y.data<T>();
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < out; ++j) py[r * out + j] = b[j];
    return 0;
  });
  detail::matmul(x, false, weight_, true, y, 1.0, 1.0);
  x_ = training ? x : Tensor();
  return y;
}

Tensor Linear::backward(const Tensor& dy) {
  RECUR_CHECK(x_.defined(), "Linear: backward without a training forward");
  RECUR_CHECK(dy.shape() == Shape({x_.dim(0), out_features()}) && dy.dtype() == x_.dtype(),
              "Linear: gradient of shape {} does not match the output [{}, {}]",
              shape_str(dy.shape()), x_.dim(0), out_features());
  // dW [out, in] = dy^T x; db = column sums of dy; dx [N, in] = dy W.
  detail::matmul(dy, true, x_, false, grad_weight_);
  const int64_t n = dy.dim(0), out = out_features();
  dispatch_float(dy.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* g = dy.data<T>();
    T* db = grad_bias_.data<T>();
    for (int64_t j = 0; j < out; ++j) db[j] = 0;
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < out; ++j) db[j] += g[r * out + j];
    return 0;
  });
  Tensor dx = Tensor::empty(x_.shape(), x_.dtype());
  detail::matmul(dy, false, weight_, false, dx);
  return dx;
}

ParamList Linear::params() {
  return {{"weight", weight_, grad_weight_}, {"bias", bias_, grad_bias_}};
}

// ---- ReLU ----

Tensor ReLU::forward(const Tensor& x, bool training) {
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch_float(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) py[i] = px[i] > T(0) ? px[i] : T(0);
    return 0;
  });
  y_ = training ? y : Tensor();
  return y;
}

Tensor ReLU::backward(const Tensor& dy) {
  check_saved(y_, dy, "ReLU");
  Tensor dx = Tensor::empty(dy.shape(), dy.dtype());
  dispatch_float(dy.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* py = y_.data<T>();
    const T* g = dy.data<T>();
    T* d = dx.data<T>();
    for (int64_t i = 0; i < dy.numel(); ++i) d[i] = py[i] > T(0) ? g[i] : T(0);
    return 0;
  });
  return dx;
}

// ---- Dropout ----

Dropout::Dropout(double p, uint64_t seed) : p_(p), seed_(seed) {
  RECUR_CHECK(p >= 0.0 && p < 1.0, "Dropout: p must be in [0, 1), got {}", p);
}

std::string Dropout::describe() const {
  return fmt::format("dropout:{}", p_);
}

void Dropout::reseed(uint64_t seed) {
  seed_ = seed;
  calls_ = 0;
}

Tensor Dropout::forward(const Tensor& x, bool training) {
  if (!training || p_ == 0.0) {
    scale_ = training ? Tensor::full(x.shape(), 1.0, x.dtype()) : Tensor();
    return x.clone();
  }
  const uint64_t seed = mix64(seed_ ^ mix64(static_cast<uint64_t>(calls_++)));
  scale_ = Tensor::empty(x.shape(), x.dtype());
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  const double keep_scale = 1.0 / (1.0 - p_);
  dispatch_float(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* px = x.data<T>();
    T* s = scale_.data<T>();
    T* py = y.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      s[i] = dropout_keep(seed, 0, i, p_) ? static_cast<T>(keep_scale) : T(0);
      py[i] = px[i] * s[i];
    }
    return 0;
  });
  return y;
}

Tensor Dropout::backward(const Tensor& dy) {
  check_saved(scale_, dy, "Dropout");
  Tensor dx = Tensor::empty(dy.shape(), dy.dtype());
  dispatch_float(dy.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* s = scale_.data<T>();
    const T* g = dy.data<T>();
    T* d = dx.data<T>();
    for (int64_t i = 0; i < dy.numel(); ++i) d[i] = g[i] * s[i];
    return 0;
  });
  return dx;
}

// ---- Sequential ----

namespace {

int64_t parse_size(const std::string& s, const std::string& token) {
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  RECUR_CHECK(!s.empty() && *end == '\0' && v > 0, "layer '{}': '{}' is not a positive size", token,
              s);
  return v;
}

}  // namespace

Sequential Sequential::parse(const std::string& description, Rng& rng, DType dtype) {
  Sequential seq;
  if (description.empty()) return seq;
  std::stringstream all(description);
  std::string token;
  while (std::getline(all, token, ',')) {
    std::vector<std::string> parts;
    std::stringstream fields(token);
    std::string f;
    while (std::getline(fields, f, ':')) parts.push_back(f);
    if (parts.size() == 3 && parts[0] == "linear") {
      seq.add(std::make_unique<Linear>(parse_size(parts[1], token), parse_size(parts[2], token),
                                       rng, dtype));
    } else if (parts.size() == 1 && parts[0] == "relu") {
      seq.add(std::make_unique<ReLU>());
    } else if (parts.size() == 2 && parts[0] == "dropout") {
      char* end = nullptr;
      const double p = std::strtod(parts[1].c_str(), &end);
      RECUR_CHECK(!parts[1].empty() && *end == '\0', "layer '{}': '{}' is not a probability", token,
                  parts[1]);
      seq.add(std::make_unique<Dropout>(p));
    } else {
      RECUR_FAIL("unknown layer '{}' (expected linear:IN:OUT, relu or dropout:P)", token);
    }
  }
  return seq;
}

std::string Sequential::describe() const {
  std::string s;
  for (const auto& layer : layers_) s += (s.empty() ? "" : ",") + layer->describe();
  return s;
}

Tensor Sequential::forward(const Tensor& x, bool training) {
  Tensor y = x;
  for (auto& layer : layers_) y = layer->forward(y, training);
  return y;
}

Tensor Sequential::backward(const Tensor& dy) {
  Tensor d = dy;
  for (size_t i = layers_.size(); i-- > 0;) d = layers_[i]->backward(d);
  return d;
}

ParamList Sequential::params(const std::string& prefix) {
  ParamList all;
  for (size_t i = 0; i < layers_.size(); ++i)
    for (Param& p : layers_[i]->params()) {
      p.name = fmt::format("{}{}{}.{}", prefix, prefix.empty() ? "" : ".", i, p.name);
      all.push_back(std::move(p));
    }
  return all;
}

void Sequential::reseed(uint64_t seed) {
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i]->reseed(mix64(seed + i));
}

// ---- Embedding ----

Embedding::Embedding(int64_t num, int64_t dim, Rng& rng, DType dtype) {
  RECUR_CHECK(num > 0 && dim > 0, "Embedding: sizes must be positive, got num={} dim={}", num, dim);
  weight_ = Tensor::empty({num, dim}, dtype);
  dispatch_float(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* w = weight_.data<T>();
    for (int64_t i = 0; i < weight_.numel(); ++i) w[i] = static_cast<T>(rng.normal());
    return 0;
  });
  grad_ = Tensor::zeros(weight_.shape(), dtype);
}

Tensor Embedding::forward(const std::vector<int32_t>& ids) {
  const int64_t n = static_cast<int64_t>(ids.size()), d = dim();
  Tensor y = Tensor::empty({n, d}, weight_.dtype());
  dispatch_float(weight_.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* w = weight_.data<T>();
    T* py = y.data<T>();
    for (int64_t r = 0; r < n; ++r) {
      RECUR_CHECK(ids[r] >= 0 && ids[r] < num(), "Embedding: id {} out of range [0, {})", ids[r],
                  num());
      for (int64_t j = 0; j < d; ++j) py[r * d + j] = w[ids[r] * d + j];
    }
    return 0;
  });
  ids_ = ids;
  return y;
}

void Embedding::backward(const Tensor& dy) {
  const int64_t n = static_cast<int64_t>(ids_.size()), d = dim();
  RECUR_CHECK(dy.shape() == Shape({n, d}) && dy.dtype() == weight_.dtype(),
              "Embedding: gradient of shape {} does not match the forward's [{}, {}]",
              shape_str(dy.shape()), n, d);
  grad_.fill(0.0);
  dispatch_float(dy.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* g = dy.data<T>();
    T* gw = grad_.data<T>();
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < d; ++j) gw[ids_[r] * d + j] += g[r * d + j];
    return 0;
  });
}

ParamList Embedding::params(const std::string& prefix) {
  return {{prefix.empty() ? "weight" : prefix + ".weight", weight_, grad_}};
}

}  // namespace recur::train
