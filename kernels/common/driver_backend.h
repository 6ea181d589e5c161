// The forward and backward of a backend that runs the time-loop driver (cpu, cuda), written
// once for both backends and both element types: the dtype dispatch, the driver's argument
// structs (driver_call.h), the training forward's saved region and the run on the executor.
// What differs between backends is a Call, one object for the duration of one call:
//
//   using Saved = SavedRegion<...>;           // what a training forward keeps for backward
//   Staging& staging();                       // where tensors live (driver_call.h's policy)
//   template <class T> T* allocate_saved(Saved& saved, int64_t elems);
//   template <class T> const T* saved_data(const Saved& saved);
//   template <class T> Executor executor();   // the executor of element type T
//   void finish();                            // after the driver ran (outputs copied back)
//
// made by the backend's make_call() for each call. The argument checks (check_forward_args,
// saved_for_backward) stay with the backend, which may hold a lock around the call.
#pragma once

#include <memory>
#include <utility>

#include "kernels/common/driver_call.h"
#include "recur/backend.h"
#include "recur/error.h"

namespace recur::driver {

// A training forward's saved state: the SavedCall (what the backward must agree with) and the
// driver's saved region, driver::saved_elems elements of its dtype in the backend's memory.
template <class Region>
struct SavedRegion final : SavedCall {
  using SavedCall::SavedCall;
  Region region;
};

// f(T{}) with T the element type of dtype, float or double (the dtypes the driver runs).
template <class F>
decltype(auto) with_element_type(DType dtype, F&& f) {
  if (dtype == DType::F64) return f(double{});
  RECUR_CHECK(dtype == DType::F32, "the driver runs float32 and float64, not {}",
              dtype_name(dtype));
  return f(float{});
}

template <class MakeCall>
RnnOutputs run_forward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                       const ForwardOptions& options, SeqDims dims, MakeCall&& make_call) {
  return with_element_type(params.dtype(), [&](auto zero) {
    using T = decltype(zero);
    auto call = make_call();
    using Saved = typename decltype(call)::Saved;
    RnnOutputs out;
    ForwardArgs<T> a = forward_args<T>(spec, params, in, options.training, options.dropout_seed,
                                       dims, call.staging(), &out);
    std::shared_ptr<Saved> saved;
    if (options.training) {
      saved = std::make_shared<Saved>(spec, dtype_of<T>(), dims, options.dropout_seed);
      saved->lengths = a.lengths;
      a.saved = call.template allocate_saved<T>(*saved, saved_elems(spec, dims.T, dims.B));
    }
    auto ex = call.template executor<T>();
    forward(ex, a);
    call.finish();
    out.saved = std::move(saved);
    return out;
  });
}

// `saved`: the forward's, as saved_for_backward returned it.
template <class Saved, class MakeCall>
RnnGrads run_backward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                      const Saved& saved, const RnnGradOutputs& grads, SeqDims dims,
                      MakeCall&& make_call) {
  return with_element_type(params.dtype(), [&](auto zero) {
    using T = decltype(zero);
    auto call = make_call();
    RnnGrads out;
    BackwardArgs<T> a =
        backward_args<T>(spec, params, in, saved.dropout_seed, grads, dims, call.staging(), &out);
    RECUR_CHECK(a.lengths == saved.lengths,
                "backward: the lengths differ from those of the training forward");
    a.saved = call.template saved_data<T>(saved);
    auto ex = call.template executor<T>();
    backward(ex, a);
    call.finish();
    return out;
  });
}

}  // namespace recur::driver
