// Data for sequence regression: a generated noisy sine series, sliding windows over a series
// with a chronological train/test split, scalers fitted on the training part only, and seeded
// shuffled mini-batches.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "recur/tensor.h"

namespace recur::train {

// sin(freq * t) + noise * N(0, 1) at `points` values of t = linspace(0, t_max, points); the
// noise comes from a generator seeded with `seed`.
std::vector<double> noisy_sine(int64_t points, double t_max, double freq, double noise,
                               uint64_t seed);

// Window i of a series of n values has inputs [i, i + w) and target i + w, for i in [0, n - w).
//
// The split is chronological, on the series: the first `split` = round(train_fraction * n)
// values are the training part. Training windows are those whose target lies in it (so their
// inputs do too); test windows are the others, whose targets are exactly the values from
// `split` on (their inputs may reach back into the training part: that is history, known at
// prediction time). A scaler is fitted on values [0, split) only.
struct WindowSplit {
  int64_t split = 0;        // first value of the test part
  int64_t train_begin = 0;  // training windows: [train_begin, train_end)
  int64_t train_end = 0;
  int64_t test_begin = 0;  // test windows: [test_begin, test_end)
  int64_t test_end = 0;
  int64_t train_count() const { return train_end - train_begin; }
  int64_t test_count() const { return test_end - test_begin; }
};
WindowSplit split_windows(int64_t n, int64_t window, double train_fraction);

// Gathers windows `index` of `series` into x [window, B, 1] (sequence-major: x[t, b] =
// series[index[b] + t]) and y [B, 1] (y[b] = series[index[b] + window]), in `dtype`.
void gather_windows(const std::vector<double>& series, int64_t window,
                    const std::vector<int64_t>& index, DType dtype, Tensor* x, Tensor* y);

// [begin, end) cut into mini-batches of `batch` indices (the last may be smaller), in an order
// shuffled by a generator seeded with `seed` (Fisher-Yates), or in order when seed is absent.
std::vector<std::vector<int64_t>> shuffled_batches(int64_t begin, int64_t end, int64_t batch,
                                                   uint64_t seed);
std::vector<std::vector<int64_t>> ordered_batches(int64_t begin, int64_t end, int64_t batch);

// Maps values linearly so that the fitted data's [min, max] lands on [lo, hi], as sklearn's
// MinMaxScaler(feature_range=(lo, hi)). A constant fit maps everything to lo.
class MinMaxScaler {
 public:
  MinMaxScaler(double lo = 0.0, double hi = 1.0);
  void fit(const double* x, int64_t n);
  double transform(double x) const { return (x - min_) * scale_ + lo_; }
  double inverse_transform(double y) const { return (y - lo_) / scale_ + min_; }
  std::vector<double> transform(const std::vector<double>& x) const;
  std::vector<double> inverse_transform(const std::vector<double>& y) const;
  double data_min() const { return min_; }
  double data_max() const { return max_; }
  double lo() const { return lo_; }
  double hi() const { return hi_; }
  // As metadata "scaler"="minmax", "scaler.lo", "scaler.hi", "scaler.min", "scaler.max".
  std::map<std::string, std::string> to_metadata() const;
  static MinMaxScaler from_metadata(const std::map<std::string, std::string>& metadata);

 private:
  double lo_, hi_;
  double min_ = 0, max_ = 1, scale_ = 1;
};

// (x - mean) / std with the population standard deviation, as sklearn's StandardScaler.
class StandardScaler {
 public:
  void fit(const double* x, int64_t n);
  double transform(double x) const { return (x - mean_) / std_; }
  double inverse_transform(double y) const { return y * std_ + mean_; }
  std::vector<double> transform(const std::vector<double>& x) const;
  std::vector<double> inverse_transform(const std::vector<double>& y) const;
  double mean() const { return mean_; }
  double stddev() const { return std_; }

 private:
  double mean_ = 0, std_ = 1;
};

}  // namespace recur::train
