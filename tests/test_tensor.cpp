#include <gtest/gtest.h>

#include "recur/tensor.h"

namespace recur {

TEST(Tensor, HalfRoundTripsExactValues) {
  for (float v : {0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f, 5.960464477539063e-08f})
    EXPECT_EQ(half_to_float(float_to_half(v)), v) << v;
}

}  // namespace recur
