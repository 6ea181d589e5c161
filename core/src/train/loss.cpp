#include "recur/train/loss.h"

#include <algorithm>
#include <cmath>

#include "matrix.h"

namespace recur::train {

LossResult mse_loss(const Tensor& pred, const Tensor& target) {
  RECUR_CHECK(pred.defined() && target.defined(), "mse_loss: undefined tensor");
  RECUR_CHECK(pred.shape() == target.shape(), "mse_loss: prediction {} and target {} differ",
              shape_str(pred.shape()), shape_str(target.shape()));
  RECUR_CHECK(pred.dtype() == target.dtype(), "mse_loss: mixed dtypes");
  RECUR_CHECK(pred.numel() > 0, "mse_loss: empty prediction");
  LossResult r;
  r.grad = Tensor::empty(pred.shape(), pred.dtype());
  const double n = static_cast<double>(pred.numel());
  r.loss = detail::dispatch_float(pred.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* p = pred.data<T>();
    const T* y = target.data<T>();
    T* g = r.grad.data<T>();
    double sum = 0;
    for (int64_t i = 0; i < pred.numel(); ++i) {
      const double e = static_cast<double>(p[i]) - static_cast<double>(y[i]);
      sum += e * e;
      g[i] = static_cast<T>(2.0 * e / n);
    }
    return sum / n;
  });
  return r;
}

LossResult cross_entropy(const Tensor& logits, const std::vector<int32_t>& targets) {
  int64_t n, c;
  detail::check_matrix(logits, "cross_entropy logits", &n, &c);
  RECUR_CHECK(static_cast<int64_t>(targets.size()) == n,
              "cross_entropy: {} targets for {} rows of logits", targets.size(), n);
  RECUR_CHECK(n > 0 && c > 0, "cross_entropy: empty logits {}", shape_str(logits.shape()));
  LossResult r;
  r.grad = Tensor::empty(logits.shape(), logits.dtype());
  r.loss = detail::dispatch_float(logits.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* z = logits.data<T>();
    T* g = r.grad.data<T>();
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int32_t y = targets[i];
      RECUR_CHECK(y >= 0 && y < c, "cross_entropy: target {} of row {} is outside [0, {})", y, i,
                  c);
      const T* row = z + i * c;
      T* g_row = g + i * c;
      const double m = static_cast<double>(*std::max_element(row, row + c));
      // exp(z - max) once per element, kept in the gradient row until the sum is known.
      double s = 0;
      for (int64_t j = 0; j < c; ++j) {
        const double e = std::exp(static_cast<double>(row[j]) - m);
        g_row[j] = static_cast<T>(e);
        s += e;
      }
      sum += std::log(s) - (static_cast<double>(row[y]) - m);
      const double scale = 1.0 / (s * static_cast<double>(n));
      for (int64_t j = 0; j < c; ++j) g_row[j] = static_cast<T>(g_row[j] * scale);
      g_row[y] -= static_cast<T>(1.0 / static_cast<double>(n));
    }
    return sum / static_cast<double>(n);
  });
  return r;
}

std::vector<double> softmax_row(const Tensor& logits, int64_t row, double temperature) {
  int64_t n, c;
  detail::check_matrix(logits, "softmax logits", &n, &c);
  RECUR_CHECK(row >= 0 && row < n, "softmax: row {} outside [0, {})", row, n);
  RECUR_CHECK(temperature > 0, "temperature must be positive, got {}", temperature);
  std::vector<double> p(static_cast<size_t>(c));
  for (int64_t j = 0; j < c; ++j) p[j] = logits.item(row * c + j) / temperature;
  const double m = *std::max_element(p.begin(), p.end());
  double s = 0;
  for (double& v : p) s += (v = std::exp(v - m));
  for (double& v : p) v /= s;
  return p;
}

}  // namespace recur::train
