// How much device memory one cuda backend call uses, by part: the driver's scratch, the saved
// region of a training forward, and the tensors of the call (inputs, parameters, outputs and
// gradients, whether the caller's device tensors or the backend's copies). Pure host code
// (tests/test_cuda_workspace.cpp); the backend quotes it when memory runs out.
#pragma once

#include <cstdint>

#include "kernels/common/driver.h"
#include "recur/rnn.h"

namespace recur::cuda {

enum class CallKind { Inference, TrainingForward, Backward };

struct CallFootprint {
  int64_t scratch = 0;  // bytes
  int64_t saved = 0;
  int64_t tensors = 0;  // with every optional tensor (h0, c0, gradients of the outputs) given
  int64_t total() const { return scratch + saved + tensors; }
};

// Elements of all parameters of `spec` (PyTorch's shapes).
inline int64_t param_elems(const RnnSpec& spec) {
  int64_t n = 0;
  for (int64_t l = 0; l < spec.num_layers; ++l) {
    const int64_t per_dir =
        spec.gates() * spec.hidden_size *
            (spec.layer_input_size(l) + spec.state_size() + (spec.bias ? 2 : 0)) +
        spec.proj_size * spec.hidden_size;  // W_hr
    n += spec.directions() * per_dir;
  }
  return n;
}

inline CallFootprint call_footprint(const RnnSpec& spec, int64_t steps, int64_t batch,
                                    size_t elem_bytes, CallKind kind) {
  const int64_t sz = static_cast<int64_t>(elem_bytes);
  const int64_t TB = steps * batch;
  const int64_t input = TB * spec.input_size;
  const int64_t output = TB * spec.directions() * spec.state_size();
  const int64_t state = spec.num_layers * spec.directions() * batch * spec.state_size();
  const int64_t cell_state = spec.num_layers * spec.directions() * batch * spec.hidden_size;
  const int64_t states = spec.has_cell_state() ? state + cell_state : state;  // h (and c)
  const int64_t params = param_elems(spec);

  CallFootprint f;
  if (kind == CallKind::Backward) {
    f.scratch = driver::backward_scratch_elems(spec, steps, batch) * sz;
    // In: input, h0/c0, parameters, grad_output, grad_h_n/grad_c_n. Out: grad_input,
    // grad_h0/grad_c0, parameter gradients. (The saved region belongs to the forward.)
    f.tensors = (input + states + params + output + states + input + states + params) * sz;
  } else {
    const bool training = kind == CallKind::TrainingForward;
    f.scratch = driver::forward_scratch_elems(spec, steps, batch, training) * sz;
    f.saved = training ? driver::saved_elems(spec, steps, batch) * sz : 0;
    // In: input, h0/c0, parameters. Out: output, h_n/c_n.
    f.tensors = (input + states + params + output + states) * sz;
  }
  return f;
}

}  // namespace recur::cuda
