// Internal helpers of the training stack: row-major matrix products through BLAS and a dtype
// dispatch, for tensors of F32 or F64.
#pragma once

#include <cstdint>
#include <string>

#include "recur/tensor.h"

namespace recur::train::detail {

// c [m, n] = alpha * op(a) * op(b) + beta * c, where op(a) is a [m, k] (or a [k, m] transposed
// with trans_a) and op(b) is b [k, n] (or b [n, k] with trans_b). All three 2-D, one dtype
// (F32 or F64), contiguous. beta == 0: c is not read. c must not alias a or b.
void matmul(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c,
            double alpha = 1.0, double beta = 0.0);

// Throws unless t is a defined 2-D tensor of F32 or F64; returns {rows, cols}.
void check_matrix(const Tensor& t, const std::string& what, int64_t* rows, int64_t* cols);

// Calls f(T{}) with T = float or double per the dtype; throws for F16/BF16.
template <class F>
auto dispatch_float(DType dtype, F&& f) {
  if (dtype == DType::F64) return f(double{});
  RECUR_CHECK(dtype == DType::F32, "expected F32 or F64 data, got {}", dtype_name(dtype));
  return f(float{});
}

}  // namespace recur::train::detail
