// From a Backend call's tensors to the driver's argument structs, written once for every
// backend that runs the driver (cpu, cuda) and for the tests that run it on other executors.
//
// Where the memory lives is the caller's policy, a Staging object with
//   template <class T> const T* input(const Tensor& t, const char* what);
//       t's elements in the executor's memory; null for an undefined tensor
//   template <class T> Tensor output(const Shape& shape, T** data);
//       a new output tensor (what the caller gets back); *data is what the driver writes
// HostStaging below is the policy of host executors; the cuda backend's is CallStaging.
#pragma once

#include <memory>
#include <vector>

#include "kernels/common/driver.h"
#include "recur/backend.h"
#include "recur/error.h"

namespace recur::driver {

// Host tensors as they are; outputs are new host tensors.
struct HostStaging {
  template <class T>
  const T* input(const Tensor& t, const char* /*what*/) {
    return t.defined() ? t.data<T>() : nullptr;
  }
  template <class T>
  Tensor output(const Shape& shape, T** data) {
    Tensor t = Tensor::empty(shape, dtype_of<T>());
    *data = t.data<T>();
    return t;
  }
};

template <class T, class Staging>
std::vector<DirParams<T>> dir_params(const RnnSpec& spec, const RnnParams& params, Staging& st) {
  std::vector<DirParams<T>> out;
  for (int64_t l = 0; l < spec.num_layers; ++l) {
    for (int64_t d = 0; d < spec.directions(); ++d) {
      DirParams<T> p;
      p.w_ih = st.template input<T>(params.get(ParamKind::W_ih, l, d), "weight_ih");
      p.w_hh = st.template input<T>(params.get(ParamKind::W_hh, l, d), "weight_hh");
      if (spec.bias) {
        p.b_ih = st.template input<T>(params.get(ParamKind::b_ih, l, d), "bias_ih");
        p.b_hh = st.template input<T>(params.get(ParamKind::b_hh, l, d), "bias_hh");
      }
      if (spec.proj_size > 0)
        p.w_hr = st.template input<T>(params.get(ParamKind::W_hr, l, d), "weight_hr");
      out.push_back(p);
    }
  }
  return out;
}

// Everything of a forward call but `saved` (the backend decides where that lives); the
// outputs are allocated into *out.
template <class T, class Staging>
ForwardArgs<T> forward_args(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                            bool training, uint64_t dropout_seed, SeqDims dims, Staging& st,
                            RnnOutputs* out) {
  ForwardArgs<T> a;
  a.spec = spec;
  a.steps = dims.T;
  a.batch = dims.B;
  a.lengths = sequence_lengths(in);
  a.training = training;
  a.dropout_seed = dropout_seed;
  a.params = dir_params<T>(spec, params, st);
  a.input = st.template input<T>(in.input, "input");
  a.h0 = st.template input<T>(in.h0, "h0");
  a.c0 = st.template input<T>(in.c0, "c0");
  out->output = st.template output<T>(output_shape(spec, dims), &a.output);
  out->h_n = st.template output<T>(state_shape(spec, dims), &a.h_n);
  if (spec.has_cell_state()) out->c_n = st.template output<T>(cell_state_shape(spec, dims), &a.c_n);
  return a;
}

// Everything of a backward call but `saved`; the gradients are allocated into *out (its
// `params` with the names, shapes and dtype of `params`).
template <class T, class Staging>
BackwardArgs<T> backward_args(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                              uint64_t dropout_seed, const RnnGradOutputs& grads, SeqDims dims,
                              Staging& st, RnnGrads* out) {
  BackwardArgs<T> a;
  a.spec = spec;
  a.steps = dims.T;
  a.batch = dims.B;
  a.lengths = sequence_lengths(in);
  a.dropout_seed = dropout_seed;
  a.params = dir_params<T>(spec, params, st);
  a.input = st.template input<T>(in.input, "input");
  a.h0 = st.template input<T>(in.h0, "h0");
  a.c0 = st.template input<T>(in.c0, "c0");
  a.grad_output = st.template input<T>(grads.output, "grad_output");
  a.grad_h_n = st.template input<T>(grads.h_n, "grad_h_n");
  a.grad_c_n = st.template input<T>(grads.c_n, "grad_c_n");
  out->input = st.template output<T>(in.input.shape(), &a.grad_input);
  out->h0 = st.template output<T>(state_shape(spec, dims), &a.grad_h0);
  if (spec.has_cell_state())
    out->c0 = st.template output<T>(cell_state_shape(spec, dims), &a.grad_c0);
  // A copy of `params` shares its tensors until each is replaced here, so nothing is
  // allocated twice.
  out->params = params;
  for (int64_t l = 0; l < spec.num_layers; ++l) {
    for (int64_t d = 0; d < spec.directions(); ++d) {
      DirParamGrads<T> g;
      auto grad = [&](ParamKind kind, T** data) {
        Tensor& t = out->params.get(kind, l, d);
        t = st.template output<T>(t.shape(), data);
      };
      grad(ParamKind::W_ih, &g.w_ih);
      grad(ParamKind::W_hh, &g.w_hh);
      if (spec.bias) {
        grad(ParamKind::b_ih, &g.b_ih);
        grad(ParamKind::b_hh, &g.b_hh);
      }
      if (spec.proj_size > 0) grad(ParamKind::W_hr, &g.w_hr);
      a.grads.push_back(g);
    }
  }
  return a;
}

// What a driver backend's training forward keeps for its backward, besides the saved region:
// what the backward must agree with.
struct SavedCall : SavedState {
  SavedCall(const RnnSpec& spec_, DType dtype_, SeqDims dims_, uint64_t dropout_seed_)
      : spec(spec_), dtype(dtype_), dims(dims_), dropout_seed(dropout_seed_) {}
  RnnSpec spec;
  DType dtype;
  SeqDims dims;
  uint64_t dropout_seed;
  std::vector<int64_t> lengths;  // the forward's, empty when it had none
};

// The saved state of `fwd` as the backend's own type, checked against the backward call.
template <class Saved>
const Saved& saved_for_backward(const RnnOutputs& fwd, const RnnSpec& spec, DType dtype,
                                SeqDims dims, const char* backend) {
  const auto* saved = dynamic_cast<const Saved*>(fwd.saved.get());
  RECUR_CHECK(saved != nullptr, "{} backend: backward needs the result of a {} training forward",
              backend, backend);
  RECUR_CHECK(saved->spec == spec && saved->dtype == dtype && saved->dims.T == dims.T &&
                  saved->dims.B == dims.B,
              "{} backend: backward called with a different spec, dtype or input shape than its "
              "training forward",
              backend);
  return *saved;
}

}  // namespace recur::driver
