#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "recur/random.h"
#include "recur/tensor.h"

namespace recur {

TEST(Tensor, HalfRoundTripsExactValues) {
  for (float v : {0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f, 5.960464477539063e-08f})
    EXPECT_EQ(half_to_float(float_to_half(v)), v) << v;
}

}  // namespace recur

namespace recur {
namespace {

// IEEE binary16 decoded from its definition, independently of half_to_float.
double half_reference(uint16_t bits) {
  const double sign = (bits & 0x8000) ? -1.0 : 1.0;
  const int exp = (bits >> 10) & 0x1F;
  const int mant = bits & 0x3FF;
  if (exp == 0x1F) return mant ? std::nan("") : sign * HUGE_VAL;
  if (exp == 0) return sign * std::ldexp(mant, -24);
  return sign * std::ldexp(1024 + mant, exp - 25);
}

// The correctly rounded encoding of |f| (round to nearest, ties to the even code) among the
// non-negative codes 0..`top`, where code `top` stands for the first value past the largest
// finite one (inf's code, as an unbounded exponent would place it). `value(code)` decodes.
template <class Decode>
uint16_t nearest_code(double f, uint16_t top, Decode value) {
  uint16_t lo = 0, hi = top;  // invariant: value(lo) <= f, or lo == 0
  if (f >= value(top)) return top;
  while (hi - lo > 1) {
    const auto mid = static_cast<uint16_t>((lo + hi) / 2);
    (value(mid) <= f ? lo : hi) = mid;
  }
  const double dlo = f - value(lo), dhi = value(hi) - f;
  if (dlo < dhi) return lo;
  if (dhi < dlo) return hi;
  return (lo & 1) ? hi : lo;
}

double half_or_next(uint16_t code) {
  return code == 0x7C00 ? 65536.0 : half_reference(code);
}
double bf16_or_next(uint16_t code) {
  return code == 0x7F80 ? std::ldexp(1.0, 128) : bf16_to_float(code);
}

// Floats around every tie point of a 16-bit format: the midpoint of each pair of neighbours,
// and the floats just below and above it.
template <class Decode>
std::vector<float> tie_points(uint16_t top, Decode value) {
  std::vector<float> xs;
  for (uint16_t c = 0; c < top; ++c) {
    const auto mid = static_cast<float>((value(c) + value(static_cast<uint16_t>(c + 1))) / 2);
    for (float x : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, HUGE_VALF)})
      for (float s : {1.0f, -1.0f}) xs.push_back(s * x);
  }
  return xs;
}

TEST(Tensor, HalfDecodesEveryBitPattern) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const auto bits = static_cast<uint16_t>(b);
    const double want = half_reference(bits);
    const float got = half_to_float(bits);
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << std::hex << b;
    } else {
      ASSERT_EQ(static_cast<double>(got), want) << std::hex << b;
      ASSERT_EQ(std::signbit(got), (b & 0x8000) != 0) << std::hex << b;
      ASSERT_EQ(float_to_half(got), bits) << "round trip of 0x" << std::hex << b;
    }
  }
}

TEST(Tensor, HalfRoundsToNearestEven) {
  std::vector<float> xs = tie_points(0x7C00, half_or_next);
  Rng rng(11);
  for (int i = 0; i < 100000; ++i) {  // random magnitudes from far below to above half's range
    const double x = std::ldexp(rng.uniform(1.0, 2.0), static_cast<int>(rng.below(50)) - 34);
    xs.push_back(static_cast<float>(rng.below(2) ? x : -x));
  }
  for (float f : {0.0f, -0.0f, 65504.0f, 65519.99f, 65520.0f, 1e30f, HUGE_VALF, -HUGE_VALF,
                  std::numeric_limits<float>::denorm_min(), 2.9802322e-08f, 2.9802326e-08f})
    xs.push_back(f);
  for (float f : xs) {
    const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
    const uint16_t want =
        sign | nearest_code(std::fabs(static_cast<double>(f)), 0x7C00, half_or_next);
    ASSERT_EQ(float_to_half(f), want) << std::hexfloat << f;
  }
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::nanf("")))));
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(-std::nanf("7")))));
}

