// The comparison of the test suite, as a gtest assertion: validation/compare.h's (the one
// `recur check` uses too): relative error ||got - ref|| / ||ref|| plus a max-abs check, NaN
// never passing, and the first mismatches printed with their index.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "recur/tensor.h"
#include "validation/compare.h"

namespace recur::test {

using validation::Difference;
using validation::difference;
using validation::kF32Cpu;
using validation::kF32Gpu;
using validation::kF64;
using validation::kHalf;
using validation::Tolerance;

// gtest assertion: EXPECT_TRUE(close(got, ref, kF32Cpu, "output"))
::testing::AssertionResult close(const Tensor& got, const Tensor& ref, Tolerance tol,
                                 const std::string& what);

}  // namespace recur::test
