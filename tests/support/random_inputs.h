// Fresh random test data (never zeros) and NaN poisoning of outputs.
#pragma once

#include <cstdint>

#include "recur/backend.h"
#include "recur/random.h"

namespace recur::test {

// Uniform in [lo, hi).
Tensor random_tensor(const Shape& shape, DType dtype, Rng& rng, double lo = -1.0, double hi = 1.0);

// input of the spec's layout with T steps and B batch; h0/c0 random when with_states.
RnnInputs random_inputs(const RnnSpec& spec, int64_t T, int64_t B, DType dtype, uint64_t seed,
                        bool with_states);
// Random gradients for every output of a forward (output, h_n, c_n where it exists).
RnnGradOutputs random_grad_outputs(const RnnSpec& spec, const RnnOutputs& out, uint64_t seed);

// Sets every element to NaN (host tensors).
void poison(Tensor& t);

}  // namespace recur::test
