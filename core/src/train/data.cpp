#include "recur/train/data.h"

#include <cmath>
#include <cstdlib>

#include "matrix.h"
#include "recur/random.h"

namespace recur::train {

std::vector<double> noisy_sine(int64_t points, double t_max, double freq, double noise,
                               uint64_t seed) {
  RECUR_CHECK(points >= 2, "noisy_sine: need at least 2 points, got {}", points);
  Rng rng(seed);
  std::vector<double> y(static_cast<size_t>(points));
  for (int64_t i = 0; i < points; ++i) {
    const double t = t_max * static_cast<double>(i) / static_cast<double>(points - 1);
    y[i] = std::sin(freq * t) + noise * rng.normal();
  }
  return y;
}

WindowSplit split_windows(int64_t n, int64_t window, double train_fraction) {
  RECUR_CHECK(window >= 1, "window must be at least 1, got {}", window);
  RECUR_CHECK(train_fraction > 0 && train_fraction < 1, "train fraction must be in (0, 1), got {}",
              train_fraction);
  WindowSplit s;
  s.split = std::llround(train_fraction * static_cast<double>(n));
  // Window i's target is i + window: training windows need i + window < split.
  s.train_begin = 0;
  s.train_end = s.split - window;
  s.test_begin = s.train_end;
  s.test_end = n - window;
  RECUR_CHECK(s.train_end >= 1 && s.test_end > s.test_begin,
              "a series of {} values split at {} leaves no {} windows of {}", n, s.split,
              s.train_end < 1 ? "training" : "test", window);
  return s;
}

void gather_windows(const std::vector<double>& series, int64_t window,
                    const std::vector<int64_t>& index, DType dtype, Tensor* x, Tensor* y) {
  const int64_t B = static_cast<int64_t>(index.size());
  const int64_t n = static_cast<int64_t>(series.size());
  *x = Tensor::empty({window, B, 1}, dtype);
  *y = Tensor::empty({B, 1}, dtype);
  detail::dispatch_float(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* px = x->data<T>();
    T* py = y->data<T>();
    for (int64_t b = 0; b < B; ++b) {
      const int64_t i = index[b];
      RECUR_CHECK(i >= 0 && i + window < n, "window {} is outside a series of {} values", i, n);
      for (int64_t t = 0; t < window; ++t) px[t * B + b] = static_cast<T>(series[i + t]);
      py[b] = static_cast<T>(series[i + window]);
    }
    return 0;
  });
}

std::vector<std::vector<int64_t>> ordered_batches(int64_t begin, int64_t end, int64_t batch) {
  RECUR_CHECK(batch >= 1, "batch size must be at least 1, got {}", batch);
  std::vector<std::vector<int64_t>> out;
  for (int64_t i = begin; i < end; i += batch) {
    std::vector<int64_t> b;
    for (int64_t j = i; j < std::min(end, i + batch); ++j) b.push_back(j);
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<std::vector<int64_t>> shuffled_batches(int64_t begin, int64_t end, int64_t batch,
                                                   uint64_t seed) {
  RECUR_CHECK(batch >= 1, "batch size must be at least 1, got {}", batch);
  std::vector<int64_t> order;
  for (int64_t i = begin; i < end; ++i) order.push_back(i);
  Rng rng(seed);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  std::vector<std::vector<int64_t>> out;
  for (size_t i = 0; i < order.size(); i += static_cast<size_t>(batch))
    out.emplace_back(order.begin() + i,
                     order.begin() + std::min(order.size(), i + static_cast<size_t>(batch)));
  return out;
}

// ---- scalers ----

MinMaxScaler::MinMaxScaler(double lo, double hi) : lo_(lo), hi_(hi) {
  RECUR_CHECK(lo < hi, "MinMaxScaler: range [{}, {}] is empty", lo, hi);
}

void MinMaxScaler::fit(const double* x, int64_t n) {
  RECUR_CHECK(n > 0, "MinMaxScaler: fit on no data");
  min_ = max_ = x[0];
  for (int64_t i = 1; i < n; ++i) {
    min_ = std::min(min_, x[i]);
    max_ = std::max(max_, x[i]);
  }
  scale_ = max_ > min_ ? (hi_ - lo_) / (max_ - min_) : 1.0;
}

std::vector<double> MinMaxScaler::transform(const std::vector<double>& x) const {
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = transform(x[i]);
  return y;
}

std::vector<double> MinMaxScaler::inverse_transform(const std::vector<double>& y) const {
  std::vector<double> x(y.size());
  for (size_t i = 0; i < y.size(); ++i) x[i] = inverse_transform(y[i]);
  return x;
}

std::map<std::string, std::string> MinMaxScaler::to_metadata() const {
  // 17 significant digits: the doubles read back bit-exact.
  return {{"scaler", "minmax"},
          {"scaler.lo", fmt::format("{:.17g}", lo_)},
          {"scaler.hi", fmt::format("{:.17g}", hi_)},
          {"scaler.min", fmt::format("{:.17g}", min_)},
          {"scaler.max", fmt::format("{:.17g}", max_)}};
}

MinMaxScaler MinMaxScaler::from_metadata(const std::map<std::string, std::string>& metadata) {
  auto get = [&](const std::string& key) {
    auto it = metadata.find(key);
    RECUR_CHECK(it != metadata.end(), "metadata: missing '{}'", key);
    char* end = nullptr;
    const double v = std::strtod(it->second.c_str(), &end);
    RECUR_CHECK(!it->second.empty() && *end == '\0' && std::isfinite(v),
                "metadata '{}': '{}' is not a number", key, it->second);
    return v;
  };
  auto kind = metadata.find("scaler");
  RECUR_CHECK(kind != metadata.end() && kind->second == "minmax",
              "metadata: expected scaler 'minmax'");
  MinMaxScaler s(get("scaler.lo"), get("scaler.hi"));
  const double data[2] = {get("scaler.min"), get("scaler.max")};
  RECUR_CHECK(data[0] <= data[1], "metadata: scaler.min > scaler.max");
  s.fit(data, 2);
  return s;
}

void StandardScaler::fit(const double* x, int64_t n) {
  RECUR_CHECK(n > 0, "StandardScaler: fit on no data");
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  mean_ = sum / static_cast<double>(n);
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += (x[i] - mean_) * (x[i] - mean_);
  std_ = std::sqrt(ss / static_cast<double>(n));
  if (std_ == 0.0) std_ = 1.0;  // a constant fit maps to 0, as sklearn does
}

std::vector<double> StandardScaler::transform(const std::vector<double>& x) const {
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = transform(x[i]);
  return y;
}

std::vector<double> StandardScaler::inverse_transform(const std::vector<double>& y) const {
  std::vector<double> x(y.size());
  for (size_t i = 0; i < y.size(); ++i) x[i] = inverse_transform(y[i]);
  return x;
}

}  // namespace recur::train
