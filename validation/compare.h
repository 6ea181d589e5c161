// The one comparison of a result with its reference, for `recur check` and the tests:
// relative error ||got - ref|| / ||ref|| plus a scaled max-abs error, a non-finite value never
// passing, and the first mismatches listed with their index.
#pragma once

#include <cstdint>
#include <string>

#include "recur/tensor.h"

namespace recur::validation {

struct Tolerance {
  double rel;      // bound on ||got - ref||_2 / ||ref||_2
  double max_abs;  // bound on max |got - ref| / max(1, max |ref|)
};

// DESIGN.md's bounds. The max-abs bound is ten times the relative one.
inline constexpr Tolerance kF64{1e-12, 1e-11};
inline constexpr Tolerance kF32Cpu{1e-5, 1e-4};
inline constexpr Tolerance kF32Gpu{1e-4, 1e-3};
inline constexpr Tolerance kHalf{1e-2, 1e-1};

// The bound of a backend's results in `dtype` against cpu-ref: kF64, kF32Cpu for the CPU
// backends, kF32Gpu for the GPU ones.
Tolerance default_tolerance(const std::string& backend, DType dtype);

struct Difference {
  double rel = 0;         // relative L2 error over the finite values of got
  double max_abs = 0;     // max |got - ref| over them, scaled by max(1, max |ref|)
  int64_t nonfinite = 0;  // values of got that are not finite where ref is

  // Within tol: no non-finite value, both errors within their bounds (a NaN error, from a
  // NaN in the reference, is not).
  bool within(Tolerance tol) const;
};

// Element by element; got and ref must be defined and of the same shape.
Difference difference(const Tensor& got, const Tensor& ref);

// Empty when got is within tol of ref. Else what is wrong, for a reader: an undefined tensor or
// a shape mismatch, or both errors with their bounds, the count of non-finite values and the
// first `shown` elements off by more than the max-abs bound (or not finite), with their flat
// index (none when only the relative error is over its bound).
std::string mismatch(const Tensor& got, const Tensor& ref, Tolerance tol, int shown = 8);

}  // namespace recur::validation
