#include "support/random_inputs.h"

#include <limits>

namespace recur::test {

Tensor random_tensor(const Shape& shape, DType dtype, Rng& rng, double lo, double hi) {
  Tensor t = Tensor::empty(shape, dtype);
  if (dtype == DType::F64) {
    double* p = t.data<double>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = rng.uniform(lo, hi);
  } else {
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(rng.uniform(lo, hi));
  }
  return t;
}

RnnInputs random_inputs(const RnnSpec& spec, int64_t T, int64_t B, DType dtype, uint64_t seed,
                        bool with_states) {
  Rng rng(seed);
  RnnInputs in;
  in.input = random_tensor(
      spec.batch_first ? Shape{B, T, spec.input_size} : Shape{T, B, spec.input_size}, dtype, rng);
  if (with_states) {
    // h is P = proj_size wide with a projection, c always H.
    const int64_t P = spec.proj_size > 0 ? spec.proj_size : spec.hidden_size;
    const Shape state = {spec.num_layers * spec.directions(), B, P};
    const Shape cell_state = {spec.num_layers * spec.directions(), B, spec.hidden_size};
    in.h0 = random_tensor(state, dtype, rng, -0.5, 0.5);
    if (spec.has_cell_state()) in.c0 = random_tensor(cell_state, dtype, rng, -0.5, 0.5);
  }
  return in;
}

RnnGradOutputs random_grad_outputs(const RnnSpec& spec, const RnnOutputs& out, uint64_t seed) {
  Rng rng(seed);
  RnnGradOutputs g;
  g.output = random_tensor(out.output.shape(), out.output.dtype(), rng);
  g.h_n = random_tensor(out.h_n.shape(), out.h_n.dtype(), rng);
  if (spec.has_cell_state()) g.c_n = random_tensor(out.c_n.shape(), out.c_n.dtype(), rng);
  return g;
}

void poison(Tensor& t) {
  t.fill(std::numeric_limits<double>::quiet_NaN());
}

}  // namespace recur::test