TEST(Tensor, Bf16RoundsToNearestEven) {
  std::vector<float> xs = tie_points(0x7F80, bf16_or_next);
  Rng rng(12);
  for (int i = 0; i < 100000; ++i) {
    uint32_t bits = static_cast<uint32_t>(rng.next()) & 0x7FFFFFFFu;
    if (bits >= 0x7F800000u) bits -= 0x7F800000u;  // finite only
    float f;
    std::memcpy(&f, &bits, 4);
    xs.push_back(rng.below(2) ? f : -f);
  }
  for (float f : xs) {
    const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
    const uint16_t want =
        sign | nearest_code(std::fabs(static_cast<double>(f)), 0x7F80, bf16_or_next);
    ASSERT_EQ(float_to_bf16(f), want) << std::hexfloat << f;
  }
  EXPECT_EQ(bf16_to_float(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_float(0xC000), -2.0f);
  EXPECT_EQ(bf16_to_float(0x7F80), HUGE_VALF);
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::nanf("")))));
  // A signalling NaN's payload sits in the low bits that bf16 drops: it must stay a NaN.
  uint32_t snan_bits = 0x7F800001u;
  float snan;
  std::memcpy(&snan, &snan_bits, 4);
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(snan))));
}

// From double the conversions must round once: a double just past a tie of the 16-bit format
// lies within half a float ulp of the tie, so going through float would land on the tie and
// then round to even, the wrong way half of the time.
template <class Decode, class Convert>
void expect_double_rounds_once(uint16_t top, Decode value, Convert convert, uint64_t seed) {
  std::vector<double> xs;
  for (uint16_t c = 0; c < top; ++c) {
    const double mid = (value(c) + value(static_cast<uint16_t>(c + 1))) / 2;
    for (double x : {mid, std::nextafter(mid, 0.0), std::nextafter(mid, HUGE_VAL),
                     mid * (1 - 0x1p-30), mid * (1 + 0x1p-30)})
      for (double s : {1.0, -1.0}) xs.push_back(s * x);
  }
  Rng rng(seed);
  for (int i = 0; i < 100000; ++i) {
    const double x = std::ldexp(rng.uniform(1.0, 2.0), static_cast<int>(rng.below(300)) - 150);
    xs.push_back(rng.below(2) ? x : -x);
  }
  for (double x : {0.0, -0.0, 1e-300, -1e-300, 1e300, -1e300, HUGE_VAL, -HUGE_VAL}) xs.push_back(x);
  for (double x : xs) {
    const uint16_t sign = std::signbit(x) ? 0x8000 : 0;
    ASSERT_EQ(convert(x), sign | nearest_code(std::fabs(x), top, value)) << std::hexfloat << x;
  }
  EXPECT_TRUE(std::isnan(value(convert(std::nan("")) & 0x7FFF)));
}

TEST(Tensor, HalfFromDoubleRoundsOnce) {
  expect_double_rounds_once(0x7C00, half_or_next, double_to_half, 14);
  // The case that rounding through float gets wrong: 1 + 2^-11 + 2^-40 is just above the tie
  // between 1 and the next half (1 + 2^-10), so it rounds up; as a float it is the tie itself.
  const double x = 1 + 0x1p-11 + 0x1p-40;
  EXPECT_EQ(float_to_half(static_cast<float>(x)), 0x3C00);
  EXPECT_EQ(double_to_half(x), 0x3C01);
  const Tensor t = Tensor::full({1}, x, DType::F64);
  EXPECT_EQ(static_cast<const uint16_t*>(t.to(DType::F16).raw())[0], 0x3C01);
}

TEST(Tensor, Bf16FromDoubleRoundsOnce) {
  expect_double_rounds_once(0x7F80, bf16_or_next, double_to_bf16, 15);
  const double x = 1 + 0x1p-8 + 0x1p-40;
  EXPECT_EQ(float_to_bf16(static_cast<float>(x)), 0x3F80);
  EXPECT_EQ(double_to_bf16(x), 0x3F81);
}

