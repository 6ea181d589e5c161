// Data preparation: the sine series, window indices and the chronological split, gathering,
// mini-batches, scalers, and that the sine task fits its scaler on the training part only.
#include <algorithm>
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "recur/train/data.h"
#include "recur/train/sine_task.h"

namespace recur::train {
namespace {

TEST(TrainData, NoisySineIsTheFormulaPlusSeededNoise) {
  const auto clean = noisy_sine(2000, 100.0, 0.5, 0.0, 1);
  for (int64_t i : {0, 1, 777, 1999})
    EXPECT_NEAR(clean[i], std::sin(0.5 * 100.0 * static_cast<double>(i) / 1999.0), 1e-15);
  const auto a = noisy_sine(2000, 100.0, 0.5, 0.1, 1), b = noisy_sine(2000, 100.0, 0.5, 0.1, 1);
  const auto c = noisy_sine(2000, 100.0, 0.5, 0.1, 2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  double mean = 0, var = 0;
  for (size_t i = 0; i < a.size(); ++i) mean += a[i] - clean[i];
  mean /= 2000;
  for (size_t i = 0; i < a.size(); ++i) var += std::pow(a[i] - clean[i] - mean, 2);
  // 2000 draws of 0.1 N(0, 1): the sample std is within 0.1 * (1 +- 5/sqrt(4000)).
  EXPECT_NEAR(std::sqrt(var / 2000), 0.1, 0.008);
  EXPECT_NEAR(mean, 0.0, 0.012);
}

TEST(TrainData, WindowsSplitChronologicallyAtTheSeriesSplit) {
  for (auto [n, w, frac] :
       {std::tuple{2000, 50, 0.8}, std::tuple{101, 7, 0.5}, std::tuple{30, 1, 0.9}}) {
    const WindowSplit s = split_windows(n, w, frac);
    EXPECT_EQ(s.split, std::llround(frac * n));
    EXPECT_EQ(s.train_begin, 0);
    EXPECT_EQ(s.test_end, n - w);  // window i needs values up to i + w
    // Every training window lies wholly in the training part, targets included.
    for (int64_t i = s.train_begin; i < s.train_end; ++i) EXPECT_LT(i + w, s.split);
    EXPECT_EQ(s.train_end - 1 + w, s.split - 1);  // the last training target is the last value
    // Test windows predict exactly the values [split, n), each once.
    std::set<int64_t> targets;
    for (int64_t i = s.test_begin; i < s.test_end; ++i) targets.insert(i + w);
    EXPECT_EQ(static_cast<int64_t>(targets.size()), n - s.split);
    EXPECT_EQ(*targets.begin(), s.split);
    EXPECT_EQ(*targets.rbegin(), n - 1);
  }
  const WindowSplit d = split_windows(2000, 50, 0.8);
  EXPECT_EQ(d.train_count(), 1550);
  EXPECT_EQ(d.test_count(), 400);
  EXPECT_THROW(split_windows(20, 30, 0.8), Error);
  EXPECT_THROW(split_windows(100, 5, 1.0), Error);
}

TEST(TrainData, GatherWindowsIsSequenceMajor) {
  std::vector<double> series(40);
  for (size_t i = 0; i < series.size(); ++i) series[i] = 0.5 * static_cast<double>(i) - 3;
  Tensor x, y;
  const std::vector<int64_t> index = {7, 0, 32};
  gather_windows(series, 5, index, DType::F32, &x, &y);
  ASSERT_EQ(x.shape(), Shape({5, 3, 1}));
  ASSERT_EQ(y.shape(), Shape({3, 1}));
  for (int64_t b = 0; b < 3; ++b) {
    for (int64_t t = 0; t < 5; ++t) EXPECT_EQ(x.item(t * 3 + b), series[index[b] + t]);
    EXPECT_EQ(y.item(b), series[index[b] + 5]);
  }
  EXPECT_THROW(gather_windows(series, 5, {35}, DType::F32, &x, &y), Error);  // target 40
}

TEST(TrainData, ShuffledBatchesArePermutationsFixedBySeed) {
  const auto a = shuffled_batches(10, 110, 32, 5), b = shuffled_batches(10, 110, 32, 5);
  const auto c = shuffled_batches(10, 110, 32, 6);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0].size(), 32u);
  EXPECT_EQ(a[3].size(), 4u);
  std::vector<int64_t> all;
  for (const auto& batch : a) all.insert(all.end(), batch.begin(), batch.end());
  std::vector<int64_t> sorted = all;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 100; ++i) EXPECT_EQ(sorted[i], 10 + i);
  EXPECT_FALSE(std::is_sorted(all.begin(), all.end()));
  const auto o = ordered_batches(0, 5, 2);
  EXPECT_EQ(o, (std::vector<std::vector<int64_t>>{{0, 1}, {2, 3}, {4}}));
}

