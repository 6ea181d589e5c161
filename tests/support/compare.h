// The one comparison helper of the test suite: relative error ||got - ref|| / ||ref|| plus a
// max-abs check, NaN never passing, and the first mismatches printed with their index.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "recur/tensor.h"

namespace recur::test {

struct Tolerance {
  double rel;      // bound on ||got - ref||_2 / ||ref||_2
  double max_abs;  // bound on max |got - ref| / max(1, max |ref|)
};

// DESIGN.md's bounds.
inline constexpr Tolerance kF64{1e-12, 1e-11};
inline constexpr Tolerance kF32Cpu{1e-5, 1e-4};
inline constexpr Tolerance kF32Gpu{1e-4, 1e-3};
inline constexpr Tolerance kHalf{1e-2, 1e-1};

struct Difference {
  double rel = 0;      // relative L2 error
  double max_abs = 0;  // max |got - ref|, scaled by max(1, max |ref|)
  int64_t nan = 0;     // non-finite values in got that are finite in ref
};

Difference difference(const Tensor& got, const Tensor& ref);

// gtest assertion: EXPECT_TRUE(close(got, ref, kF32Cpu, "output"))
::testing::AssertionResult close(const Tensor& got, const Tensor& ref, Tolerance tol,
                                 const std::string& what);

}  // namespace recur::test
