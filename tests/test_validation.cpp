// validation/: the comparison `recur check` and the tests share, against errors computed here
// by hand (NaN and infinity never pass, wherever they are; the first mismatches are named by
// index), and the sweep they share (its size, its coverage, and its options).
#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "validation/compare.h"
#include "validation/sweep.h"

namespace recur::validation {
namespace {

Tensor vec(const std::vector<double>& v) {
  Tensor t = Tensor::empty({static_cast<int64_t>(v.size())}, DType::F64);
  for (size_t i = 0; i < v.size(); ++i) t.data<double>()[i] = v[i];
  return t;
}

TEST(Compare, ErrorsAsDefined) {
  // got - ref = (0, 0.3, -0.4): ||e|| = 0.5, ||ref|| = sqrt(1 + 4 + 4) = 3, max |e| = 0.4, max
  // |ref| = 2.
  const Difference d = difference(vec({1.0, 2.3, -2.4}), vec({1.0, 2.0, -2.0}));
  EXPECT_NEAR(d.rel, 0.5 / 3.0, 1e-15);
  EXPECT_NEAR(d.max_abs, 0.4 / 2.0, 1e-15);
  EXPECT_EQ(d.nonfinite, 0);
  // Small references scale the max-abs error by 1, not by their size.
  EXPECT_NEAR(difference(vec({0.25}), vec({0.5})).max_abs, 0.25, 1e-15);
  // A zero reference: the absolute norm.
  EXPECT_NEAR(difference(vec({3.0, 4.0}), vec({0.0, 0.0})).rel, 5.0, 1e-15);
}

TEST(Compare, BoundsAreInclusive) {
  const Difference d = difference(vec({1.5}), vec({1.0}));  // rel 0.5, max-abs 0.5
  EXPECT_TRUE(d.within({0.5, 0.5}));
  EXPECT_FALSE(d.within({0.49, 0.5}));
  EXPECT_FALSE(d.within({0.5, 0.49}));
  EXPECT_TRUE(difference(vec({1.0, 2.0}), vec({1.0, 2.0})).within({0, 0}));
}

TEST(Compare, NonFiniteNeverPasses) {
  const double nan = std::nan(""), inf = INFINITY;
  const Tolerance loose{1e9, 1e9};
  for (const auto& [got, ref] : std::vector<std::tuple<double, double>>{
           {nan, 1.0}, {inf, 1.0}, {-inf, 1.0}, {1.0, nan}, {nan, nan}, {1.0, inf}, {inf, inf}}) {
    SCOPED_TRACE(std::to_string(got) + " vs " + std::to_string(ref));
    EXPECT_FALSE(difference(vec({0.0, got}), vec({0.0, ref})).within(loose));
    EXPECT_FALSE(mismatch(vec({0.0, got}), vec({0.0, ref}), loose).empty());
  }
  // Non-finite results where the reference is finite are counted, and the rest still measured.
  const Difference d = difference(vec({nan, 2.0, inf}), vec({1.0, 1.0, 1.0}));
  EXPECT_EQ(d.nonfinite, 2);
  EXPECT_NEAR(d.rel, 1.0, 1e-15);
}

TEST(Compare, MismatchNamesTheFirstWrongElements) {
  std::vector<double> ref(20, 1.0), got(20, 1.0);
  for (int i : {3, 7, 11, 15, 19}) got[i] = 2.0;
  const std::string text = mismatch(vec(got), vec(ref), kF64, 3);
  EXPECT_NE(text.find("[20]"), std::string::npos) << text;
  EXPECT_NE(text.find("0 non-finite"), std::string::npos) << text;
  EXPECT_NE(text.find("[3] got 2 want 1"), std::string::npos) << text;
  EXPECT_NE(text.find("[7] got"), std::string::npos) << text;
  EXPECT_NE(text.find("[11] got"), std::string::npos) << text;
  EXPECT_EQ(text.find("[15] got"), std::string::npos) << text;  // only the first 3
  EXPECT_TRUE(mismatch(vec(ref), vec(ref), {0, 0}).empty());
}

TEST(Compare, ShapesAndUndefinedTensors) {
  EXPECT_NE(mismatch(vec({1, 2}), vec({1, 2, 3}), kF64).find("shape [2] != reference [3]"),
            std::string::npos);
  EXPECT_NE(mismatch(Tensor(), vec({1}), kF64).find("result is undefined"), std::string::npos);
  EXPECT_NE(mismatch(vec({1}), Tensor(), kF64).find("reference is undefined"), std::string::npos);
  EXPECT_THROW(difference(vec({1, 2}), vec({1})), Error);
}

TEST(Compare, DefaultTolerances) {
  EXPECT_EQ(default_tolerance("cpu", DType::F32).rel, 1e-5);
  EXPECT_EQ(default_tolerance("cpu-ref", DType::F32).rel, 1e-5);
  EXPECT_EQ(default_tolerance("cuda", DType::F32).rel, 1e-4);
  EXPECT_EQ(default_tolerance("cudnn", DType::F32).max_abs, 1e-3);
  EXPECT_EQ(default_tolerance("cuda", DType::F64).rel, 1e-12);
}

TEST(Sweep, QuickAndFullCoverEveryCombination) {
  SweepOptions quick;
  quick.quick = true;
  // 4 cells x layers {1, 2} x {uni, bi}, 2 ragged cases per cell, projected LSTMs x
  // layers {1, 2} x {uni, bi}, and ragged projected LSTMs (1 quick, 2 full)
  EXPECT_EQ(sweep(quick).size(), 16u + 4 * 2 + 4 + 1);
  const std::vector<SweepCase> full = sweep({});
  EXPECT_EQ(full.size(), 4u * 3 * 2 * 4 + 4 * 4 + 4 * 2 + 2 + 4);
  std::set<std::tuple<int64_t, bool>> projected;  // layers, bi
  std::set<std::tuple<Cell, int64_t, bool, bool, bool>> seen;
  bool wide = false, t1 = false, b1 = false, no_states = false, dropout = false;
  bool unsorted = false, len1 = false, all_t = false, below_t = false, ragged_bi2 = false;
  bool ragged_bf = false;
  for (const SweepCase& c : full) {
    if (!c.lengths.empty()) {
      ASSERT_EQ(static_cast<int64_t>(c.lengths.size()), c.B) << c.name();
      const int64_t lo = *std::min_element(c.lengths.begin(), c.lengths.end());
      const int64_t hi = *std::max_element(c.lengths.begin(), c.lengths.end());
      EXPECT_GE(lo, 1) << c.name();
      EXPECT_LE(hi, c.T) << c.name();
      unsorted = unsorted || !std::is_sorted(c.lengths.rbegin(), c.lengths.rend());
      len1 = len1 || lo == 1;
      all_t = all_t || lo == c.T;
      below_t = below_t || hi < c.T;
      ragged_bi2 = ragged_bi2 || (c.bidirectional && c.layers == 2);
      ragged_bf = ragged_bf || c.batch_first;
    }
    seen.insert({c.cell, c.layers, c.bidirectional, c.batch_first, c.bias});
    if (c.proj_size > 0) {
      EXPECT_TRUE(c.cell == Cell::LSTM && c.proj_size < c.H) << c.name();
      EXPECT_NO_THROW(c.spec().validate()) << c.name();
      projected.insert({c.layers, c.bidirectional});
    }
    wide = wide || c.H > 32;
    t1 = t1 || c.T == 1;
    b1 = b1 || c.B == 1;
    no_states = no_states || !c.states;
    dropout = dropout || c.dropout > 0;
    EXPECT_TRUE(c.dropout == 0 || c.layers > 1) << c.name();
    EXPECT_EQ(c.missing_grads, 0) << c.name();
  }
  EXPECT_EQ(seen.size(), 4u * 3 * 2 * 2 * 2);
  EXPECT_TRUE(wide && t1 && b1 && no_states && dropout);
  EXPECT_TRUE(unsorted && len1 && all_t && below_t && ragged_bi2 && ragged_bf);
  EXPECT_EQ(projected.size(), 4u);
  SweepOptions narrow;
  narrow.wide = false;
  const std::vector<SweepCase> without = sweep(narrow);
  ASSERT_EQ(without.size(), full.size() - 4);
  for (size_t i = 0; i < without.size(); ++i) EXPECT_EQ(without[i].name(), full[i].name());
}

TEST(Sweep, Options) {
  SweepOptions options;
  options.dropout = false;
  options.missing_grads = true;
  int missing[3] = {};
  for (const SweepCase& c : sweep(options)) {
    EXPECT_EQ(c.dropout, 0.0) << c.name();
    ASSERT_TRUE(c.missing_grads >= 0 && c.missing_grads <= 2);
    ++missing[c.missing_grads];
  }
  EXPECT_GT(missing[1], 0);
  EXPECT_GT(missing[2], 0);
  SweepCase c;
  c.cell = Cell::GRU;
  c.layers = 2;
  c.bidirectional = true;
  c.batch_first = true;
  c.bias = false;
  c.dropout = 0.3;
  c.missing_grads = 1;
  EXPECT_EQ(c.name(), "GRU L2 bi [B,T] nobias I3 H5 T4 B2 h0 p0.3 no-grad-output");
  EXPECT_FALSE(c.lengths_tensor().defined());
  c.lengths = {4, 1};
  c.lengths_i32 = true;
  EXPECT_EQ(c.name(), "GRU L2 bi [B,T] nobias I3 H5 T4 B2 h0 p0.3 no-grad-output len32[4,1]");
  const Tensor len = c.lengths_tensor();
  EXPECT_EQ(len.dtype(), DType::I32);
  EXPECT_EQ(len.shape(), Shape{2});
  EXPECT_EQ(len.data<int32_t>()[1], 1);
  const RnnSpec s = c.spec();
  EXPECT_TRUE(s.cell == Cell::GRU && s.num_layers == 2 && s.bidirectional && s.batch_first &&
              !s.bias && s.input_size == 3 && s.hidden_size == 5 && s.dropout == 0.3);
  EXPECT_EQ(s.proj_size, 0);
  c.lengths.clear();
  c.cell = Cell::LSTM;
  c.H = 17;
  c.proj_size = 5;
  EXPECT_EQ(c.name(), "LSTM L2 bi [B,T] nobias I3 H17 P5 T4 B2 h0 p0.3 no-grad-output");
  EXPECT_EQ(c.spec().proj_size, 5);
}

}  // namespace
}  // namespace recur::validation