TEST(TrainData, MinMaxScalerMapsTheFittedRangeAndInverts) {
  const std::vector<double> fit = {3.0, -1.0, 7.0, 2.0};
  MinMaxScaler s(-1.0, 1.0);
  s.fit(fit.data(), 4);
  EXPECT_DOUBLE_EQ(s.transform(-1.0), -1.0);
  EXPECT_DOUBLE_EQ(s.transform(7.0), 1.0);
  EXPECT_DOUBLE_EQ(s.transform(3.0), 0.0);
  EXPECT_DOUBLE_EQ(s.transform(11.0), 2.0);  // outside the fitted range: extrapolated
  for (double v : {-5.0, 0.3, 6.9}) EXPECT_NEAR(s.inverse_transform(s.transform(v)), v, 1e-14);
  const MinMaxScaler back = MinMaxScaler::from_metadata(s.to_metadata());
  EXPECT_EQ(back.transform(0.123), s.transform(0.123));
  MinMaxScaler unit;
  unit.fit(fit.data(), 4);
  EXPECT_DOUBLE_EQ(unit.transform(3.0), 0.5);
}

TEST(TrainData, StandardScalerCentresAndScales) {
  const std::vector<double> fit = {1.0, 2.0, 3.0, 4.0};
  StandardScaler s;
  s.fit(fit.data(), 4);
  EXPECT_DOUBLE_EQ(s.mean(), 2.5);
  EXPECT_DOUBLE_EQ(s.stddev(), std::sqrt(1.25));  // population std
  const auto y = s.transform(fit);
  double m = 0, v = 0;
  for (double e : y) m += e;
  for (double e : y) v += e * e;
  EXPECT_NEAR(m / 4, 0.0, 1e-15);
  EXPECT_NEAR(v / 4, 1.0, 1e-15);
  EXPECT_NEAR(s.inverse_transform(s.transform(-7.5)), -7.5, 1e-14);
}

TEST(TrainData, SineTaskFitsItsScalerOnTheTrainingPartOnly) {
  SineConfig c;
  c.points = 300;
  // sin(0.5 t) rises over t in [0, 3]: the test part (the last 20%) holds the largest values.
  c.t_max = 3.0;
  c.noise = 0.01;
  c.hidden = 3;
  c.layers = 1;
  c.head_hidden = 2;
  c.window = 10;
  c.backend = "cpu-ref";
  SineTask task(c);
  const auto& s = task.series();
  const int64_t split = task.split().split;
  ASSERT_EQ(split, 240);
  const double train_min = *std::min_element(s.begin(), s.begin() + split);
  const double train_max = *std::max_element(s.begin(), s.begin() + split);
  const double all_min = *std::min_element(s.begin(), s.end());
  const double all_max = *std::max_element(s.begin(), s.end());
  // The test is only meaningful if fitting on everything would give a different scaler.
  ASSERT_TRUE(all_min != train_min || all_max != train_max);
  EXPECT_EQ(task.scaler().data_min(), train_min);
  EXPECT_EQ(task.scaler().data_max(), train_max);
  // The default range is [0, 1], scikit-learn's.
  EXPECT_DOUBLE_EQ(task.scaler().transform(train_min), 0.0);
  EXPECT_DOUBLE_EQ(task.scaler().transform(train_max), 1.0);
}

}  // namespace
}  // namespace recur::train
