// Runs the time-loop driver directly on host tensors with any host-memory executor: output
// buffers are allocated here and poisoned with NaN before each run (the Backend API allocates
// its own outputs, so only this level can prove every element is written), and the results are
// packaged like a backend's, for comparison with cpu-ref.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/common/driver_call.h"
#include "recur/backend.h"
#include "support/random_inputs.h"

namespace recur::test {

// Host memory as it is (driver_call.h's staging policy), with every output poisoned and every
// buffer the driver may touch passed to `reg(const T* p, int64_t n, const char* what)` (the
// naive executor checks GEMM operands against them).
template <class Reg>
struct PoisoningStaging {
  Reg& reg;
  template <class T>
  const T* input(const Tensor& t, const char* what) {
    if (!t.defined()) return nullptr;
    reg(t.data<T>(), t.numel(), what);
    return t.data<T>();
  }
  template <class T>
  Tensor output(const Shape& shape, T** data) {
    Tensor t = Tensor::empty(shape, dtype_of<T>());
    poison(t);
    *data = t.data<T>();
    reg(*data, t.numel(), "output");
    return t;
  }
};

template <class E, class Reg>
RnnOutputs driver_forward(E& ex, const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                          bool training, uint64_t seed, std::vector<typename E::value_type>* saved,
                          Reg&& reg) {
  using T = typename E::value_type;
  const SeqDims dims = check_forward_args(spec, params, in);
  PoisoningStaging<Reg> st{reg};
  RnnOutputs out;
  driver::ForwardArgs<T> a =
      driver::forward_args<T>(spec, params, in, training, seed, dims, st, &out);
  if (training) {
    saved->assign(driver::saved_elems(spec, dims.T, dims.B), std::numeric_limits<T>::quiet_NaN());
    a.saved = saved->data();
    reg(a.saved, static_cast<int64_t>(saved->size()), "saved");
  }
  driver::forward(ex, a);
  return out;
}

template <class E, class Reg>
RnnGrads driver_backward(E& ex, const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                         uint64_t seed, const std::vector<typename E::value_type>& saved,
                         const RnnGradOutputs& grads, Reg&& reg) {
  using T = typename E::value_type;
  const SeqDims dims = check_forward_args(spec, params, in);
  PoisoningStaging<Reg> st{reg};
  RnnGrads out;
  driver::BackwardArgs<T> a =
      driver::backward_args<T>(spec, params, in, seed, grads, dims, st, &out);
  a.saved = saved.data();
  reg(a.saved, static_cast<int64_t>(saved.size()), "saved");
  driver::backward(ex, a);
  return out;
}

}  // namespace recur::test
