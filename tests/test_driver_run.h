// Runs the time-loop driver directly on host tensors with any host-memory executor: output
// buffers are allocated here and poisoned with NaN before each run (the Backend API allocates
// its own outputs, so only this level can prove every element is written), and the results are
// packaged like a backend's, for comparison with cpu-ref.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/common/driver.h"
#include "recur/backend.h"
#include "support/random_inputs.h"

namespace recur::test {

template <class T>
const T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

template <class T>
std::vector<driver::DirParams<T>> driver_params(const RnnSpec& spec, const RnnParams& params) {
  std::vector<driver::DirParams<T>> out;
  for (int64_t l = 0; l < spec.num_layers; ++l) {
    for (int64_t d = 0; d < spec.directions(); ++d) {
      driver::DirParams<T> p;
      p.w_ih = params.get(ParamKind::W_ih, l, d).data<T>();
      p.w_hh = params.get(ParamKind::W_hh, l, d).data<T>();
      if (spec.bias) {
        p.b_ih = params.get(ParamKind::b_ih, l, d).data<T>();
        p.b_hh = params.get(ParamKind::b_hh, l, d).data<T>();
      }
      out.push_back(p);
    }
  }
  return out;
}

// `reg(const T* p, int64_t n, const char* what)` is called for every caller buffer (the naive
// executor checks GEMM operands against them).
template <class E, class Reg>
RnnOutputs driver_forward(E& ex, const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                          bool training, uint64_t seed, std::vector<typename E::value_type>* saved,
                          Reg&& reg) {
  using T = typename E::value_type;
  const DType dtype = dtype_of<T>();
  const int64_t T_ = spec.batch_first ? in.input.dim(1) : in.input.dim(0);
  const int64_t B = spec.batch_first ? in.input.dim(0) : in.input.dim(1);
  const int64_t DH = spec.directions() * spec.hidden_size;
  const Shape state = {spec.num_layers * spec.directions(), B, spec.hidden_size};
  RnnOutputs out;
  out.output = Tensor::empty(spec.batch_first ? Shape{B, T_, DH} : Shape{T_, B, DH}, dtype);
  out.h_n = Tensor::empty(state, dtype);
  poison(out.output);
  poison(out.h_n);
  if (spec.has_cell_state()) {
    out.c_n = Tensor::empty(state, dtype);
    poison(out.c_n);
  }
  driver::ForwardArgs<T> a;
  a.spec = spec;
  a.steps = T_;
  a.batch = B;
  a.training = training;
  a.dropout_seed = seed;
  a.params = driver_params<T>(spec, params);
  a.input = in.input.data<T>();
  a.h0 = ptr_or_null<T>(in.h0);
  a.c0 = ptr_or_null<T>(in.c0);
  a.output = out.output.data<T>();
  a.h_n = out.h_n.data<T>();
  a.c_n = spec.has_cell_state() ? out.c_n.data<T>() : nullptr;
  if (training) {
    saved->assign(driver::saved_elems(spec, T_, B), std::numeric_limits<T>::quiet_NaN());
    a.saved = saved->data();
    reg(a.saved, static_cast<int64_t>(saved->size()), "saved");
  }
  for (size_t i = 0; i < params.size(); ++i) {
    reg(params[i].template data<T>(), params[i].numel(), "parameter");
  }
  reg(a.input, in.input.numel(), "input");
  if (a.h0) reg(a.h0, in.h0.numel(), "h0");
  if (a.c0) reg(a.c0, in.c0.numel(), "c0");
  reg(a.output, out.output.numel(), "output");
  reg(a.h_n, out.h_n.numel(), "h_n");
  if (a.c_n) reg(a.c_n, out.c_n.numel(), "c_n");
  driver::forward(ex, a);
  return out;
}

template <class E, class Reg>
RnnGrads driver_backward(E& ex, const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                         uint64_t seed, const std::vector<typename E::value_type>& saved,
                         const RnnGradOutputs& grads, Reg&& reg) {
  using T = typename E::value_type;
  const DType dtype = dtype_of<T>();
  const int64_t T_ = spec.batch_first ? in.input.dim(1) : in.input.dim(0);
  const int64_t B = spec.batch_first ? in.input.dim(0) : in.input.dim(1);
  const Shape state = {spec.num_layers * spec.directions(), B, spec.hidden_size};
  RnnGrads out;
  out.input = Tensor::empty(in.input.shape(), dtype);
  out.h0 = Tensor::empty(state, dtype);
  poison(out.input);
  poison(out.h0);
  if (spec.has_cell_state()) {
    out.c0 = Tensor::empty(state, dtype);
    poison(out.c0);
  }
  out.params = RnnParams(spec, dtype);
  for (size_t i = 0; i < out.params.size(); ++i) poison(out.params[i]);

  driver::BackwardArgs<T> a;
  a.spec = spec;
  a.steps = T_;
  a.batch = B;
  a.dropout_seed = seed;
  a.params = driver_params<T>(spec, params);
  a.input = in.input.data<T>();
  a.h0 = ptr_or_null<T>(in.h0);
  a.c0 = ptr_or_null<T>(in.c0);
  a.saved = saved.data();
  a.grad_output = ptr_or_null<T>(grads.output);
  a.grad_h_n = ptr_or_null<T>(grads.h_n);
  a.grad_c_n = ptr_or_null<T>(grads.c_n);
  a.grad_input = out.input.data<T>();
  a.grad_h0 = out.h0.data<T>();
  a.grad_c0 = spec.has_cell_state() ? out.c0.data<T>() : nullptr;
  for (int64_t l = 0; l < spec.num_layers; ++l) {
    for (int64_t d = 0; d < spec.directions(); ++d) {
      driver::DirParamGrads<T> g;
      g.w_ih = out.params.get(ParamKind::W_ih, l, d).data<T>();
      g.w_hh = out.params.get(ParamKind::W_hh, l, d).data<T>();
      if (spec.bias) {
        g.b_ih = out.params.get(ParamKind::b_ih, l, d).data<T>();
        g.b_hh = out.params.get(ParamKind::b_hh, l, d).data<T>();
      }
      a.grads.push_back(g);
    }
  }
  reg(a.saved, static_cast<int64_t>(saved.size()), "saved");
  for (size_t i = 0; i < params.size(); ++i) {
    reg(params[i].template data<T>(), params[i].numel(), "parameter");
    reg(out.params[i].template data<T>(), out.params[i].numel(), "parameter gradient");
  }
  reg(a.input, in.input.numel(), "input");
  if (a.h0) reg(a.h0, in.h0.numel(), "h0");
  if (a.c0) reg(a.c0, in.c0.numel(), "c0");
  if (a.grad_output) reg(a.grad_output, grads.output.numel(), "grad_output");
  if (a.grad_h_n) reg(a.grad_h_n, grads.h_n.numel(), "grad_h_n");
  if (a.grad_c_n) reg(a.grad_c_n, grads.c_n.numel(), "grad_c_n");
  reg(a.grad_input, out.input.numel(), "grad_input");
  reg(a.grad_h0, out.h0.numel(), "grad_h0");
  if (a.grad_c0) reg(a.grad_c0, out.c0.numel(), "grad_c0");
  driver::backward(ex, a);
  return out;
}

}  // namespace recur::test