TEST(Tensor, ConvertsBetweenEveryDType) {
  Rng rng(13);
  Tensor f64 = Tensor::empty({3, 5}, DType::F64);
  for (int64_t i = 0; i < f64.numel(); ++i) f64.data<double>()[i] = rng.uniform(-3.0, 3.0);
  const Tensor f32 = f64.to(DType::F32);
  const Tensor f16 = f32.to(DType::F16);
  const Tensor b16 = f32.to(DType::BF16);
  for (int64_t i = 0; i < f64.numel(); ++i) {
    const double x = f64.data<double>()[i];
    const float xf = static_cast<float>(x);
    EXPECT_EQ(f32.data<float>()[i], xf);
    EXPECT_EQ(static_cast<const uint16_t*>(f16.raw())[i], float_to_half(xf));
    EXPECT_EQ(static_cast<const uint16_t*>(b16.raw())[i], float_to_bf16(xf));
    EXPECT_EQ(f16.item(i), half_to_float(float_to_half(xf)));
    EXPECT_EQ(b16.to(DType::F64).data<double>()[i], bf16_to_float(float_to_bf16(xf)));
  }
  EXPECT_EQ(f32.to(DType::F64).shape(), f64.shape());
  // Widening is exact: F16 -> F32 -> F16 and F32 -> F64 -> F32 give the same bits back.
  EXPECT_EQ(std::memcmp(f16.to(DType::F32).to(DType::F16).raw(), f16.raw(), f16.nbytes()), 0);
  EXPECT_EQ(std::memcmp(f32.to(DType::F64).to(DType::F32).raw(), f32.raw(), f32.nbytes()), 0);
  // The same dtype is a shallow copy.
  EXPECT_EQ(f32.to(DType::F32).raw(), f32.raw());
}

TEST(Tensor, IntegerTensorsHoldLengthsAndAreNeverConverted) {
  Tensor t = Tensor::zeros({3}, DType::I64);
  EXPECT_EQ(t.nbytes(), 24u);
  t.data<int64_t>()[1] = 41;
  EXPECT_EQ(t.item(1), 41.0);
  EXPECT_EQ(t.clone().data<int64_t>()[1], 41);
  Tensor i32 = Tensor::full({2}, 7.0, DType::I32);
  EXPECT_EQ(i32.data<int32_t>()[1], 7);
  EXPECT_STREQ(dtype_name(DType::I32), "I32");
  EXPECT_FALSE(dtype_is_float(DType::I64));
  EXPECT_TRUE(dtype_is_float(DType::BF16));
  EXPECT_THROW(t.data<int32_t>(), Error);
  try {
    (void)t.to(DType::F32);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "no conversion from I64 to F32: integer tensors are not converted");
  }
  EXPECT_THROW(Tensor::zeros({1}).to(DType::I32), Error);
  EXPECT_EQ(t.to(DType::I64).raw(), t.raw());
}

TEST(Tensor, ReshapeSharesStorage) {
  Tensor t = Tensor::full({2, 6}, 1.5);
  Tensor r = t.reshape({3, 2, 2});
  EXPECT_EQ(r.shape(), (Shape{3, 2, 2}));
  EXPECT_EQ(r.raw(), t.raw());
  r.data<float>()[11] = 7.0f;
  EXPECT_EQ(t.item(11), 7.0);
  EXPECT_EQ(t.reshape({12}).ndim(), 1);
  EXPECT_EQ(Tensor::full({1}, 2.0).reshape({}).ndim(), 0);
  EXPECT_THROW(t.reshape({5, 2}), Error);
  EXPECT_THROW(t.reshape({-2, -6}), Error);
  EXPECT_EQ(Tensor::zeros({0, 4}).reshape({4, 0, 9}).numel(), 0);
}

TEST(Tensor, MisuseThrows) {
  Tensor t = Tensor::zeros({2, 3});
  EXPECT_EQ(t.dim(-1), 3);
  EXPECT_THROW(t.dim(2), Error);
  EXPECT_THROW(t.dim(-3), Error);
  EXPECT_THROW(t.data<double>(), Error);
  EXPECT_THROW(t.item(6), Error);
  EXPECT_THROW(t.item(-1), Error);
  EXPECT_THROW(Tensor().data<float>(), Error);
  EXPECT_THROW(shape_numel({2, -1}), Error);
  EXPECT_THROW(shape_numel({int64_t{1} << 32, int64_t{1} << 32}), Error);
  EXPECT_EQ(shape_numel({}), 1);
  EXPECT_THROW(Tensor::empty({int64_t{1} << 62}), Error);

  Tensor dev = Tensor::from_storage(
      {2}, DType::F32, Device::CUDA,
      std::shared_ptr<void>(new float[2], [](void* p) { delete[] static_cast<float*>(p); }));
  EXPECT_THROW(dev.data<float>(), Error);
  EXPECT_THROW(dev.clone(), Error);
  EXPECT_THROW(dev.to(DType::F64), Error);
  EXPECT_THROW(dev.fill(1.0), Error);
  EXPECT_THROW(dev.item(0), Error);

  try {
    check_shape(t, {3, 2}, "tensor 'h0'");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "tensor 'h0': expected shape [3, 2], got [2, 3]");
  }
}

}  // namespace
}  // namespace recur
